import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Attention, AdditiveAttention, ReLU, PReLU and UnitNormalization against Keras 3.15.1 (torch
// backend, floatx and dtype policy float64); references in KerasAttentionReference.swift, from:
//
//   det = lambda shape, a, b: (0.5 * np.sin(a * np.arange(np.prod(shape)) + b)).reshape(shape)
//   q, v, k = det((2,3,4), .29, .3), det((2,5,6), .31, .2), det((2,5,4), .23, .4)
//   qm = [[1,1,0],[1,1,1]]; vm = [[1,1,1,0,0],[1,1,1,1,1]] (bool)
//   dot:      Attention(use_scale=True), scale 0.7; y, s = a([q, v, k], mask=[qm, vm], return_attention_scores=True)
//   concat:   Attention(score_mode="concat", use_scale=True), weights [0.7, 1.3]; a([q, v, k], use_causal_mask=True)
//   additive: AdditiveAttention(), scale det((4,), .41, .5); y, s = a([q, v, k], mask=[qm, vm], return_attention_scores=True)
//   x = det((2,3,4), 2.9, .3) * 4: ReLU(max_value=1.5, negative_slope=0.2, threshold=0.3)(x), ReLU(threshold=0.4)(x),
//   PReLU(shared_axes=[1]) with alpha det((1,4), .5, .2), UnitNormalization(axis=[1, 2])(x)
// Keras's torch backend computes parts of the attention and normalisation layers in float32 even
// so (its results agree with Weft's float64 to ~1e-8), hence tolerances of 1e-6 there.

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

private let q = det([2, 3, 4], 0.29, 0.3), v = det([2, 5, 6], 0.31, 0.2), k = det([2, 5, 4], 0.23, 0.4)
private let qm = nnTensor([2, 3], [1, 1, 0, 1, 1, 1]), vm = nnTensor([2, 5], [1, 1, 1, 0, 0, 1, 1, 1, 1, 1])
private let x = det([2, 3, 4], 2.9, 0.3) * 4

@Suite("Keras layer parity: Attention, AdditiveAttention, activation and utility layers, dropout variants")
struct KerasLayerParityTests {
    @Test("Attention (dot, scaled) with query and value masks; concat scores with a causal mask")
    func dotAndConcatAttention() throws {
        let a = Attention(useScale: true)
        #expect(try a.build(inputShapes: [[3, 4], [5, 6], [5, 4]]) == [[3, 6]])
        a.scale!.value = Tensor(0.7)
        let r = a.attend(query: q, value: v, key: k, queryMask: qm, valueMask: vm)
        expectNear(r.output.doubles, KerasAttentionReference.dotOut, rtol: 1e-6, atol: 1e-7)
        expectNear(r.scores.doubles, KerasAttentionReference.dotScores, rtol: 1e-6, atol: 1e-7)
        let c = Attention(useScale: true, scoreMode: .concat)
        _ = try c.build(inputShapes: [[3, 4], [5, 6], [5, 4]])
        #expect(c.namedParameters.map(\.0) == ["scale", "concatScoreWeight"])
        c.scale!.value = Tensor(0.7)
        c.concatScoreWeight!.value = Tensor(1.3)
        expectNear(c(query: q, value: v, key: k, useCausalMask: true).doubles, KerasAttentionReference.concatCausalOut, rtol: 1e-6, atol: 1e-7)
        // As a multi-input layer; the key defaults to the value.
        #expect(Attention().call([q, k]).map(\.shape) == [[2, 3, 4]])
        #expect(throws: ShapeError.self) { try Attention().build(inputShapes: [[3, 4], [5, 6]]) == [] }   // key = value: 6 ≠ 4 features
        #expect(Attention().parameterCount == 0)
    }

    @Test("AdditiveAttention with masks; its scale is learned")
    func additiveAttention() throws {
        let a = AdditiveAttention()
        #expect(try a.build(inputShapes: [[3, 4], [5, 6], [5, 4]]) == [[3, 6]])
        #expect(a.scale!.value.shape == [4])
        a.scale!.value = det([4], 0.41, 0.5)
        let r = a.attend(query: q, value: v, key: k, queryMask: qm, valueMask: vm)
        expectNear(r.output.doubles, KerasAttentionReference.additiveOut, rtol: 1e-6, atol: 1e-7)
        expectNear(r.scores.doubles, KerasAttentionReference.additiveScores, rtol: 1e-6, atol: 1e-7)
        // Padded queries give zero outputs; padded keys get zero weight.
        #expect(r.output.doubles[12..<18].allSatisfy { $0 == 0 })
        #expect(r.scores.doubles[3] < 1e-300 && r.scores.doubles[4] < 1e-300)
        let p = a.scale!
        p.value = p.value.requiringGradient()
        let g = Weft.gradients(of: a(query: q, value: v, key: k).sum(), wrt: [p.value])[0]
        p.value = p.value.detached()
        #expect(g.shape == [4] && g.doubles.contains { $0 != 0 })
    }

    @Test("ReLU with maxValue / negativeSlope / threshold, LeakyReLU, ELU, Softmax, PReLU with shared axes")
    func activationLayers() throws {
        expectNear(ReLU(maxValue: 1.5, negativeSlope: 0.2, threshold: 0.3)(x).doubles, KerasAttentionReference.reluArgs, rtol: 1e-12, atol: 1e-15)
        expectNear(ReLU(threshold: 0.4)(x).doubles, KerasAttentionReference.reluThresholdOnly, rtol: 1e-12, atol: 1e-15)
        expectNear(LeakyReLU()(x).doubles, x.doubles.map { $0 >= 0 ? $0 : 0.3 * $0 }, rtol: 1e-12, atol: 0)
        expectNear(ELU(alpha: 0.5)(x).doubles, x.doubles.map { $0 > 0 ? $0 : 0.5 * Foundation.expm1($0) }, rtol: 1e-12, atol: 1e-15)
        expectNear(Softmax(axis: 1)(x).doubles, x.softmax(axis: 1).doubles, rtol: 0, atol: 0)
        let p = PReLU(sharedAxes: [1])
        #expect(try p.build(inputShape: [3, 4]) == [3, 4])
        #expect(p.alpha!.value.shape == [1, 4] && p.alpha!.value.doubles.allSatisfy { $0 == 0 })
        p.alpha!.value = det([1, 4], 0.5, 0.2)
        expectNear(p(x).doubles, KerasAttentionReference.preluShared, rtol: 1e-12, atol: 1e-15)
        #expect(throws: ShapeError.self) { try PReLU(sharedAxes: [3]).build(inputShape: [3, 4]) == [] }
    }

    @Test("UnitNormalization, Rescaling, Identity, Lambda (output shape found by running it once)")
    func utilityLayers() throws {
        expectNear(UnitNormalization(axes: [1, 2])(x).doubles, KerasAttentionReference.unitNorm, rtol: 1e-6, atol: 1e-7)
        #expect(UnitNormalization()(Tensor.zeros([1, 3], dtype: .float64)).doubles == [0, 0, 0])
        let ids = Tensor(shape: [1, 3], scalars: [UInt8(0), 51, 255])
        expectNear(Rescaling(scale: 1 / 127.5, offset: -1)(ids).doubles, [-1, -0.6, 1], rtol: 1e-6, atol: 1e-6)
        #expect(Identity()(x).doubles == x.doubles)
        let lambda = Lambda { $0.sum(alongAxes: [2]) }
        #expect(try lambda.build(inputShape: [3, 4]) == [3])
        #expect(try Lambda(outputShape: { [$0[1], $0[0]] }) { $0.transposed(1, 2) }.build(inputShape: [3, 4]) == [4, 3])
        let m = Sequential { Dense(4); Lambda { $0 * $0 }; Dense(2) }
        _ = try m.build(inputShape: [3])
        #expect(m.parameterCount == 3 * 4 + 4 + 4 * 2 + 2)
        #expect(throws: ShapeError.self) { try Lambda { $0.sum() }.build(inputShape: [3]) == [] }
    }

    @Test("GaussianDropout, AlphaDropout, SpatialDropout1D/3D: identity in inference, Keras's formulas in training")
    func dropoutVariants() throws {
        let big = nnTensor([4, 2, 500], nnRandom(4000, seed: 3))
        for layer in [GaussianDropout(0.3) as any Layer, AlphaDropout(0.3), SpatialDropout1D(0.3)] {
            #expect(layer(big).doubles == big.doubles, "\(layer.typeName) in inference")
        }
        // GaussianDropout: x·noise with noise ~ N(1, rate/(1 − rate)).
        let ones = Tensor.ones([200_000], dtype: .float64)
        let g = withTrainingMode { GaussianDropout(0.2, generator: RandomGenerator(seed: 5))(ones) }.doubles
        let mean = g.reduce(0, +) / Double(g.count), variance = g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(g.count)
        #expect(Swift.abs(mean - 1) < 0.005 && Swift.abs(variance - 0.25) < 0.005, "mean \(mean), variance \(variance)")
        // AlphaDropout: dropped elements become a·α′ + b, kept ones a·x + b; on SELU-normalised
        // input the mean and variance stay ≈ 0 and 1.
        let rate = 0.2, alphaP = -1.6732632423543772 * 1.0507009873554805
        let a = 1 / ((1 - rate) * (1 + rate * alphaP * alphaP)).squareRoot(), b = -a * alphaP * rate
        let z = Tensor.randomNormal([200_000], dtype: .float64, generator: RandomGenerator(seed: 8))
        let y = withTrainingMode { AlphaDropout(rate, generator: RandomGenerator(seed: 9))(z) }.doubles
        let zs = z.doubles
        var dropped = 0, neither = 0
        for i in zs.indices {
            if Swift.abs(y[i] - (a * alphaP + b)) < 1e-12 { dropped += 1 } else if Swift.abs(y[i] - (a * zs[i] + b)) >= 1e-12 { neither += 1 }
        }
        #expect(neither == 0)
        #expect(Swift.abs(Double(dropped) / Double(zs.count) - rate) < 0.005, "dropped \(dropped)")
        let ym = y.reduce(0, +) / Double(y.count), yv = y.map { ($0 - ym) * ($0 - ym) }.reduce(0, +) / Double(y.count)
        #expect(Swift.abs(ym) < 0.01 && Swift.abs(yv - 1) < 0.01, "mean \(ym), variance \(yv)")
        // Spatial dropout zeroes whole channels.
        let s1 = withTrainingMode { SpatialDropout1D(0.5, generator: RandomGenerator(seed: 2))(big) }
        let s3 = withTrainingMode { SpatialDropout3D(0.5, generator: RandomGenerator(seed: 2))(big.reshaped(to: [4, 2, 5, 10, 10])) }
        for out in [s1.doubles, s3.doubles] {
            let channels = stride(from: 0, to: 4000, by: 500).map { Array(out[$0..<($0 + 500)]) }
            let zeroed = channels.filter { $0.allSatisfy { $0 == 0 } }.count
            #expect(zeroed > 0 && zeroed < 8, "\(zeroed) channels zeroed")
            for (c, ch) in channels.enumerated() where !ch.allSatisfy({ $0 == 0 }) {
                expectNear(ch, Array(big.doubles[(c * 500)..<(c * 500 + 500)]).map { $0 * 2 }, rtol: 1e-12, atol: 0)
            }
        }
        #expect(throws: ShapeError.self) { try SpatialDropout3D(0.1).build(inputShape: [2, 3]) == [] }
    }
}
