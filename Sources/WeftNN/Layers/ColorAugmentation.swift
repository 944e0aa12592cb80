import Weft

// Keras's colour augmentations that work per image on channels-first [N, C, H, W] images in a
// `valueRange`: RandomColorDegeneration, RandomPosterization, RandomSharpness (training only,
// one draw per image) and AutoContrast (always).

/// `x` as floats (the layers compute in the input's float type, or the default one).
private func floats(_ x: Tensor) -> Tensor { x.dtype.isFloatingPoint ? x.detached() : x.cast(to: TensorDefaults.floatType) }

/// A per-image column [N, 1, 1, 1] of `values`.
private func perImage(_ values: [Double], like x: Tensor) -> Tensor {
    Tensor(shape: [values.count, 1, 1, 1], scalars: values).cast(to: x.dtype)
}

/// Keras `RandomColorDegeneration`: each image moves towards its grayscale version,
/// x + k·(gray − x), with k drawn per image from `factor` ([0, 1]; one number f: 0…f), clipped
/// to `valueRange`.
public final class RandomColorDegeneration: RandomImageLayer {
    public let factor: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        precondition(factor.upper <= 1 && (factor.isScalar || factor.lower >= 0), "RandomColorDegeneration: the factor must lie in [0, 1]")
        self.factor = factor
        self.valueRange = (Swift.min(valueRange.0, valueRange.1), Swift.max(valueRange.0, valueRange.1))
        self.generator = generator
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (lo, hi) = RandomShear.magnitudes(factor)
        let y = floats(x), k = perImage(draws(n, lo, hi), like: y)
        return clamp(y + k * (luma(y) - y), min: valueRange.0, max: valueRange.1)
    }
}

/// Keras `RandomPosterization`: on the 0…255 scale of `valueRange`, each value (truncated to an
/// integer) keeps its `bits` highest bits. `bits` is one number (always that many) or a range
/// [lower, upper] drawn per image; 1…8.
public final class RandomPosterization: RandomImageLayer {
    public let bits: ClosedRange<Int>
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    public init(bits: ClosedRange<Int>, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        precondition(bits.lowerBound >= 1 && bits.upperBound <= 8, "RandomPosterization: bits must lie in 1…8, got \(bits)")
        self.bits = bits
        self.valueRange = (Swift.min(valueRange.0, valueRange.1), Swift.max(valueRange.0, valueRange.1))
        self.generator = generator
    }
    public convenience init(bits: Int, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        self.init(bits: bits...bits, valueRange: valueRange, generator: generator)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let keep: [Int] = bits.count == 1 ? [Int](repeating: bits.lowerBound, count: n)
            : draws(n, Double(bits.lowerBound), Double(bits.upperBound) + 1).map { Swift.min(Int($0), bits.upperBound) }
        let y = floats(x), v = y.doubles, per = v.count / Swift.max(n, 1)
        let lo = valueRange.0, width = valueRange.1 - valueRange.0
        var out = v
        for i in 0..<v.count {
            let shift = UInt8(8 - keep[i / per])
            let byte = UInt8(Swift.min(Swift.max(((v[i] - lo) * 255 / width).rounded(.towardZero), 0), 255))
            out[i] = Double((byte >> shift) << shift) * width / 255 + lo
        }
        return Tensor(shape: y.shape, scalars: out).cast(to: y.dtype)
    }
}

/// Keras `RandomSharpness`: each image blends with its smoothed version (3×3 kernel 1/13 around
/// 5/13, zero padding): x + (1 − 2s)·(smooth − x), s drawn per image from `factor` ([0, 1]; one
/// number f: 0…f; s = ½ leaves the image, 0 blurs, 1 sharpens), clipped to `valueRange`.
public final class RandomSharpness: RandomImageLayer {
    public let factor: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        precondition(factor.upper <= 1 && (factor.isScalar || factor.lower >= 0), "RandomSharpness: the factor must lie in [0, 1]")
        self.factor = factor
        self.valueRange = (Swift.min(valueRange.0, valueRange.1), Swift.max(valueRange.0, valueRange.1))
        self.generator = generator
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, h, w) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (lo, hi) = RandomShear.magnitudes(factor)
        let y = floats(x), v = y.doubles, planes = v.count / Swift.max(h * w, 1)
        let a = 1.0 / 13, b = 5.0 / 13
        var smooth = [Double](repeating: 0, count: v.count)
        for p in 0..<planes {
            let base = p * h * w
            for r in 0..<h {
                for c in 0..<w {
                    var s = 0.0
                    for dr in -1...1 {
                        for dc in -1...1 {
                            let rr = r + dr, cc = c + dc
                            guard rr >= 0 && rr < h && cc >= 0 && cc < w else { continue }
                            s += (dr == 0 && dc == 0 ? b : a) * v[base + rr * w + cc]
                        }
                    }
                    smooth[base + r * w + c] = s
                }
            }
        }
        let k = perImage(draws(n, lo, hi).map { 1 - 2 * $0 }, like: y)
        let sm = Tensor(shape: y.shape, scalars: smooth).cast(to: y.dtype)
        return clamp(y + k * (sm - y), min: valueRange.0, max: valueRange.1)
    }
}

/// Keras `AutoContrast`: each channel of each image is stretched so that its minimum and maximum
/// span `valueRange` (a constant channel is left as it is). Deterministic: it runs in inference too.
public final class AutoContrast: Layer {
    public let valueRange: (Double, Double)
    public init(valueRange: (Double, Double) = (0, 255)) {
        self.valueRange = (Swift.min(valueRange.0, valueRange.1), Swift.max(valueRange.0, valueRange.1))
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("AutoContrast", s)
        return s
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "AutoContrast: expects [N, C, H, W] images, got \(x.shape)")
        let y = floats(x)
        let lo = y.min(alongAxes: [2, 3], keepingDims: true), hi = y.max(alongAxes: [2, 3], keepingDims: true)
        let span = hi - lo
        let flat = span .== Tensor(0, dtype: span.dtype)
        let stretched = (y - lo) / `where`(flat, Tensor(1, dtype: span.dtype), span) * (valueRange.1 - valueRange.0) + valueRange.0
        return `where`(flat.expanded(to: y.shape), y, clamp(stretched, min: valueRange.0, max: valueRange.1))
    }
}
