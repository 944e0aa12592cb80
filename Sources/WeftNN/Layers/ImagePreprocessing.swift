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

/// PyTorch's antialiased bilinear taps (`interpolate(…, antialias=True)`, as Keras's
/// `antialias`): for output i of `outSize`, a triangle filter of half-width max(scale, 1) centred
/// at (i + ½)·scale over the input pixels, normalised.
func antialiasTaps(_ size: Int, _ outSize: Int) -> [(start: Int, weights: [Double])] {
    let scale = Double(size) / Double(outSize)
    let support = scale >= 1 ? scale : 1, inverse = scale >= 1 ? 1 / scale : 1
    return (0..<outSize).map { i in
        let centre = scale * (Double(i) + 0.5)
        let lo = Swift.max(Int(centre - support + 0.5), 0), hi = Swift.min(Int(centre + support + 0.5), size)
        var weights = (lo..<Swift.max(hi, lo)).map { j in Swift.max(0, 1 - Swift.abs((Double(j) - centre + 0.5) * inverse)) }
        let total = weights.reduce(0, +)
        if total > 0 { weights = weights.map { $0 / total } }
        return (lo, weights)
    }
}

/// Resizes [N, C, H, W] to [N, C, height, width] (`antialias`: PyTorch's antialiased bilinear
/// filter, which differs from plain bilinear only when shrinking).
func resizeImages(_ x: Tensor, height oh: Int, width ow: Int, interpolation: Interpolation, antialias: Bool = false) -> Tensor {
    precondition(x.rank == 4, "resize: expects [N, C, H, W] images, got \(x.shape)")
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    if h == oh && w == ow { return x }
    let v = x.detached().doubles
    if antialias && interpolation == .bilinear && (h > oh || w > ow) {
        // Separable: rows of each plane, then columns.
        let tx = antialiasTaps(w, ow), ty = antialiasTaps(h, oh)
        var rowsDone = [Double](repeating: 0, count: n * c * h * ow), out = [Double](repeating: 0, count: n * c * oh * ow)
        for plane in 0..<(n * c) {
            for r in 0..<h {
                let src = (plane * h + r) * w, dst = (plane * h + r) * ow
                for (j, t) in tx.enumerated() {
                    var acc = 0.0
                    for (k, wt) in t.weights.enumerated() { acc += wt * v[src + t.start + k] }
                    rowsDone[dst + j] = acc
                }
            }
            for (i, t) in ty.enumerated() {
                for j in 0..<ow {
                    var acc = 0.0
                    for (k, wt) in t.weights.enumerated() { acc += wt * rowsDone[(plane * h + t.start + k) * ow + j] }
                    out[(plane * oh + i) * ow + j] = acc
                }
            }
        }
        return Tensor(shape: [n, c, oh, ow], scalars: out).cast(to: x.dtype.isFloatingPoint ? x.dtype : TensorDefaults.floatType)
    }
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

/// The centred crop (top, left, height, width) of an h × w image with the aspect ratio of
/// height × width (Keras's `crop_to_aspect_ratio`).
func aspectCrop(_ h: Int, _ w: Int, height: Int, width: Int) -> (top: Int, left: Int, height: Int, width: Int) {
    let ch = Swift.max(Swift.min(h, Int(Double(w * height) / Double(width))), 1)
    let cw = Swift.max(Swift.min(w, Int(Double(h * width) / Double(height))), 1)
    return ((h - ch) / 2, (w - cw) / 2, ch, cw)
}

/// The rows and columns Keras's `pad_to_aspect_ratio` adds on each side of an h × w image for
/// the aspect ratio of height × width.
func aspectPadding(_ h: Int, _ w: Int, height: Int, width: Int) -> (rows: Int, columns: Int) {
    let ph = Swift.max(h, Int(Double(w * height) / Double(width))), pw = Swift.max(w, Int(Double(h * width) / Double(height)))
    return ((ph - h) / 2, (pw - w) / 2)
}

/// The sampling map (output index → input index, half-pixel centres) of resizing the region of
/// `height` × `width` pixels at (top, left) of an image to outHeight × outWidth.
func regionMap(top: Double, left: Double, height: Int, width: Int, outHeight: Int, outWidth: Int) -> [Double] {
    let sy = Double(height) / Double(outHeight), sx = Double(width) / Double(outWidth)
    return [sx, 0, left + 0.5 * sx - 0.5, 0, sy, top + 0.5 * sy - 0.5]
}

/// The region [top, top + height) × [left, left + width) of [N, C, H, W].
func cropped(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
    x.sliced(axis: 2, start: top, end: top + height).sliced(axis: 3, start: left, end: left + width)
}

/// The centred crop of [N, C, H, W] with the aspect ratio of height × width (Keras's
/// `crop_to_aspect_ratio`), then resized to it.
func cropToAspectAndResize(_ x: Tensor, height: Int, width: Int, interpolation: Interpolation, antialias: Bool = false) -> Tensor {
    let c = aspectCrop(x.shape[2], x.shape[3], height: height, width: width)
    return resizeImages(cropped(x, top: c.top, left: c.left, height: c.height, width: c.width), height: height, width: width,
                        interpolation: interpolation, antialias: antialias)
}

/// The sampling map of `cropToAspectAndResize` for an h × w image.
func aspectCropMap(_ h: Int, _ w: Int, height: Int, width: Int) -> [Double] {
    let c = aspectCrop(h, w, height: height, width: width)
    return regionMap(top: Double(c.top), left: Double(c.left), height: c.height, width: c.width, outHeight: height, outWidth: width)
}

func checkImages(_ layer: String, _ s: Shape) throws {
    guard s.count == 3 else { throw ShapeError(layer: layer, "expects per-sample images [channels, height, width], got \(s)") }
}

/// The same map for each of n images.
private func repeated(_ map: [Double], _ n: Int) -> [[Double]] { [[Double]](repeating: map, count: n) }

/// Keras `Resizing`: images to height × width. `cropToAspectRatio`: the centred crop of the
/// target's aspect ratio first, so nothing is stretched; `padToAspectRatio`: instead, rows or
/// columns of `fillValue` on both sides up to that aspect ratio (Keras's padding).
public final class Resizing: Layer, ImageBatchTransform {
    public let height: Int, width: Int
    public let interpolation: Interpolation
    public let cropToAspectRatio: Bool
    public let padToAspectRatio: Bool
    public let fillValue: Double
    /// Keras's `antialias`: PyTorch's antialiased bilinear filter when shrinking.
    public let antialias: Bool
    public init(height: Int, width: Int, interpolation: Interpolation = .bilinear, cropToAspectRatio: Bool = false,
                padToAspectRatio: Bool = false, fillValue: Double = 0, antialias: Bool = false) {
        self.antialias = antialias
        precondition(height > 0 && width > 0, "Resizing: height and width must be positive")
        precondition(!(cropToAspectRatio && padToAspectRatio), "Resizing: only one of cropToAspectRatio and padToAspectRatio can be set")
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.cropToAspectRatio = cropToAspectRatio
        self.padToAspectRatio = padToAspectRatio
        self.fillValue = fillValue
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("Resizing", s)
        return [s[0], height, width]
    }
    func resized(_ x: Tensor, _ interpolation: Interpolation) -> Tensor {
        if cropToAspectRatio { return cropToAspectAndResize(x, height: height, width: width, interpolation: interpolation, antialias: antialias) }
        guard padToAspectRatio else { return resizeImages(x, height: height, width: width, interpolation: interpolation, antialias: antialias) }
        precondition(x.rank == 4, "Resizing: expects [N, C, H, W] images, got \(x.shape)")
        let (rows, columns) = aspectPadding(x.shape[2], x.shape[3], height: height, width: width)
        let y = floats(x)
        let padded = rows == 0 && columns == 0 ? y
            : y.padded(before: [0, 0, rows, columns], after: [0, 0, rows, columns], value: fillValue)
        return resizeImages(padded, height: height, width: width, interpolation: interpolation, antialias: antialias)
    }
    /// The sampling map for an h × w image.
    func map(_ h: Int, _ w: Int) -> [Double] {
        if cropToAspectRatio { return aspectCropMap(h, w, height: height, width: width) }
        guard padToAspectRatio else { return regionMap(top: 0, left: 0, height: h, width: w, outHeight: height, outWidth: width) }
        let (rows, columns) = aspectPadding(h, w, height: height, width: width)
        return regionMap(top: Double(-rows), left: Double(-columns), height: h + 2 * rows, width: w + 2 * columns, outHeight: height, outWidth: width)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { resized(x, interpolation) }
    /// Masks nearest-neighbour, boxes scaled (and shifted by the crop or padding) with the pixels.
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        let x = batch.images
        return batch.warped(images: resized(x, interpolation), maps: repeated(map(x.shape[2], x.shape[3]), x.shape[0])) { self.resized($0, .nearest) }
    }
}

/// Keras `CenterCrop`: the centred height × width crop (offsets ⌊(H − h)/2⌋, ⌊(W − w)/2⌋); an
/// image smaller than that is cropped to the target's aspect ratio and resized, as Keras.
public final class CenterCrop: Layer, ImageBatchTransform {
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
    func centred(_ x: Tensor, _ interpolation: Interpolation) -> Tensor {
        precondition(x.rank == 4, "CenterCrop: expects [N, C, H, W] images, got \(x.shape)")
        let h = x.shape[2], w = x.shape[3]
        guard h >= height && w >= width else { return cropToAspectAndResize(x, height: height, width: width, interpolation: interpolation) }
        return cropped(x, top: (h - height) / 2, left: (w - width) / 2, height: height, width: width)
    }
    func map(_ h: Int, _ w: Int) -> [Double] {
        guard h >= height && w >= width else { return aspectCropMap(h, w, height: height, width: width) }
        return [1, 0, Double((w - width) / 2), 0, 1, Double((h - height) / 2)]
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { centred(x, .bilinear) }
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        let x = batch.images
        return batch.warped(images: centred(x, .bilinear), maps: repeated(map(x.shape[2], x.shape[3]), x.shape[0])) { self.centred($0, .nearest) }
    }
}

/// Keras `RandomCrop`: in training, a height × width crop at one random offset for the batch (as
/// Keras draws it); in inference (or when the images are not larger), the centred crop of the
/// target's aspect ratio resized to it.
public final class RandomCrop: Layer, ImageBatchTransform {
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
    /// This call's crop offset (top, left), or nil for the aspect crop and resize.
    func offset(_ x: Tensor) -> (top: Int, left: Int)? {
        precondition(x.rank == 4, "RandomCrop: expects [N, C, H, W] images, got \(x.shape)")
        let h = x.shape[2], w = x.shape[3]
        guard LearningPhase.isTraining, h > height, w > width else { return nil }
        let u = Tensor.randomUniform([2], low: 0, high: 1, dtype: .float64, generator: generator).doubles
        return (Swift.min(Int(u[0] * Double(h - height + 1)), h - height), Swift.min(Int(u[1] * Double(w - width + 1)), w - width))
    }
    func apply(_ x: Tensor, _ o: (top: Int, left: Int)?, _ interpolation: Interpolation) -> Tensor {
        guard let o else { return cropToAspectAndResize(x, height: height, width: width, interpolation: interpolation) }
        return cropped(x, top: o.top, left: o.left, height: height, width: width)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { apply(x, offset(x), .bilinear) }
    /// Boxes move with the crop (Keras 3.15.1 subtracts the row offset from x and the column
    /// offset from y; Weft moves each coordinate by its own offset).
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        let x = batch.images, o = offset(x)
        let map = o.map { [1, 0, Double($0.left), 0, 1, Double($0.top)] } ?? aspectCropMap(x.shape[2], x.shape[3], height: height, width: width)
        return batch.warped(images: apply(x, o, .bilinear), maps: repeated(map, x.shape[0])) { self.apply($0, o, .nearest) }
    }
}

/// Keras `RandomFlip`: in training, each image is mirrored left–right (`.horizontal`),
/// top–bottom (`.vertical`) or either way independently (`.horizontalAndVertical`) with
/// probability ½ per direction.
public final class RandomFlip: Layer, ImageBatchTransform {
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
    /// Per image: (mirror columns, mirror rows).
    func flips(_ n: Int) -> [(Bool, Bool)] {
        let u = Tensor.randomUniform([n, 2], low: 0, high: 1, dtype: .float64, generator: generator).doubles
        return (0..<n).map { i in (mode != .vertical && u[2 * i] > 0.5, mode != .horizontal && u[2 * i + 1] > 0.5) }
    }
    func flipped(_ x: Tensor, _ flags: [(Bool, Bool)]) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let v = x.detached().doubles
        var out = v
        for i in 0..<n {
            let (flipX, flipY) = flags[i]
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
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "RandomFlip: expects [N, C, H, W] images, got \(x.shape)")
        guard LearningPhase.isTraining else { return x }
        return flipped(x, flips(x.shape[0]))
    }
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        let x = batch.images
        precondition(x.rank == 4, "RandomFlip: expects [N, C, H, W] images, got \(x.shape)")
        guard LearningPhase.isTraining else { return batch }
        let flags = flips(x.shape[0]), h = Double(x.shape[2] - 1), w = Double(x.shape[3] - 1)
        let maps = flags.map { fx, fy in [fx ? -1 : 1, 0, fx ? w : 0, 0, fy ? -1 : 1, fy ? h : 0] }
        return batch.warped(images: flipped(x, flags), maps: maps) { self.flipped($0, flags) }
    }
}
