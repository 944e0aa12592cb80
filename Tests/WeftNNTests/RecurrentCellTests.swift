import Foundation
import Testing
@testable import Weft
@testable import WeftNN

/// A custom cell, as in Keras's RNN documentation (MinimalRNNCell): h = tanh(x·W + h·U).
final class MinimalRNNCell: RecurrentCell {
    let units: Int
    var kernel: Parameter?
    var recurrentKernel: Parameter?
    init(_ units: Int) { self.units = units }
    var stateSizes: [Int] { [units] }
    var outputSize: Int { units }
    func build(features: Int) throws {
        if kernel == nil {
            kernel = Parameter(Initializer.glorotUniform.make([features, units], fanIn: features, fanOut: units))
            recurrentKernel = Parameter(Initializer.orthogonal().make([units, units], fanIn: units, fanOut: units))
        }
    }
    func step(_ x: Tensor, states: [Tensor]) -> (output: Tensor, states: [Tensor]) {
        let h = tanh(matmul(x, kernel!.value) + matmul(states[0], recurrentKernel!.value))
        return (h, [h])
    }
}

private func seq(_ n: Int, _ t: Int, _ c: Int, seed: UInt64) -> Tensor { nnTensor([n, t, c], nnRandom(n * t * c, seed: seed)) }

@Suite("Recurrent cells and the generic RNN layer")
struct RecurrentCellTests {
    @Test("RNN(LSTMCell / GRUCell / SimpleRNNCell) equals the fused layer with the same weights (sequences, states, goBackwards)")
    func cellsMatchLayers() throws {
        let x = seq(2, 5, 3, seed: 4)
        let cases: [(any RecurrentCell, any RecurrentLayer)] = [
            (LSTMCell(4), LSTM(4, returnSequences: true, returnState: true)),
            (GRUCell(4), GRU(4, returnSequences: true, returnState: true)),
            (GRUCell(4, resetAfter: false), GRU(4, returnSequences: true, returnState: true, resetAfter: false)),
            (SimpleRNNCell(4, activation: .relu), SimpleRNN(4, activation: .relu, returnSequences: true, returnState: true)),
            (LSTMCell(4, recurrentActivation: .hardSigmoid), LSTM(4, recurrentActivation: .hardSigmoid, returnSequences: true, returnState: true)),
        ]
        for (cell, layer) in cases {
            for dtype in [DType.float64, .float32] {
                let xs = x.cast(to: dtype)
                let rnn = RNN(cell, returnSequences: true, returnState: true)
                _ = try rnn.build(inputShape: [5, 3])
                #expect(rnn.namedParameters.map(\.0) == ["cell.kernel", "cell.recurrentKernel", "cell.bias"])
                _ = try layer.build(inputShape: [5, 3])
                setFloat64Parameters(layer, seed: 9)
                for (p, q) in zip(layer.parameters, rnn.parameters) { q.value = p.value.cast(to: dtype) }
                for p in layer.parameters { p.value = p.value.cast(to: dtype) }
                let a = rnn.call([xs]), b = layer.call([xs])
                #expect(a.map(\.shape) == b.map(\.shape))
                let tol = dtype == .float64 ? 1e-12 : 1e-5
                for (u, v) in zip(a, b) { expectNear(u.doubles, v.doubles, rtol: tol, atol: tol, "\(cell.typeName) \(dtype)") }
            }
        }
        // goBackwards returns the sequence in processing order, as the layers do.
        let cell = LSTMCell(3), l = LSTM(3, returnSequences: true, goBackwards: true)
        let rnn = RNN(cell, returnSequences: true, goBackwards: true)
        _ = try rnn.build(inputShape: [5, 3]); _ = try l.build(inputShape: [5, 3])
        setFloat64Parameters(l, seed: 2)
        for (p, q) in zip(l.parameters, rnn.parameters) { q.value = p.value }
        expectNear(rnn(x).doubles, l(x).doubles, rtol: 1e-12, atol: 1e-14)
    }

    @Test("StackedRNNCells equals the stacked layers; initial states are used")
    func stackedAndInitialStates() throws {
        let x = seq(2, 4, 3, seed: 6)
        let rnn = RNN([LSTMCell(5), GRUCell(2)], returnState: true)
        #expect(try rnn.build(inputShapes: [[4, 3]]) == [[2], [5], [5], [2]])
        let stack = Sequential { LSTM(5, returnSequences: true); GRU(2) }
        _ = try stack.build(inputShape: [4, 3])
        setFloat64Parameters(stack, seed: 12)
        #expect(rnn.parameters.count == stack.parameters.count)
        for (p, q) in zip(stack.parameters, rnn.parameters) { q.value = p.value }
        let out = rnn.call([x])
        expectNear(out[0].doubles, stack(x).doubles, rtol: 1e-12, atol: 1e-14)
        expectNear(out[3].doubles, out[0].doubles, rtol: 0, atol: 0)      // the GRU's state is its output
        let h0 = nnTensor([2, 5], nnRandom(10, seed: 1)), c0 = nnTensor([2, 5], nnRandom(10, seed: 2)), g0 = nnTensor([2, 2], nnRandom(4, seed: 3))
        let started = rnn.call([x, h0, c0, g0])
        #expect(!nnIsClose(started[0].doubles, out[0].doubles, rtol: 1e-6, atol: 1e-8))
        let lstm = try #require(stack.layers[0] as? LSTM), gru = try #require(stack.layers[1] as? GRU)
        let ref = gru.call([lstm.call([x, h0, c0])[0], g0])[0]
        expectNear(started[0].doubles, ref.doubles, rtol: 1e-12, atol: 1e-14)
        #expect(throws: ShapeError.self) { try rnn.build(inputShapes: [[4, 3], [5]]) == [] }
    }

    @Test("A custom cell: outputs as the written-out loop, gradients against central differences, Keras masks")
    func customCell() throws {
        let cell = MinimalRNNCell(3)
        let model = Sequential { RNN(cell, returnSequences: true); Dense(2) }
        _ = try model.build(inputShape: [4, 2])
        setFloat64Parameters(model, seed: 17)
        #expect(model.namedParameters.map(\.0) == ["0.cell.kernel", "0.cell.recurrentKernel", "1.weight", "1.bias"])
        let x = seq(2, 4, 2, seed: 8)
        // The loop written out.
        var h = Tensor.zeros([2, 3], dtype: .float64), steps: [Tensor] = []
        for t in 0..<4 {
            h = tanh(matmul(x.sliced(axis: 1, start: t, end: t + 1).reshaped(to: [2, 2]), cell.kernel!.value) + matmul(h, cell.recurrentKernel!.value))
            steps.append(h)
        }
        let rnnOut = (model.layers[0] as! RNN)(x)
        expectNear(rnnOut.doubles, stack(steps, axis: 1).doubles, rtol: 1e-14, atol: 1e-15)
        let w = nnTensor([2, 4, 2], nnRandom(16, seed: 5))
        ModelGradientTests().checkModel(model, x, loss: { ($0 * w).sum() }, names: ["0.cell.kernel", "0.cell.recurrentKernel", "1.weight", "1.bias"])
        // With Embedding(maskZero:), left padding is skipped: the last state equals the unpadded run's.
        let m = Sequential { Embedding(inputDim: 6, outputDim: 2, maskZero: true); RNN(MinimalRNNCell(3)) }
        _ = try m.build(inputShape: [5])
        setFloat64Parameters(m, seed: 3)
        let padded = Tensor(shape: [1, 5], scalars: [Int64(0), 0, 2, 5, 1]), plain = Tensor(shape: [1, 3], scalars: [Int64(2), 5, 1])
        expectNear(m(padded).doubles, m(plain).doubles, rtol: 1e-14, atol: 1e-15)
        // A cell is also a layer: one step from zero states.
        let one = LSTMCell(2)
        #expect(try one.build(inputShape: [3]) == [2])
        #expect(one(nnTensor([4, 3], nnRandom(12, seed: 1))).shape == [4, 2])
        let text = model.summary()
        #expect(text.contains("rnn (RNN)"))
    }
}
