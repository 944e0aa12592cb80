import Foundation
import Weft

// Keras's random image augmentation layers on channels-first images [N, C, H, W]:
// RandomRotation, RandomZoom, RandomTranslation (one affine map per image, sampled as Keras's
// `ops.image.affine_transform`: bilinear or nearest, fill modes reflect / wrap / constant /
// nearest), RandomContrast and RandomBrightness. Each draws one value per image in training
// mode and passes images through unchanged in inference, as Keras.

/// How an affine augmentation fills points that fall outside the image (Keras's `fill_mode`):
/// `.reflect` (d c b a | a b c d | d c b a), `.wrap` (a b c d | a b c d), `.constant`
/// (`fillValue`), `.nearest` (a a a a | a b c d | d d d d).
public enum FillMode: Hashable, Sendable { case reflect, wrap, constant, nearest }

/// A random factor as Keras takes it: one number f (the range −f…f) or two bounds `[lower, upper]`.
public struct AugmentationFactor: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, Hashable, Sendable {
    public let lower: Double
    public let upper: Double
    /// Given as one number (Keras's scalar form).
    public let isScalar: Bool

    public init(_ f: Double) { lower = -Swift.abs(f); upper = Swift.abs(f); isScalar = true }
    public init(_ lower: Double, _ upper: Double) {
        self.lower = Swift.min(lower, upper)
        self.upper = Swift.max(lower, upper)
        isScalar = false
    }
    public init(floatLiteral v: Double) { self.init(v) }
    public init(integerLiteral v: Int) { self.init(Double(v)) }
    /// The range of a magnitude: a number f is 0…f (Keras's scalar form), a pair as given.
    var magnitudes: (Double, Double) { isScalar ? (0, upper) : (lower, upper) }
    /// Whether the magnitudes lie in [0, 1] (probabilities and Keras's (0, 1)-bounded factors).
    var isWithinUnitRange: Bool { upper <= 1 && (isScalar || lower >= 0) }

    public init(arrayLiteral bounds: Double...) {
        precondition(bounds.count == 2, "a factor is one number or [lower, upper], got \(bounds)")
        self.init(bounds[0], bounds[1])
    }
}

/// A value range (lower, upper) in order.
func sortedRange(_ r: (Double, Double)) -> (Double, Double) { (Swift.min(r.0, r.1), Swift.max(r.0, r.1)) }

/// `x` as floats (the layers compute in the input's float type, or the default one).
func floats(_ x: Tensor) -> Tensor { x.dtype.isFloatingPoint ? x.detached() : x.cast(to: TensorDefaults.floatType) }

private func floorMod(_ a: Int, _ b: Int) -> Int { let r = a % b; return r < 0 ? r + b : r }

/// Keras's index fixers for the fill modes (torch backend `map_coordinates`).
@inline(__always) private func fixIndex(_ i: Int, _ size: Int, _ mode: FillMode) -> Int {
    switch mode {
    case .constant, .nearest: return Swift.min(Swift.max(i, 0), size - 1)
    case .wrap: return floorMod(i, size)
    case .reflect:
        // Half-sample symmetric: the mirror (triangular wave) of 2i + 1 over 2·size + 1, halved
        // (m is odd, so m − 1 ≥ 0).
        let s = 2 * size
        let m = Swift.abs(floorMod(2 * i + 1 + s, 2 * s) - s)
        return (m - 1) / 2
    }
}

/// Samples each image i of [N, C, H, W] at the input points (a0·x + a1·y + a2,
/// b0·x + b1·y + b2) of its output pixels (x, y), `transforms[i]` = [a0, a1, a2, b0, b1, b2]
/// (with two more, c0 and c1, both divided by c0·x + c1·y + 1: a projective map).
func affineTransform(_ x: Tensor, _ transforms: [[Double]], interpolation: Interpolation, fillMode: FillMode, fillValue: Double) -> Tensor {
    precondition(x.rank == 4 && transforms.count == x.shape[0], "affine transform: expects [N, C, H, W] images and one transform per image")
    return remap(x, interpolation: interpolation, fillMode: fillMode, fillValue: fillValue) { i, row, col in
        let t = transforms[i]
        // A projective map (8 coefficients) divides by a6·x + a7·y + 1.
        let k = t.count == 8 ? t[6] * Double(col) + t[7] * Double(row) + 1 : 1
        return ((t[3] * Double(col) + t[4] * Double(row) + t[5]) / k, (t[0] * Double(col) + t[1] * Double(row) + t[2]) / k)
    }
}

/// Samples each output pixel (row, col) of image i of [N, C, H, W] at the input point
/// `source(i, row, col)` = (y, x), as Keras's `map_coordinates` (bilinear or nearest; the fill
/// modes' index rules; `.constant` gives `fillValue` outside).
func remap(_ x: Tensor, interpolation: Interpolation, fillMode: FillMode, fillValue: Double,
           source: (Int, Int, Int) -> (Double, Double)) -> Tensor {
    precondition(x.rank == 4, "remap: expects [N, C, H, W] images, got \(x.shape)")
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    let v = x.detached().doubles
    var out = [Double](repeating: 0, count: v.count)
    for i in 0..<n {
        for row in 0..<h {
            for col in 0..<w {
                let (yi, xi) = source(i, row, col)
                // Up to four taps: (row index, column index, weight, inside the image).
                var taps: [(Int, Int, Double, Bool)] = []
                switch interpolation {
                case .nearest:
                    let r = Int(yi.rounded(.toNearestOrEven)), q = Int(xi.rounded(.toNearestOrEven))
                    taps = [(r, q, 1, r >= 0 && r < h && q >= 0 && q < w)]
                case .bilinear:
                    let y0 = yi.rounded(.down), x0 = xi.rounded(.down)
                    let fy = yi - y0, fx = xi - x0
                    let r0 = Int(y0), q0 = Int(x0)
                    for (r, wy) in [(r0, 1 - fy), (r0 + 1, fy)] {
                        for (q, wx) in [(q0, 1 - fx), (q0 + 1, fx)] {
                            taps.append((r, q, wy * wx, r >= 0 && r < h && q >= 0 && q < w))
                        }
                    }
                }
                for ch in 0..<c {
                    let base = (i * c + ch) * h * w
                    var s = 0.0
                    for (r, q, weight, inside) in taps {
                        let value = fillMode == .constant && !inside ? fillValue
                            : v[base + fixIndex(r, h, fillMode) * w + fixIndex(q, w, fillMode)]
                        s += weight * value
                    }
                    out[base + row * w + col] = s
                }
            }
        }
    }
    return Tensor(shape: x.shape, scalars: out).cast(to: x.dtype.isFloatingPoint ? x.dtype : TensorDefaults.floatType)
}

/// The random layers' shared parts: image checks, per-image draws.
protocol RandomImageLayer: Layer {
    var generator: RandomGenerator { get }
}

extension RandomImageLayer {
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages(typeName, s)
        return s
    }

    /// One uniform draw in [lower, upper] per image.
    func draws(_ n: Int, _ lower: Double, _ upper: Double) -> [Double] {
        Tensor.randomUniform([n], low: lower, high: upper, dtype: .float64, generator: generator).doubles
    }

    func checked(_ x: Tensor) -> (n: Int, h: Int, w: Int) {
        precondition(x.rank == 4, "\(typeName): expects [N, C, H, W] images, got \(x.shape)")
        return (x.shape[0], x.shape[2], x.shape[3])
    }
}

/// The geometric layers' shared settings: how points are sampled and filled, the generator.
public class AffineImageLayer: RandomImageLayer, ImageBatchTransform {
    public let fillMode: FillMode
    public let interpolation: Interpolation
    public let fillValue: Double
    public let generator: RandomGenerator
    init(fillMode: FillMode, interpolation: Interpolation, fillValue: Double, generator: RandomGenerator) {
        self.fillMode = fillMode
        self.interpolation = interpolation
        self.fillValue = fillValue
        self.generator = generator
    }
    /// One sampling map per image (output index → input index, 6 affine or 8 projective
    /// coefficients), drawn for this call; the subclasses say how.
    func samplingMaps(n: Int, height: Int, width: Int) -> [[Double]] { preconditionFailure("\(typeName) must override samplingMaps") }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, h, w) = checked(x)
        guard LearningPhase.isTraining else { return x }
        return warp(x, samplingMaps(n: n, height: h, width: w))
    }

    /// Images, masks (nearest-neighbour, the same fill) and boxes through the same draw.
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        let (n, h, w) = checked(batch.images)
        guard LearningPhase.isTraining else { return batch }
        let maps = samplingMaps(n: n, height: h, width: w)
        return batch.warped(images: warp(batch.images, maps), maps: maps) {
            affineTransform($0, maps, interpolation: .nearest, fillMode: self.fillMode, fillValue: self.fillValue)
        }
    }

    /// The images sampled through one map per image.
    func warp(_ x: Tensor, _ transforms: [[Double]]) -> Tensor {
        affineTransform(x, transforms, interpolation: interpolation, fillMode: fillMode, fillValue: fillValue)
    }
}

/// Keras `RandomRotation`: each image rotated about its centre by factor·360° (a draw in
/// [lower, upper] of `factor`; one number f: −f…f), counter-clockwise for positive angles.
public final class RandomRotation: AffineImageLayer {
    public let factor: AugmentationFactor

    public init(factor: AugmentationFactor, fillMode: FillMode = .reflect, interpolation: Interpolation = .bilinear,
                fillValue: Double = 0, generator: RandomGenerator = .global) {
        self.factor = factor
        super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, generator: generator)
    }

    override func samplingMaps(n: Int, height h: Int, width w: Int) -> [[Double]] {
        let cx = 0.5 * Double(w - 1), cy = 0.5 * Double(h - 1)
        return draws(n, factor.lower, factor.upper).map { f -> [Double] in
            let angle = f * 360 * Double.pi / 180
            let cs = Foundation.cos(angle), sn = Foundation.sin(angle)
            return [cs, -sn, cx - cx * cs + cy * sn, sn, cs, cy - cx * sn - cy * cs]
        }
    }
}

/// Keras `RandomZoom`: each image scaled about its centre; a factor z draws 1 + z (positive:
/// zoom out, negative: in) for the height and — when `widthFactor` is nil, the same — for the width.
public final class RandomZoom: AffineImageLayer {
    public let heightFactor: AugmentationFactor
    public let widthFactor: AugmentationFactor?

    public init(heightFactor: AugmentationFactor, widthFactor: AugmentationFactor? = nil, fillMode: FillMode = .reflect,
                interpolation: Interpolation = .bilinear, fillValue: Double = 0, generator: RandomGenerator = .global) {
        precondition(heightFactor.lower >= -1 && (widthFactor?.lower ?? 0) >= -1, "RandomZoom: factors must be at least −1")
        self.heightFactor = heightFactor
        self.widthFactor = widthFactor
        super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, generator: generator)
    }

    override func samplingMaps(n: Int, height h: Int, width w: Int) -> [[Double]] {
        let zy = draws(n, 1 + heightFactor.lower, 1 + heightFactor.upper)
        let zx = widthFactor.map { draws(n, 1 + $0.lower, 1 + $0.upper) } ?? zy
        let cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        return (0..<n).map { i in
            let ox: Double = cx * (1 - zx[i]), oy: Double = cy * (1 - zy[i])
            return [zx[i], 0, ox, 0, zy[i], oy]
        }
    }
}

/// Keras `RandomTranslation`: each image shifted by a draw of `heightFactor`·height rows (down
/// for positive) and `widthFactor`·width columns (right for positive).
public final class RandomTranslation: AffineImageLayer {
    public let heightFactor: AugmentationFactor
    public let widthFactor: AugmentationFactor

    public init(heightFactor: AugmentationFactor, widthFactor: AugmentationFactor, fillMode: FillMode = .reflect,
                interpolation: Interpolation = .bilinear, fillValue: Double = 0, generator: RandomGenerator = .global) {
        precondition([heightFactor.lower, heightFactor.upper, widthFactor.lower, widthFactor.upper].allSatisfy { $0 >= -1 && $0 <= 1 },
                     "RandomTranslation: factors must lie in [−1, 1]")
        self.heightFactor = heightFactor
        self.widthFactor = widthFactor
        super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, generator: generator)
    }

    override func samplingMaps(n: Int, height h: Int, width w: Int) -> [[Double]] {
        let dy = draws(n, heightFactor.lower, heightFactor.upper).map { $0 * Double(h) }
        let dx = draws(n, widthFactor.lower, widthFactor.upper).map { $0 * Double(w) }
        return (0..<n).map { i in [1, 0, -dx[i], 0, 1, -dy[i]] }
    }
}

/// Keras `RandomContrast`: per image and channel, (x − mean)·k + mean over the pixels, k drawn in
/// [1 − lower, 1 + upper] (one number f: 1 − f…1 + f, as Keras documents it), clipped to `valueRange`.
public final class RandomContrast: RandomImageLayer {
    public let factor: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator

    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        precondition(factor.isScalar ? factor.upper <= 1 : factor.lower <= 1 && factor.upper >= 0,
                     "RandomContrast: the factor must lie in [0, 1]")
        self.factor = factor
        self.valueRange = sortedRange(valueRange)
        self.generator = generator
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        // The scalar form is −f…f already; a pair (l, u) means 1 − l…1 + u.
        let lo = factor.isScalar ? 1 + factor.lower : 1 - factor.lower, hi = 1 + factor.upper
        let k = Tensor(shape: [n, 1, 1, 1], scalars: draws(n, Swift.min(lo, hi), Swift.max(lo, hi))).cast(to: x.dtype.floatingResult)
        let y = floats(x)
        let mean = y.mean(alongAxes: [2, 3], keepingDims: true)
        return clamp((y - mean) * k + mean, min: valueRange.0, max: valueRange.1)
    }
}

/// Keras `RandomBrightness`: per image, adds a draw of `factor` times the width of `valueRange`,
/// clipped to `valueRange`.
public final class RandomBrightness: RandomImageLayer {
    public let factor: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator

    public init(factor: AugmentationFactor, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        precondition(factor.lower >= -1 && factor.upper <= 1, "RandomBrightness: the factor must lie in [−1, 1]")
        self.factor = factor
        self.valueRange = sortedRange(valueRange)
        self.generator = generator
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let width = valueRange.1 - valueRange.0
        let delta = Tensor(shape: [n, 1, 1, 1], scalars: draws(n, factor.lower, factor.upper).map { $0 * width }).cast(to: x.dtype.floatingResult)
        let y = floats(x)
        return clamp(y + delta, min: valueRange.0, max: valueRange.1)
    }
}

/// Keras `RandomShear`: each image sheared (x ← x + sₓ·y, y ← y + s_y·x, about the origin as
/// Keras) by magnitudes drawn from `xFactor` and `yFactor` (within [0, 1]; one number f: 0…f),
/// with a random sign per image.
public final class RandomShear: AffineImageLayer {
    public let xFactor: AugmentationFactor
    public let yFactor: AugmentationFactor

    public init(xFactor: AugmentationFactor = 0, yFactor: AugmentationFactor = 0, interpolation: Interpolation = .bilinear,
                fillMode: FillMode = .reflect, fillValue: Double = 0, generator: RandomGenerator = .global) {
        for f in [xFactor, yFactor] {
            precondition(f.isWithinUnitRange, "RandomShear: factors must lie in [0, 1]")
        }
        self.xFactor = xFactor
        self.yFactor = yFactor
        super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, generator: generator)
    }

    override func samplingMaps(n: Int, height: Int, width: Int) -> [[Double]] {
        let sign = draws(n, 0, 1).map { $0 > 0.5 ? -1.0 : 1.0 }
        let (ylo, yhi) = yFactor.magnitudes, (xlo, xhi) = xFactor.magnitudes
        let sy = draws(n, ylo, yhi), sx = draws(n, xlo, xhi)
        return (0..<n).map { i in [1, sx[i] * sign[i], 0, sy[i] * sign[i], 1, 0] }
    }
}

/// ITU-R 601 luma of RGB [N, 3, H, W] (Keras's / torchvision's 0.2989, 0.587, 0.114) as [N, 1, H, W].
func luma(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4 && (x.shape[1] == 3 || x.shape[1] == 1), "grayscale: expects RGB or gray [N, 3 or 1, H, W] images, got \(x.shape)")
    guard x.shape[1] == 3 else { return x }
    let w = Tensor(shape: [1, 3, 1, 1], scalars: [0.2989, 0.587, 0.114]).cast(to: x.dtype)
    return (x * w).sum(alongAxes: [1], keepingDims: true)
}

/// Keras `RandomGrayscale`: in training each RGB image becomes its gray value (in all three
/// channels) with probability `factor`.
public final class RandomGrayscale: RandomImageLayer {
    public let factor: Double
    public let generator: RandomGenerator
    public init(factor: Double = 0.5, generator: RandomGenerator = .global) {
        precondition(factor >= 0 && factor <= 1, "RandomGrayscale: factor must lie in [0, 1], got \(factor)")
        self.factor = factor
        self.generator = generator
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let y = floats(x)
        let apply = Tensor(shape: [n, 1, 1, 1], scalars: draws(n, 0, 1).map { $0 < factor })
        return `where`(apply, luma(y).expanded(to: y.shape), y)
    }
}

/// Keras `RandomInvert`: in training each image becomes `valueRange.1 − x` with a probability
/// drawn per image from `factor` ([0, 1]; one number f: 0…f).
public final class RandomInvert: UnitFactorImageLayer {
    public init(factor: AugmentationFactor = 1, valueRange: (Double, Double) = (0, 255), generator: RandomGenerator = .global) {
        super.init("RandomInvert", factor: factor, valueRange: valueRange, generator: generator)
    }
    override public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (lo, hi) = factor.magnitudes
        let p = draws(n, lo, hi), u = draws(n, 0, 1)
        let y = floats(x)
        let apply = Tensor(shape: [n, 1, 1, 1], scalars: (0..<n).map { u[$0] < p[$0] })
        return `where`(apply, Tensor(valueRange.1, dtype: y.dtype) - y, y)
    }
}

/// Keras `Solarization`: on the 0…255 scale of `valueRange`, each image gets a drawn addition
/// (clipped to 0…255) and every value at or above a drawn threshold becomes 255 − value. The
/// factors are fractions of 255 in [0, 1] (one number f: 0…f).
public final class Solarization: RandomImageLayer {
    public let additionFactor: AugmentationFactor
    public let thresholdFactor: AugmentationFactor
    public let valueRange: (Double, Double)
    public let generator: RandomGenerator
    public init(additionFactor: AugmentationFactor = 0, thresholdFactor: AugmentationFactor = 0, valueRange: (Double, Double) = (0, 255),
                generator: RandomGenerator = .global) {
        for f in [additionFactor, thresholdFactor] {
            precondition(f.isWithinUnitRange, "Solarization: factors must lie in [0, 1]")
        }
        self.additionFactor = additionFactor
        self.thresholdFactor = thresholdFactor
        self.valueRange = sortedRange(valueRange)
        self.generator = generator
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, _, _) = checked(x)
        guard LearningPhase.isTraining else { return x }
        let (alo, ahi) = additionFactor.magnitudes, (tlo, thi) = thresholdFactor.magnitudes
        let add = draws(n, 255 * alo, 255 * ahi), thr = draws(n, 255 * tlo, 255 * thi)
        let y = floats(x)
        let width = valueRange.1 - valueRange.0
        let scaled = (y - valueRange.0) * (255 / width)
        let shifted = clamp(scaled + Tensor(shape: [n, 1, 1, 1], scalars: add).cast(to: y.dtype), min: 0, max: 255)
        let t = Tensor(shape: [n, 1, 1, 1], scalars: thr).cast(to: y.dtype)
        let solarized = `where`(shifted .< t, shifted, Tensor(255, dtype: y.dtype) - shifted)
        return solarized * (width / 255) + valueRange.0
    }
}

/// The projective map (8 coefficients, as `affineTransform` takes them) that sends each of the
/// four `end` points [(x, y)] to its `start` point (Keras's `compute_homography_matrix`).
func homography(from start: [(Double, Double)], to end: [(Double, Double)]) -> [Double] {
    precondition(start.count == 4 && end.count == 4, "homography: needs four point pairs")
    var a = [[Double]](), b = [Double]()
    for ((sx, sy), (ex, ey)) in zip(start, end) {
        a.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey]); b.append(sx)
        a.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey]); b.append(sy)
    }
    // Gaussian elimination with partial pivoting.
    for c in 0..<8 {
        let p = (c..<8).max { Swift.abs(a[$0][c]) < Swift.abs(a[$1][c]) }!
        precondition(Swift.abs(a[p][c]) > 1e-12, "homography: the points are degenerate")
        a.swapAt(c, p); b.swapAt(c, p)
        for r in (c + 1)..<8 {
            let f = a[r][c] / a[c][c]
            for k in c..<8 { a[r][k] -= f * a[c][k] }
            b[r] -= f * b[c]
        }
    }
    var x = [Double](repeating: 0, count: 8)
    for r in stride(from: 7, through: 0, by: -1) {
        var s = b[r]
        for k in (r + 1)..<8 { s -= a[r][k] * x[k] }
        x[r] = s / a[r][r]
    }
    return x
}

/// Keras's `ops.image.perspective_transform` on [N, C, H, W]: each image is warped so that its
/// `start` points (four (x, y) corners per image) land on the `end` points; outside the image
/// is `fillValue`.
public func perspectiveTransform(_ images: Tensor, start: [[(Double, Double)]], end: [[(Double, Double)]],
                                 interpolation: Interpolation = .bilinear, fillValue: Double = 0) -> Tensor {
    precondition(start.count == images.shape[0] && end.count == images.shape[0], "perspectiveTransform: one set of points per image")
    let maps = zip(start, end).map { homography(from: $0, to: $1) }
    return affineTransform(images, maps, interpolation: interpolation, fillMode: .constant, fillValue: fillValue)
}

/// Keras `RandomPerspective`: with a probability drawn per image from `factor` ([0, 1]; one
/// number f: 0…f), the corners (0, 0), (W−1, 0), (0, H−1), (W−1, H−1) move to
/// corner + corner·u with u uniform in ±½·`scale` per coordinate (so, as Keras, the corner at the
/// origin stays), and the image is warped accordingly (outside: `fillValue`).
public final class RandomPerspective: AffineImageLayer {
    public let factor: AugmentationFactor
    public let scale: Double
    public init(factor: AugmentationFactor = 1, scale: Double = 1, interpolation: Interpolation = .bilinear, fillValue: Double = 0,
                generator: RandomGenerator = .global) {
        precondition(factor.isWithinUnitRange, "RandomPerspective: the factor must lie in [0, 1]")
        precondition(scale >= 0 && scale <= 1, "RandomPerspective: scale must lie in [0, 1], got \(scale)")
        self.factor = factor
        self.scale = scale
        super.init(fillMode: .constant, interpolation: interpolation, fillValue: fillValue, generator: generator)
    }
    override func samplingMaps(n: Int, height h: Int, width w: Int) -> [[Double]] {
        let (lo, hi) = factor.magnitudes
        let p = draws(n, lo, hi), u = draws(n, 0, 1), f = draws(8 * n, -0.5 * scale, 0.5 * scale)
        let corners = [(0.0, 0.0), (Double(w - 1), 0.0), (0.0, Double(h - 1)), (Double(w - 1), Double(h - 1))]
        let identity: [Double] = [1, 0, 0, 0, 1, 0, 0, 0]
        return (0..<n).map { i in
            guard u[i] < p[i] else { return identity }
            let end = corners.enumerated().map { k, c in (c.0 + c.0 * f[8 * i + 2 * k], c.1 + c.1 * f[8 * i + 2 * k + 1]) }
            return homography(from: corners, to: end)
        }
    }
}
