import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// Streaming metrics over two batches against values counted by hand, then reset.
@Suite struct MetricTests {
    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Swift.abs(a - b) <= tol * Swift.max(1, Swift.abs(b)), "\(a) vs \(b)", sourceLocation: sourceLocation)
    }

    /// After `reset` the metric reads 0 and the next batch alone decides the result.
    static func checkReset(_ m: some StreamingMetric, _ p: Tensor, _ t: Tensor, alone: Double,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        m.reset()
        #expect(m.result() == 0, sourceLocation: sourceLocation)
        m.update(p, t)
        close(m.result(), alone, sourceLocation: sourceLocation)
    }

    @Test func accuracy() {
        let m = Accuracy()
        m.update(nnTensor([3, 1], [1, 2, 3]), nnTensor([3, 1], [1, 0, 3]))   // 2 of 3
        m.update(nnTensor([2, 1], [0, 5]), nnTensor([2], [1, 5]))            // 1 of 2
        Self.close(m.result(), 3.0 / 5)
        #expect(m.name == "accuracy")
        Self.checkReset(m, nnTensor([2, 1], [0, 5]), nnTensor([2], [1, 5]), alone: 0.5)
    }

    @Test func binaryAccuracy() {
        let m = BinaryAccuracy()
        // > 0.5 is 1: 0.7→1 ✓, 0.5→0 ✓ (not > 0.5), 0.2→0 ✗, 0.9→1 ✓.
        m.update(nnTensor([4, 1], [0.7, 0.5, 0.2, 0.9]), nnTensor([4, 1], [1, 0, 1, 1]))
        // 0.4→0 ✓, 0.6→1 ✗.
        m.update(nnTensor([2, 1], [0.4, 0.6], dtype: .float32), nnTensor([2, 1], [0, 0], dtype: .float32))
        Self.close(m.result(), 4.0 / 6)
        // Weighted: Σ w·v / Σ w.
        m.reset()
        m.update(nnTensor([4, 1], [0.7, 0.5, 0.2, 0.9]), nnTensor([4, 1], [1, 0, 1, 1]), sampleWeight: nnTensor([4], [1, 1, 3, 1]))
        Self.close(m.result(), 3.0 / 6)
        Self.checkReset(m, nnTensor([2, 1], [0.4, 0.6]), nnTensor([2, 1], [0, 0]), alone: 0.5)
        // Threshold 0.65: 0.6 → 0.
        Self.checkReset(BinaryAccuracy(threshold: 0.65), nnTensor([2, 1], [0.4, 0.6]), nnTensor([2, 1], [0, 0]), alone: 1)
    }

    @Test func categoricalAndSparseCategoricalAccuracy() {
        let p1 = nnTensor([3, 3], [0.1, 0.6, 0.3, 0.5, 0.2, 0.3, 0.2, 0.2, 0.6]), l1 = [1, 2, 2]   // ✓ ✗ ✓
        let p2 = nnTensor([2, 3], [0.9, 0.05, 0.05, 0.3, 0.3, 0.4]), l2 = [1, 2]                   // ✗ ✓
        let c = CategoricalAccuracy(), s = SparseCategoricalAccuracy()
        c.update(p1, oneHot(nnLabels(l1), depth: 3, dtype: .float64)); c.update(p2, oneHot(nnLabels(l2), depth: 3, dtype: .float64))
        s.update(p1, nnLabels(l1)); s.update(p2, nnTensor([2, 1], [1, 2], dtype: .float32))
        Self.close(c.result(), 3.0 / 5)
        Self.close(s.result(), 3.0 / 5)
        Self.checkReset(c, p2, oneHot(nnLabels(l2), depth: 3, dtype: .float64), alone: 0.5)
        Self.checkReset(s, p1, nnLabels(l1), alone: 2.0 / 3)
    }

    @Test func topK() {
        // Row ranks: [0.1, 0.5, 0.3, 0.1] → class 2 is 2nd, class 0 is tied last, class 1 first.
        let p1 = nnTensor([3, 4], [0.1, 0.5, 0.3, 0.1, 0.4, 0.3, 0.2, 0.1, 0.25, 0.25, 0.3, 0.2])
        let l1 = [2, 2, 0]   // k = 2: ✓ (2nd), ✗ (3rd), ✓ (tied 2nd: one strictly larger)
        let p2 = nnTensor([1, 4], [0.1, 0.2, 0.3, 0.4]), l2 = [0]   // ✗
        let sparse = TopKCategoricalAccuracy(k: 2, sparse: true), dense = TopKCategoricalAccuracy(k: 2)
        sparse.update(p1, nnLabels(l1)); sparse.update(p2, nnLabels(l2))
        dense.update(p1, oneHot(nnLabels(l1), depth: 4, dtype: .float64)); dense.update(p2, oneHot(nnLabels(l2), depth: 4, dtype: .float64))
        Self.close(sparse.result(), 2.0 / 4)
        Self.close(dense.result(), 2.0 / 4)
        #expect(sparse.name == "sparse_top_k_categorical_accuracy" && dense.name == "top_k_categorical_accuracy")
        // k = 3: row 1 now in (3rd).
        Self.checkReset(TopKCategoricalAccuracy(k: 3, sparse: true), p1, nnLabels(l1), alone: 1)
        Self.checkReset(dense, p2, oneHot(nnLabels([3]), depth: 4, dtype: .float64), alone: 1)
    }

    @Test func precisionAndRecall() {
        let p = Precision(), r = Recall()
        // Batch 1: TP (0.8,1), FP (0.6,0), FN (0.3,1), TN (0.1,0), FN (0.5,1: not > 0.5).
        let p1 = nnTensor([5, 1], [0.8, 0.6, 0.3, 0.1, 0.5]), t1 = nnTensor([5, 1], [1, 0, 1, 0, 1])
        // Batch 2 (2 columns): TP, TP, FP, TN.
        let p2 = nnTensor([2, 2], [0.9, 0.7, 0.55, 0.2]), t2 = nnTensor([2, 2], [1, 1, 0, 0])
        for m in [p, r] as [ConfusionMetric] { m.update(p1, t1); m.update(p2, t2) }
        // TP 3, FP 2, FN 2.
        Self.close(p.result(), 3.0 / 5)
        Self.close(r.result(), 3.0 / 5)
        #expect(p.truePositives == 3 && p.falsePositives == 2 && p.falseNegatives == 2 && p.trueNegatives == 2)
        Self.checkReset(p, p2, t2, alone: 2.0 / 3)
        Self.checkReset(r, p1, t1, alone: 1.0 / 3)
        // Nothing predicted positive: 0, not NaN.
        Self.checkReset(p, nnTensor([2], [0.1, 0.2]), nnTensor([2], [1, 0]), alone: 0)
        // Sample weights: sample 0 (TP) weight 3, sample 1 (FP) weight 1.
        p.reset(); p.update(nnTensor([2, 1], [0.9, 0.8]), nnTensor([2, 1], [1, 0]), sampleWeight: nnTensor([2], [3, 1]))
        Self.close(p.result(), 0.75)
    }

    /// Exact ROC AUC: the fraction of (positive, negative) pairs ordered correctly, ties ½.
    static func pairwiseAUC(_ p: [Double], _ y: [Double]) -> Double {
        var good = 0.0, pairs = 0.0
        for (pi, yi) in zip(p, y) where yi == 1 {
            for (pj, yj) in zip(p, y) where yj == 0 {
                pairs += 1
                good += pi > pj ? 1 : (pi == pj ? 0.5 : 0)
            }
        }
        return good / pairs
    }

    @Test func auc() {
        // Predictions on distinct 1/199 buckets, so the 200-threshold trapezoid sum is exact.
        let p1: [Double] = [0.1, 0.4, 0.35, 0.8], y1: [Double] = [0, 0, 1, 1]
        let p2: [Double] = [0.65, 0.2, 0.9, 0.05, 0.5], y2: [Double] = [0, 1, 1, 0, 0]
        // By hand: positives 0.35, 0.8, 0.2, 0.9; negatives 0.1, 0.4, 0.65, 0.05, 0.5.
        // 0.35 beats 0.1, 0.05 (2); 0.8 beats all 5; 0.2 beats 0.1, 0.05 (2); 0.9 beats all 5 → 14/20.
        #expect(Self.pairwiseAUC(p1 + p2, y1 + y2) == 0.7)
        let m = AUC()
        #expect(m.thresholds.count == 200 && m.thresholds[1] == 1.0 / 199 && m.thresholds.first! < 0 && m.thresholds.last! > 1)
        m.update(nnTensor([4, 1], p1), nnTensor([4, 1], y1))
        Self.close(m.result(), Self.pairwiseAUC(p1, y1))   // 0.75 after the first batch
        Self.close(m.result(), 0.75)
        m.update(nnTensor([5], p2), nnTensor([5], y2))
        Self.close(m.result(), 0.7)
        // Perfect separation and its reverse.
        Self.checkReset(m, nnTensor([4], [0.1, 0.2, 0.8, 0.9]), nnTensor([4], [0, 0, 1, 1]), alone: 1)
        Self.checkReset(m, nnTensor([4], [0.9, 0.8, 0.2, 0.1]), nnTensor([4], [0, 0, 1, 1]), alone: 0)
        // A positive and a negative in the same bucket count as half-ordered (interpolation):
        // 0.501 and 0.502 lie between 99/199 and 100/199.
        Self.checkReset(m, nnTensor([2], [0.502, 0.501]), nnTensor([2], [0, 1]), alone: 0.5)
        // Coarse thresholds (−ε, 0.5, 1+ε): ROC points (1,1), (½,½), (0,0); trapezoids 0.375 + 0.125 = 0.5.
        Self.checkReset(AUC(numThresholds: 3), nnTensor([4], [0.1, 0.6, 0.7, 0.2]), nnTensor([4], [0, 1, 0, 1]), alone: 0.5)
    }

    @Test func errorMetrics() {
        let mae = MeanAbsoluteErrorMetric(), mse = MeanSquaredErrorMetric(), rmse = RootMeanSquaredError()
        // Batch 1 [2, 2]: errors (−0.5, 1), (0, 2); batch 2 [1, 2]: errors (3, −1).
        let p1 = nnTensor([2, 2], [1, 2, 3, 4]), t1 = nnTensor([2, 2], [1.5, 1, 3, 2])
        let p2 = nnTensor([1, 2], [3, 0]), t2 = nnTensor([1, 2], [0, 1])
        for m in [mae, mse, rmse] as [SampleMeanMetric] { m.update(p1, t1); m.update(p2, t2) }
        Self.close(mae.result(), (0.75 + 1 + 2) / 3)
        Self.close(mse.result(), (0.625 + 2 + 5) / 3)
        Self.close(rmse.result(), ((0.625 + 2 + 5) / 3).squareRoot())
        Self.checkReset(mae, p2, t2, alone: 2)
        Self.checkReset(mse, p1, t1, alone: (0.625 + 2) / 2)
        Self.checkReset(rmse, p2, t2, alone: 5.0.squareRoot())
    }

    @Test func mean() {
        let m = Mean()
        m.update(nnTensor([3], [1, 2, 3]))
        m.update(10, weight: 2)
        Self.close(m.result(), (6 + 20) / 5.0)
        m.update(nnTensor([2], [4, 8]), sampleWeight: nnTensor([2], [0.5, 0]))
        Self.close(m.result(), (6 + 20 + 2) / 5.5)
        // Through the protocol: the prediction's elements, the target ignored.
        let s: any StreamingMetric = m
        s.reset()
        #expect(s.result() == 0)
        s.update(nnTensor([2, 2], [1, 2, 3, 6]), nnTensor([1], [0]))
        Self.close(s.result(), 3)
    }
}
