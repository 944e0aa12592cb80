import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Bidirectional over the generic RNN layer (any cell). References (agree to ~1e-8: parts of Keras's torch
// backend run in float32 even under a float64 policy, so they are compared at 1e-6)
// (KerasBidirectionalRNNReference.swift) from Keras 3.15.1, torch backend, float64:
//
//   import os; os.environ["KERAS_BACKEND"] = "torch"
//   import numpy as np, keras; from keras import layers
//   keras.config.set_floatx("float64"); keras.config.set_dtype_policy("float64")
//   det = lambda shape, a, b: (0.5 * np.sin(a * np.arange(int(np.prod(shape))) + b)).reshape(shape)
//   x = det([2, 4, 3], .29, .3); mask = np.array([[1, 1, 1, 1], [0, 1, 1, 0]], bool)
//   def setw(bi): bi.set_weights([det(w.shape, .37 + .11 * i, .1 * i) for i, w in enumerate(bi.get_weights())])
//   bi = layers.Bidirectional(layers.RNN(layers.LSTMCell(3), return_sequences=True))
//   bi.build((2, 4, 3)); setw(bi)
//   lstmSequences = bi(x); lstmSequencesMasked = bi(x, mask=mask)
//   bi2 = layers.Bidirectional(layers.RNN([layers.GRUCell(2), layers.SimpleRNNCell(3)], return_state=True),
//                              merge_mode="sum")
//   bi2.build((2, 4, 3)); setw(bi2)
//   stackedState0…4 = keras.tree.flatten(bi2(x))   # output, forward states (2), backward states (2)

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

private func setKerasWeights(_ layer: some Layer) {
    for (i, p) in layer.parameters.enumerated() { p.value = det(p.value.shape, 0.37 + 0.11 * Double(i), 0.1 * Double(i)) }
}

@Suite("Bidirectional over RNN(cell)")
struct BidirectionalRNNTests {
    @Test("Bidirectional(RNN(LSTMCell)) matches Keras, with and without a mask")
    func lstmCellMatchesKeras() throws {
        let bi = Bidirectional(RNN(LSTMCell(3), returnSequences: true))
        #expect(try bi.build(inputShape: [4, 3]) == [4, 6])
        #expect(bi.namedParameters.map(\.0) == ["forwardLayer.cell.kernel", "forwardLayer.cell.recurrentKernel", "forwardLayer.cell.bias",
                                                "backwardLayer.cell.kernel", "backwardLayer.cell.recurrentKernel", "backwardLayer.cell.bias"])
        #expect((bi.backwardLayer as? RNN)?.goBackwards == true)
        setKerasWeights(bi)
        let x = det([2, 4, 3], 0.29, 0.3)
        expectNear(bi(x).doubles, KerasBidirectionalRNNReference.lstmSequences, rtol: 1e-6, atol: 1e-7)
        let mask = Tensor(shape: [2, 4], scalars: [true, true, true, true, false, true, true, false])
        let masked = bi(x, mask: mask)
        expectNear(masked.doubles, KerasBidirectionalRNNReference.lstmSequencesMasked, rtol: 1e-6, atol: 1e-7)
        #expect(!nnIsClose(masked.doubles, KerasBidirectionalRNNReference.lstmSequences, rtol: 1e-3, atol: 1e-4))
        #expect(bi.computeMask(x, inputMask: mask) != nil)
    }

    @Test("Stacked cells, sum merge and returned states match Keras")
    func stackedStatesMatchKeras() throws {
        let bi = Bidirectional(RNN([GRUCell(2), SimpleRNNCell(3)], returnState: true), mergeMode: .sum)
        #expect(try bi.build(inputShapes: [[4, 3]]) == [[3], [2], [3], [2], [3]])
        #expect(bi.parameters.count == 12)
        setKerasWeights(bi)
        let out = bi.call([det([2, 4, 3], 0.29, 0.3)])
        let refs = [KerasBidirectionalRNNReference.stackedState0, KerasBidirectionalRNNReference.stackedState1,
                    KerasBidirectionalRNNReference.stackedState2, KerasBidirectionalRNNReference.stackedState3,
                    KerasBidirectionalRNNReference.stackedState4]
        #expect(out.count == refs.count)
        for (i, (o, r)) in zip(out, refs).enumerated() { expectNear(o.doubles, r, rtol: 1e-6, atol: 1e-7, "output \(i)") }
        // Initial states (forward's then backward's) are used.
        let starts = [[2, 2], [2, 3], [2, 2], [2, 3]].enumerated().map { det($0.element, 0.7 + Double($0.offset), 0.2) }
        let started = bi.call([det([2, 4, 3], 0.29, 0.3)] + starts)
        #expect(!nnIsClose(started[0].doubles, refs[0], rtol: 1e-3, atol: 1e-4))
        let fwd = try #require(bi.forwardLayer as? RNN), bwd = try #require(bi.backwardLayer as? RNN)
        let x = det([2, 4, 3], 0.29, 0.3)
        expectNear(started[0].doubles, (fwd.call([x, starts[0], starts[1]])[0] + bwd.call([x, starts[2], starts[3]])[0]).doubles,
                   rtol: 1e-14, atol: 1e-15)
    }

    @Test("Over the built-in cells it equals Bidirectional over the fused layers with the same weights")
    func equalsFusedBidirectional() throws {
        let x = det([3, 5, 2], 0.41, 0.7)
        let pairs: [(Bidirectional, Bidirectional)] = [
            (Bidirectional(RNN(LSTMCell(4), returnSequences: true)), Bidirectional(LSTM(4, returnSequences: true))),
            (Bidirectional(RNN(GRUCell(3), returnSequences: true, returnState: true), mergeMode: .ave),
             Bidirectional(GRU(3, returnSequences: true, returnState: true), mergeMode: .ave)),
            (Bidirectional(RNN(SimpleRNNCell(2)), mergeMode: .mul), Bidirectional(SimpleRNN(2), mergeMode: .mul)),
        ]
        for (generic, fused) in pairs {
            _ = try generic.build(inputShape: [5, 2]); _ = try fused.build(inputShape: [5, 2])
            setFloat64Parameters(fused, seed: 21)
            #expect(generic.parameters.count == fused.parameters.count)
            for (p, q) in zip(fused.parameters, generic.parameters) { q.value = p.value }
            let a = generic.call([x]), b = fused.call([x])
            #expect(a.map(\.shape) == b.map(\.shape))
            for (u, v) in zip(a, b) { expectNear(u.doubles, v.doubles, rtol: 1e-12, atol: 1e-14) }
            // With a mask both zero the masked steps of a sequence output (Keras's zero_output_for_mask).
            let mask = Tensor(shape: [3, 5], scalars: [Float](repeating: 1, count: 10) + [0, 1, 1, 1, 0])
            let am = generic.call([x], mask: mask), bm = fused.call([x], mask: mask)
            for (u, v) in zip(am, bm) { expectNear(u.doubles, v.doubles, rtol: 1e-12, atol: 1e-14) }
            if generic.forwardLayer.returnsSequences {
                let last = am[0].sliced(axis: 0, start: 2, end: 3)
                #expect(last.sliced(axis: 1, start: 0, end: 1).doubles.allSatisfy { $0 == 0 })
                #expect(last.sliced(axis: 1, start: 4, end: 5).doubles.allSatisfy { $0 == 0 })
                #expect(!last.sliced(axis: 1, start: 1, end: 2).doubles.allSatisfy { $0 == 0 })
            }
        }
    }

    @Test("A custom cell takes an explicit backward layer; gradients against central differences; summary")
    func customCell() throws {
        #expect(MinimalRNNCell(3).freshCopy() == nil)
        let bi = Bidirectional(RNN(MinimalRNNCell(3), returnSequences: true),
                               backwardLayer: RNN(MinimalRNNCell(3), returnSequences: true, goBackwards: true))
        let model = Sequential { bi; Dense(2) }
        _ = try model.build(inputShape: [4, 2])
        setFloat64Parameters(model, seed: 5)
        let x = det([2, 4, 2], 0.31, 0.1)
        let f = try #require(bi.forwardLayer as? RNN), b = try #require(bi.backwardLayer as? RNN)
        let t = Tensor(shape: [4], scalars: (0..<4).reversed().map { Int32($0) })
        expectNear(bi(x).doubles, concatenate([f(x), b(x).indexSelect(axis: 1, indices: t)], axis: -1).doubles, rtol: 0, atol: 0)
        let w = det([2, 4, 2], 0.9, 0.4)
        ModelGradientTests().checkModel(model, x, loss: { ($0 * w).sum() },
                                        names: ["0.forwardLayer.cell.kernel", "0.forwardLayer.cell.recurrentKernel", "0.backwardLayer.cell.kernel",
                                                "0.backwardLayer.cell.recurrentKernel", "1.weight", "1.bias"])
        #expect(model.summary().contains("bidirectional (Bidirectional)"))
    }
}
