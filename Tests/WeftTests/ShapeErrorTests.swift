import Testing
@testable import Weft

// Programmer errors in tensor arithmetic stop the process with a message that names the op and
// both shapes (DESIGN.md §2). Each case runs in a child process (Swift Testing exit tests) and
// checks what it wrote to standard error.

/// Expects `stderr` to contain every one of `needles`.
private func expectMessage(_ result: ExitTest.Result?, contains needles: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let result else { return }   // the exit-status expectation already failed
    let text = String(decoding: result.standardErrorContent, as: UTF8.self)
    for n in needles {
        #expect(text.contains(n), "message should contain \"\(n)\"; stderr was:\n\(text.prefix(600))", sourceLocation: sourceLocation)
    }
}

@Suite struct ShapeErrorTests {
    @Test func addOfUnbroadcastableShapes() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        expectMessage(r, contains: ["add: shapes [2, 3] and [4] cannot be broadcast"])
    }

    @Test func mulAndMaximumNameTheirOp() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) * Tensor.zeros([3, 2])
        }
        expectMessage(r, contains: ["mul", "[2, 3]", "[3, 2]"])
        let m = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maximum(Tensor.zeros([5]), Tensor.zeros([2, 4]))
        }
        expectMessage(m, contains: ["maximum", "[5]", "[2, 4]"])
        let c = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3]) .< Tensor.zeros([2])
        }
        expectMessage(c, contains: ["less", "[3]", "[2]"])
    }

    @Test func whereOfUnbroadcastableShapes() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = `where`(Tensor(shape: [2], scalars: [true, false]), Tensor.zeros([3]), Tensor.zeros([3]))
        }
        expectMessage(r, contains: ["where", "[2]", "[3]"])
    }

    @Test func matmulOfMisalignedMatrices() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }
        expectMessage(r, contains: ["matmul: shapes [2, 3] and [4, 5] are not aligned"])
    }

    @Test func matmulOfUnbroadcastableBatches() async {
        // The message should name the operands' shapes, not only their batch dims.
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros([2, 3, 4]), Tensor.zeros([3, 4, 5]))
        }
        expectMessage(r, contains: ["matmul", "[2, 3, 4]", "[3, 4, 5]"])
    }

    @Test func linearWithAMismatchedKernel() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linear(Tensor.zeros([2, 3]), weight: Tensor.zeros([4, 5]))
        }
        expectMessage(r, contains: ["linear", "[2, 3]", "[4, 5]"])
    }

    @Test func concatenateAndStackOfMismatchedShapes() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = concatenate([Tensor.zeros([2, 3]), Tensor.zeros([3, 2])], axis: 0)
        }
        expectMessage(r, contains: ["concatenate", "[2, 3]", "[3, 2]"])
        let s = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = stack([Tensor.zeros([2, 3]), Tensor.zeros([2, 4])])
        }
        expectMessage(s, contains: ["stack", "[2, 3]", "[2, 4]"])
    }

    @Test func reshapeAndExpand() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped(to: [4])
        }
        expectMessage(r, contains: ["reshape", "[2, 3]", "[4]"])
        let e = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3]).expanded(to: [2, 4])
        }
        expectMessage(e, contains: ["expand", "[3]", "[2, 4]"])
    }

    @Test func conv2dChannelMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 3, 5, 5]), weight: Tensor.zeros([4, 2, 3, 3]))
        }
        expectMessage(r, contains: ["conv2d", "[1, 3, 5, 5]", "[4, 2, 3, 3]"])
    }

    @Test func crossEntropyLabelsMismatch() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = softmaxCrossEntropy(logits: Tensor.zeros([4, 3]), labels: Tensor(shape: [3], scalars: [0, 1, 2] as [Int64]))
        }
        expectMessage(r, contains: ["softmaxCrossEntropy", "[3]", "[4, 3]"])
    }

    @Test func axisOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).sum(alongAxes: [2])
        }
        expectMessage(r, contains: ["sum", "axis 2", "rank 2"])
    }

    @Test func indexOutOfRange() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 2]).indexSelect(axis: 0, indices: Tensor(shape: [1], scalars: [3] as [Int64]))
        }
        expectMessage(r, contains: ["indexSelect", "index 3", "size 3"])
        let s = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 2])[3]
        }
        expectMessage(s, contains: ["subscript", "index 3"])
    }

    @Test func wellFormedOpsDoNotExit() async {
        // The control: the same child-process machinery reports success for valid arithmetic.
        await #expect(processExitsWith: .success) {
            let y = Tensor.zeros([2, 3]) + Tensor.zeros([3])
            precondition(y.shape == [2, 3])
        }
    }
}
