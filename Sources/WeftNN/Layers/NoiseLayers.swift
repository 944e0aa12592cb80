import Weft

/// Adds zero-mean Gaussian noise with standard deviation `stddev`, in training mode only
/// (Keras `GaussianNoise`). Seeded through `generator`.
public final class GaussianNoise: Layer {
    public let stddev: Double
    public let generator: RandomGenerator

    public init(_ stddev: Double, generator: RandomGenerator = .global) {
        precondition(stddev >= 0, "GaussianNoise: stddev must be non-negative, got \(stddev)")
        self.stddev = stddev
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape { s }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard LearningPhase.isTraining, stddev > 0 else { return x }
        return x + Tensor.randomNormal(x.shape, std: stddev, dtype: x.dtype, generator: generator)
    }
}

/// Drops whole channels of NCHW input, in training mode only (Keras `SpatialDropout2D`): each
/// (sample, channel) map is zeroed with probability `rate`, the rest scaled by 1/(1−rate).
public final class SpatialDropout2D: Layer {
    public let rate: Double
    public let generator: RandomGenerator

    public init(_ rate: Double, generator: RandomGenerator = .global) {
        precondition(rate >= 0 && rate < 1, "SpatialDropout2D: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3 else { throw ShapeError(layer: "SpatialDropout2D", "expects per-sample input [channels, height, width], got \(s)") }
        return s
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "SpatialDropout2D: expects NCHW input, got \(x.shape)")
        guard LearningPhase.isTraining, rate > 0 else { return x }
        let ones = Tensor.ones([x.shape[0], x.shape[1], 1, 1], dtype: x.dtype)
        let mask = withoutGradient { dropout(ones, rate: rate, training: true, generator: generator) }
        return x * mask
    }
}
