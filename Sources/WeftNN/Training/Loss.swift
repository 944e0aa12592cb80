import Weft

/// Loss functions by their Keras meaning. Each returns the mean over the batch.
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
        }
    }
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
