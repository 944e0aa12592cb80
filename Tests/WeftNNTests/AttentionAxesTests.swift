import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// MultiHeadAttention's attention_axes and tuple output_shape against Keras 3.15.1 (torch backend,
// floatx float64); references in KerasMHAReference.swift, from:
//
//   det = lambda shape, a, b: (0.5 * np.sin(a * np.arange(np.prod(shape)) + b)).reshape(shape)
//   setw(layer): layer.set_weights([det(w.shape, .37 + .05 * i, .1 * i) for i, w in enumerate(layer.get_weights())])
//   axis2:    MultiHeadAttention(2, 3, value_dim=2, attention_axes=(2,)); q det((2,3,2,4), .29, .3),
//             v det((2,3,5,6), .31, .2), k det((2,3,5,3), .23, .4); y, s = m(q, v, key=k, return_attention_scores=True)
//   axes12:   MultiHeadAttention(2, 2, attention_axes=(1, 2), output_shape=(2, 5)); x det((2,2,3,4), .29, .3);
//             mask = (arange(72).reshape(2,2,3,2,3) * 7 % 5) != 0; y, s = m(x, x, attention_mask=mask, …scores=True)
//   tupleCausal: MultiHeadAttention(2, 3, output_shape=(3, 2)); x det((2,4,5), .29, .3); m(x, x, use_causal_mask=True)

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

/// Keras's `setw`: the i-th weight in build order is det(shape, .37 + .05·i, .1·i).
private func setKerasWeights(_ m: MultiHeadAttention) {
    for (i, p) in m.parameters.enumerated() { p.value = det(p.value.shape, 0.37 + 0.05 * Double(i), 0.1 * Double(i)) }
}

@Suite("MultiHeadAttention attention axes and tuple output shapes against Keras 3")
struct AttentionAxesTests {
    @Test("attentionAxes [2] of [N, 3, T, D]: axis 1 is batch-like; cross attention with a key; scores [N, 3, H, Tq, Tv]")
    func oneAxisWithBatchLikeAxis() throws {
        let m = MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2, attentionAxes: [2])
        #expect(try m.build(inputShapes: [[3, 2, 4], [3, 5, 6], [3, 5, 3]]) == [[3, 2, 4]])
        setKerasWeights(m)
        let (y, s) = m(query: det([2, 3, 2, 4], 0.29, 0.3), value: det([2, 3, 5, 6], 0.31, 0.2), key: det([2, 3, 5, 3], 0.23, 0.4),
                       returnAttentionScores: true)
        #expect(y.shape == [2, 3, 2, 4] && s?.shape == [2, 3, 2, 2, 5])
        expectNear(y.doubles, KerasMHAReference.axis2Out, rtol: 1e-9, atol: 1e-12)
        expectNear(s!.doubles, KerasMHAReference.axis2Scores, rtol: 1e-9, atol: 1e-12)
        // A batch-like axis must agree between query and value; attention axes (the default: both) need not.
        #expect(throws: ShapeError.self) { try m.build(inputShapes: [[3, 2, 4], [4, 5, 6]]) == [] }
        let both = MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2)
        #expect(try both.build(inputShapes: [[3, 2, 4], [4, 5, 6]]) == [[3, 2, 4]])
    }

    @Test("attentionAxes [1, 2] with a mask [N, 2, 3, 2, 3] and outputShape [2, 5]")
    func twoAxesMaskTupleOutput() throws {
        let m = MultiHeadAttention(numHeads: 2, keyDim: 2, outputShape: [2, 5], attentionAxes: [1, 2])
        #expect(try m.build(inputShape: [2, 3, 4]) == [2, 3, 2, 5])
        #expect(m.outputKernel!.value.shape == [2, 2, 2, 5] && m.outputBias!.value.shape == [2, 5])
        setKerasWeights(m)
        let x = det([2, 2, 3, 4], 0.29, 0.3)
        let mask = Tensor(shape: [2, 2, 3, 2, 3], scalars: (0..<72).map { ($0 * 7) % 5 != 0 ? Float(1) : 0 })
        let (y, s) = m(query: x, value: x, attentionMask: mask, returnAttentionScores: true)
        #expect(y.shape == [2, 2, 3, 2, 5] && s?.shape == [2, 2, 2, 3, 2, 3])
        expectNear(y.doubles, KerasMHAReference.axes12Out, rtol: 1e-9, atol: 1e-12)
        expectNear(s!.doubles, KerasMHAReference.axes12Scores, rtol: 1e-9, atol: 1e-12)
        // The default axes of a rank-4 input are the same two axes.
        let d = MultiHeadAttention(numHeads: 2, keyDim: 2, outputShape: [2, 5])
        _ = try d.build(inputShape: [2, 3, 4])
        setKerasWeights(d)
        expectNear(d(query: x, value: x, attentionMask: mask).doubles, y.doubles, rtol: 0, atol: 0)
        // A mask without the batch axis broadcasts over it.
        let one = mask.sliced(axis: 0, start: 0, end: 1)
        let yb = m(query: x, value: x, attentionMask: one.reshaped(to: [2, 3, 2, 3]))
        let ya = m(query: x, value: x, attentionMask: concatenate([one, one], axis: 0))
        expectNear(yb.doubles, ya.doubles, rtol: 0, atol: 0)
    }

    @Test("Sequences with outputShape [3, 2] and a causal mask; gradients reach every weight; bad axes are shape errors")
    func tupleOutputCausal() throws {
        let m = MultiHeadAttention(numHeads: 2, keyDim: 3, outputShape: [3, 2])
        #expect(try m.build(inputShape: [4, 5]) == [4, 3, 2])
        setKerasWeights(m)
        let x = det([2, 4, 5], 0.29, 0.3)
        let y = m(query: x, value: x, useCausalMask: true)
        #expect(y.shape == [2, 4, 3, 2])
        // Keras builds its causal mask path partly in float32: agreement to ~1e-8, not 1e-12.
        expectNear(y.doubles, KerasMHAReference.tupleCausalOut, rtol: 1e-6, atol: 1e-7)
        #expect(!nnIsClose(m(query: x, value: x).doubles, KerasMHAReference.tupleCausalOut, rtol: 1e-3, atol: 1e-4), "the causal mask must matter")
        #expect(MultiHeadAttention(numHeads: 2, keyDim: 3, outputShape: 7).outputShape == [7])
        let params = m.parameters
        for p in params { p.value = p.value.requiringGradient() }
        let gs = Weft.gradients(of: (m(query: x, value: x, useCausalMask: true) * det([2, 4, 3, 2], 0.7, 0.1)).sum(), wrt: params.map(\.value))
        for p in params { p.value = p.value.detached() }
        #expect(gs.allSatisfy { $0.doubles.contains { $0 != 0 } })
        for axes in [[0], [3], [-1], [1, 4]] {
            #expect(throws: ShapeError.self, "\(axes)") { _ = try MultiHeadAttention(numHeads: 1, keyDim: 2, attentionAxes: axes).build(inputShape: [2, 3, 4]) }
        }
        #expect(try MultiHeadAttention(numHeads: 1, keyDim: 2, attentionAxes: [-2]).build(inputShape: [2, 3, 4]) == [2, 3, 4])
    }
}
