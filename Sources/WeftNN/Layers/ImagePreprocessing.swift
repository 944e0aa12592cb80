import Weft

// Keras's image preprocessing layers on channels-first images [N, C, H, W]: Resizing,
// CenterCrop, RandomCrop and RandomFlip. They run on the host without gradients (they prepare
// inputs); the random ones change images in training mode only.

/// How `Resizing` samples.
public enum Interpolation: Hashable, Sendable {
    /// Half-pixel centres, edge samples clamped (PyTorch `bilinear, align_corners=False`, Keras's default).
    case bilinear
    /// The source pixel ⌊(i + ½)·in/out⌋ (PyTorch `nearest-exact`, as Keras on torch).
    case nearest
}

/// Resizes [N, C, H, W] to [N, C, height, width].
func resizeImages(_ x: Tensor, height oh: Int, width ow: Int, interpolation: Interpolation) -> Tensor {
    precondition(x.rank == 4, "resize: expects [N, C, H, W] images, got \(x.shape)")
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    if h == oh && w == ow { return x }
    let v = x.detached().doubles
    var out = [Double](repeating: 0, count: n * c * oh * ow)
    // Per output coordinate: the two source indices and the weight of the second.
    func taps(_ size: Int, _ outSize: Int) -> [(Int, Int, Double)] {
        let scale = Double(size) / Double(outSize)
        return (0..<outSize).map { i in
            switch interpolation {
            case .nearest:
                let s = Swift.min(Int(((Double(i) + 0.5) * scale).rounded(.down)), size - 1)
                return (s, s, 0)
            case .bilinear:
                let src = Swift.max((Double(i) + 0.5) * scale - 0.5, 0)
                let i0 = Swift.min(Int(src.rounded(.down)), size - 1), i1 = Swift.min(i0 + 1, size - 1)
                return (i0, i1, src - Double(i0))
            }
        }
    }
    let ty = taps(h, oh), tx = taps(w, ow)
    for plane in 0..<(n * c) {
        let base = plane * h * w, obase = plane * oh * ow
        for (i, (y0, y1, fy)) in ty.enumerated() {
            for (j, (x0, x1, fx)) in tx.enumerated() {
                let top = v[base + y0 * w + x0] * (1 - fx) + v[base + y0 * w + x1] * fx
                let bottom = v[base + y1 * w + x0] * (1 - fx) + v[base + y1 * w + x1] * fx
                out[obase + i * ow + j] = top * (1 - fy) + bottom * fy
            }
        }
    }
    let y = Tensor(shape: [n, c, oh, ow], scalars: out)
    return y.cast(to: x.dtype.isFloatingPoint ? x.dtype : TensorDefaults.floatType)
}

/// The centred crop of [N, C, H, W] with the aspect ratio of height × width (Keras's
/// `crop_to_aspect_ratio`), then resized to it.
func cropToAspectAndResize(_ x: Tensor, height: Int, width: Int, interpolation: Interpolation) -> Tensor {
    let h = x.shape[2], w = x.shape[3]
    let ch = Swift.max(Swift.min(h, Int(Double(w * height) / Double(width))), 1)
    let cw = Swift.max(Swift.min(w, Int(Double(h * width) / Double(height))), 1)
    let top = (h - ch) / 2, left = (w - cw) / 2
    let crop = x.sliced(axis: 2, start: top, end: top + ch).sliced(axis: 3, start: left, end: left + cw)
    return resizeImages(crop, height: height, width: width, interpolation: interpolation)
}

func checkImages(_ layer: String, _ s: Shape) throws {
    guard s.count == 3 else { throw ShapeError(layer: layer, "expects per-sample images [channels, height, width], got \(s)") }
}

/// Keras `Resizing`: images to height × width (`cropToAspectRatio`: the centred crop of the
/// target's aspect ratio first, so nothing is stretched).
public final class Resizing: Layer {
    public let height: Int, width: Int
    public let interpolation: Interpolation
    public let cropToAspectRatio: Bool
    public init(height: Int, width: Int, interpolation: Interpolation = .bilinear, cropToAspectRatio: Bool = false) {
        precondition(height > 0 && width > 0, "Resizing: height and width must be positive")
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.cropToAspectRatio = cropToAspectRatio
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("Resizing", s)
        return [s[0], height, width]
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        cropToAspectRatio ? cropToAspectAndResize(x, height: height, width: width, interpolation: interpolation)
            : resizeImages(x, height: height, width: width, interpolation: interpolation)
    }
}

/// Keras `CenterCrop`: the centred height × width crop (offsets ⌊(H − h)/2⌋, ⌊(W − w)/2⌋); an
/// image smaller than that is cropped to the target's aspect ratio and resized, as Keras.
public final class CenterCrop: Layer {
    public let height: Int, width: Int
    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0, "CenterCrop: height and width must be positive")
        self.height = height
        self.width = width
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("CenterCrop", s)
        return [s[0], height, width]
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "CenterCrop: expects [N, C, H, W] images, got \(x.shape)")
        let h = x.shape[2], w = x.shape[3]
        guard h >= height && w >= width else { return cropToAspectAndResize(x, height: height, width: width, interpolation: .bilinear) }
        let top = (h - height) / 2, left = (w - width) / 2
        return x.sliced(axis: 2, start: top, end: top + height).sliced(axis: 3, start: left, end: left + width)
    }
}

/// Keras `RandomCrop`: in training, a height × width crop at one random offset for the batch (as
/// Keras draws it); in inference (or when the images are not larger), the centred crop of the
/// target's aspect ratio resized to it.
public final class RandomCrop: Layer {
    public let height: Int, width: Int
    public let generator: RandomGenerator
    public init(height: Int, width: Int, generator: RandomGenerator = .global) {
        precondition(height > 0 && width > 0, "RandomCrop: height and width must be positive")
        self.height = height
        self.width = width
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("RandomCrop", s)
        return [s[0], height, width]
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "RandomCrop: expects [N, C, H, W] images, got \(x.shape)")
        let h = x.shape[2], w = x.shape[3]
        guard LearningPhase.isTraining, h > height, w > width else {
            return cropToAspectAndResize(x, height: height, width: width, interpolation: .bilinear)
        }
        let u = Tensor.randomUniform([2], low: 0, high: 1, dtype: .float64, generator: generator).doubles
        let top = Swift.min(Int(u[0] * Double(h - height + 1)), h - height)
        let left = Swift.min(Int(u[1] * Double(w - width + 1)), w - width)
        return x.sliced(axis: 2, start: top, end: top + height).sliced(axis: 3, start: left, end: left + width)
    }
}

/// Keras `RandomFlip`: in training, each image is mirrored left–right (`.horizontal`),
/// top–bottom (`.vertical`) or either way independently (`.horizontalAndVertical`) with
/// probability ½ per direction.
public final class RandomFlip: Layer {
    public enum Mode: Hashable, Sendable { case horizontal, vertical, horizontalAndVertical }
    public let mode: Mode
    public let generator: RandomGenerator
    public init(_ mode: Mode = .horizontalAndVertical, generator: RandomGenerator = .global) {
        self.mode = mode
        self.generator = generator
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("RandomFlip", s)
        return s
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "RandomFlip: expects [N, C, H, W] images, got \(x.shape)")
        guard LearningPhase.isTraining else { return x }
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let u = Tensor.randomUniform([n, 2], low: 0, high: 1, dtype: .float64, generator: generator).doubles
        let v = x.detached().doubles
        var out = v
        for i in 0..<n {
            let flipX = mode != .vertical && u[2 * i] > 0.5, flipY = mode != .horizontal && u[2 * i + 1] > 0.5
            guard flipX || flipY else { continue }
            for ch in 0..<c {
                let base = (i * c + ch) * h * w
                for r in 0..<h {
                    for col in 0..<w {
                        out[base + r * w + col] = v[base + (flipY ? h - 1 - r : r) * w + (flipX ? w - 1 - col : col)]
                    }
                }
            }
        }
        return Tensor(shape: x.shape, scalars: out).cast(to: x.dtype)
    }
}
