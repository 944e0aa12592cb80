import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// Losses and metrics against values computed by hand from their definitions.
@Suite struct LossTests {
    static let logits: [Double] = [1, 2, 3, 0.5, -0.5, 0, -1, 0, 4]
    static let labels = [2, 0, 1]

    /// Mean over rows of log Σ exp(row) − row[label], written out directly.
    static func crossEntropyByHand(_ logits: [Double], classes: Int, labels: [Int]) -> Double {
        var total = 0.0
        for (r, label) in labels.enumerated() {
            let row = Array(logits[(r * classes)..<((r + 1) * classes)])
            let m = row.max()!
            let lse = m + Glibc.log(row.reduce(0) { $0 + Glibc.exp($1 - m) })
            total += lse - row[label]
        }
        return total / Double(labels.count)
    }

    @Test func softmaxCrossEntropyByHand() {
        let expected = Self.crossEntropyByHand(Self.logits, classes: 3, labels: Self.labels)
        // Row 0 spelled out: log(e¹ + e² + e³) − 3 = 0.40760596444437...
        #expect(Swift.abs(Self.crossEntropyByHand([1, 2, 3], classes: 3, labels: [2]) - 0.4076059644443803) < 1e-15)
        let l = Loss.softmaxCrossEntropy(nnTensor([3, 3], Self.logits), nnLabels(Self.labels))
        #expect(l.shape == [])
        #expect(Swift.abs(l.item - expected) <= 1e-14 * expected, "\(l.item) vs \(expected)")
        let l32 = Loss.softmaxCrossEntropy(nnTensor([3, 3], Self.logits, dtype: .float32), nnLabels(Self.labels))
        #expect(Swift.abs(l32.item - expected) <= 1e-6 * expected)
    }

    /// Logits through softmax, then the probability loss, equal the fused loss.
    @Test func sparseCategoricalAgreesWithSoftmaxCrossEntropy() {
        let x = nnTensor([3, 3], Self.logits), y = nnLabels(Self.labels)
        let fused = Loss.softmaxCrossEntropy(x, y).item
        let viaProbabilities = Loss.sparseCategoricalCrossentropy(x.softmax(axis: -1), y).item
        #expect(Swift.abs(fused - viaProbabilities) <= 1e-12 * fused, "\(fused) vs \(viaProbabilities)")
        // Also for a model that ends in softmax.
        let logits2 = nnRandom(20, seed: 12).map { $0 * 3 }
        let labels2 = [0, 3, 1, 2, 3]
        let a = Loss.softmaxCrossEntropy(nnTensor([5, 4], logits2), nnLabels(labels2)).item
        let b = Loss.sparseCategoricalCrossentropy(Activation.softmax.apply(nnTensor([5, 4], logits2)), nnLabels(labels2)).item
        #expect(Swift.abs(a - b) <= 1e-12 * a)
        #expect(Swift.abs(a - Self.crossEntropyByHand(logits2, classes: 4, labels: labels2)) <= 1e-12 * a)
    }

    /// Keras clips probabilities to [1e-7, 1 − 1e-7] before the log.
    @Test func sparseCategoricalClipsProbabilities() {
        let p = nnTensor([2, 2], [1, 0, 0.5, 0.5])
        let l = Loss.sparseCategoricalCrossentropy(p, nnLabels([1, 0])).item
        let expected = (-Glibc.log(1e-7) - Glibc.log(0.5)) / 2
        #expect(Swift.abs(l - expected) <= 1e-12 * expected, "\(l) vs \(expected)")
    }

    @Test func meanSquaredAndAbsoluteError() {
        let p = nnTensor([2, 2], [1, 2, 3, 4]), t = nnTensor([2, 2], [1.5, 1, 3, 2])
        // Differences −0.5, 1, 0, 2.
        let mse: Double = 5.25 / 4   // (0.25 + 1 + 0 + 4) / 4
        let mae: Double = 3.5 / 4    // (0.5 + 1 + 0 + 2) / 4
        #expect(Loss.meanSquaredError(p, t).item == mse)
        #expect(Loss.meanAbsoluteError(p, t).item == mae)
        // A [N] target against a [N, 1] prediction, and float32.
        let p1 = nnTensor([3, 1], [0.5, -1, 2], dtype: .float32), t1 = nnTensor([3], [1, 1, 1], dtype: .float32)
        let mse1: Double = 5.25 / 3, mae1: Double = 3.5 / 3   // (0.25 + 4 + 1) / 3, (0.5 + 2 + 1) / 3
        #expect(Swift.abs(Loss.meanSquaredError(p1, t1).item - mse1) < 1e-6)
        #expect(Swift.abs(Loss.meanAbsoluteError(p1, t1).item - mae1) < 1e-6)
    }

    /// −[z·log σ(x) + (1−z)·log(1 − σ(x))], i.e. log(1 + e^(−x)) for z = 1 and log(1 + e^x) for z = 0.
    @Test func binaryCrossentropyFromLogits() {
        let x: [Double] = [2, -1, 0.5, -3, 0], z: [Double] = [1, 0, 0, 1, 1]
        var expected = 0.0
        for (xi, zi) in zip(x, z) {
            let s = 1 / (1 + Glibc.exp(-xi))
            expected += -(zi * Glibc.log(s) + (1 - zi) * Glibc.log(1 - s))
        }
        expected /= 5
        let l = Loss.binaryCrossentropyFromLogits(nnTensor([5, 1], x), nnTensor([5, 1], z)).item
        #expect(Swift.abs(l - expected) <= 1e-14 * expected, "\(l) vs \(expected)")
        // Large logits stay finite: x = 100, z = 0 → 100; x = −100, z = 1 → 100; x = 100, z = 1 → e^−100.
        let big = Loss.binaryCrossentropyFromLogits(nnTensor([3], [100, -100, 100]), nnTensor([3], [0, 1, 1])).item
        #expect(Swift.abs(big - (200 + Glibc.exp(-100.0)) / 3) < 1e-12)
    }

    @Test func accuracyBatchTotal() {
        // Arg-max of each row against integer labels: rows 0 and 2 right.
        let p = nnTensor([3, 2], [0.1, 0.9, 0.8, 0.2, 0.3, 0.7])
        #expect(Metric.accuracy.batchTotal(p, nnLabels([1, 1, 1])) == 2)
        #expect(Metric.accuracy.batchTotal(p, nnLabels([0, 0, 0])) == 1)
        // Float labels are accepted too.
        #expect(Metric.accuracy.batchTotal(p, nnTensor([3], [1, 0, 1], dtype: .float32)) == 3)
        // One output column: prediction > 0.5 against 0/1 labels.
        let b = nnTensor([4, 1], [0.7, 0.2, 0.6, 0.4], dtype: .float32)
        #expect(Metric.accuracy.batchTotal(b, nnTensor([4], [1, 0, 0, 0], dtype: .float32)) == 3)
        #expect(Metric.accuracy.batchTotal(b, nnLabels([1, 0, 1, 0])) == 4)
    }

    /// MAE and MSE metrics: each sample's mean over its outputs, summed over the batch.
    @Test func errorMetricsBatchTotal() {
        let p = nnTensor([2, 2], [1, 2, 3, 4]), t = nnTensor([2, 2], [1.5, 1, 3, 2])
        let mae: Double = 0.75 + 1     // (0.5 + 1) / 2 + (0 + 2) / 2
        let mse: Double = 0.625 + 2    // (0.25 + 1) / 2 + (0 + 4) / 2
        #expect(Metric.meanAbsoluteError.batchTotal(p, t) == mae)
        #expect(Metric.meanSquaredError.batchTotal(p, t) == mse)
        #expect(Metric.accuracy.name == "accuracy")
        #expect(Metric.meanAbsoluteError.name == "mae")
        #expect(Metric.meanSquaredError.name == "mse")
    }

    /// The fused loss's gradient is (softmax − one-hot)/N.
    @Test func softmaxCrossEntropyGradient() {
        let x = nnTensor([3, 3], Self.logits), y = nnLabels(Self.labels)
        let (_, g) = valueWithGradient(at: x) { Loss.softmaxCrossEntropy($0, y) }
        var expected: [Double] = []
        for r in 0..<3 {
            let row = Array(Self.logits[(r * 3)..<(r * 3 + 3)])
            let e = row.map { Glibc.exp($0) }, s = e.reduce(0, +)
            for c in 0..<3 { expected.append((e[c] / s - (c == Self.labels[r] ? 1 : 0)) / 3) }
        }
        expectNear(g.doubles, expected, rtol: 1e-12, atol: 1e-15)
    }
}
