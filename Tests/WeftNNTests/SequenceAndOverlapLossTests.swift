import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Dice, Tversky and CategoricalGeneralizedCrossEntropy against Keras 3.15.1 (torch backend,
// float64; some of its constants are float32: compared at 1e-6); CTC as a fit loss.
//
//   det = lambda shape, a, b: 0.5 + 0.5 * sin(a * k + b)
//   y = (det([3, 2, 4], .7, .1) > 0.5); p = det([3, 2, 4], .37, .2)
//   diceAll = Dice()(y, p); dicePerSample = Dice(axis=(1, 2))(y, p)
//   tverskyAll = Tversky(alpha=0.3, beta=0.7)(y, p); tverskyPerSample = Tversky(0.3, 0.7, axis=(1, 2))(y, p)
//   diceWeighted = Dice(axis=(1, 2))(y, p, sample_weight=[0.5, 1, 2])
//   probs = det([4, 3], .5, .3) normalised over the last axis; gce = CategoricalGeneralizedCrossEntropy(q=0.7)([0, 2, 1, 2], probs)
//   e = det0([6, 4], .37, .2) L2-normalised per row (det0 = 0.5·sin(a·k + b)), y = [0, 1, 0, 2, 1, 0]:
//   circle(y, e) per sample and Circle()(y, e); the same with gamma=10, margin=0.25, remove_diagonal=False

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b, offset: 0.5) }

@Suite("CTC, Dice, Tversky and generalized cross-entropy losses")
struct SequenceAndOverlapLossTests {
    @Test("Dice, Tversky (whole batch and per sample, weighted) and GCE match Keras")
    func overlapLosses() {
        let y = Tensor(shape: [3, 2, 4], scalars: det([3, 2, 4], 0.7, 0.1).doubles.map { $0 > 0.5 ? 1.0 : 0.0 })
        let p = det([3, 2, 4], 0.37, 0.2)
        func near(_ a: Tensor, _ b: Double, _ c: String) { expectNear([a.item], [b], rtol: 1e-6, atol: 1e-8, c) }
        near(Loss.dice()(p, y), 0.3639122845986099, "dice")
        near(Loss.dice(axes: [1, 2])(p, y), 0.4335368573665619, "dice per sample")
        near(Loss.tversky(alpha: 0.3, beta: 0.7)(p, y), 0.35985202294089447, "tversky")
        near(Loss.tversky(alpha: 0.3, beta: 0.7, axes: [1, 2])(p, y), 0.4432772099971771, "tversky per sample")
        near(Loss.dice(axes: [1, 2])(p, y, sampleWeight: Tensor(shape: [3], scalars: [0.5, 1, 2])), 0.45349010825157166, "weighted")
        #expect(Loss.dice(axes: [1, 2]).perSample(p, y).shape == [3])
        let raw = det([4, 3], 0.5, 0.3), probs = raw / raw.sum(alongAxis: -1, keepingDims: true)
        near(Loss.categoricalGeneralizedCrossEntropy(q: 0.7)(probs, Tensor(shape: [4], scalars: [Int64(0), 2, 1, 2])), 0.7026414275169373, "gce")
        // Perfect overlap gives ~0.
        #expect(Loss.dice()(y, y).item < 1e-6)
    }

    @Test("Loss.ctc: labels padded with the blank, the batch mean of ctcLoss; a model learns a sequence with it")
    func ctcInFit() throws {
        let logits = det([2, 5, 4], 0.3, 0.4)
        let labels = Tensor(shape: [2, 3], scalars: [Int64(1), 2, 0, 3, 3, 1])
        let per = ctcLoss(logits: logits, labels: labels, labelLengths: [2, 3])
        expectNear(Loss.ctc().perSample(logits, labels).doubles, per.doubles, rtol: 1e-14, atol: 0)
        expectNear([Loss.ctc()(logits, labels).item], [per.mean().item], rtol: 1e-14, atol: 0)
        // A recurrent tagger learns to emit "1 2" for every sequence.
        let x = Tensor.randomNormal([16, 6, 3], dtype: .float64, generator: RandomGenerator(seed: 1))
        let target = Tensor(shape: [16, 2], scalars: (0..<16).flatMap { _ in [Int64(1), 2] })
        let model = Sequential { LSTM(8, returnSequences: true); Dense(3) }
        _ = try model.build(inputShape: [6, 3])
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .ctc())
        let h = try model.fit(x, target, batchSize: 8, epochs: 30)
        let losses = try #require(h.history["loss"])
        #expect(losses.last! < 0.5 * losses.first!)
    }

    @Test("Circle loss per sample and batch-averaged over the positive ones matches Keras; gradients")
    func circle() {
        let raw = kerasDet([6, 4], 0.37, 0.2)
        let e = raw / sqrt(square(raw).sum(alongAxis: -1, keepingDims: true))
        let y = Tensor(shape: [6], scalars: [Int64(0), 1, 0, 2, 1, 0])
        expectNear(Loss.circle().perSample(e, y).doubles, [359.5722961425781, 77.72086334228516, 328.5610656738281, 0.0, 69.80989074707031, 297.0928955078125], rtol: 1e-6, atol: 1e-5)
        expectNear([Loss.circle()(e, y).item], [226.55140686035156], rtol: 1e-6, atol: 1e-5)
        let kept = Loss.circle(gamma: 10, margin: 0.25, removeDiagonal: false)
        expectNear(kept.perSample(e, y).doubles, [46.932373046875, 11.715707778930664, 43.05143737792969, 3.6100785732269287, 10.719718933105469, 39.088897705078125], rtol: 1e-6, atol: 1e-5)
        expectNear([kept(e, y).item], [25.85303497314453], rtol: 1e-6, atol: 1e-5)
        // The unique label (sample 3) has no positive: its loss is 0 (left out of the mean), yet its
        // embedding gets a finite gradient as the others' negative.
        #expect(Loss.circle().perSample(e, y).doubles[3] == 0)
        let (_, g) = valueWithGradient(at: e) { Loss.circle().perSample($0, y).sum() }
        #expect(g.doubles.allSatisfy(\.isFinite) && g.doubles[12..<16].contains { $0 != 0 })
    }
}
