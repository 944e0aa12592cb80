import Foundation
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
///
/// `topK` (Keras's `top_k`): only each row's k largest predictions can be positive (the others
/// count as −∞; ties go to the lower index); `classId` (`class_id`): only that column counts.
public class ConfusionMetric: StreamingMetric {
    public let name: String
    public let threshold: Double
    public let topK: Int?
    public let classId: Int?
    public private(set) var truePositives = 0.0, falsePositives = 0.0, falseNegatives = 0.0, trueNegatives = 0.0
    init(name: String, threshold: Double, topK: Int? = nil, classId: Int? = nil) {
        precondition(topK.map { $0 > 0 } ?? true, "\(name): topK must be positive")
        precondition(classId.map { $0 >= 0 } ?? true, "\(name): classId must not be negative")
        self.name = name
        self.threshold = threshold
        self.topK = topK
        self.classId = classId
    }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let p = HostRows(prediction), t = target.detached().doubles
        precondition(t.count == p.values.count, "target has \(t.count) elements, prediction \(p.values.count)")
        let w = hostWeights(sampleWeight, count: p.n)
        var values = p.values
        if let k = topK, p.width > k {
            for r in 0..<p.n {
                let base = r * p.width
                let keep = Set((0..<p.width).sorted { values[base + $0] > values[base + $1] || (values[base + $0] == values[base + $1] && $0 < $1) }.prefix(k))
                for c in 0..<p.width where !keep.contains(c) { values[base + c] = -.infinity }
            }
        }
        if let c = classId { precondition(c < Swift.max(p.width, 1), "\(name): classId \(c) is out of range for \(p.width) classes") }
        for i in 0..<values.count {
            if let c = classId, i % Swift.max(p.width, 1) != c { continue }
            let wi = w[i / Swift.max(p.width, 1)]
            switch (values[i] > threshold, t[i] > 0.5) {
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
    /// The threshold defaults to 0.5, or to −∞ with `topK` (every top-k prediction positive), as Keras.
    public init(threshold: Double? = nil, topK: Int? = nil, classId: Int? = nil) {
        super.init(name: "precision", threshold: threshold ?? (topK == nil ? 0.5 : -.infinity), topK: topK, classId: classId)
    }
    override public func result() -> Double { truePositives + falsePositives == 0 ? 0 : truePositives / (truePositives + falsePositives) }
}

/// Keras `Recall`: TP / (TP + FN), 0 when there were no positives.
public final class Recall: ConfusionMetric {
    /// The threshold defaults to 0.5, or to −∞ with `topK`, as Keras.
    public init(threshold: Double? = nil, topK: Int? = nil, classId: Int? = nil) {
        super.init(name: "recall", threshold: threshold ?? (topK == nil ? 0.5 : -.infinity), topK: topK, classId: classId)
    }
    override public func result() -> Double { truePositives + falseNegatives == 0 ? 0 : truePositives / (truePositives + falseNegatives) }
}

/// Binary confusion counts at fixed thresholds, as Keras's AUC and the sensitivity /
/// specificity / precision / recall "at" metrics keep them: `numThresholds` thresholds −1e-7,
/// 1/(n−1), …, (n−2)/(n−1), 1 + 1e-7 (or the ones given); a prediction > threshold is
/// positive, a target > 0.5 is. All elements are flattened, each weighted by its sample's weight.
public class ThresholdConfusionMetric: StreamingMetric {
    public let name: String
    public let thresholds: [Double]
    /// Weights of the label columns, multiplying the sample weights (Keras's `label_weights`).
    public let labelWeights: [Double]?
    public private(set) var truePositives: [Double], falsePositives: [Double], trueNegatives: [Double], falseNegatives: [Double]

    init(name: String, numThresholds: Int, thresholds given: [Double]? = nil, labelWeights: [Double]? = nil) {
        self.name = name
        self.labelWeights = labelWeights
        if let given {
            let inner: [Double] = given.sorted()
            thresholds = [-1e-7] + inner + [1 + 1e-7]
        } else {
            precondition(numThresholds > 1, "\(name) needs at least 2 thresholds")
            let n = numThresholds
            let inner: [Double] = (1..<(n - 1)).map { Double($0) / Double(n - 1) }
            thresholds = [-1e-7] + inner + [1 + 1e-7]
        }
        truePositives = [Double](repeating: 0, count: thresholds.count)
        falsePositives = truePositives; trueNegatives = truePositives; falseNegatives = truePositives
    }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let p = HostRows(prediction), t = target.detached().doubles
        precondition(t.count == p.values.count, "target has \(t.count) elements, prediction \(p.values.count)")
        let w = hostWeights(sampleWeight, count: p.n)
        if let lw = labelWeights { precondition(lw.count == p.width, "\(name): \(lw.count) label weights for \(p.width) labels") }
        for i in 0..<p.values.count {
            let wi = w[i / Swift.max(p.width, 1)] * (labelWeights?[i % p.width] ?? 1), positive = t[i] > 0.5, v = p.values[i]
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

    public func result() -> Double { fatalError("override result()") }

    public func reset() {
        for k in thresholds.indices { truePositives[k] = 0; falsePositives[k] = 0; trueNegatives[k] = 0; falseNegatives[k] = 0 }
    }

    /// a / b, 0 where b is 0 (Keras's divide_no_nan).
    func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
    var recalls: [Double] { thresholds.indices.map { ratio(truePositives[$0], truePositives[$0] + falseNegatives[$0]) } }
    var precisions: [Double] { thresholds.indices.map { ratio(truePositives[$0], truePositives[$0] + falsePositives[$0]) } }
    var specificities: [Double] { thresholds.indices.map { ratio(trueNegatives[$0], trueNegatives[$0] + falsePositives[$0]) } }
    var falsePositiveRates: [Double] { thresholds.indices.map { ratio(falsePositives[$0], falsePositives[$0] + trueNegatives[$0]) } }
}

/// Keras `AUC`: the area under the ROC curve (default) or the precision–recall curve, from
/// confusion counts at `numThresholds` fixed thresholds (default 200; see
/// ``ThresholdConfusionMetric``). ROC: with TPR = TP/(TP+FN) and FPR = FP/(FP+TN) (0 where the
/// denominator is 0) at each threshold (ascending, so the curve runs from (1, 1) down to (0, 0)),
/// Σᵢ (FPRᵢ − FPRᵢ₊₁)·hᵢ with hᵢ the mean (`.interpolation`), smaller (`.minoring`) or larger
/// (`.majoring`) of TPRᵢ, TPRᵢ₊₁. With `.interpolation` this equals the exact ROC AUC (sklearn's
/// `roc_auc_score`) whenever no positive and negative prediction fall between the same two
/// thresholds. PR with `.interpolation` is Keras's Davis–Goadrich interpolation
/// (`interpolate_pr_auc`); with the other methods the Riemann sum of precision over recall.
/// Predictions should lie in [0, 1]. The labels' columns are pooled (weighted by `labelWeights`),
/// or with `multiLabel` each column gets its own curve and the result is the mean of their areas
/// (weighted by `labelWeights`), as Keras's `multi_label=True`.
public final class AUC: ThresholdConfusionMetric {
    public enum Curve: Hashable, Sendable { case roc, pr }
    public enum SummationMethod: Hashable, Sendable { case interpolation, minoring, majoring }
    public let curve: Curve
    public let summationMethod: SummationMethod
    public let multiLabel: Bool
    public let numLabels: Int?
    /// With `multiLabel`: one AUC per label column, made at the first update.
    public private(set) var labelAUCs: [AUC] = []

    public init(numThresholds: Int = 200, curve: Curve = .roc, summationMethod: SummationMethod = .interpolation,
                thresholds: [Double]? = nil, multiLabel: Bool = false, numLabels: Int? = nil, labelWeights: [Double]? = nil,
                name: String = "auc") {
        precondition(numLabels.map { $0 > 0 } ?? true, "AUC: numLabels must be positive")
        if let l = labelWeights, let n = numLabels { precondition(l.count == n, "AUC: \(l.count) label weights for \(n) labels") }
        self.curve = curve
        self.summationMethod = summationMethod
        self.multiLabel = multiLabel
        self.numLabels = numLabels
        self.numThresholdsGiven = numThresholds
        self.thresholdsGiven = thresholds
        super.init(name: name, numThresholds: numThresholds, thresholds: thresholds, labelWeights: multiLabel ? nil : labelWeights)
        self.multiLabelWeights = multiLabel ? labelWeights : nil
    }
    private let numThresholdsGiven: Int
    private let thresholdsGiven: [Double]?
    private var multiLabelWeights: [Double]?

    override public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        guard multiLabel else { return super.update(prediction, target, sampleWeight: sampleWeight) }
        let p = HostRows(prediction), t = HostRows(target)
        precondition(t.values.count == p.values.count, "target has \(t.values.count) elements, prediction \(p.values.count)")
        if let n = numLabels { precondition(p.width == n, "\(name): \(p.width) labels, numLabels is \(n)") }
        if labelAUCs.isEmpty {
            labelAUCs = (0..<p.width).map { _ in
                AUC(numThresholds: numThresholdsGiven, curve: curve, summationMethod: summationMethod, thresholds: thresholdsGiven, name: name)
            }
        }
        precondition(labelAUCs.count == p.width, "\(name): \(p.width) labels after \(labelAUCs.count)")
        for (l, m) in labelAUCs.enumerated() {
            let column = { (h: HostRows) in Tensor(shape: [h.n, 1], scalars: (0..<h.n).map { h.values[$0 * h.width + l] }) }
            m.update(column(p), column(t), sampleWeight: sampleWeight)
        }
    }

    override public func reset() {
        super.reset()
        for m in labelAUCs { m.reset() }
    }

    override public func result() -> Double {
        guard multiLabel else { return area() }
        guard !labelAUCs.isEmpty else { return 0 }
        let areas = labelAUCs.map { $0.area() }
        guard let w = multiLabelWeights else { return areas.reduce(0, +) / Double(areas.count) }
        let total = w.reduce(0, +)
        return total == 0 ? 0 : zip(areas, w).map { $0 * $1 }.reduce(0, +) / total
    }

    /// The area under this metric's own (pooled) curve.
    func area() -> Double {
        let n = thresholds.count
        if curve == .pr && summationMethod == .interpolation {
            let tp = truePositives, p = thresholds.indices.map { truePositives[$0] + falsePositives[$0] }
            var area = 0.0
            for i in 0..<(n - 1) {
                let dtp = tp[i] - tp[i + 1], dp = p[i] - p[i + 1]
                let slope = ratio(dtp, Swift.max(dp, 0))
                let intercept = tp[i + 1] - slope * p[i + 1]
                let pRatio = p[i] > 0 && p[i + 1] > 0 ? ratio(p[i], Swift.max(p[i + 1], 0)) : 1
                area += ratio(slope * (dtp + intercept * Foundation.log(pRatio)), Swift.max(tp[i + 1] + falseNegatives[i + 1], 0))
            }
            return area
        }
        let (x, y) = curve == .roc ? (falsePositiveRates, recalls) : (recalls, precisions)
        var area = 0.0
        for i in 0..<(n - 1) {
            let h: Double
            switch summationMethod {
            case .interpolation: h = (y[i] + y[i + 1]) / 2
            case .minoring: h = Swift.min(y[i], y[i + 1])
            case .majoring: h = Swift.max(y[i], y[i + 1])
            }
            area += (x[i] - x[i + 1]) * h
        }
        return area
    }
}

/// Keras's `SensitivitySpecificityBase`: the largest `dependent` value over thresholds where
/// `constrained` ≥ the target value (0 when none).
public class ConstrainedRateMetric: ThresholdConfusionMetric {
    public let value: Double
    init(name: String, value: Double, numThresholds: Int) {
        precondition(value >= 0 && value <= 1, "\(name): the value must lie in [0, 1], got \(value)")
        self.value = value
        super.init(name: name, numThresholds: numThresholds)
    }
    func best(_ constrained: [Double], _ dependent: [Double]) -> Double {
        let feasible = constrained.indices.filter { constrained[$0] >= value }
        return feasible.isEmpty ? 0 : feasible.map { dependent[$0] }.max()!
    }
}

/// Keras `SensitivityAtSpecificity`: the best recall where specificity ≥ `specificity`.
public final class SensitivityAtSpecificity: ConstrainedRateMetric {
    public init(_ specificity: Double, numThresholds: Int = 200) {
        super.init(name: "sensitivity_at_specificity", value: specificity, numThresholds: numThresholds)
    }
    override public func result() -> Double { best(specificities, recalls) }
}

/// Keras `SpecificityAtSensitivity`: the best specificity where recall ≥ `sensitivity`.
public final class SpecificityAtSensitivity: ConstrainedRateMetric {
    public init(_ sensitivity: Double, numThresholds: Int = 200) {
        super.init(name: "specificity_at_sensitivity", value: sensitivity, numThresholds: numThresholds)
    }
    override public func result() -> Double { best(recalls, specificities) }
}

/// Keras `PrecisionAtRecall`: the best precision where recall ≥ `recall`.
public final class PrecisionAtRecall: ConstrainedRateMetric {
    public init(_ recall: Double, numThresholds: Int = 200) {
        super.init(name: "precision_at_recall", value: recall, numThresholds: numThresholds)
    }
    override public func result() -> Double { best(recalls, precisions) }
}

/// Keras `RecallAtPrecision`: the best recall where precision ≥ `precision`.
public final class RecallAtPrecision: ConstrainedRateMetric {
    public init(_ precision: Double, numThresholds: Int = 200) {
        super.init(name: "recall_at_precision", value: precision, numThresholds: numThresholds)
    }
    override public func result() -> Double { best(precisions, recalls) }
}

/// Keras `TruePositives` (weighted count at `threshold`).
public final class TruePositives: ConfusionMetric {
    public init(threshold: Double = 0.5) { super.init(name: "true_positives", threshold: threshold) }
    override public func result() -> Double { truePositives }
}

/// Keras `FalsePositives`.
public final class FalsePositives: ConfusionMetric {
    public init(threshold: Double = 0.5) { super.init(name: "false_positives", threshold: threshold) }
    override public func result() -> Double { falsePositives }
}

/// Keras `TrueNegatives`.
public final class TrueNegatives: ConfusionMetric {
    public init(threshold: Double = 0.5) { super.init(name: "true_negatives", threshold: threshold) }
    override public func result() -> Double { trueNegatives }
}

/// Keras `FalseNegatives`.
public final class FalseNegatives: ConfusionMetric {
    public init(threshold: Double = 0.5) { super.init(name: "false_negatives", threshold: threshold) }
    override public func result() -> Double { falseNegatives }
}

/// Keras `FBetaScore` over one-hot (or multi-label 0/1) targets [N, C] and scores [N, C]: a
/// prediction is positive where it is the row's (nonzero) maximum (`threshold` nil, Keras's
/// default) or above `threshold`; per-class TP/FP/FN accumulate with the sample weights, and
/// F = (1 + β²)·P·R / (β²·P + R + ε) with P = TP/(TP + FP + ε), R = TP/(TP + FN + ε), ε = 1e-7.
/// `average`: `.micro` (counts summed over classes first), `.macro` (mean of the per-class
/// scores) or `.weighted` (weighted by each class's support); `perClass()` gives every class's.
public class FBetaScore: StreamingMetric {
    public enum Average: Hashable, Sendable { case micro, macro, weighted }
    public let name: String
    public let beta: Double
    public let average: Average
    public let threshold: Double?
    public private(set) var truePositives: [Double] = [], falsePositives: [Double] = [], falseNegatives: [Double] = []
    /// Σ weight·target per class (the support the `.weighted` average uses).
    public private(set) var support: [Double] = []

    public init(average: Average = .macro, beta: Double = 1, threshold: Double? = nil, name: String = "fbeta_score") {
        precondition(beta > 0, "FBetaScore: beta must be positive, got \(beta)")
        precondition(threshold.map { $0 > 0 && $0 <= 1 } ?? true, "FBetaScore: threshold must be in (0, 1], got \(threshold ?? 0)")
        self.name = name
        self.beta = beta
        self.average = average
        self.threshold = threshold
    }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let p = HostRows(prediction), t = target.detached().doubles
        precondition(prediction.rank == 2 && t.count == p.values.count,
                     "\(name): needs scores [N, C] and targets of the same shape, got \(prediction.shape) and \(target.shape)")
        let w = hostWeights(sampleWeight, count: p.n), c = p.width
        if truePositives.isEmpty {
            truePositives = [Double](repeating: 0, count: c); falsePositives = truePositives; falseNegatives = truePositives; support = truePositives
        }
        precondition(truePositives.count == c, "\(name): \(c) classes after \(truePositives.count)")
        for i in 0..<p.n {
            let row = p.row(i), top = row.max() ?? 0
            for j in 0..<c {
                let v = row[row.startIndex + j]
                // As Keras: the row's maximum, unless it is 0 (an all-zero row predicts nothing).
                let predicted = threshold.map { v > $0 } ?? (v >= top && Swift.abs(v) > 1e-9)
                let actual = t[i * c + j]
                truePositives[j] += w[i] * (predicted ? actual : 0)
                falsePositives[j] += w[i] * (predicted ? 1 - actual : 0)
                falseNegatives[j] += w[i] * (predicted ? 0 : actual)
                support[j] += w[i] * actual
            }
        }
    }

    func score(_ tp: Double, _ fp: Double, _ fn: Double) -> Double {
        let eps = 1e-7, b2 = beta * beta
        let precision = tp / (tp + fp + eps), recall = tp / (tp + fn + eps)
        return (1 + b2) * precision * recall / (b2 * precision + recall + eps)
    }

    /// Each class's score.
    public func perClass() -> [Double] { (0..<truePositives.count).map { score(truePositives[$0], falsePositives[$0], falseNegatives[$0]) } }

    public func result() -> Double {
        guard !truePositives.isEmpty else { return 0 }
        switch average {
        case .micro: return score(truePositives.reduce(0, +), falsePositives.reduce(0, +), falseNegatives.reduce(0, +))
        case .macro: return perClass().reduce(0, +) / Double(truePositives.count)
        case .weighted:
            let total = support.reduce(0, +)
            return total == 0 ? 0 : zip(perClass(), support).map { $0 * $1 }.reduce(0, +) / total
        }
    }

    public func reset() { truePositives = []; falsePositives = []; falseNegatives = []; support = [] }
}

/// Keras `F1Score`: ``FBetaScore`` with β = 1.
public final class F1Score: FBetaScore {
    public init(average: Average = .macro, threshold: Double? = nil) {
        super.init(average: average, beta: 1, threshold: threshold, name: "f1_score")
    }
}

/// Keras `R2Score` (coefficient of determination) over targets and predictions [N] or [N, K]:
/// per output 1 − SSE/SST accumulated over batches (an output with SST = 0 scores 0), averaged
/// uniformly or weighted by SST (`varianceWeighted`); with `numRegressors` p > 0 the adjusted
/// 1 − (1 − R²)(n − 1)/(n − p − 1), n the number of target values seen (N·K, as Keras counts),
/// and the plain score when n ≤ p + 1 (as Keras).
public final class R2Score: StreamingMetric {
    public let name = "r2_score"
    public let varianceWeighted: Bool
    public let numRegressors: Int
    private var sum: [Double] = [], squaredSum: [Double] = [], sse: [Double] = [], count: [Double] = []
    private var samples = 0.0

    public init(varianceWeighted: Bool = false, numRegressors: Int = 0) {
        precondition(numRegressors >= 0, "R2Score: numRegressors must be >= 0, got \(numRegressors)")
        self.varianceWeighted = varianceWeighted
        self.numRegressors = numRegressors
    }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let p = HostRows(prediction), t = target.detached().doubles
        precondition(t.count == p.values.count, "r2_score: target has \(t.count) elements, prediction \(p.values.count)")
        let w = hostWeights(sampleWeight, count: p.n), k = Swift.max(p.width, 1)
        if sum.isEmpty { sum = [Double](repeating: 0, count: k); squaredSum = sum; sse = sum; count = sum }
        precondition(sum.count == k, "r2_score: \(k) outputs after \(sum.count)")
        for i in 0..<p.n {
            for j in 0..<k {
                let y = t[i * k + j], e = y - p.values[i * k + j]
                sum[j] += w[i] * y; squaredSum[j] += w[i] * y * y; sse[j] += w[i] * e * e; count[j] += w[i]
            }
        }
        samples += Double(t.count)          // Keras counts target values (N·K), not rows
    }

    /// The totals' variance per output, and each output's R² (Keras's `class_aggregation=None`).
    private var perOutput: (sst: [Double], raw: [Double]) {
        let sst = (0..<sum.count).map { squaredSum[$0] - sum[$0] * sum[$0] / Swift.max(count[$0], 1e-300) }
        return (sst, (0..<sum.count).map { sst[$0] == 0 ? 0 : 1 - sse[$0] / sst[$0] })
    }

    /// Each output's R², unaggregated (Keras's `class_aggregation=None`; no adjustment).
    public func scores() -> [Double] { perOutput.raw }

    public func result() -> Double {
        guard !sum.isEmpty else { return 0 }
        let (sst, raw) = perOutput
        var r2 = varianceWeighted
            ? (sst.reduce(0, +) == 0 ? 0 : zip(raw, sst).map { $0 * $1 }.reduce(0, +) / sst.reduce(0, +))
            : raw.reduce(0, +) / Double(raw.count)
        // Keras warns and keeps the plain score when there are too few samples to adjust.
        if numRegressors > 0 && samples - Double(numRegressors) - 1 > 0 {
            let n = samples, p = Double(numRegressors)
            r2 = 1 - (1 - r2) * (n - 1) / (n - p - 1)
        }
        return r2
    }

    public func reset() { sum = []; squaredSum = []; sse = []; count = []; samples = 0 }
}
