import Weft

/// A metric whose state accumulates over batches (Keras's `keras.metrics.Metric`):
/// `update` once per batch, `result()` for the value so far, `reset()` to start over.
/// Give them to `compile(optimizer:loss:metrics:streamingMetrics:)` for `fit`/`evaluate`, or drive by hand.
public protocol StreamingMetric: AnyObject {
    var name: String { get }
    /// Adds a batch. `sampleWeight` ([N] or [N, 1]) weighs each sample; nil means weight 1.
    func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?)
    func result() -> Double
    func reset()
}

extension StreamingMetric {
    public func update(_ prediction: Tensor, _ target: Tensor) { update(prediction, target, sampleWeight: nil) }
}

/// Host copies of a batch: N rows of `width` values each (rank ≤ 1: one value per row).
struct HostRows {
    let n: Int, width: Int, values: [Double]
    init(_ t: Tensor) {
        let v = t.detached().doubles
        n = t.rank == 0 ? 1 : t.shape[0]
        width = n == 0 ? 0 : v.count / n
        values = v
    }
    func row(_ i: Int) -> ArraySlice<Double> { values[(i * width)..<((i + 1) * width)] }
}

func hostWeights(_ w: Tensor?, count n: Int) -> [Double] {
    guard let w else { return [Double](repeating: 1, count: n) }
    let v = w.detached().doubles
    precondition(v.count == n, "sampleWeight has \(v.count) elements for \(n) samples")
    return v
}

/// Weighted mean of a per-sample value: Σ w·v / Σ w over every batch seen (Keras
/// `MeanMetricWrapper`). Subclasses give `values(_:_:)`, one value per sample.
open class SampleMeanMetric: StreamingMetric {
    public let name: String
    public private(set) var total = 0.0
    public private(set) var weightSum = 0.0

    public init(name: String) { self.name = name }

    /// One value per sample (the mean over the sample's elements for element-wise metrics).
    open func values(_ prediction: Tensor, _ target: Tensor) -> [Double] { fatalError("override values(_:_:)") }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let v = values(prediction, target)
        let w = hostWeights(sampleWeight, count: v.count)
        for (vi, wi) in zip(v, w) { total += vi * wi; weightSum += wi }
    }

    open func result() -> Double { weightSum == 0 ? 0 : total / weightSum }

    public func reset() { total = 0; weightSum = 0 }
}

/// Per-sample mean of an element-wise function of (prediction, target), the target reshaped
/// to the prediction's shape.
func elementwiseSampleMeans(_ prediction: Tensor, _ target: Tensor, _ f: (Double, Double) -> Double) -> [Double] {
    let p = HostRows(prediction), t = target.detached().doubles
    precondition(t.count == p.values.count, "target has \(t.count) elements, prediction \(p.values.count)")
    return (0..<p.n).map { i in
        var s = 0.0
        for j in (i * p.width)..<((i + 1) * p.width) { s += f(p.values[j], t[j]) }
        return s / Double(p.width)
    }
}

/// Keras `Accuracy`: the fraction of elements where prediction == target exactly.
public final class Accuracy: SampleMeanMetric {
    public init() { super.init(name: "accuracy") }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] { elementwiseSampleMeans(p, t) { $0 == $1 ? 1 : 0 } }
}

/// Keras `BinaryAccuracy`: 1 where (prediction > threshold ? 1 : 0) equals the 0/1 target
/// (targets are compared as given, as Keras does), default threshold 0.5.
public final class BinaryAccuracy: SampleMeanMetric {
    public let threshold: Double
    public init(threshold: Double = 0.5) { self.threshold = threshold; super.init(name: "binary_accuracy") }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] {
        elementwiseSampleMeans(p, t) { [threshold] in ($0 > threshold ? 1.0 : 0.0) == $1 ? 1 : 0 }
    }
}

/// Index of the largest value (the first on ties, as argmax).
func argmaxIndex(_ row: ArraySlice<Double>) -> Int {
    var best = row.startIndex
    for i in row.indices where row[i] > row[best] { best = i }
    return best - row.startIndex
}

/// Keras `CategoricalAccuracy`: argmax(prediction) == argmax(one-hot target), per row.
public final class CategoricalAccuracy: SampleMeanMetric {
    public init() { super.init(name: "categorical_accuracy") }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] {
        let pr = HostRows(p), tr = HostRows(t)
        return (0..<pr.n).map { argmaxIndex(pr.row($0)) == argmaxIndex(tr.row($0)) ? 1 : 0 }
    }
}

/// Keras `SparseCategoricalAccuracy`: argmax(prediction) == integer target, per row.
public final class SparseCategoricalAccuracy: SampleMeanMetric {
    public init() { super.init(name: "sparse_categorical_accuracy") }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] {
        let pr = HostRows(p), labels = t.detached().doubles
        return (0..<pr.n).map { argmaxIndex(pr.row($0)) == Int(labels[$0]) ? 1 : 0 }
    }
}

/// Keras `TopKCategoricalAccuracy` (one-hot targets, `sparse: false`) and
/// `SparseTopKCategoricalAccuracy` (integer targets, `sparse: true`): 1 when the true class is
/// among the k largest predictions. Ties count in the class's favour (fewer than k classes
/// strictly larger), as TensorFlow's `in_top_k`.
public final class TopKCategoricalAccuracy: SampleMeanMetric {
    public let k: Int, sparse: Bool
    public init(k: Int = 5, sparse: Bool = false) {
        self.k = k; self.sparse = sparse
        super.init(name: sparse ? "sparse_top_k_categorical_accuracy" : "top_k_categorical_accuracy")
    }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] {
        let pr = HostRows(p)
        let labels: [Int]
        if sparse { labels = t.detached().doubles.map { Int($0) } }
        else { let tr = HostRows(t); labels = (0..<tr.n).map { argmaxIndex(tr.row($0)) } }
        return (0..<pr.n).map { i in
            let row = pr.row(i), s = row[row.startIndex + labels[i]]
            return row.filter { $0 > s }.count < k ? 1 : 0
        }
    }
}

/// Keras `MeanAbsoluteError`: per-sample mean |p − y|, averaged over samples.
public final class MeanAbsoluteErrorMetric: SampleMeanMetric {
    public init() { super.init(name: "mean_absolute_error") }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] { elementwiseSampleMeans(p, t) { Swift.abs($0 - $1) } }
}

/// Keras `MeanSquaredError`: per-sample mean (p − y)², averaged over samples.
public final class MeanSquaredErrorMetric: SampleMeanMetric {
    public init() { super.init(name: "mean_squared_error") }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] { elementwiseSampleMeans(p, t) { ($0 - $1) * ($0 - $1) } }
}

/// Keras `RootMeanSquaredError`: √(Σ w·(p − y)² / Σ w) over all elements seen (the square root
/// of the running mean, not a mean of batch roots).
public final class RootMeanSquaredError: SampleMeanMetric {
    public init() { super.init(name: "root_mean_squared_error") }
    override public func values(_ p: Tensor, _ t: Tensor) -> [Double] { elementwiseSampleMeans(p, t) { ($0 - $1) * ($0 - $1) } }
    override public func result() -> Double { super.result().squareRoot() }
}

/// Keras `Mean`: the weighted mean of every value given. As a `StreamingMetric`, `update(p, t)`
/// averages the elements of `p` and ignores `t`; `update(_:)` takes values alone.
public final class Mean: StreamingMetric {
    public let name: String
    public private(set) var total = 0.0, weightSum = 0.0
    public init(name: String = "mean") { self.name = name }

    /// Adds every element of `values` with weight 1 (or `sampleWeight`, one per element).
    public func update(_ values: Tensor, sampleWeight: Tensor? = nil) {
        let v = values.detached().doubles
        let w = hostWeights(sampleWeight, count: v.count)
        for (vi, wi) in zip(v, w) { total += vi * wi; weightSum += wi }
    }
    public func update(_ value: Double, weight: Double = 1) { total += value * weight; weightSum += weight }
    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) { update(prediction, sampleWeight: sampleWeight) }
    public func result() -> Double { weightSum == 0 ? 0 : total / weightSum }
    public func reset() { total = 0; weightSum = 0 }
}

/// Binary confusion counts at one threshold: prediction > threshold is positive, target > 0.5
/// (Keras casts targets to bool) is positive. Every element counts, weighted by its sample's weight.
public class ConfusionMetric: StreamingMetric {
    public let name: String
    public let threshold: Double
    public private(set) var truePositives = 0.0, falsePositives = 0.0, falseNegatives = 0.0, trueNegatives = 0.0
    init(name: String, threshold: Double) { self.name = name; self.threshold = threshold }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let p = HostRows(prediction), t = target.detached().doubles
        precondition(t.count == p.values.count, "target has \(t.count) elements, prediction \(p.values.count)")
        let w = hostWeights(sampleWeight, count: p.n)
        for i in 0..<p.values.count {
            let wi = w[i / Swift.max(p.width, 1)]
            switch (p.values[i] > threshold, t[i] > 0.5) {
            case (true, true): truePositives += wi
            case (true, false): falsePositives += wi
            case (false, true): falseNegatives += wi
            case (false, false): trueNegatives += wi
            }
        }
    }
    public func result() -> Double { fatalError("override result()") }
    public func reset() { truePositives = 0; falsePositives = 0; falseNegatives = 0; trueNegatives = 0 }
}

/// Keras `Precision`: TP / (TP + FP), 0 when nothing was predicted positive.
public final class Precision: ConfusionMetric {
    public init(threshold: Double = 0.5) { super.init(name: "precision", threshold: threshold) }
    override public func result() -> Double { truePositives + falsePositives == 0 ? 0 : truePositives / (truePositives + falsePositives) }
}

/// Keras `Recall`: TP / (TP + FN), 0 when there were no positives.
public final class Recall: ConfusionMetric {
    public init(threshold: Double = 0.5) { super.init(name: "recall", threshold: threshold) }
    override public func result() -> Double { truePositives + falseNegatives == 0 ? 0 : truePositives / (truePositives + falseNegatives) }
}

/// Keras `AUC(curve="ROC", summation_method="interpolation")`, the default: area under the
/// ROC curve from confusion counts at `numThresholds` fixed thresholds (default 200):
/// −1e-7, 1/(n−1), 2/(n−1), …, (n−2)/(n−1), 1 + 1e-7; a prediction > threshold is positive.
/// With TPR = TP/(TP+FN) and FPR = FP/(FP+TN) (0 where the denominator is 0) at each threshold
/// (ascending, so the curve runs from (1, 1) down to (0, 0)), the area is the trapezoid sum
/// Σᵢ (FPRᵢ − FPRᵢ₊₁)·(TPRᵢ + TPRᵢ₊₁)/2. This equals the exact ROC AUC (sklearn's
/// `roc_auc_score`) whenever no positive and negative prediction fall between the same two
/// thresholds; otherwise such pairs count as half-ordered. All elements are flattened
/// (Keras `multi_label=False`); predictions should lie in [0, 1]. The PR curve is not implemented.
public final class AUC: StreamingMetric {
    public let name = "auc"
    public let thresholds: [Double]
    public private(set) var truePositives: [Double], falsePositives: [Double], trueNegatives: [Double], falseNegatives: [Double]

    public init(numThresholds: Int = 200) {
        precondition(numThresholds > 1, "AUC needs at least 2 thresholds")
        let n = numThresholds
        thresholds = [-1e-7] + (1..<(n - 1)).map { Double($0) / Double(n - 1) } + [1 + 1e-7]
        truePositives = [Double](repeating: 0, count: n)
        falsePositives = truePositives; trueNegatives = truePositives; falseNegatives = truePositives
    }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let p = HostRows(prediction), t = target.detached().doubles
        precondition(t.count == p.values.count, "target has \(t.count) elements, prediction \(p.values.count)")
        let w = hostWeights(sampleWeight, count: p.n)
        for i in 0..<p.values.count {
            let wi = w[i / Swift.max(p.width, 1)], positive = t[i] > 0.5, v = p.values[i]
            for (k, th) in thresholds.enumerated() {
                switch (v > th, positive) {
                case (true, true): truePositives[k] += wi
                case (true, false): falsePositives[k] += wi
                case (false, true): falseNegatives[k] += wi
                case (false, false): trueNegatives[k] += wi
                }
            }
        }
    }

    public func result() -> Double {
        func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
        let tpr = thresholds.indices.map { ratio(truePositives[$0], truePositives[$0] + falseNegatives[$0]) }
        let fpr = thresholds.indices.map { ratio(falsePositives[$0], falsePositives[$0] + trueNegatives[$0]) }
        var area = 0.0
        for i in 0..<(thresholds.count - 1) { area += (fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2 }
        return area
    }

    public func reset() {
        for k in thresholds.indices { truePositives[k] = 0; falsePositives[k] = 0; trueNegatives[k] = 0; falseNegatives[k] = 0 }
    }
}
