import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Poisson, CategoricalHinge, the focal cross-entropies, F1/FBeta and R2 against Keras 3.15.1
// (torch backend, float64 policy; some of its results come out rounded to float32, hence
// tolerances of 1e-6). References in KerasLossMetricReference.swift, from:
//
//   det = lambda shape, a, b: (0.5 * np.sin(a * np.arange(np.prod(shape)) + b)).reshape(shape)
//   probs = softmax(det((4,3), 1.7, .2) * 3); logits = det((4,3), 1.3, .5) * 4; onehot = eye(3)[[1,2,0,0]]
//   binp = sigmoid(det((4,2), 2.1, .1) * 3); biny = [[1,0],[0,0],[1,1],[0,1]]; w = [1, 2, .5, 3]
//   Poisson()(onehot*2, probs*3); CategoricalHinge()(onehot, logits); BinaryFocalCrossentropy()(biny, binp);
//   BinaryFocalCrossentropy(apply_class_balancing=True, alpha=.3, gamma=1.5, from_logits=True,
//     label_smoothing=.1)(biny, det((4,2), 2.1, .1)*3); CategoricalFocalCrossentropy()(onehot, probs);
//   CategoricalFocalCrossentropy(alpha=.5, gamma=3, from_logits=True, label_smoothing=.2)(onehot, logits)
//   (all reduction=None); F1Score(macro) on (onehot, probs) then (onehot[::-1], logits); F1Score(micro)
//   on (onehot, probs, w); F1Score(weighted, threshold=.3) and FBetaScore(macro, beta=2) on (onehot,
//   probs); F1Score(None) as macro; yr = det((6,2), .7, .3), pr = yr + det((6,2), 1.9, .1)*.3:
//   R2Score() on halves; R2Score(variance_weighted_average, num_regressors=2); R2Score() with
//   weights [1,2,3,1,2,3]; R2Score(class_aggregation=None) on all of it.

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

private let probs = (det([4, 3], 1.7, 0.2) * 3).softmax(axis: -1)
private let logits = det([4, 3], 1.3, 0.5) * 4
private let onehot = nnTensor([4, 3], [0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0])
private let onehotReversed = nnTensor([4, 3], [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0])
private let binLogits = det([4, 2], 2.1, 0.1) * 3
private let biny = nnTensor([4, 2], [1, 0, 0, 0, 1, 1, 0, 1])

@Suite("Keras losses and metrics: Poisson, CategoricalHinge, focal cross-entropies, F1/FBeta, R2")
struct KerasLossMetricTests {
    @Test func losses() {
        let r = KerasLossMetricReference.self
        expectNear(Loss.poisson.perSample(probs * 3, onehot * 2).doubles, r.poisson, rtol: 1e-6, atol: 1e-7)
        expectNear(Loss.categoricalHinge.perSample(logits, onehot).doubles, r.categoricalHinge, rtol: 1e-6, atol: 1e-7)
        expectNear(Loss.binaryFocalCrossentropy().perSample(sigmoid(binLogits), biny).doubles, r.binaryFocal, rtol: 1e-6, atol: 1e-7)
        let balanced = Loss.binaryFocalCrossentropy(gamma: 1.5, alpha: 0.3, applyClassBalancing: true, fromLogits: true, labelSmoothing: 0.1)
        expectNear(balanced.perSample(binLogits, biny).doubles, r.binaryFocalBalancedLogitsSmoothed, rtol: 1e-6, atol: 1e-7)
        expectNear(Loss.categoricalFocalCrossentropy().perSample(probs, onehot).doubles, r.categoricalFocal, rtol: 1e-6, atol: 1e-7)
        let cf = Loss.categoricalFocalCrossentropy(alpha: 0.5, gamma: 3, fromLogits: true, labelSmoothing: 0.2)
        expectNear(cf.perSample(logits, onehot).doubles, r.categoricalFocalLogitsSmoothed, rtol: 1e-6, atol: 1e-7)
        // γ = 0 without balancing is the binary cross-entropy; the batch loss is the mean.
        expectNear(Loss.binaryFocalCrossentropy(gamma: 0).perSample(sigmoid(binLogits), biny).doubles,
                   Loss.binaryCrossentropy().perSample(sigmoid(binLogits), biny).doubles, rtol: 1e-12, atol: 1e-15)
        expectNear([Loss.poisson(probs * 3, onehot * 2).item], [r.poisson.reduce(0, +) / 4], rtol: 1e-6, atol: 1e-7)
        // Gradients flow through the focal factor.
        let p = probs.requiringGradient()
        let g = Weft.gradients(of: Loss.categoricalFocalCrossentropy()(p, onehot), wrt: [p])[0]
        #expect(g.shape == [4, 3] && g.doubles.contains { $0 != 0 })
    }

    @Test func fScores() {
        let r = KerasLossMetricReference.self
        let macro = F1Score()
        macro.update(probs, onehot)
        macro.update(logits, onehotReversed)
        expectNear([macro.result()], r.f1Macro, rtol: 1e-6, atol: 1e-7)
        expectNear(macro.perClass(), r.f1PerClass, rtol: 1e-6, atol: 1e-7)
        let micro = F1Score(average: .micro)
        micro.update(probs, onehot, sampleWeight: nnTensor([4], [1, 2, 0.5, 3]))
        expectNear([micro.result()], r.f1Micro, rtol: 1e-6, atol: 1e-7)
        let weighted = F1Score(average: .weighted, threshold: 0.3)
        weighted.update(probs, onehot)
        expectNear([weighted.result()], r.f1WeightedThreshold, rtol: 1e-6, atol: 1e-7)
        let f2 = FBetaScore(beta: 2)
        f2.update(probs, onehot)
        expectNear([f2.result()], r.fbeta2Macro, rtol: 1e-6, atol: 1e-7)
        #expect(f2.name == "fbeta_score" && macro.name == "f1_score")
        macro.reset()
        #expect(macro.result() == 0)
        // Confusion counts.
        let tp = TruePositives(), fp = FalsePositives(), tn = TrueNegatives(), fn = FalseNegatives()
        let scores = nnTensor([4], [0.9, 0.2, 0.7, 0.4]), labels = nnTensor([4], [1, 1, 0, 0])
        for m in [tp, fp, tn, fn] as [ConfusionMetric] { m.update(scores, labels) }
        #expect([tp.result(), fp.result(), tn.result(), fn.result()] == [1, 1, 1, 1])
    }

    @Test func r2() {
        let r = KerasLossMetricReference.self
        let yr = det([6, 2], 0.7, 0.3), pr = yr + det([6, 2], 1.9, 0.1) * 0.3
        let uniform = R2Score()
        uniform.update(pr.sliced(axis: 0, start: 0, end: 3), yr.sliced(axis: 0, start: 0, end: 3))
        uniform.update(pr.sliced(axis: 0, start: 3, end: 6), yr.sliced(axis: 0, start: 3, end: 6))
        expectNear([uniform.result()], r.r2Uniform, rtol: 1e-6, atol: 1e-7)
        let adjusted = R2Score(varianceWeighted: true, numRegressors: 2)
        adjusted.update(pr, yr)
        expectNear([adjusted.result()], r.r2VarianceWeightedAdjusted, rtol: 1e-6, atol: 1e-7)
        let weighted = R2Score()
        weighted.update(pr, yr, sampleWeight: nnTensor([6], [1, 2, 3, 1, 2, 3]))
        expectNear([weighted.result()], r.r2SampleWeighted, rtol: 1e-6, atol: 1e-7)
        let perfect = R2Score()
        perfect.update(yr, yr)
        #expect(perfect.result() == 1)
        // Per output, unaggregated: Keras's R2Score(class_aggregation=None) on (yr, pr).
        let raw = R2Score()
        raw.update(pr, yr)
        expectNear(raw.scores(), [0.920764862709725, 0.9038678243114208], rtol: 1e-6, atol: 1e-7)
        expectNear([raw.result()], [(0.920764862709725 + 0.9038678243114208) / 2], rtol: 1e-6, atol: 1e-7)
    }
}
