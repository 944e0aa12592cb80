import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Keras GroupQueryAttention. References (KerasGQAReference.swift) from Keras 3.15.1, torch
// backend, float64, head_dim 3, weights det(shape, .37 + .11·i, .1·i) in Keras's order,
// det(shape, a, b) = 0.5·sin(a·k + b):
//
//   q = det([2, 4, 5], .29, .3); v = det([2, 3, 6], .41, .7); x = det([2, 5, 5], .23, .1); k = det([2, 3, 4], .53, .2)
//   l = GroupQueryAttention(3, num_query_heads=4, num_key_value_heads=2)
//   cross = l(q, v); crossMasked = l(q, v, attention_mask=mask); crossScores = l(q, v, return_attention_scores=True)[1]
//   mqaKey = GroupQueryAttention(3, 4, 1, use_bias=False)(q, v, k)
//   l3 = GroupQueryAttention(3, 2, 2, sliding_window=2): selfCausalWindow = l3(x, x, use_causal_mask=True), selfWindow = l3(x, x)
//   gated = GroupQueryAttention(3, 4, 2, use_gate=True)(q, v)
// Keras's outputs come from its fused dot_product_attention, which agrees with the float64
// einsum path only to ~5e-8 (compared at 1e-6); its returned scores take the einsum path and
// agree to 1e-10.

private typealias R = KerasGQAReference

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

private func keras(_ l: GroupQueryAttention, _ shapes: [Shape]) throws -> GroupQueryAttention {
    _ = try l.build(inputShapes: shapes)
    for (i, p) in l.parameters.enumerated() { p.value = det(p.value.shape, 0.37 + 0.11 * Double(i), 0.1 * Double(i)) }
    return l
}

@Suite("GroupQueryAttention against Keras 3")
struct GroupQueryAttentionTests {
    @Test("Cross-attention, masks, scores, one key/value head with a separate key, the gate")
    func crossAttention() throws {
        let q = det([2, 4, 5], 0.29, 0.3), v = det([2, 3, 6], 0.41, 0.7)
        let l = try keras(GroupQueryAttention(headDim: 3, numQueryHeads: 4, numKeyValueHeads: 2), [[4, 5], [3, 6]])
        #expect(l.namedParameters.map { $0.1.value.shape } == [[5, 4, 3], [4, 3], [6, 2, 3], [2, 3], [6, 2, 3], [2, 3], [4, 3, 5], [5]])
        expectNear(l(query: q, value: v).doubles, R.cross, rtol: 1e-6, atol: 1e-7)
        let mask = Tensor(shape: [2, 4, 3], scalars: [true, true, false, true, false, true, false, true, true, true, true, true,
                                                      true, false, false, false, true, false, true, true, false, false, false, true])
        expectNear(l(query: q, value: v, attentionMask: mask).doubles, R.crossMasked, rtol: 1e-6, atol: 1e-7)
        let scores = try #require(l(query: q, value: v, returnAttentionScores: true).scores)
        #expect(scores.shape == [2, 4, 4, 3])
        expectNear(scores.doubles, R.crossScores, rtol: 1e-10, atol: 1e-12)
        let mqa = try keras(GroupQueryAttention(headDim: 3, numQueryHeads: 4, numKeyValueHeads: 1, useBias: false), [[4, 5], [3, 6], [3, 4]])
        #expect(mqa.parameters.count == 4)
        expectNear(mqa(query: q, value: v, key: det([2, 3, 4], 0.53, 0.2)).doubles, R.mqaKey, rtol: 1e-6, atol: 1e-7)
        let gated = try keras(GroupQueryAttention(headDim: 3, numQueryHeads: 4, numKeyValueHeads: 2, useGate: true), [[4, 5], [3, 6]])
        expectNear(gated(query: q, value: v).doubles, R.gated, rtol: 1e-6, atol: 1e-7)
    }

    @Test("Self-attention with a sliding window, with and without the causal mask")
    func slidingWindow() throws {
        let x = det([2, 5, 5], 0.23, 0.1)
        let l = try keras(GroupQueryAttention(headDim: 3, numQueryHeads: 2, numKeyValueHeads: 2, slidingWindow: 2), [[5, 5], [5, 5]])
        expectNear(l(query: x, value: x, useCausalMask: true).doubles, R.selfCausalWindow, rtol: 1e-6, atol: 1e-7)
        expectNear(l(x).doubles, R.selfWindow, rtol: 1e-6, atol: 1e-7)
    }

    @Test("Equals MultiHeadAttention when every query head has its own key/value head; gradients; in a model")
    func equalsMHA() throws {
        let q = det([2, 4, 5], 0.29, 0.3), v = det([2, 3, 6], 0.41, 0.7)
        let g = try keras(GroupQueryAttention(headDim: 3, numQueryHeads: 2, numKeyValueHeads: 2), [[4, 5], [3, 6]])
        let m = MultiHeadAttention(numHeads: 2, keyDim: 3)
        _ = try m.build(inputShapes: [[4, 5], [3, 6]])
        for (p, r) in zip(g.parameters, m.parameters) { r.value = p.value }
        expectNear(g(query: q, value: v).doubles, m(query: q, value: v).doubles, rtol: 1e-12, atol: 1e-14)
        let model = Sequential { GroupQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 2); Flatten() }
        _ = try model.build(inputShape: [3, 4])
        setFloat64Parameters(model, seed: 6)
        let w = det([2, 12], 0.7, 0.3)
        ModelGradientTests().checkModel(model, det([2, 3, 4], 0.31, 0.9), loss: { ($0 * w).sum() },
                                        names: ["0.queryKernel", "0.queryBias", "0.keyKernel", "0.keyBias", "0.valueKernel", "0.valueBias",
                                                "0.outputKernel", "0.outputBias"])
        #expect(model.summary().contains("group_query_attention (GroupQueryAttention)"))
        // A Keras mask on self-attention: padded steps neither attend nor are attended to.
        let x = det([1, 4, 4], 0.2, 0.1), mask = Tensor(shape: [1, 4], scalars: [true, true, true, false])
        let layer = model.layers[0] as! GroupQueryAttention
        let masked = layer(x, mask: mask).sliced(axis: 1, start: 0, end: 3)
        expectNear(masked.doubles, layer(x.sliced(axis: 1, start: 0, end: 3)).doubles, rtol: 1e-12, atol: 1e-14)
    }
}
