import Foundation
import Weft

// Keras's colour augmentations that work per image on channels-first [N, C, H, W] images in a
// `valueRange`: RandomColorDegeneration, RandomPosterization, RandomSharpness (training only,
// one draw per image) and AutoContrast (always).

/// `x` as floats (the layers compute in the input's float type, or the default one).

/// The colour layers' shared settings: a factor within [0, 1] (one number f: 0…f), the value
/// range of the images, the generator of the per-image draws.
public class UnitFactorImageLayer: RandomImageLayer {
    public let factor: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    init(_ name: String, factor: AugmentationFactor, valueRange: (Double, Double), generator: RandomGenerator) {
        precondition(factor.isWithinUnitRange, "\(name): the factor must lie in [0, 1]")
        self.factor = factor
        self.valueRange = sortedRange(valueRange)
        self.generator = generator
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { preconditionFailure("\(typeName) must override callAsFunction") }
}

/// A per-image column [N, 1, 1, 1] of `values`.
private func perImage(_ values: [Double], like x: Tensor) -> Tensor {
    Tensor(shape: [values.count, 1, 1, 1], scalars: values).cast(to: x.dtype)
}

/// Keras `RandomColorDegeneration`: each image moves towards its grayscale version,
/// x + k·(gray − x), with k drawn per image from `factor` ([0, 1]; one number f: 0…f), clipped
/// to `valueRange`.
public final class RandomColorDegeneration: UnitFactorImageLayer {
    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        super.init("RandomColorDegeneration", factor: factor, valueRange: valueRange, generator: generator)
    }
    override public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (lo, hi) = factor.magnitudes
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
        self.valueRange = sortedRange(valueRange)
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
public final class RandomSharpness: UnitFactorImageLayer {
    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        super.init("RandomSharpness", factor: factor, valueRange: valueRange, generator: generator)
    }
    override public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, h, w) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (lo, hi) = factor.magnitudes
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
        self.valueRange = sortedRange(valueRange)
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

/// The normalised 1-D Gaussian of `size` taps.
func gaussianTaps(_ size: Int, _ sigma: Double) -> [Double] {
    let c = Double(size - 1) / 2
    let g = (0..<size).map { Foundation.exp(-0.5 * Foundation.pow((Double($0) - c) / sigma, 2)) }
    let total = g.reduce(0, +)
    return g.map { $0 / total }
}

/// Planes [planes × height × width] blurred by a size² Gaussian (row and column σ, zero padding,
/// Keras's `gaussian_blur`); planes for which `apply` is false are returned as they are.
func gaussianBlurred(_ v: [Double], planes: Int, height h: Int, width w: Int, kernelSize: Int, sigmaRows: Double, sigmaColumns: Double,
                     apply: (Int) -> Bool = { _ in true }) -> [Double] {
    let rows = gaussianTaps(kernelSize, sigmaRows), cols = gaussianTaps(kernelSize, sigmaColumns), r = kernelSize / 2
    var out = v
    for plane in 0..<planes where apply(plane) {
        let base = plane * h * w
        for i in 0..<h {
            for j in 0..<w {
                var acc = 0.0
                for a in 0..<kernelSize {
                    let ii = i + a - r
                    guard ii >= 0 && ii < h else { continue }
                    for b in 0..<kernelSize {
                        let jj = j + b - r
                        guard jj >= 0 && jj < w else { continue }
                        acc += rows[a] * cols[b] * v[base + ii * w + jj]
                    }
                }
                out[base + i * w + j] = acc
            }
        }
    }
    return out
}

/// Keras `RandomGaussianBlur`: each image is blurred, with a probability drawn per image from
/// `factor` ([0, 1]; one number f: 0…f), by a `kernelSize`² Gaussian (odd size, zero padding,
/// per channel) whose row and column σ are drawn once per batch from `sigma` (one number s:
/// 0…s; plus 1e-6), then clipped to `valueRange`.
public final class RandomGaussianBlur: RandomImageLayer {
    public let factor: AugmentationFactor
    public let kernelSize: Int
    public let sigma: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    public init(factor: AugmentationFactor = 1, kernelSize: Int = 3, sigma: AugmentationFactor = 1, valueRange: (Double, Double) = (0, 255),
                generator: RandomGenerator = .global) {
        precondition(kernelSize > 0 && kernelSize % 2 == 1, "RandomGaussianBlur: kernelSize must be odd, got \(kernelSize)")
        precondition(factor.isWithinUnitRange, "RandomGaussianBlur: the factor must lie in [0, 1]")
        precondition(sigma.isScalar ? sigma.upper > 0 : sigma.lower >= 0, "RandomGaussianBlur: sigma must be positive")
        self.factor = factor
        self.kernelSize = kernelSize
        self.sigma = sigma
        self.valueRange = sortedRange(valueRange)
        self.generator = generator
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, h, w) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (plo, phi) = factor.magnitudes, (slo, shi) = sigma.magnitudes
        let p = draws(n, plo, phi), u = draws(n, 0, 1)
        let s = Tensor.randomUniform([2], low: slo, high: shi, dtype: .float64, generator: generator).doubles.map { $0 + 1e-6 }
        let y = floats(x), v = y.doubles, planes = v.count / Swift.max(h * w, 1), perImage = planes / Swift.max(n, 1)
        let blurred = gaussianBlurred(v, planes: planes, height: h, width: w, kernelSize: kernelSize, sigmaRows: s[1], sigmaColumns: s[0]) {
            u[$0 / perImage] < p[$0 / perImage]
        }
        let out = blurred.map { Swift.min(Swift.max($0, valueRange.0), valueRange.1) }
        // Images left unblurred are clipped too, as Keras clips the whole batch.
        return clamp(Tensor(shape: y.shape, scalars: out).cast(to: y.dtype), min: valueRange.0, max: valueRange.1)
    }
}

/// Keras `RandomErasing` (Zhong et al.): with a probability drawn per image from `factor`
/// ([0, 1]; one number f: 0…f), a box is replaced by `fillValue` (nil: Gaussian noise times the
/// top of `valueRange`). The box's width and height are √(a draw of `scale`) times the image's,
/// at a uniform position (continuous coordinates; pixels whose index lies in [x₀, x₁) × [y₀, y₁)).
public final class RandomErasing: RandomImageLayer {
    public let factor: AugmentationFactor
    public let scale: AugmentationFactor
    public let fillValue: Double?
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    public init(factor: AugmentationFactor = 1, scale: AugmentationFactor = [0.02, 0.33], fillValue: Double? = nil,
                valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        precondition(factor.isWithinUnitRange, "RandomErasing: the factor must lie in [0, 1]")
        precondition(scale.isWithinUnitRange, "RandomErasing: the scale must lie in [0, 1]")
        self.factor = factor
        self.scale = scale
        self.fillValue = fillValue
        self.valueRange = sortedRange(valueRange)
        self.generator = generator
    }

    /// The erased batch and each image's box (x₀, x₁, y₀, y₁), nil where none was erased.
    func erase(_ x: Tensor) -> (Tensor, [(Double, Double, Double, Double)?]) {
        let (n, h, w) = checked(x)
        let (alo, ahi) = scale.magnitudes, (plo, phi) = factor.magnitudes
        let area = draws(2 * n, alo, ahi).map { $0.squareRoot() }
        let ux = draws(n, 0, 1), uy = draws(n, 0, 1), p = draws(n, plo, phi), u = draws(n, 0, 1)
        let y = floats(x)
        let fill = fillValue.map { Tensor.full(y.shape, value: $0, dtype: .float64).doubles }
            ?? (Tensor.randomNormal(y.shape, dtype: .float64, generator: generator) * valueRange.1).doubles
        var out = y.doubles
        let per = out.count / Swift.max(n, 1), planes = per / Swift.max(h * w, 1)
        var boxes: [(Double, Double, Double, Double)?] = []
        for i in 0..<n {
            guard u[i] < p[i] else { boxes.append(nil); continue }
            let cw = area[2 * i] * Double(w), ch = area[2 * i + 1] * Double(h)
            let x0 = ux[i] * (Double(w) - cw), y0 = uy[i] * (Double(h) - ch)
            let box = (x0, x0 + cw, y0, y0 + ch)
            boxes.append(box)
            for c in 0..<planes {
                for r in 0..<h where Double(r) >= box.2 && Double(r) < box.3 {
                    for q in 0..<w where Double(q) >= box.0 && Double(q) < box.1 {
                        let k = i * per + (c * h + r) * w + q
                        out[k] = fill[k]
                    }
                }
            }
        }
        return (Tensor(shape: y.shape, scalars: out).cast(to: y.dtype), boxes)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        _ = checked(x)
        guard LearningPhase.isTraining else { return x }
        return erase(x).0
    }
}

/// RGB [N, 3, H, W] → HSV (hue in [0, 1), saturation, value on the input's scale), Keras's
/// (dm_pix's) formulas.
func rgbToHSV(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4 && x.shape[1] == 3, "rgbToHSV: expects RGB [N, 3, H, W] images, got \(x.shape)")
    let v = x.doubles, plane = x.shape[2] * x.shape[3], n = x.shape[0]
    var out = v
    for i in 0..<n {
        let base = i * 3 * plane
        for k in 0..<plane {
            func clean(_ t: Double) -> Double { Swift.abs(t) < Double.ulpOfOne ? 0 : t }
            let r = clean(v[base + k]), g = clean(v[base + plane + k]), b = clean(v[base + 2 * plane + k])
            let value = Swift.max(r, g, b), range = value - Swift.min(r, g, b)
            let saturation = value > 0 ? range / value : 0
            let norm = 1 / (6 * (range > 0 ? range : 1))
            var hue = value == g ? norm * (b - r) + 2.0 / 6 : norm * (r - g) + 4.0 / 6
            if value == r { hue = norm * (g - b) }
            hue = (range > 0 ? hue : 0) + (hue < 0 ? 1 : 0)
            out[base + k] = hue; out[base + plane + k] = saturation; out[base + 2 * plane + k] = value
        }
    }
    return Tensor(shape: x.shape, scalars: out).cast(to: x.dtype)
}

/// HSV → RGB, the inverse of ``rgbToHSV(_:)``.
func hsvToRGB(_ x: Tensor) -> Tensor {
    let v = x.doubles, plane = x.shape[2] * x.shape[3], n = x.shape[0]
    var out = v
    for i in 0..<n {
        let base = i * 3 * plane
        for k in 0..<plane {
            let h = v[base + k], s = v[base + plane + k], value = v[base + 2 * plane + k]
            let dh = (h - (h / 1).rounded(.down)) * 6
            let dr = Swift.min(Swift.max(Swift.abs(dh - 3) - 1, 0), 1)
            let dg = Swift.min(Swift.max(2 - Swift.abs(dh - 2), 0), 1)
            let db = Swift.min(Swift.max(2 - Swift.abs(dh - 4), 0), 1)
            out[base + k] = value * (1 - s + s * dr)
            out[base + plane + k] = value * (1 - s + s * dg)
            out[base + 2 * plane + k] = value * (1 - s + s * db)
        }
    }
    return Tensor(shape: x.shape, scalars: out).cast(to: x.dtype)
}

/// Keras `RandomSaturation`: each RGB image's saturation is scaled by k/(1 − k + 1e-7), k drawn
/// per image from `factor` ([0, 1]; one number f: 0…f; k = ½ keeps the image, 0 makes it gray),
/// capped at 1 (Keras clips it to the value range, which only differs from 1 for ranges other
/// than 0…1).
public final class RandomSaturation: UnitFactorImageLayer {
    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        super.init("RandomSaturation", factor: factor, valueRange: valueRange, generator: generator)
    }
    override public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, h, w) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (lo, hi) = factor.magnitudes
        let k = draws(n, lo, hi).map { $0 / (1 - $0 + 1e-7) }
        var hsv = rgbToHSV(floats(x)).doubles
        let plane = h * w
        for i in 0..<n { for p in 0..<plane { let j = (i * 3 + 1) * plane + p; hsv[j] = Swift.min(Swift.max(hsv[j] * k[i], 0), 1) } }
        return hsvToRGB(Tensor(shape: x.shape, scalars: hsv)).cast(to: floats(x).dtype)
    }
}

/// Keras `RandomHue`: each RGB image's hue turns by ±½·k (k drawn per image from `factor`,
/// [0, 1]; one number f: 0…f; the sign random), wrapping around, on the 0…1 scale of `valueRange`.
public final class RandomHue: UnitFactorImageLayer {
    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        super.init("RandomHue", factor: factor, valueRange: valueRange, generator: generator)
    }
    override public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, h, w) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let sign = draws(n, 0, 1).map { $0 > 0.5 ? -1.0 : 1.0 }
        let (lo, hi) = factor.magnitudes
        let shift = zip(sign, draws(n, lo, hi)).map { $0 * $1 * 0.5 }
        let y = floats(x), width = valueRange.1 - valueRange.0
        var hsv = rgbToHSV((y - valueRange.0) / width).doubles
        let plane = h * w
        for i in 0..<n {
            for p in 0..<plane {
                var hue = hsv[i * 3 * plane + p] + shift[i]
                if hue > 1 { hue -= 1 }
                if hue < 0 { hue += 1 }
                hsv[i * 3 * plane + p] = hue
            }
        }
        return hsvToRGB(Tensor(shape: x.shape, scalars: hsv)).cast(to: y.dtype) * width + valueRange.0
    }
}

/// Keras `RandomColorJitter`: RandomBrightness, RandomContrast, RandomSaturation and RandomHue
/// in that order, each only when its factor is given.
public final class RandomColorJitter: Layer {
    public let brightness: RandomBrightness?
    public let contrast: RandomContrast?
    public let saturation: RandomSaturation?
    public let hue: RandomHue?
    public init(valueRange: (Double, Double) = (0, 255), brightnessFactor: AugmentationFactor? = nil, contrastFactor: AugmentationFactor? = nil,
                saturationFactor: AugmentationFactor? = nil, hueFactor: AugmentationFactor? = nil, generator: RandomGenerator = .global) {
        brightness = brightnessFactor.map { RandomBrightness(factor: $0, valueRange: valueRange, generator: generator) }
        contrast = contrastFactor.map { RandomContrast(factor: $0, valueRange: valueRange, generator: generator) }
        saturation = saturationFactor.map { RandomSaturation(factor: $0, valueRange: valueRange, generator: generator) }
        hue = hueFactor.map { RandomHue(factor: $0, valueRange: valueRange, generator: generator) }
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("RandomColorJitter", s)
        return s
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var y = x
        if let b = brightness { y = b(y) }
        if let c = contrast { y = c(y) }
        if let s = saturation { y = s(y) }
        if let h = hue { y = h(y) }
        return y
    }
}

/// Keras `Equalization` (histogram equalization): per image and channel, on the 0…255 scale of
/// `valueRange`, values are binned into `bins` bins and mapped through the rounded, normalised
/// cumulative histogram (a channel with one occupied bin is left as it is). Training only, as
/// Keras. Keras 3.15.1 builds one histogram per channel over the whole batch; Weft's is per image
/// (PIL's and torchvision's `equalize`; the same for a batch of one).
public final class Equalization: RandomImageLayer {
    public let bins: Int
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator = .global
    public init(valueRange: (Double, Double) = (0, 255), bins: Int = 256) {
        precondition(bins > 1, "Equalization: needs at least 2 bins, got \(bins)")
        self.bins = bins
        self.valueRange = sortedRange(valueRange)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (_, h, w) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let y = floats(x), lo = valueRange.0, width = valueRange.1 - valueRange.0, plane = h * w
        var v = y.doubles
        let nb = Double(bins - 1)
        for start in stride(from: 0, to: v.count, by: Swift.max(plane, 1)) {
            let c = (start..<(start + plane)).map { (v[$0] - lo) * 255 / width }
            var hist = [Int](repeating: 0, count: bins)
            for t in c { hist[Swift.min(Swift.max(Int((t * nb / 255).rounded(.towardZero)), 0), bins - 1)] += 1 }
            guard hist.filter({ $0 > 0 }).count > 1 else { continue }
            var cdf = hist
            for k in 1..<bins { cdf[k] += cdf[k - 1] }
            let cdfMin = cdf.first { $0 > 0 }!
            let denominator = cdf[bins - 1] - cdfMin == 0 ? 1 : cdf[bins - 1] - cdfMin
            let lut = cdf.map { Swift.min(Swift.max((Double(($0 - cdfMin) * 255) / Double(denominator)).rounded(.toNearestOrEven), 0), 255) }
            for (k, t) in c.enumerated() {
                let index = Int(Swift.min(Swift.max(t / 255 * nb, 0), nb))
                v[start + k] = lut[index] * width / 255 + lo
            }
        }
        return Tensor(shape: y.shape, scalars: v).cast(to: y.dtype)
    }
}

/// Keras `RandAugment` (Cubuk et al.): in training, `numOps` augmentations drawn (with
/// replacement, once per batch) from shear, translation, rotation, brightness, colour
/// degeneration, contrast, sharpness, posterization (max(1, ⌊8·upper⌋) bits), solarization,
/// auto-contrast and equalization, each built with the factor range [lower, upper] of `factor`
/// (one number f: 0…f), applied in the order drawn.
public final class RandAugment: Layer {
    public let numOps: Int
    public let factor: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    /// The candidate augmentations, in Keras's order.
    public let augmentations: [any Layer]

    public init(valueRange: (Double, Double) = (0, 255), numOps: Int = 2, factor: AugmentationFactor = 0.5,
                interpolation: Interpolation = .bilinear, generator: RandomGenerator = .global) {
        precondition(numOps > 0, "RandAugment: numOps must be positive")
        precondition(factor.isWithinUnitRange, "RandAugment: the factor must lie in [0, 1]")
        let (lo, hi) = factor.magnitudes
        let f = AugmentationFactor(lo, hi)
        self.numOps = numOps
        self.factor = factor
        self.valueRange = valueRange
        self.generator = generator
        augmentations = [
            RandomShear(xFactor: f, yFactor: f, interpolation: interpolation, generator: generator),
            RandomTranslation(heightFactor: f, widthFactor: f, interpolation: interpolation, generator: generator),
            RandomRotation(factor: f, interpolation: interpolation, generator: generator),
            RandomBrightness(factor: f, valueRange: valueRange, generator: generator),
            RandomColorDegeneration(factor: f, valueRange: valueRange, generator: generator),
            RandomContrast(factor: f, valueRange: valueRange, generator: generator),
            RandomSharpness(factor: f, valueRange: valueRange, generator: generator),
            RandomPosterization(bits: Swift.max(1, Int(8 * hi)), valueRange: valueRange, generator: generator),
            Solarization(additionFactor: f, thresholdFactor: f, valueRange: valueRange, generator: generator),
            AutoContrast(valueRange: valueRange),
            Equalization(valueRange: valueRange),
        ]
    }

    public var namedChildren: [(String, any Layer)] { [] }

    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("RandAugment", s)
        return s
    }

    /// The indices drawn for one call.
    func drawOps() -> [Int] {
        Tensor.randomUniform([numOps], low: 0, high: Double(augmentations.count), dtype: .float64, generator: generator).doubles
            .map { Swift.min(Int($0), augmentations.count - 1) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard LearningPhase.isTraining else { return x }
        return drawOps().reduce(x) { y, k in augmentations[k](y) }
    }
}

/// Keras `AugMix` (Hendrycks et al.): in training, `numChains` chains of up to `chainDepth`
/// augmentations (each step one of shear, translation, rotation, posterization, solarization,
/// auto-contrast, equalization — with `allOps` also brightness, colour degeneration, contrast and
/// sharpness — or none), their results mixed with Dirichlet(α) weights, and that mixture blended
/// with the original by m ~ Beta(α, α): m·x + (1 − m)·Σ wᵢ·chainᵢ(x), clipped to `valueRange`.
/// Draws are once per batch, as Keras.
public final class AugMix: Layer {
    public let numChains: Int, chainDepth: Int
    public let alpha: Double
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    public let augmentations: [any Layer]

    public init(valueRange: (Double, Double) = (0, 255), numChains: Int = 3, chainDepth: Int = 3, factor: AugmentationFactor = 0.3,
                alpha: Double = 1, allOps: Bool = true, interpolation: Interpolation = .bilinear, generator: RandomGenerator = .global) {
        precondition(numChains > 0 && chainDepth >= 0 && alpha > 0, "AugMix: needs chains, a depth ≥ 0 and a positive alpha")
        precondition(factor.isWithinUnitRange, "AugMix: the factor must lie in [0, 1]")
        let (lo, hi) = factor.magnitudes
        let f = AugmentationFactor(lo, hi)
        self.numChains = numChains
        self.chainDepth = chainDepth
        self.alpha = alpha
        self.valueRange = sortedRange(valueRange)
        self.generator = generator
        var list: [any Layer] = [
            RandomShear(xFactor: f, yFactor: f, interpolation: interpolation, generator: generator),
            RandomTranslation(heightFactor: f, widthFactor: f, interpolation: interpolation, generator: generator),
            RandomRotation(factor: f, interpolation: interpolation, generator: generator),
            RandomPosterization(bits: Swift.max(1, Int(8 * hi)), valueRange: valueRange, generator: generator),
            Solarization(additionFactor: f, thresholdFactor: f, valueRange: valueRange, generator: generator),
            AutoContrast(valueRange: valueRange),
            Equalization(valueRange: valueRange),
        ]
        if allOps {
            list += [RandomBrightness(factor: f, valueRange: valueRange, generator: generator),
                     RandomColorDegeneration(factor: f, valueRange: valueRange, generator: generator),
                     RandomContrast(factor: f, valueRange: valueRange, generator: generator),
                     RandomSharpness(factor: f, valueRange: valueRange, generator: generator)]
        }
        augmentations = list
    }

    public var namedChildren: [(String, any Layer)] { [] }

    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("AugMix", s)
        return s
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard LearningPhase.isTraining else { return x }
        let gammas = (0..<numChains).map { _ in gammaDraw(alpha, generator) }
        let total = gammas.reduce(0, +)
        let m = betaDraws(1, alpha, alpha, generator)[0]
        let y = floats(x)
        var mixed = Tensor.zeros(y.shape, dtype: y.dtype)
        for c in 0..<numChains {
            let picks = Tensor.randomUniform([chainDepth], low: 0, high: Double(augmentations.count + 1), dtype: .float64, generator: generator).doubles
            var chain = y
            for p in picks {
                let k = Swift.min(Int(p), augmentations.count)
                if k < augmentations.count { chain = augmentations[k](chain) }    // the last choice is "none"
            }
            mixed = mixed + chain * (gammas[c] / total)
        }
        return clamp(y * m + mixed * (1 - m), min: valueRange.0, max: valueRange.1)
    }
}

/// Keras `RandomElasticTransform`: with a probability drawn per image from `factor` ([0, 1];
/// one number f: 0…f), each pixel samples the image at itself plus α·(dx, dy), where dx, dy are
/// σ·N(0, 1) noise fields blurred by a Gaussian of σ (size ⌊6σ⌋ | 1), α = 0.1·s·max(H, W),
/// σ = 0.05·s·min(H, W), s drawn once per batch from `scale` ([0, 1]); then clipped to `valueRange`.
public final class RandomElasticTransform: AffineImageLayer {
    public let factor: AugmentationFactor
    public let scale: AugmentationFactor
    public let valueRange: (Double, Double)
    public init(factor: AugmentationFactor = 1, scale: AugmentationFactor = 1, interpolation: Interpolation = .bilinear,
                fillMode: FillMode = .reflect, fillValue: Double = 0, valueRange: (Double, Double) = (0, 255),
                generator: RandomGenerator = .global) {
        for f in [factor, scale] { precondition(f.isWithinUnitRange, "RandomElasticTransform: factors must lie in [0, 1]") }
        self.factor = factor
        self.scale = scale
        self.valueRange = sortedRange(valueRange)
        super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, generator: generator)
    }
    /// This call's draws: which images change and each output pixel's source point (nil when
    /// nothing moves).
    private func displacement(n: Int, height h: Int, width w: Int) -> (apply: [Bool], source: (Int, Int, Int) -> (Double, Double))? {
        let (plo, phi) = factor.magnitudes, (slo, shi) = scale.magnitudes
        guard phi > 0 && shi > 0 else { return nil }
        let p = draws(n, plo, phi), u = draws(n, 0, 1), s = draws(1, slo, shi)[0]
        let alpha = Double(Swift.max(h, w)) * 0.1 * s, sigma = Double(Swift.min(h, w)) * 0.05 * s
        guard sigma > 0 else { return nil }
        let size = Int(6 * sigma) | 1
        func field() -> [Double] {
            let noise = (Tensor.randomNormal([n, h, w], dtype: .float64, generator: generator) * sigma).doubles
            return gaussianBlurred(noise, planes: n, height: h, width: w, kernelSize: size, sigmaRows: sigma, sigmaColumns: sigma)
        }
        let dx = field(), dy = field()
        return ((0..<n).map { u[$0] < p[$0] }, { i, row, col in
            let k = (i * h + row) * w + col
            return (Double(row) + alpha * dy[k], Double(col) + alpha * dx[k])
        })
    }

    /// `x` sampled at the displaced points where the draw applies.
    private func distorted(_ x: Tensor, _ d: (apply: [Bool], source: (Int, Int, Int) -> (Double, Double)), _ interpolation: Interpolation) -> Tensor {
        let y = floats(x)
        let warped = remap(y, interpolation: interpolation, fillMode: fillMode, fillValue: fillValue, source: d.source)
        return `where`(Tensor(shape: [d.apply.count, 1, 1, 1], scalars: d.apply), warped, y)
    }

    override public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, h, w) = checked(x)
        guard LearningPhase.isTraining, let d = displacement(n: n, height: h, width: w) else { return x }
        return clamp(distorted(x, d, interpolation), min: valueRange.0, max: valueRange.1)
    }

    /// Images and masks (nearest-neighbour) through the same displacement; bounding boxes are
    /// refused, as Keras (a displaced box has no exact bounds).
    override public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        precondition(batch.boundingBoxes == nil, "RandomElasticTransform: cannot move bounding boxes (Keras has no rule for it either)")
        let (n, h, w) = checked(batch.images)
        guard LearningPhase.isTraining, let d = displacement(n: n, height: h, width: w) else { return batch }
        var r = batch
        r.images = clamp(distorted(batch.images, d, interpolation), min: valueRange.0, max: valueRange.1)
        r.segmentationMasks = batch.segmentationMasks.map { mapMasks($0) { self.distorted($0, d, .nearest) } }
        return r
    }
}
