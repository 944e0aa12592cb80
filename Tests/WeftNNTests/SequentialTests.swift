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
}
