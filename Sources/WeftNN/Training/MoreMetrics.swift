import Foundation
import Weft

// More of Keras's metrics: any loss as a metric, cosine similarity, the correlation metrics,
// the IoU family and Sum.

/// A loss as a metric (Keras's `BinaryCrossentropy`, `CategoricalCrossentropy`, `KLDivergence`,
/// `Poisson`, `Hinge`, `LogCoshError`, … metric classes): the weighted mean over samples of the
/// loss's per-sample value. The name defaults to Keras's.
public final class LossMetric: SampleMeanMetric {
    public let loss: Loss
    public init(_ loss: Loss, name: String? = nil) {
        self.loss = loss
        super.init(name: name ?? LossMetric.kerasName(loss))
    }
    override public func values(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        withoutGradient { loss.perSample(prediction.detached(), target.detached()).cast(to: .float64).doubles }
    }
    static func kerasName(_ l: Loss) -> String {
        switch l {
        case .softmaxCrossEntropy, .sparseCategoricalCrossentropy: return "sparse_categorical_crossentropy"
        case .meanSquaredError: return "mean_squared_error"
        case .meanAbsoluteError: return "mean_absolute_error"
        case .binaryCrossentropyFromLogits, .binaryCrossentropy: return "binary_crossentropy"
        case .categoricalCrossentropy: return "categorical_crossentropy"
        case .meanAbsolutePercentageError: return "mean_absolute_percentage_error"
        case .meanSquaredLogarithmicError: return "mean_squared_logarithmic_error"
        case .huber: return "huber"
        case .logCosh: return "logcosh"
        case .kullbackLeiblerDivergence: return "kl_divergence"
        case .hinge: return "hinge"
        case .squaredHinge: return "squared_hinge"
        case .cosineSimilarity: return "cosine_similarity_loss"
        case .poisson: return "poisson"
        case .categoricalHinge: return "categorical_hinge"
        case .binaryFocalCrossentropy: return "binary_focal_crossentropy"
        case .categoricalFocalCrossentropy: return "categorical_focal_crossentropy"
        case .ctc: return "ctc"
        case .dice: return "dice"
        case .tversky: return "tversky"
        case .categoricalGeneralizedCrossEntropy: return "categorical_generalized_cross_entropy"
        case .circle: return "circle"
        }
    }
}

/// Keras `CosineSimilarity` metric: cos(y, p) along the last axis (+1 when aligned), each side
/// L2-normalised with its squared norm floored at 1e-12.
public final class CosineSimilarity: SampleMeanMetric {
    override public init(name: String = "cosine_similarity") { super.init(name: name) }
    override public func values(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        withoutGradient { (-Loss.cosineSimilarity.perSample(prediction.detached(), target.detached())).cast(to: .float64).doubles }
    }
}

/// Per-sample rows of prediction and target along the last axis (rank ≤ 1: one row).
private func pairedRows(_ prediction: Tensor, _ target: Tensor) -> [([Double], [Double])] {
    let p = HostRows(prediction.rank <= 1 ? prediction.reshaped(to: [1, prediction.count]) : prediction)
    let t = target.detached().doubles
    precondition(t.count == p.values.count, "target has \(t.count) elements, prediction \(p.values.count)")
    return (0..<p.n).map { i in (Array(p.row(i)), Array(t[(i * p.width)..<((i + 1) * p.width)])) }
}

private func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
private func variance(_ v: [Double]) -> Double { let m = mean(v); return mean(v.map { ($0 - m) * ($0 - m) }) }

/// Keras `PearsonCorrelation`: per sample, the correlation of prediction and target along the
/// last axis (population standard deviations, no epsilon: a constant row gives NaN, as Keras);
/// the weighted mean over samples.
public final class PearsonCorrelation: SampleMeanMetric {
    override public init(name: String = "pearson_correlation") { super.init(name: name) }
    override public func values(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        pairedRows(prediction, target).map { p, y in
            let pn = p.map { $0 - mean(p) }, yn = y.map { $0 - mean(y) }
            let sp = variance(pn).squareRoot(), sy = variance(yn).squareRoot()
            return mean(zip(pn, yn).map { ($0 / sp) * ($1 / sy) })
        }
    }
}

/// Keras `ConcordanceCorrelation`: per sample along the last axis,
/// mean(2·(y − p̄)(p − p̄)) / (var y + var p + (ȳ − p̄)² + 1e-7) — Keras's formula, which centres
/// the target on the prediction's mean in the covariance term; the weighted mean over samples.
public final class ConcordanceCorrelation: SampleMeanMetric {
    override public init(name: String = "concordance_correlation") { super.init(name: name) }
    override public func values(_ prediction: Tensor, _ target: Tensor) -> [Double] {
        pairedRows(prediction, target).map { p, y in
            let pm = mean(p), ym = mean(y)
            let norm = variance(y) + variance(p) + (ym - pm) * (ym - pm)
            return mean(zip(y, p).map { 2 * ($0 - pm) * ($1 - pm) / (norm + 1e-7) })
        }
    }
}

/// Keras `IoU`: a confusion matrix over `numClasses` accumulated across batches (labels and
/// predictions as class ids, or one-hot / scores with `sparseYTrue` / `sparseYPred` false: the
/// arg-max of the last axis; ids outside 0..<numClasses and `ignoreClass` are skipped); the result
/// is the mean over `targetClassIds` with a nonzero denominator of TP / (TP + FP + FN + 1e-7)
/// (divided by their count + 1e-7). Weights are real numbers (Keras keeps an integer matrix and
/// truncates fractional weights).
public class IoU: StreamingMetric {
    public let name: String
    public let numClasses: Int
    public let targetClassIds: [Int]
    public let ignoreClass: Int?
    public let sparseYTrue: Bool
    public let sparseYPred: Bool
    /// [true class][predicted class] weighted counts.
    public private(set) var confusion: [Double]

    public init(numClasses: Int, targetClassIds: [Int], ignoreClass: Int? = nil, sparseYTrue: Bool = true, sparseYPred: Bool = true,
                name: String = "iou") {
        precondition(numClasses > 0, "IoU: numClasses must be positive")
        precondition(targetClassIds.allSatisfy { $0 >= 0 && $0 < numClasses }, "IoU: target class ids must lie in 0..<\(numClasses)")
        self.name = name
        self.numClasses = numClasses
        self.targetClassIds = targetClassIds
        self.ignoreClass = ignoreClass
        self.sparseYTrue = sparseYTrue
        self.sparseYPred = sparseYPred
        confusion = [Double](repeating: 0, count: numClasses * numClasses)
    }

    /// The class ids of `t` (the arg-max of the last axis unless sparse).
    func ids(_ t: Tensor, sparse: Bool) -> [Int] {
        if sparse { return t.detached().doubles.map { Int($0.rounded(.down)) } }
        return t.detached().argmax(alongAxis: -1).doubles.map { Int($0) }
    }

    func predictedIds(_ prediction: Tensor) -> [Int] { ids(prediction, sparse: sparseYPred) }

    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) {
        let y = ids(target, sparse: sparseYTrue), p = predictedIds(prediction)
        precondition(y.count == p.count, "IoU: \(y.count) labels for \(p.count) predictions")
        let n = target.rank == 0 ? 1 : target.shape[0]
        let w = hostWeights(sampleWeight, count: sampleWeight.map { $0.count == y.count ? y.count : n } ?? n)
        let per = Swift.max(y.count / Swift.max(w.count, 1), 1)
        for i in 0..<y.count {
            let a = y[i], b = p[i]
            guard a >= 0 && a < numClasses && b >= 0 && b < numClasses && a != ignoreClass else { continue }
            confusion[a * numClasses + b] += w[i / per]
        }
    }

    public func result() -> Double {
        var total = 0.0, valid = 0.0
        for c in targetClassIds {
            let tp = confusion[c * numClasses + c]
            let row = (0..<numClasses).reduce(0.0) { $0 + confusion[c * numClasses + $1] }
            let col = (0..<numClasses).reduce(0.0) { $0 + confusion[$1 * numClasses + c] }
            let denominator = row + col - tp
            guard denominator > 1e-9 else { continue }
            valid += 1
            total += tp / (denominator + 1e-7)
        }
        return total / (valid + 1e-7)
    }

    public func reset() { confusion = [Double](repeating: 0, count: numClasses * numClasses) }
}

/// Keras `MeanIoU`: IoU over every class.
public final class MeanIoU: IoU {
    public init(numClasses: Int, ignoreClass: Int? = nil, sparseYTrue: Bool = true, sparseYPred: Bool = true, name: String = "mean_iou") {
        super.init(numClasses: numClasses, targetClassIds: Array(0..<numClasses), ignoreClass: ignoreClass,
                   sparseYTrue: sparseYTrue, sparseYPred: sparseYPred, name: name)
    }
}

/// Keras `OneHotIoU`: IoU of one-hot labels and class scores.
public final class OneHotIoU: IoU {
    public init(numClasses: Int, targetClassIds: [Int], ignoreClass: Int? = nil, name: String = "one_hot_iou") {
        super.init(numClasses: numClasses, targetClassIds: targetClassIds, ignoreClass: ignoreClass, sparseYTrue: false, sparseYPred: false, name: name)
    }
}

/// Keras `OneHotMeanIoU`: MeanIoU of one-hot labels and class scores.
public final class OneHotMeanIoU: IoU {
    public init(numClasses: Int, ignoreClass: Int? = nil, name: String = "one_hot_mean_iou") {
        super.init(numClasses: numClasses, targetClassIds: Array(0..<numClasses), ignoreClass: ignoreClass,
                   sparseYTrue: false, sparseYPred: false, name: name)
    }
}

/// Keras `BinaryIoU`: IoU of 0/1 labels and predictions thresholded at `threshold`
/// (prediction ≥ threshold is 1), over `targetClassIds` ⊆ {0, 1}.
public final class BinaryIoU: IoU {
    public let threshold: Double
    public init(targetClassIds: [Int] = [0, 1], threshold: Double = 0.5, name: String = "binary_iou") {
        self.threshold = threshold
        super.init(numClasses: 2, targetClassIds: targetClassIds, name: name)
    }
    override func predictedIds(_ prediction: Tensor) -> [Int] { prediction.detached().doubles.map { $0 >= threshold ? 1 : 0 } }
}

/// Keras `Sum`: the weighted sum of every value given (as `Mean`, the target is ignored).
public final class Sum: StreamingMetric {
    public let name: String
    public private(set) var total = 0.0
    public init(name: String = "sum") { self.name = name }
    public func update(_ values: Tensor, sampleWeight: Tensor? = nil) {
        let v = values.detached().doubles
        let w = hostWeights(sampleWeight, count: v.count)
        for (vi, wi) in zip(v, w) { total += vi * wi }
    }
    public func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) { update(prediction, sampleWeight: sampleWeight) }
    public func result() -> Double { total }
    public func reset() { total = 0 }
}
