import Weft

// Per-sample transforms: image augmentation on NCHW float32 tensors, one-hot labels, sequence
// padding. A loader runs them on its worker threads, a batch at a time; each sample's random
// numbers come from (seed, epoch, sample index) through Philox, so that the results do not
// depend on which thread ran them, how many there were, or how the samples were batched.

/// The random numbers of one sample in one epoch: Philox4x32 blocks under a key derived from
/// the loader's seed, at counter = the sample's dataset index, in a stream made of the epoch
/// and the transform's stage in a pipeline.
public struct SampleRandom: Sendable, Equatable {
    public let key: UInt64
    public let epoch: Int
    public let index: Int
    /// Which transform of a pipeline draws (``Compose`` gives each stage its own).
    public let stage: UInt32

    /// The stage that a loader's `targetTransform` starts from, apart from the inputs' stages.
    public static let targetStage = 0x7467_7400

    public init(seed: UInt64, epoch: Int, index: Int) {
        // A key of its own, so that transform draws never repeat the shuffling generator's.
        self.init(key: RandomGenerator(seed: seed ^ 0x7472_616E_7366_6F72).snapshot.key, epoch: epoch, index: index, stage: 0)
    }

    public init(key: UInt64, epoch: Int, index: Int, stage: UInt32) {
        self.key = key
        self.epoch = epoch
        self.index = index
        self.stage = stage
    }

    /// The numbers of sub-transform `k` (decorrelated from this one's and from its siblings').
    public func stage(_ k: Int) -> SampleRandom {
        var z = UInt64(stage) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: k) &+ 1
        z = (z ^ (z >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return SampleRandom(key: key, epoch: epoch, index: index, stage: UInt32(truncatingIfNeeded: z ^ (z >> 32)))
    }

    /// Random 32-bit word `i` (0, 1, 2, …) of this sample.
    public func bits(_ i: Int) -> UInt32 {
        let stream = UInt64(truncatingIfNeeded: epoch) << 40 | UInt64(stage) << 8 | UInt64(truncatingIfNeeded: i / 4) & 0xFF
        let b = Philox4x32(key: key).block(UInt64(truncatingIfNeeded: index), stream: stream)
        switch i % 4 {
        case 0: return b.0
        case 1: return b.1
        case 2: return b.2
        default: return b.3
        }
    }

    /// A uniform float in [0, 1) from word `i`.
    public func uniform(_ i: Int) -> Float { Philox4x32.unitFloat(bits(i)) }

    /// A uniform integer in `0 ..< bound` from word `i`.
    public func int(below bound: Int, _ i: Int) -> Int {
        precondition(bound > 0 && bound <= Int(UInt32.max))
        return Int((UInt64(bits(i)) &* UInt64(bound)) >> 32)
    }
}

/// A per-sample transform.
///
/// `apply` maps one sample (no batch axis: an image is [C, H, W]); `applyBatch` maps a batch
/// [N, …] whose sample `n` draws from `randoms[n]`, and must give sample by sample what `apply`
/// gives. The default implementation splits the batch and stacks; the image transforms loop
/// over the batch with raw pointers instead.
public protocol Transform: Sendable {
    func apply(_ sample: Tensor, random: SampleRandom) -> Tensor
    func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor
}

extension Transform {
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor {
        precondition(batch.rank >= 1 && batch.shape[0] == randoms.count,
                     "\(Self.self): batch of shape \(batch.shape) for \(randoms.count) samples")
        return stackSamples((0..<randoms.count).map { apply(batch[$0], random: randoms[$0]) })
    }

    /// Applies to one sample with the random numbers of (`seed`, `epoch`, `index`) — handy for
    /// deterministic transforms (`PadSequence()(tokens)`) and for checking what a loader did.
    public func callAsFunction(_ sample: Tensor, seed: UInt64 = 0, epoch: Int = 0, index: Int = 0) -> Tensor {
        apply(sample, random: SampleRandom(seed: seed, epoch: epoch, index: index))
    }
}

/// Transforms applied one after the other; stage `k` draws from `random.stage(k)`.
public struct Compose: Transform {
    public let transforms: [any Transform]

    public init(_ transforms: [any Transform]) { self.transforms = transforms }
    public init(@TransformBuilder _ build: () -> [any Transform]) { self.transforms = build() }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor {
        var x = sample
        for (k, t) in transforms.enumerated() { x = t.apply(x, random: random.stage(k)) }
        return x
    }

    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor {
        var x = batch
        for (k, t) in transforms.enumerated() { x = t.applyBatch(x, randoms: randoms.map { $0.stage(k) }) }
        return x
    }
}

@resultBuilder
public enum TransformBuilder {
    public static func buildExpression(_ t: any Transform) -> [any Transform] { [t] }
    public static func buildBlock(_ parts: [any Transform]...) -> [any Transform] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Transform]?) -> [any Transform] { part ?? [] }
    public static func buildEither(first part: [any Transform]) -> [any Transform] { part }
    public static func buildEither(second part: [any Transform]) -> [any Transform] { part }
    public static func buildArray(_ parts: [[any Transform]]) -> [any Transform] { parts.flatMap { $0 } }
}

// MARK: - Images

/// What the pixels outside an image read as, when a crop or a shift reaches past its border.
public enum FillMode: Sendable, Equatable {
    /// A constant value (Keras `fill_mode='constant'`, `cval`; torchvision's padding fill).
    case constant(Float)
    /// The nearest pixel on the border (Keras `fill_mode='nearest'`, its default; torchvision `padding_mode='edge'`).
    case nearest
}

/// Image geometry of a [C, H, W] sample or an [N, C, H, W] batch.
struct ImageShape {
    let n, c, h, w: Int
    let batched: Bool

    init(_ x: Tensor, op: String, batched: Bool) {
        precondition(x.dtype == .float32, "\(op): images must be float32, got \(x.dtype) (use ToFloat first)")
        precondition(x.rank == (batched ? 4 : 3),
                     "\(op): expected \(batched ? "a batch [N, C, H, W]" : "an image [C, H, W]"), got shape \(x.shape)")
        let s = batched ? x.shape : [1] + x.shape
        (n, c, h, w) = (s[0], s[1], s[2], s[3])
        self.batched = batched
    }

    func shape(h oh: Int, w ow: Int) -> Shape { batched ? [n, c, oh, ow] : [c, oh, ow] }
}

/// Runs `body(src, dst, random)` for each image of `x` (one sample or a batch), with `src`
/// [C, H, W] and `dst` [C, oh, ow]; returns the new tensor.
func mapImages(_ x: Tensor, _ g: ImageShape, randoms: [SampleRandom], outH: Int, outW: Int,
               _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, SampleRandom) -> Void) -> Tensor {
    precondition(randoms.count == g.n, "transform: \(g.n) images but \(randoms.count) random streams")
    let out = Tensor(empty: g.shape(h: outH, w: outW), dtype: .float32, device: x.device)
    let dst = out.storage.data.assumingMemoryBound(to: Float.self)   // fresh: nothing else holds it
    let inSize = g.c * g.h * g.w, outSize = g.c * outH * outW
    x.withUnsafeBufferPointer(as: Float.self) { src in
        for i in 0..<g.n { body(src.baseAddress! + i * inSize, dst + i * outSize, randoms[i]) }
    }
    return out
}

/// Per-channel normalisation: `(x − mean[c]) / std[c]` (torchvision `Normalize`).
/// One mean and std for every channel when the arrays have one element.
public struct Normalize: Transform {
    public let mean: [Float]
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(!mean.isEmpty && mean.count == std.count, "Normalize: \(mean.count) means for \(std.count) standard deviations")
        precondition(std.allSatisfy { $0 > 0 }, "Normalize: standard deviations must be > 0, got \(std)")
        self.mean = mean
        self.std = std
    }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor { run(sample, batched: false, randoms: [random]) }
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor { run(batch, batched: true, randoms: randoms) }

    func run(_ x: Tensor, batched: Bool, randoms: [SampleRandom]) -> Tensor {
        let g = ImageShape(x, op: "Normalize", batched: batched)
        precondition(mean.count == 1 || mean.count == g.c, "Normalize: \(mean.count) channel means for images of \(g.c) channels")
        let plane = g.h * g.w
        let scale = std.map { 1 / $0 }
        return mapImages(x, g, randoms: randoms, outH: g.h, outW: g.w) { src, dst, _ in
            for ch in 0..<g.c {
                let k = mean.count == 1 ? 0 : ch
                let m = mean[k], s = scale[k]
                let o = ch * plane
                for p in 0..<plane { dst[o + p] = (src[o + p] - m) * s }
            }
        }
    }
}

/// Pads by `padding` pixels on every side, then crops a window of the output size at a random
/// place (torchvision `RandomCrop(size, padding)`; the CIFAR recipe is padding 4, size 32).
/// The padded pixels are never materialised: they read as `fill`.
public struct RandomCrop: Transform {
    /// Output size; nil keeps the input's.
    public let height: Int?
    public let width: Int?
    public let padding: Int
    public let fill: FillMode

    public init(height: Int? = nil, width: Int? = nil, padding: Int = 0, fill: FillMode = .constant(0)) {
        precondition(padding >= 0 && (height ?? 1) >= 1 && (width ?? 1) >= 1, "RandomCrop: bad size \(height as Any)×\(width as Any) or padding \(padding)")
        self.height = height
        self.width = width
        self.padding = padding
        self.fill = fill
    }

    /// A square crop.
    public init(size: Int, padding: Int = 0, fill: FillMode = .constant(0)) {
        self.init(height: size, width: size, padding: padding, fill: fill)
    }

    /// Where the window starts in the padded image: row `top`, column `left`, each in
    /// `0 ... (in + 2·padding − out)`.
    public func offsets(random: SampleRandom, height h: Int, width w: Int) -> (top: Int, left: Int) {
        let oh = height ?? h, ow = width ?? w
        precondition(oh <= h + 2 * padding && ow <= w + 2 * padding,
                     "RandomCrop: a \(oh)×\(ow) crop does not fit in a \(h)×\(w) image padded by \(padding)")
        return (random.int(below: h + 2 * padding - oh + 1, 0), random.int(below: w + 2 * padding - ow + 1, 1))
    }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor { run(sample, batched: false, randoms: [random]) }
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor { run(batch, batched: true, randoms: randoms) }

    func run(_ x: Tensor, batched: Bool, randoms: [SampleRandom]) -> Tensor {
        let g = ImageShape(x, op: "RandomCrop", batched: batched)
        let oh = height ?? g.h, ow = width ?? g.w
        return mapImages(x, g, randoms: randoms, outH: oh, outW: ow) { src, dst, random in
            let (top, left) = offsets(random: random, height: g.h, width: g.w)
            copyWindow(src, c: g.c, h: g.h, w: g.w, to: dst, oh: oh, ow: ow,
                       rowOffset: top - padding, colOffset: left - padding, fill: fill)
        }
    }
}

/// `dst[c][i][j] = src[c][i + rowOffset][j + colOffset]`, pixels outside `src` read as `fill`.
func copyWindow(_ src: UnsafePointer<Float>, c: Int, h: Int, w: Int, to dst: UnsafeMutablePointer<Float>,
                oh: Int, ow: Int, rowOffset: Int, colOffset: Int, fill: FillMode) {
    // Output columns whose source column is inside the image: j0 ..< j1.
    let j0 = Swift.min(ow, Swift.max(0, -colOffset)), j1 = Swift.max(j0, Swift.min(ow, w - colOffset))
    for ch in 0..<c {
        let s = src + ch * h * w, d = dst + ch * oh * ow
        for i in 0..<oh {
            let row = d + i * ow
            var sy = i + rowOffset
            if sy < 0 || sy >= h {
                if case .constant(let v) = fill {
                    row.update(repeating: v, count: ow)
                    continue
                }
                sy = Swift.min(Swift.max(sy, 0), h - 1)
            }
            let sr = s + sy * w
            switch fill {
            case .constant(let v):
                if j0 > 0 { row.update(repeating: v, count: j0) }
                if j1 < ow { (row + j1).update(repeating: v, count: ow - j1) }
            case .nearest:
                if j0 > 0 { row.update(repeating: sr[0], count: j0) }
                if j1 < ow { (row + j1).update(repeating: sr[w - 1], count: ow - j1) }
            }
            if j1 > j0 { (row + j0).update(from: sr + j0 + colOffset, count: j1 - j0) }
        }
    }
}

/// Mirrors the image left to right with probability `probability` (torchvision `RandomHorizontalFlip`,
/// Keras `horizontal_flip=True`).
public struct RandomHorizontalFlip: Transform {
    public let probability: Float

    public init(probability: Float = 0.5) {
        precondition(probability >= 0 && probability <= 1, "RandomHorizontalFlip: probability \(probability) is not in [0, 1]")
        self.probability = probability
    }

    /// Whether the sample with these random numbers is flipped.
    public func flips(_ random: SampleRandom) -> Bool { random.uniform(0) < probability }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor { run(sample, batched: false, randoms: [random]) }
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor { run(batch, batched: true, randoms: randoms) }

    func run(_ x: Tensor, batched: Bool, randoms: [SampleRandom]) -> Tensor {
        let g = ImageShape(x, op: "RandomHorizontalFlip", batched: batched)
        return mapImages(x, g, randoms: randoms, outH: g.h, outW: g.w) { src, dst, random in
            let rows = g.c * g.h
            if flips(random) {
                for r in 0..<rows {
                    let s = src + r * g.w, d = dst + r * g.w
                    for j in 0..<g.w { d[j] = s[g.w - 1 - j] }
                }
            } else {
                dst.update(from: src, count: rows * g.w)
            }
        }
    }
}

/// Random translations (Keras `ImageDataGenerator(width_shift_range=, height_shift_range=)`):
/// the content moves by `dx` columns and `dy` rows, each uniform in ±range, where a range below 1
/// is a fraction of the width (height) and one of 1 or more is in pixels. Shifts are continuous,
/// so pixels are interpolated bilinearly as Keras does (order 1); the pixels uncovered read as
/// `fill`: `.nearest` (Keras's default `fill_mode`) repeats the border, `.constant(v)` is `cval`.
public struct RandomShift: Transform {
    public let widthRange: Float
    public let heightRange: Float
    public let fill: FillMode

    public init(widthRange: Float, heightRange: Float, fill: FillMode = .nearest) {
        precondition(widthRange >= 0 && heightRange >= 0, "RandomShift: ranges must be ≥ 0")
        self.widthRange = widthRange
        self.heightRange = heightRange
        self.fill = fill
    }

    /// The shift of the sample with these random numbers, in pixels.
    public func offsets(random: SampleRandom, height h: Int, width w: Int) -> (dy: Float, dx: Float) {
        let ry = heightRange < 1 ? heightRange * Float(h) : heightRange
        let rx = widthRange < 1 ? widthRange * Float(w) : widthRange
        return ((2 * random.uniform(0) - 1) * ry, (2 * random.uniform(1) - 1) * rx)
    }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor { run(sample, batched: false, randoms: [random]) }
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor { run(batch, batched: true, randoms: randoms) }

    func run(_ x: Tensor, batched: Bool, randoms: [SampleRandom]) -> Tensor {
        let g = ImageShape(x, op: "RandomShift", batched: batched)
        return mapImages(x, g, randoms: randoms, outH: g.h, outW: g.w) { src, dst, random in
            let (dy, dx) = offsets(random: random, height: g.h, width: g.w)
            shiftImage(src, c: g.c, h: g.h, w: g.w, dy: dy, dx: dx, fill: fill, to: dst)
        }
    }
}

/// An image translated by (`dy`, `dx`) pixels: `out[c][i][j] = in[c][i − dy][j − dx]`,
/// bilinear between pixels, `fill` outside. Integral shifts copy pixels exactly.
public func shiftImage(_ image: Tensor, dy: Float, dx: Float, fill: FillMode = .nearest) -> Tensor {
    let g = ImageShape(image, op: "shiftImage", batched: false)
    return mapImages(image, g, randoms: [SampleRandom(key: 0, epoch: 0, index: 0, stage: 0)], outH: g.h, outW: g.w) { src, dst, _ in
        shiftImage(src, c: g.c, h: g.h, w: g.w, dy: dy, dx: dx, fill: fill, to: dst)
    }
}

func shiftImage(_ src: UnsafePointer<Float>, c: Int, h: Int, w: Int, dy: Float, dx: Float, fill: FillMode,
                to dst: UnsafeMutablePointer<Float>) {
    let fy = (-dy).rounded(.down), fx = (-dx).rounded(.down)
    let ty = -dy - fy, tx = -dx - fx          // fractional parts in [0, 1)
    let iy = Int(fy), ix = Int(fx)
    if ty == 0 && tx == 0 {                   // whole pixels: a plain window copy
        copyWindow(src, c: c, h: h, w: w, to: dst, oh: h, ow: w, rowOffset: iy, colOffset: ix, fill: fill)
        return
    }
    let w00 = (1 - ty) * (1 - tx), w01 = (1 - ty) * tx, w10 = ty * (1 - tx), w11 = ty * tx
    for ch in 0..<c {
        let s = src + ch * h * w, d = dst + ch * h * w
        @inline(__always) func pixel(_ y: Int, _ x: Int) -> Float {
            if y >= 0 && y < h && x >= 0 && x < w { return s[y * w + x] }
            switch fill {
            case .constant(let v): return v
            case .nearest: return s[Swift.min(Swift.max(y, 0), h - 1) * w + Swift.min(Swift.max(x, 0), w - 1)]
            }
        }
        for i in 0..<h {
            let y = i + iy
            for j in 0..<w {
                let x = j + ix
                d[i * w + j] = w00 * pixel(y, x) + w01 * pixel(y, x + 1) + w10 * pixel(y + 1, x) + w11 * pixel(y + 1, x + 1)
            }
        }
    }
}

/// Integer pixels (uint8 0…255, or any dtype) to float32 times `scale` (torchvision `ToTensor`'s
/// scaling: 1/255 by default).
public struct ToFloat: Transform {
    public let scale: Float

    public init(scale: Float = 1 / 255) { self.scale = scale }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor { run(sample) }
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor { run(batch) }

    func run(_ x: Tensor) -> Tensor {
        let out = Tensor(empty: x.shape, dtype: .float32, device: x.device)
        let d = out.storage.data.assumingMemoryBound(to: Float.self)
        let s = scale
        switch x.dtype {
        case .uint8:
            x.withUnsafeBufferPointer(as: UInt8.self) { src in for i in 0..<src.count { d[i] = Float(src[i]) * s } }
        case .float32:
            x.withUnsafeBufferPointer(as: Float.self) { src in for i in 0..<src.count { d[i] = src[i] * s } }
        default:
            x.cast(to: .float32).withUnsafeBufferPointer(as: Float.self) { src in for i in 0..<src.count { d[i] = src[i] * s } }
        }
        return out
    }
}

// MARK: - Labels and sequences

/// Integer class labels to float32 one-hot vectors: shape `s` → `s + [classes]`
/// (Keras `to_categorical`). Works the same on one label and on a batch of them.
public struct OneHot: Transform {
    public let classes: Int

    public init(classes: Int) {
        precondition(classes >= 1, "OneHot: classes must be ≥ 1, got \(classes)")
        self.classes = classes
    }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor { run(sample) }
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor { run(batch) }

    func run(_ labels: Tensor) -> Tensor {
        let out = Tensor(empty: labels.shape + [classes], dtype: .float32, device: labels.device)
        let d = out.storage.data.assumingMemoryBound(to: Float.self)
        d.initialize(repeating: 0, count: out.count)
        func set(_ i: Int, _ label: Int) {
            precondition(label >= 0 && label < classes, "OneHot: label \(label) is not in 0..<\(classes)")
            d[i * classes + label] = 1
        }
        switch labels.dtype {
        case .int32: labels.withUnsafeBufferPointer(as: Int32.self) { p in for i in 0..<p.count { set(i, Int(p[i])) } }
        case .int64: labels.withUnsafeBufferPointer(as: Int64.self) { p in for i in 0..<p.count { set(i, Int(p[i])) } }
        case .uint8: labels.withUnsafeBufferPointer(as: UInt8.self) { p in for i in 0..<p.count { set(i, Int(p[i])) } }
        default:
            let v = labels.doubles
            for i in 0..<v.count {
                precondition(v[i] == v[i].rounded(), "OneHot: label \(v[i]) is not an integer")
                set(i, Int(v[i]))
            }
        }
        return out
    }
}

/// Pads or truncates a sequence [L] (or a batch [N, L]) to `length` along its last axis, the
/// Keras `pad_sequences` way (as ``padSequences(_:maxLen:padding:truncating:value:)``, on tensors): `padding` says on which side the `value`s go, `truncating` from
/// which side elements are dropped (both `.pre` by default, as in Keras). Any dtype.
public struct PadSequence: Transform {
    public let length: Int
    public let value: Double
    public let padding: SequencePadding
    public let truncating: SequencePadding

    public init(length: Int, value: Double = 0, padding: SequencePadding = .pre, truncating: SequencePadding = .pre) {
        precondition(length >= 0, "PadSequence: length must be ≥ 0, got \(length)")
        self.length = length
        self.value = value
        self.padding = padding
        self.truncating = truncating
    }

    public func apply(_ sample: Tensor, random: SampleRandom) -> Tensor { run(sample, rank: 1) }
    public func applyBatch(_ batch: Tensor, randoms: [SampleRandom]) -> Tensor { run(batch, rank: 2) }

    func run(_ x: Tensor, rank: Int) -> Tensor {
        precondition(x.rank == rank, "PadSequence: expected \(rank == 1 ? "a sequence [L]" : "a batch [N, L]"), got shape \(x.shape)")
        let l = x.shape[rank - 1], rows = rank == 1 ? 1 : x.shape[0]
        let es = x.dtype.byteSize
        let out = Tensor(empty: rank == 1 ? [length] : [rows, length], dtype: x.dtype, device: x.device)
        let padValue = Tensor(value, dtype: x.dtype)
        let kept = Swift.min(l, length), pad = length - kept
        let srcStart = truncating == .pre ? l - kept : 0          // which elements survive
        let dstStart = padding == .pre ? pad : 0                   // where they go
        let padStart = padding == .pre ? 0 : kept
        let s = x.storage.data, d = out.storage.data, v = padValue.storage.data
        for r in 0..<rows {
            let row = d + r * length * es
            if kept > 0 { (row + dstStart * es).copyMemory(from: s + (r * l + srcStart) * es, byteCount: kept * es) }
            for k in 0..<pad { (row + (padStart + k) * es).copyMemory(from: v, byteCount: es) }
        }
        return out
    }
}
