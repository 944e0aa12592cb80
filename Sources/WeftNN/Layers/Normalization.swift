import Weft

/// Normalises over every axis except `axis` (Keras `BatchNormalization`). `axis` counts the
/// batch dimension, so the default 1 is the channel axis of NCHW input and the feature axis of
/// [N, F] input; negative values count from the end.
///
/// Training mode normalises with the batch mean and (biased) variance and updates
/// `movingMean`/`movingVariance` as Keras does: `moving = moving·momentum + batch·(1−momentum)`.
/// Inference mode normalises with the moving statistics and leaves them unchanged.
public final class BatchNormalization: Layer {
    public let axis: Int
    public let momentum: Double
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public var gamma: Parameter?
    public var beta: Parameter?
    /// Non-trainable (`trainable == false`).
    public var movingMean: Parameter?
    public var movingVariance: Parameter?

    public init(axis: Int = 1, momentum: Double = 0.99, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true) {
        precondition(axis != 0, "BatchNormalization: axis 0 is the batch axis")
        precondition(epsilon > 0, "BatchNormalization: epsilon must be positive, got \(epsilon)")
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
    }

    /// The axis of the full (batched) tensor of rank `rank`, or nil when out of range.
    func fullAxis(rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return (a >= 1 && a < rank) ? a : nil
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard let a = fullAxis(rank: s.count + 1) else {
            throw ShapeError(layer: "BatchNormalization", "axis \(axis) is out of range for input shape \(s)")
        }
        let c = s[a - 1]
        if let m = movingMean {
            guard m.value.shape == [c] else {
                throw ShapeError(layer: "BatchNormalization", "input shape \(s) has \(c) features on axis \(axis), but the layer was built for \(m.value.shape[0])")
            }
            return s
        }
        if scale { gamma = Parameter(.ones([c])) }
        if center { beta = Parameter(.zeros([c])) }
        movingMean = Parameter(.zeros([c]), trainable: false)
        movingVariance = Parameter(.ones([c]), trainable: false)
        return s
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if movingMean == nil { ensureBuilt(self, x) }
        guard let a = fullAxis(rank: x.rank) else { preconditionFailure("BatchNormalization: axis \(axis) is out of range for input shape \(x.shape)") }
        var bshape = Shape(repeating: 1, count: x.rank)
        bshape[a] = x.shape[a]
        let reduce = (0..<x.rank).filter { $0 != a }
        let mean: Tensor, variance: Tensor
        if LearningPhase.isTraining {
            mean = x.mean(alongAxes: reduce, keepingDims: true)
            variance = x.variance(alongAxes: reduce, keepingDims: true)
            withoutGradient {
                let mm = movingMean!, mv = movingVariance!
                let bm = mean.detached().reshaped(to: [x.shape[a]]).cast(to: mm.value.dtype)
                let bv = variance.detached().reshaped(to: [x.shape[a]]).cast(to: mv.value.dtype)
                mm.value = mm.value * momentum + bm * (1 - momentum)
                mv.value = mv.value * momentum + bv * (1 - momentum)
            }
        } else {
            mean = movingMean!.value.reshaped(to: bshape)
            variance = movingVariance!.value.reshaped(to: bshape)
        }
        var y = (x - mean) * rsqrt(variance + epsilon)
        if let g = gamma { y = y * g.value.reshaped(to: bshape) }
        if let b = beta { y = y + b.value.reshaped(to: bshape) }
        return y
    }
}

/// Normalises each sample over the last axis (Keras `LayerNormalization`, axis −1), then
/// applies the per-feature `gamma` and `beta`.
public final class LayerNormalization: Layer {
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public var gamma: Parameter?
    public var beta: Parameter?
    var features: Int?

    public init(epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true) {
        precondition(epsilon > 0, "LayerNormalization: epsilon must be positive, got \(epsilon)")
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard let f = s.last else {
            throw ShapeError(layer: "LayerNormalization", "needs an input with a feature dimension, got \(s)")
        }
        if let built = features {
            guard built == f else {
                throw ShapeError(layer: "LayerNormalization", "input shape \(s) has last dimension \(f), but the layer was built for \(built)")
            }
            return s
        }
        features = f
        if scale { gamma = Parameter(.ones([f])) }
        if center { beta = Parameter(.zeros([f])) }
        return s
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if features == nil { ensureBuilt(self, x) }
        let mean = x.mean(alongAxes: [-1], keepingDims: true)
        let variance = x.variance(alongAxes: [-1], keepingDims: true)
        var y = (x - mean) * rsqrt(variance + epsilon)
        if let g = gamma { y = y * g.value }
        if let b = beta { y = y + b.value }
        return y
    }
}
