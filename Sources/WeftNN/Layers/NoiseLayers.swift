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
/// (sample, channel) is zeroed with probability `rate`, the rest scaled by 1/(1−rate). The
/// SpatialDropout1D/2D/3D layers differ only in the input rank they accept.
public class SpatialDropoutLayer: Layer {
    public let rate: Double
    public let generator: RandomGenerator
    let spatialRank: Int
    let expected: String

    init(_ rate: Double, generator: RandomGenerator, spatialRank: Int, expected: String) {
        self.rate = rate
        self.generator = generator
        self.spatialRank = spatialRank
        self.expected = expected
        precondition(rate >= 0 && rate < 1, "\(typeName): rate must be in [0, 1), got \(rate)")
    }
    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == spatialRank + 1 else { throw ShapeError(layer: typeName, "expects per-sample input \(expected), got \(s)") }
        return s
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == spatialRank + 2, "\(typeName): expects input [N] + \(expected), got \(x.shape)")
        guard LearningPhase.isTraining, rate > 0 else { return x }
        let ones = Tensor.ones([x.shape[0], x.shape[1]] + [Int](repeating: 1, count: spatialRank), dtype: x.dtype)
        let mask = withoutGradient { dropout(ones, rate: rate, training: true, generator: generator) }
        return x * mask
    }
}

/// Keras `SpatialDropout1D` on [N, C, L] (channels-first, as Weft's `Conv1D`).
public final class SpatialDropout1D: SpatialDropoutLayer {
    public init(_ rate: Double, generator: RandomGenerator = .global) {
        super.init(rate, generator: generator, spatialRank: 1, expected: "[channels, length]")
    }
}

/// Keras `SpatialDropout2D` on NCHW input.
public final class SpatialDropout2D: SpatialDropoutLayer {
    public init(_ rate: Double, generator: RandomGenerator = .global) {
        super.init(rate, generator: generator, spatialRank: 2, expected: "[channels, height, width]")
    }
}

/// Keras `SpatialDropout3D` on [N, C, D, H, W].
public final class SpatialDropout3D: SpatialDropoutLayer {
    public init(_ rate: Double, generator: RandomGenerator = .global) {
        super.init(rate, generator: generator, spatialRank: 3, expected: "[channels, depth, height, width]")
    }
}
