import Weft

/// Loss functions by their Keras meaning. Each returns the mean over the batch
/// (Keras's `"sum_over_batch_size"` reduction); `perSample` gives the unreduced [N] losses.
///
/// Conventions (Keras 3):
/// - Probabilities are clipped to [1e-7, 1 − 1e-7] before a log (`Loss.epsilon`).
/// - A sample's loss is the mean of its element losses over all non-batch axes (Keras takes the
///   mean over the last axis; for equal-sized samples the batch mean is the same). Losses that
///   reduce over the class axis (the cross-entropies, KL divergence, cosine similarity) sum or
///   normalise along the last axis first.
/// - With `sampleWeight` the loss is Σₙ wₙ·lₙ / N (not divided by Σ w).
public enum Loss: Hashable, Sendable {
    /// Integer class labels against logits (Keras `SparseCategoricalCrossentropy(from_logits=True)`,
    /// PyTorch `cross_entropy`): softmax fused in, numerically stable.
    case softmaxCrossEntropy
    /// Integer class labels against probabilities (a model ending in softmax).
    case sparseCategoricalCrossentropy
    case meanSquaredError
    case meanAbsoluteError
    /// Binary labels against logits.
    case binaryCrossentropyFromLogits
    /// One-hot (or probability) targets [N, C] against logits or probabilities [N, C]
    /// (Keras `CategoricalCrossentropy`). Label smoothing: y ← y·(1 − s) + s/C.
    /// Probabilities are first normalised to sum to 1 along the last axis, then clipped.
    case categoricalCrossentropy(fromLogits: Bool = false, labelSmoothing: Double = 0)
    /// Binary (or soft) targets against logits or probabilities (Keras `BinaryCrossentropy`).
    /// Label smoothing: y ← y·(1 − s) + s/2.
    case binaryCrossentropy(fromLogits: Bool = false, labelSmoothing: Double = 0)
    /// 100·|y − p| / max(|y|, ε).
    case meanAbsolutePercentageError
    /// (log(max(p, ε) + 1) − log(max(y, ε) + 1))².
    case meanSquaredLogarithmicError
    /// ½e² for |e| ≤ δ, δ·|e| − ½δ² beyond (e = p − y).
    case huber(delta: Double = 1)
    /// log cosh(p − y), computed as x + softplus(−2x) − log 2.
    case logCosh
    /// Σ y·log(y / p) over the last axis, both clipped to [ε, 1].
    case kullbackLeiblerDivergence
    /// max(1 − y·p, 0); 0/1 targets are mapped to −1/1 first (when every target is 0 or 1).
    case hinge
    /// max(1 − y·p, 0)²; 0/1 targets are mapped to −1/1 as for `hinge`.
    case squaredHinge
    /// −cos(y, p) along the last axis (Keras sign convention: −1 when aligned),
    /// each side L2-normalised with its squared norm floored at 1e-12.
    case cosineSimilarity
    /// p − y·log(p + ε) (Keras `Poisson`).
    case poisson
    /// max(max((1 − y)·p) − Σ y·p + 1, 0) over the last axis (Keras `CategoricalHinge`).
    case categoricalHinge
    /// Keras `BinaryFocalCrossentropy`: (1 − p_t)^γ · BCE, p_t = y·p + (1 − y)(1 − p); with
    /// `applyClassBalancing` also weighted by α for positives and 1 − α for negatives.
    /// Label smoothing: y ← y·(1 − s) + s/2; logits go through a sigmoid first.
    case binaryFocalCrossentropy(gamma: Double = 2, alpha: Double = 0.25, applyClassBalancing: Bool = false,
                                 fromLogits: Bool = false, labelSmoothing: Double = 0)
    /// Keras `CategoricalFocalCrossentropy`: Σ α·(1 − p)^γ · (−y·log p) over the last axis, p
    /// normalised to sum to 1 and clipped (logits go through a softmax first). Label smoothing:
    /// y ← y·(1 − s) + s/C.
    case categoricalFocalCrossentropy(alpha: Double = 0.25, gamma: Double = 2, fromLogits: Bool = false, labelSmoothing: Double = 0)
    /// Keras `CTC`: logits [N, T, C] against label sequences [N, L] padded with `blank` (a row's
    /// labels are its entries before the first blank), every sample using all T steps; the loss of a
    /// sample is −log p(labels) summed over the alignments (``ctcLoss(logits:labels:inputLengths:labelLengths:blank:)``).
    case ctc(blank: Int = 0)
    /// Keras `Dice`: 1 − 2·Σ y·p / (Σ y + Σ p + ε), summed over `axes` of the batch ([1, 2, 3]: per
    /// sample); nil (Keras's default) sums over everything, one value for the batch.
    case dice(axes: [Int]? = nil)
    /// Keras `Tversky`: 1 − Σ y·p / (Σ y·p + α·Σ (1 − p)·y + β·Σ p·(1 − y) + ε) over `axes` as `dice`.
    case tversky(alpha: Double = 0.5, beta: Double = 0.5, axes: [Int]? = nil)
    /// Keras `CategoricalGeneralizedCrossEntropy` (Zhang & Sabuncu): (1 − p_yᵠ)/q for integer labels
    /// against probabilities [N, C]; q → 0 is the cross-entropy, q = 1 the MAE.
    case categoricalGeneralizedCrossEntropy(q: Double = 0.5)
    /// Keras `Circle` (Sun et al.): metric learning on L2-normalised embeddings [N, D] with integer
    /// labels [N]. With cosine distances d between the batch's embeddings, positives (same label;
    /// not the sample itself with `removeDiagonal`) weigh relu(m + d)·(m − d) and negatives
    /// relu(1 + m − d)·(1 − m − d); a sample's loss is softplus(γ·(lse over negatives) + lse of
    /// −γ·(positive terms)); the batch loss averages the samples whose loss is positive (Keras's mask).
    case circle(gamma: Double = 80, margin: Double = 0.4, removeDiagonal: Bool = true)

    /// Keras's `backend.epsilon()`.
    public static let epsilon = 1e-7

    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        switch self {
        case .softmaxCrossEntropy:
            return Weft.softmaxCrossEntropy(logits: prediction, labels: target)
        case .sparseCategoricalCrossentropy:
            // Keras clips probabilities to [eps, 1 − eps] before the log.
            let p = clamp(prediction, min: 1e-7, max: 1 - 1e-7)
            let picked = p.gathering(axis: 1, indices: target.reshaped(to: [target.count, 1]).cast(to: .int64))
            return -log(picked).mean()
        case .meanSquaredError:
            let d = prediction - target.cast(to: prediction.dtype).reshaped(to: prediction.shape)
            return (d * d).mean()
        case .meanAbsoluteError:
            return abs(prediction - target.cast(to: prediction.dtype).reshaped(to: prediction.shape)).mean()
        case .binaryCrossentropyFromLogits:
            // max(x, 0) − x·z + log(1 + exp(−|x|))
            let z = target.cast(to: prediction.dtype).reshaped(to: prediction.shape)
            return (relu(prediction) - prediction * z + softplus(-abs(prediction)) ).mean()
        case .dice(nil), .tversky(_, _, nil):
            return overlapLoss(prediction, target)
        case .circle:
            // Keras masks the samples whose loss is 0 out of the mean.
            let l = perSample(prediction, target)
            let positive = withoutGradient { (l .> Tensor(0, dtype: l.dtype)).cast(to: l.dtype) }
            return (l * positive).sum() / Swift.max(positive.sum().item, 1)
        default:
            return perSample(prediction, target).mean()
        }
    }

    /// Dice / Tversky over `axes` (nil: everything, a 0-d result).
    private func overlapLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let y = dense(target, like: prediction)
        func total(_ x: Tensor, _ axes: [Int]?) -> Tensor { axes.map { x.sum(alongAxes: $0) } ?? x.sum() }
        switch self {
        case .dice(let axes):
            let inter = total(y * prediction, axes)
            return 1 - 2 * inter / (total(y, axes) + total(prediction, axes) + Loss.epsilon)
        case .tversky(let alpha, let beta, let axes):
            let inter = total(y * prediction, axes)
            let fp = total((1 - prediction) * y, axes), fn = total(prediction * (1 - y), axes)
            return 1 - inter / (inter + alpha * fp + beta * fn + Loss.epsilon)
        default: preconditionFailure("overlapLoss: \(self) is not an overlap loss")
        }
    }

    /// Σₙ wₙ·lₙ / N (Keras `"sum_over_batch_size"` with `sample_weight`); `sampleWeight` has
    /// N elements ([N] or [N, 1]). With `nil`, the plain mean.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) -> Tensor {
        guard let sampleWeight else { return self(prediction, target) }
        let l = perSample(prediction, target)
        let w = sampleWeight.cast(to: l.dtype).reshaped(to: l.shape)
        return (l * w).sum() / Double(Swift.max(l.count, 1))
    }

    /// The loss of each sample, shape [N] (for a rank-1 prediction, one loss per element).
    public func perSample(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let eps = Loss.epsilon
        switch self {
        case .softmaxCrossEntropy:
            let lsm = prediction.logSoftmax(axis: -1)
            let idx = target.reshaped(to: [target.count, 1]).cast(to: .int64)
            return -lsm.gathering(axis: 1, indices: idx).reshaped(to: [target.count])
        case .sparseCategoricalCrossentropy:
            let p = clamp(prediction, min: eps, max: 1 - eps)
            let idx = target.reshaped(to: [target.count, 1]).cast(to: .int64)
            return -log(p.gathering(axis: 1, indices: idx)).reshaped(to: [target.count])
        case .categoricalCrossentropy(let fromLogits, let s):
            var y = dense(target, like: prediction)
            if s > 0 { y = y * (1 - s) + s / Double(prediction.shape.last ?? 1) }
            let logP: Tensor
            if fromLogits {
                logP = prediction.logSoftmax(axis: -1)
            } else {
                let p = prediction / prediction.sum(alongAxis: -1, keepingDims: true)
                logP = log(clamp(p, min: eps, max: 1 - eps))
            }
            return Loss.sampleMean(-(y * logP).sum(alongAxis: -1))
        case .binaryCrossentropyFromLogits:
            return Loss.binaryCrossentropy(fromLogits: true).perSample(prediction, target)
        case .binaryCrossentropy(let fromLogits, let s):
            var z = dense(target, like: prediction)
            if s > 0 { z = z * (1 - s) + 0.5 * s }
            if fromLogits {
                return Loss.sampleMean(relu(prediction) - prediction * z + softplus(-abs(prediction)))
            }
            let p = clamp(prediction, min: eps, max: 1 - eps)
            return Loss.sampleMean(-(z * log(p) + (1 - z) * log(1 - p)))
        case .meanSquaredError:
            let d = prediction - dense(target, like: prediction)
            return Loss.sampleMean(d * d)
        case .meanAbsoluteError:
            return Loss.sampleMean(abs(prediction - dense(target, like: prediction)))
        case .meanAbsolutePercentageError:
            let y = dense(target, like: prediction)
            return Loss.sampleMean(abs(y - prediction) / clamp(abs(y), min: eps) * 100)
        case .meanSquaredLogarithmicError:
            let y = dense(target, like: prediction)
            let d = log(clamp(prediction, min: eps) + 1) - log(clamp(y, min: eps) + 1)
            return Loss.sampleMean(d * d)
        case .huber(let delta):
            let a = abs(prediction - dense(target, like: prediction))
            let q = clamp(a, max: delta)            // min(|e|, δ)
            return Loss.sampleMean(0.5 * q * q + delta * (a - q))
        case .logCosh:
            let x = prediction - dense(target, like: prediction)
            return Loss.sampleMean(x + softplus(-2 * x) - Foundation_log2)
        case .kullbackLeiblerDivergence:
            let y = clamp(dense(target, like: prediction), min: eps, max: 1)
            let p = clamp(prediction, min: eps, max: 1)
            return Loss.sampleMean((y * log(y / p)).sum(alongAxis: -1))
        case .hinge, .squaredHinge:
            let y = Loss.hingeLabels(dense(target, like: prediction))
            let h = relu(1 - y * prediction)
            return Loss.sampleMean(self == .hinge ? h : h * h)
        case .cosineSimilarity:
            let y = dense(target, like: prediction)
            let yn = y * rsqrt(clamp((y * y).sum(alongAxis: -1, keepingDims: true), min: 1e-12))
            let pn = prediction * rsqrt(clamp((prediction * prediction).sum(alongAxis: -1, keepingDims: true), min: 1e-12))
            return Loss.sampleMean(-(yn * pn).sum(alongAxis: -1))
        case .poisson:
            return Loss.sampleMean(prediction - dense(target, like: prediction) * log(prediction + eps))
        case .categoricalHinge:
            let y = dense(target, like: prediction)
            let pos = (y * prediction).sum(alongAxis: -1), neg = ((1 - y) * prediction).max(alongAxis: -1)
            return Loss.sampleMean(relu(neg - pos + 1))
        case .binaryFocalCrossentropy(let gamma, let alpha, let balance, let fromLogits, let s):
            var y = dense(target, like: prediction)
            if s > 0 { y = y * (1 - s) + 0.5 * s }
            let p = fromLogits ? sigmoid(prediction) : prediction
            let pc = clamp(p, min: eps, max: 1 - eps)
            let bce = -(y * log(pc) + (1 - y) * log(1 - pc))
            let pt = y * p + (1 - y) * (1 - p)
            var focal = pow(1 - pt, gamma) * bce
            if balance { focal = (y * alpha + (1 - y) * (1 - alpha)) * focal }
            return Loss.sampleMean(focal)
        case .categoricalFocalCrossentropy(let alpha, let gamma, let fromLogits, let s):
            var y = dense(target, like: prediction)
            if s > 0 { y = y * (1 - s) + s / Double(prediction.shape.last ?? 1) }
            let p = fromLogits ? prediction.softmax(axis: -1) : prediction
            let out = clamp(p / p.sum(alongAxis: -1, keepingDims: true), min: eps, max: 1 - eps)
            let focal = pow(1 - out, gamma) * alpha * (-y * log(out))
            return Loss.sampleMean(focal.sum(alongAxis: -1))
        case .ctc(let blank):
            precondition(prediction.rank == 3, "Loss.ctc: predictions must be logits [batch, time, classes], got \(prediction.shape)")
            let labels = target.rank == 1 ? target.reshaped(to: [target.count, 1]) : target
            let l = labels.shape[1], v = labels.detached().doubles.map { Int($0) }
            let lengths = (0..<labels.shape[0]).map { i in (0..<l).first { v[i * l + $0] == blank } ?? l }
            return ctcLoss(logits: prediction, labels: labels, labelLengths: lengths, blank: blank)
        case .dice(let axes?), .tversky(_, _, let axes?):
            precondition(!axes.contains(0), "Loss.\(self): axis 0 is the batch axis; nil sums over the whole batch")
            return Loss.sampleMean(overlapLoss(prediction, target))
        case .dice(nil), .tversky(_, _, nil):
            // One value for the batch, given to every sample (so sample weights scale it by their mean, as Keras).
            return overlapLoss(prediction, target).expanded(to: [prediction.shape.first ?? 1])
        case .circle(let gamma, let margin, let removeDiagonal):
            precondition(prediction.rank == 2, "Loss.circle: predictions must be embeddings [batch, features], got \(prediction.shape)")
            let n = prediction.shape[0]
            let labels = target.detached().doubles.map { Int($0) }
            precondition(labels.count == n, "Loss.circle: needs one integer label per embedding")
            var posMask = [Bool](repeating: false, count: n * n)
            for i in 0..<n { for j in 0..<n { posMask[i * n + j] = labels[i] == labels[j] && !(removeDiagonal && i == j) } }
            let negMask = (0..<(n * n)).map { labels[$0 / n] != labels[$0 % n] }
            let d = relu(1 - matmul(prediction, prediction.transposed()))
            let pos = Tensor(shape: [n, n], scalars: posMask), neg = Tensor(shape: [n, n], scalars: negMask)
            let zero = Tensor(0, dtype: d.dtype)
            let posWeights = relu(`where`(pos, margin + d, zero)), negWeights = relu(`where`(neg, 1 + margin - d, zero))
            let posTerms = -gamma * posWeights * (margin - d), negTerms = gamma * negWeights * (1 - margin - d)
            /// Row-wise log Σ exp over the mask (−∞ for an empty row), without NaN gradients there.
            func maskedLSE(_ v: Tensor, _ m: Tensor, _ any: [Bool]) -> Tensor {
                let masked = `where`(m, v, Tensor(-1e30, dtype: v.dtype))
                let lse = masked.logSumExp(alongAxes: [1])
                return `where`(Tensor(shape: [n], scalars: any), lse, Tensor(-Double.infinity, dtype: v.dtype))
            }
            let anyPos = (0..<n).map { i in (0..<n).contains { posMask[i * n + $0] } }
            let anyNeg = (0..<n).map { i in (0..<n).contains { negMask[i * n + $0] } }
            return softplus(maskedLSE(posTerms, pos, anyPos) + maskedLSE(negTerms, neg, anyNeg))
        case .categoricalGeneralizedCrossEntropy(let q):
            precondition(q > 0 && q <= 1, "Loss.categoricalGeneralizedCrossEntropy: q must be in (0, 1], got \(q)")
            let idx = target.reshaped(to: [target.count, 1]).cast(to: .int64)
            let p = prediction.gathering(axis: 1, indices: idx).reshaped(to: [target.count])
            return (1 - pow(p, q)) / q
        }
    }

    /// The target as a float tensor of the prediction's dtype and shape.
    private func dense(_ target: Tensor, like prediction: Tensor) -> Tensor {
        target.cast(to: prediction.dtype).reshaped(to: prediction.shape)
    }

    /// Mean over all non-batch axes: [N, …] → [N]; rank ≤ 1 is returned as is.
    static func sampleMean(_ x: Tensor) -> Tensor {
        x.rank <= 1 ? x : x.mean(alongAxes: Array(1..<x.rank))
    }

    /// Keras `convert_binary_labels_to_hinge`: 0/1 labels become −1/1 when all labels are 0 or 1.
    static func hingeLabels(_ y: Tensor) -> Tensor {
        let isBinary = y.detached().doubles.allSatisfy { $0 == 0 || $0 == 1 }
        return isBinary ? y * 2 - 1 : y
    }
}

private let Foundation_log2 = 0.6931471805599453

/// Keras `class_weight` as sample weights: each sample gets the weight of its class, 1 for a class
/// missing from `classWeights`. `target` holds integer labels ([N] or [N, 1]), one-hot rows
/// [N, C] with C > 1 (the arg-max is the class), or a single 0/1 column (rounded).
/// The result is a float64 tensor of shape [N].
public func classSampleWeights(_ target: Tensor, classWeights: [Int: Double]) -> Tensor {
    let n = target.shape.first ?? target.count
    let classes: [Int]
    if target.rank >= 2 && target.count / Swift.max(n, 1) > 1 {
        classes = target.reshaped(to: [n, target.count / n]).argmax(alongAxis: 1).doubles.map { Int($0) }
    } else {
        classes = target.doubles.map { Int($0.rounded()) }
    }
    return Tensor(shape: [classes.count], scalars: classes.map { classWeights[$0] ?? 1 })
}

/// Metrics reported by `fit` and `evaluate`.
public enum Metric: Hashable, Sendable {
    /// Fraction of samples whose arg-max prediction equals the integer label (or, for a single
    /// output column, whose prediction > 0.5 matches a 0/1 label).
    case accuracy
    case meanAbsoluteError
    case meanSquaredError

    public var name: String {
        switch self {
        case .accuracy: return "accuracy"
        case .meanAbsoluteError: return "mae"
        case .meanSquaredError: return "mse"
        }
    }

    /// The metric's sum over the batch (so that batches of different sizes average correctly).
    public func batchTotal(_ prediction: Tensor, _ target: Tensor) -> Double {
        switch self {
        case .accuracy:
            if prediction.rank == 2 && prediction.shape[1] > 1 {
                let p = prediction.argmax(alongAxis: 1)
                return (p .== target.cast(to: .int64).reshaped(to: p.shape)).cast(to: .float64).sum().item
            }
            let p = (prediction.reshaped(to: [prediction.count]) .> 0.5)
            return (p .== (target.reshaped(to: [target.count]) .> 0.5)).cast(to: .float64).sum().item
        case .meanAbsoluteError:
            return abs(prediction - target.cast(to: prediction.dtype).reshaped(to: prediction.shape)).cast(to: .float64).sum().item
                / Double(Swift.max(prediction.count / Swift.max(prediction.shape.first ?? 1, 1), 1))
        case .meanSquaredError:
            let d = prediction - target.cast(to: prediction.dtype).reshaped(to: prediction.shape)
            return (d * d).cast(to: .float64).sum().item / Double(Swift.max(prediction.count / Swift.max(prediction.shape.first ?? 1, 1), 1))
        }
    }
}
