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

/// Multiplies by Gaussian noise of mean 1 and standard deviation √(rate/(1−rate)), in training
/// mode only (Keras `GaussianDropout`).
public final class GaussianDropout: Layer {
    public let rate: Double
    public let generator: RandomGenerator

    public init(_ rate: Double, generator: RandomGenerator = .global) {
        precondition(rate >= 0 && rate < 1, "GaussianDropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape { s }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard LearningPhase.isTraining, rate > 0 else { return x }
        let noise = Tensor.randomNormal(x.shape, mean: 1, std: (rate / (1 - rate)).squareRoot(), dtype: x.dtype, generator: generator)
        return x * noise
    }
}

/// Keras `AlphaDropout` (for SELU networks), in training mode only: a dropped element becomes
/// α′ = −λα (SELU's negative saturation), then a·x + b restores the mean and variance, with
/// a = ((1 − rate)(1 + rate·α′²))^−½ and b = −a·α′·rate.
public final class AlphaDropout: Layer {
    public let rate: Double
    public let generator: RandomGenerator

    public init(_ rate: Double, generator: RandomGenerator = .global) {
        precondition(rate >= 0 && rate < 1, "AlphaDropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape { s }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard LearningPhase.isTraining, rate > 0 else { return x }
        let alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
        // 0/1 keep mask from the dropout generator (dropout of ones gives 0 or 1/(1 − rate)).
        let kept = withoutGradient { dropout(Tensor.ones(x.shape, dtype: x.dtype), rate: rate, training: true, generator: generator) * (1 - rate) }
        let a = 1 / ((1 - rate) * (1 + rate * alphaP * alphaP)).squareRoot()
        let b = -a * alphaP * rate
        return (x * kept + (1 - kept) * alphaP) * a + b
    }
}

/// Drops whole channels of channels-first input ([N, C, spatial…]), in training mode only: each
/// (sample, channel) is zeroed with probability `rate`, the rest scaled by 1/(1−rate).
func spatialDropout(_ x: Tensor, rate: Double, generator: RandomGenerator) -> Tensor {
    guard LearningPhase.isTraining, rate > 0 else { return x }
    let ones = Tensor.ones([x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2), dtype: x.dtype)
    let mask = withoutGradient { dropout(ones, rate: rate, training: true, generator: generator) }
    return x * mask
}

/// Drops whole channels of [N, C, L] input (Keras `SpatialDropout1D`, channels-first as Weft's
/// `Conv1D`), in training mode only.
public final class SpatialDropout1D: Layer {
    public let rate: Double
    public let generator: RandomGenerator

    public init(_ rate: Double, generator: RandomGenerator = .global) {
        precondition(rate >= 0 && rate < 1, "SpatialDropout1D: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 2 else { throw ShapeError(layer: "SpatialDropout1D", "expects per-sample input [channels, length], got \(s)") }
        return s
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "SpatialDropout1D: expects [N, C, L] input, got \(x.shape)")
        return spatialDropout(x, rate: rate, generator: generator)
    }
}

/// Drops whole channels of [N, C, D, H, W] input (Keras `SpatialDropout3D`), in training mode only.
public final class SpatialDropout3D: Layer {
    public let rate: Double
    public let generator: RandomGenerator

    public init(_ rate: Double, generator: RandomGenerator = .global) {
        precondition(rate >= 0 && rate < 1, "SpatialDropout3D: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 4 else { throw ShapeError(layer: "SpatialDropout3D", "expects per-sample input [channels, depth, height, width], got \(s)") }
        return s
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 5, "SpatialDropout3D: expects [N, C, D, H, W] input, got \(x.shape)")
        return spatialDropout(x, rate: rate, generator: generator)
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
        return spatialDropout(x, rate: rate, generator: generator)
    }
}
