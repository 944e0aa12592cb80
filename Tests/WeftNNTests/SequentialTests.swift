import Testing
@testable import Weft
@testable import WeftNN

@Suite struct SequentialTests {
    @Test func parameterNamesFollowPyTorch() throws {
        let m = Sequential {
            Dense(4, activation: .relu)
            Dropout(0.5)
            Dense(2)
        }
        _ = try m.build(inputShape: [3])
        #expect(m.namedParameters.map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(m.parameterCount == 3 * 4 + 4 + 4 * 2 + 2)
    }

    @Test func outputFromKnownWeights() throws {
        let m = Sequential {
            Dense(2, activation: .relu)
            Dense(1)
        }
        _ = try m.build(inputShape: [2])
        let p = m.parameters
        p[0].value = Tensor(shape: [2, 2], scalars: [1, -1, 2, 0.5] as [Float])
        p[1].value = Tensor(shape: [2], scalars: [0.5, -3] as [Float])
        p[2].value = Tensor(shape: [2, 1], scalars: [2, -1] as [Float])
        p[3].value = Tensor(shape: [1], scalars: [0.25] as [Float])
        // x = [1, 2]: h = relu([1+4+0.5, -1+1-3]) = [5.5, 0]; y = 2·5.5 − 0 + 0.25 = 11.25
        let y = m(Tensor(shape: [1, 2], scalars: [1, 2] as [Float]))
        #expect(y.scalars(as: Float.self) == [11.25])
    }

    @Test func buildThrowsOnShapeMismatch() throws {
        let m = Sequential { Dense(3) }
        _ = try m.build(inputShape: [4])
        #expect(throws: ShapeError.self) { try m.build(inputShape: [5]) }
        do { _ = try m.build(inputShape: [5]); Issue.record("no error") } catch let e as ShapeError {
            #expect(e.description.contains("Dense") && e.description.contains("[5]") && e.description.contains("[4, 3]"))
        }
    }

    /// Nested containers give dotted names, as PyTorch's `nn.Sequential` inside `nn.Sequential`.
    @Test func nestedSequentialNames() throws {
        let m = Sequential {
            Sequential {
                Dense(3)
                Dense(2)
            }
            Dense(1)
        }
        #expect(try m.build(inputShape: [4]) == [1])
        #expect(m.namedParameters.map(\.0) == ["0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "1.weight", "1.bias"])
        #expect(m.parameterCount == (4 * 3 + 3) + (3 * 2 + 2) + (2 + 1))
        #expect(Set(m.stateDict.keys) == Set(m.namedParameters.map(\.0)))
    }

    /// A layer used twice shares its parameters: PyTorch's `named_parameters()` lists a shared
    /// parameter once (under its first name), so the model has 4 parameters, the gradient is
    /// the sum over both uses, and one optimizer step moves the weight once:
    /// W ← W − η·dL/dW, with dL/dW from central differences of L written out by hand.
    @Test func sharedLayerParametersCountedAndUpdatedOnce() throws {
        let d = Dense(2, useBias: false)
        let m = Sequential {
            d
            d
        }
        _ = try m.build(inputShape: [2])
        d.weight!.value = Tensor(shape: [2, 2], scalars: [0.5, -1, 2, 0.25])
        #expect(m.namedParameters.map(\.0) == ["0.weight"])
        #expect(m.parameterCount == 4)

        let x = Tensor(shape: [3, 2], scalars: [1, 2, -1, 0.5, 3, -2])
        func loss(_ w: [Double]) -> Double {
            // L = Σ (x·W·W), written out.
            var total = 0.0
            for n in 0..<3 {
                let x0 = x.doubles[2 * n], x1 = x.doubles[2 * n + 1]
                let h0 = x0 * w[0] + x1 * w[2], h1 = x0 * w[1] + x1 * w[3]
                total += h0 * w[0] + h1 * w[2] + h0 * w[1] + h1 * w[3]
            }
            return total
        }
        let w0 = d.weight!.value.doubles
        let h = 1e-6
        let numeric: [Double] = (0..<4).map { i in
            var p = w0, q = w0
            p[i] += h
            q[i] -= h
            return (loss(p) - loss(q)) / (2 * h)
        }
        let (value, grads) = valueWithGradient(at: m) { $0(x).sum() }
        #expect(Swift.abs(value.item - loss(w0)) < 1e-12)
        SGD(learningRate: 0.1).update(m, along: grads)
        let expected = (0..<4).map { w0[$0] - 0.1 * numeric[$0] }
        let got = d.weight!.value.doubles
        #expect(zip(got, expected).allSatisfy { Swift.abs($0 - $1) < 1e-8 }, "W after one step: \(got), expected \(expected)")
    }
}
