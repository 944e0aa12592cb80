import Foundation
import Weft

// Bounding boxes for the image preprocessing layers (Keras 3's `bounding_boxes` dict and
// `keras.utils.bounding_boxes`): the nine box formats and conversions between them, clipping to
// the image, IoU and CIoU, anchor deltas, and the batch type that carries images with their
// labels, boxes and segmentation masks through the augmentation layers.
//
// Box coordinates are pixel edges: a box [x₁, y₁, x₂, y₂] of an H × W image lies in
// [0, W] × [0, H], and pixel (row r, column c) covers [c, c + 1) × [r, r + 1).

/// Keras's bounding-box formats: corners (`xyxy`, `yxyx`), corner and size (`xywh`), centre and
/// size (`centerXYWH`, `centerYXHW`), and the relative ones, divided by the image width and height.
public enum BoundingBoxFormat: String, CaseIterable, Hashable, Sendable {
    case xyxy, yxyx, xywh
    case centerXYWH = "center_xywh", centerYXHW = "center_yxhw"
    case relXYXY = "rel_xyxy", relYXYX = "rel_yxyx", relXYWH = "rel_xywh", relCenterXYWH = "rel_center_xywh"

    /// Keras's name for it ("xyxy", "rel_center_xywh", …), case-insensitive.
    public init?(keras name: String) { self.init(rawValue: name.lowercased()) }

    /// Coordinates as fractions of the image's width and height.
    public var isRelative: Bool { rawValue.hasPrefix("rel_") }

    /// The absolute format of the same layout.
    var absolute: BoundingBoxFormat {
        switch self {
        case .relXYXY: return .xyxy
        case .relYXYX: return .yxyx
        case .relXYWH: return .xywh
        case .relCenterXYWH: return .centerXYWH
        default: return self
        }
    }

    /// One box in this format as absolute corners (x₁, y₁, x₂, y₂); relative formats scale by w, h.
    func corners(_ b: [Double], height h: Double, width w: Double) -> (Double, Double, Double, Double) {
        let sx = isRelative ? w : 1, sy = isRelative ? h : 1
        switch absolute {
        case .yxyx: return (b[1] * sx, b[0] * sy, b[3] * sx, b[2] * sy)
        case .xywh: return (b[0] * sx, b[1] * sy, (b[0] + b[2]) * sx, (b[1] + b[3]) * sy)
        case .centerXYWH: return ((b[0] - b[2] / 2) * sx, (b[1] - b[3] / 2) * sy, (b[0] + b[2] / 2) * sx, (b[1] + b[3] / 2) * sy)
        case .centerYXHW: return ((b[1] - b[3] / 2) * sx, (b[0] - b[2] / 2) * sy, (b[1] + b[3] / 2) * sx, (b[0] + b[2] / 2) * sy)
        default: return (b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy)
        }
    }

    /// Absolute corners as one box in this format.
    func box(_ c: (Double, Double, Double, Double), height h: Double, width w: Double) -> [Double] {
        let sx = isRelative ? w : 1, sy = isRelative ? h : 1
        let (x1, y1, x2, y2) = (c.0 / sx, c.1 / sy, c.2 / sx, c.3 / sy)
        switch absolute {
        case .yxyx: return [y1, x1, y2, x2]
        case .xywh: return [x1, y1, x2 - x1, y2 - y1]
        case .centerXYWH: return [x1 + (x2 - x1) / 2, y1 + (y2 - y1) / 2, x2 - x1, y2 - y1]
        case .centerYXHW: return [y1 + (y2 - y1) / 2, x1 + (x2 - x1) / 2, y2 - y1, x2 - x1]
        default: return [x1, y1, x2, y2]
        }
    }
}

/// The boxes' values, checked to be [..., 4].
private func boxValues(_ boxes: Tensor, _ what: String) -> [Double] {
    precondition(boxes.rank >= 1 && boxes.shape.last == 4, "\(what): boxes must be [..., 4], got \(boxes.shape)")
    return boxes.detached().doubles
}

/// The image size a conversion needs: relative formats need it, unless both sides are relative.
private func conversionSize(_ source: BoundingBoxFormat, _ target: BoundingBoxFormat, _ height: Int?, _ width: Int?) -> (Double, Double) {
    if source.isRelative == target.isRelative { return (Double(height ?? 1), Double(width ?? 1)) }
    guard let h = height, let w = width else {
        preconditionFailure("convertBoundingBoxes: converting between \(source.rawValue) and \(target.rawValue) needs the image height and width")
    }
    return (Double(h), Double(w))
}

/// Keras `convert_format`: boxes [..., 4] from one format to another (`height` and `width`
/// are needed when exactly one side is relative).
public func convertBoundingBoxes(_ boxes: Tensor, from source: BoundingBoxFormat, to target: BoundingBoxFormat,
                                 height: Int? = nil, width: Int? = nil) -> Tensor {
    let v = boxValues(boxes, "convertBoundingBoxes")
    let dtype = boxes.dtype.isFloatingPoint ? boxes.dtype : TensorDefaults.floatType
    if source == target { return boxes.cast(to: dtype) }
    let (h, w) = conversionSize(source, target, height, width)
    // Both relative: the layouts convert without the size (scales 1).
    let (sh, sw) = source.isRelative && target.isRelative ? (1.0, 1.0) : (h, w)
    var out = [Double]()
    out.reserveCapacity(v.count)
    for k in stride(from: 0, to: v.count, by: 4) {
        out += target.box(source.corners(Array(v[k..<(k + 4)]), height: sh, width: sw), height: sh, width: sw)
    }
    return Tensor(shape: boxes.shape, scalars: out).cast(to: dtype)
}

/// Boxes of a batch of images with their class labels (Keras's `{"boxes", "labels"}`):
/// `boxes` [N, M, 4] in `format`, `labels` [N, M] (−1 marks a padding slot or a box that left
/// the image). The format travels with the boxes (Keras gives it to each layer instead).
public struct BoundingBoxes: Sendable {
    public var boxes: Tensor
    public var labels: Tensor
    public var format: BoundingBoxFormat

    public init(boxes: Tensor, labels: Tensor, format: BoundingBoxFormat = .xyxy) {
        precondition(boxes.rank == 3 && boxes.shape[2] == 4, "BoundingBoxes: boxes must be [N, M, 4], got \(boxes.shape)")
        precondition(labels.rank == 2 && Array(labels.shape) == Array(boxes.shape.prefix(2)),
                     "BoundingBoxes: labels must be [N, M] = \(Array(boxes.shape.prefix(2))), got \(labels.shape)")
        self.boxes = boxes
        self.labels = labels
        self.format = format
    }

    /// The same boxes in another format (`height`, `width`: the image size, for relative formats).
    public func converted(to target: BoundingBoxFormat, height: Int? = nil, width: Int? = nil) -> BoundingBoxes {
        BoundingBoxes(boxes: convertBoundingBoxes(boxes, from: format, to: target, height: height, width: width), labels: labels, format: target)
    }

    /// Builds boxes from per-image absolute corners (converted to `format` for an image of
    /// `height` × `width`), with label −1 where a box has no area left.
    init(corners: [[(Double, Double, Double, Double)]], labels: [Double], like b: BoundingBoxes, height: Int, width: Int) {
        let n = corners.count, m = corners.first?.count ?? 0
        var values = [Double](), ids = labels
        values.reserveCapacity(n * m * 4)
        for (i, image) in corners.enumerated() {
            for (j, c) in image.enumerated() {
                values += b.format.box(c, height: Double(height), width: Double(width))
                if (c.2 - c.0) * (c.3 - c.1) <= 0 { ids[i * m + j] = -1 }
            }
        }
        let dtype = b.boxes.dtype.isFloatingPoint ? b.boxes.dtype : TensorDefaults.floatType
        self.init(boxes: Tensor(shape: [n, m, 4], scalars: values).cast(to: dtype),
                  labels: Tensor(shape: [n, m], scalars: ids).cast(to: b.labels.dtype), format: b.format)
    }

    /// Per image, the boxes as absolute corners of an image of `height` × `width`.
    func corners(height: Int, width: Int) -> [[(Double, Double, Double, Double)]] {
        let n = boxes.shape[0], m = boxes.shape[1], v = boxes.detached().doubles
        return (0..<n).map { i in
            (0..<m).map { j in
                let k = (i * m + j) * 4
                return format.corners(Array(v[k..<(k + 4)]), height: Double(height), width: Double(width))
            }
        }
    }
}

/// Keras `clip_to_image_size`: each box clipped to [0, width] × [0, height]; a box with no area
/// left gets label −1.
public func clipBoundingBoxes(_ b: BoundingBoxes, height: Int, width: Int) -> BoundingBoxes {
    let clipped = b.corners(height: height, width: width).map { image in
        image.map { c in
            (Swift.min(Swift.max(c.0, 0), Double(width)), Swift.min(Swift.max(c.1, 0), Double(height)),
             Swift.min(Swift.max(c.2, 0), Double(width)), Swift.min(Swift.max(c.3, 0), Double(height)))
        }
    }
    return BoundingBoxes(corners: clipped, labels: b.labels.doubles, like: b, height: height, width: width)
}

/// Corners of [M, 4] or [B, M, 4] boxes as (batch count or nil, M, corners).
private func cornerSets(_ boxes: Tensor, _ format: BoundingBoxFormat, _ h: Double, _ w: Double, _ what: String)
    -> (batch: Int?, count: Int, corners: [(Double, Double, Double, Double)]) {
    precondition(boxes.rank == 2 || boxes.rank == 3, "\(what): boxes must be [M, 4] or [B, M, 4], got \(boxes.shape)")
    precondition(!format.isRelative || (h > 0 && w > 0), "\(what): relative formats need the image height and width")
    let v = boxValues(boxes, what)
    let cs = stride(from: 0, to: v.count, by: 4).map { format.corners(Array(v[$0..<($0 + 4)]), height: h, width: w) }
    return (boxes.rank == 3 ? boxes.shape[0] : nil, boxes.shape[boxes.rank - 2], cs)
}

/// Keras `compute_iou`: the pairwise IoU of `boxes1` [M, 4] or [B, M, 4] and `boxes2` [N, 4] or
/// [B, N, 4] ([M, N], or [B, M, N] if either is batched): intersection / (union + 1e-7). With
/// `useMasking`, pairs where either box has all coordinates negative (padding) give `maskValue`.
public func boundingBoxIoU(_ boxes1: Tensor, _ boxes2: Tensor, format: BoundingBoxFormat, useMasking: Bool = false,
                           maskValue: Double = -1, imageHeight: Int? = nil, imageWidth: Int? = nil) -> Tensor {
    let h = Double(imageHeight ?? 0), w = Double(imageWidth ?? 0)
    let a = cornerSets(boxes1, format, h, w, "boundingBoxIoU"), b = cornerSets(boxes2, format, h, w, "boundingBoxIoU")
    if let ba = a.batch, let bb = b.batch { precondition(ba == bb, "boundingBoxIoU: batch sizes \(ba) and \(bb) differ") }
    let batch = a.batch ?? b.batch
    // Keras masks on the boxes in its internal yxyx layout: all of y₁, x₁, y₂, x₂ negative.
    func isPadding(_ c: (Double, Double, Double, Double)) -> Bool { Swift.max(c.0, c.1, c.2, c.3) < 0 }
    var out = [Double]()
    for i in 0..<(batch ?? 1) {
        for p in 0..<a.count {
            let c1 = a.corners[(a.batch == nil ? 0 : i * a.count) + p]
            for q in 0..<b.count {
                let c2 = b.corners[(b.batch == nil ? 0 : i * b.count) + q]
                if useMasking && (isPadding(c1) || isPadding(c2)) { out.append(maskValue); continue }
                let iw = Swift.max(0, Swift.min(c1.2, c2.2) - Swift.max(c1.0, c2.0))
                let ih = Swift.max(0, Swift.min(c1.3, c2.3) - Swift.max(c1.1, c2.1))
                let inter = iw * ih
                let union = (c1.2 - c1.0) * (c1.3 - c1.1) + (c2.2 - c2.0) * (c2.3 - c2.1) - inter
                out.append(inter / (union + 1e-7))
            }
        }
    }
    let shape = (batch.map { [$0] } ?? []) + [a.count, b.count]
    return Tensor(shape: shape, scalars: out).cast(to: boxes1.dtype.isFloatingPoint ? boxes1.dtype : TensorDefaults.floatType)
}

/// Keras `compute_ciou`: the complete IoU of matching boxes [..., 4] (same shapes) → [...]:
/// IoU − ρ²/c² − α·v, with ρ the centre distance, c the enclosing box's diagonal,
/// v = 4/π²·(atan(w₂/h₂) − atan(w₁/h₁))² and α = v / (v − IoU + 1); Keras's 1e-7 guards
/// included. Relative formats are not accepted (as Keras).
public func boundingBoxCIoU(_ boxes1: Tensor, _ boxes2: Tensor, format: BoundingBoxFormat) -> Tensor {
    precondition(!format.isRelative, "boundingBoxCIoU: relative formats are not supported; convert to an absolute one first")
    precondition(boxes1.shape == boxes2.shape, "boundingBoxCIoU: boxes must have equal shapes, got \(boxes1.shape) and \(boxes2.shape)")
    let v1 = boxValues(boxes1, "boundingBoxCIoU"), v2 = boxValues(boxes2, "boundingBoxCIoU")
    let eps = 1e-7
    var out = [Double]()
    for k in stride(from: 0, to: v1.count, by: 4) {
        let a = format.corners(Array(v1[k..<(k + 4)]), height: 1, width: 1), b = format.corners(Array(v2[k..<(k + 4)]), height: 1, width: 1)
        let w1 = a.2 - a.0, h1 = a.3 - a.1 + eps, w2 = b.2 - b.0, h2 = b.3 - b.1 + eps
        let inter = Swift.max(Swift.min(a.2, b.2) - Swift.max(a.0, b.0), 0) * Swift.max(Swift.min(a.3, b.3) - Swift.max(a.1, b.1), 0)
        let union = w1 * h1 + w2 * h2 - inter + eps
        let iou = inter / (union + eps)
        let cw = Swift.max(a.2, b.2) - Swift.min(a.0, b.0), chh = Swift.max(a.3, b.3) - Swift.min(a.1, b.1)
        let diagonal = cw * cw + chh * chh + eps
        let dx = (a.0 + a.2) / 2 - (b.0 + b.2) / 2, dy = (a.1 + a.3) / 2 - (b.1 + b.3) / 2
        let v = 4 / (Double.pi * Double.pi) * Foundation.pow(Foundation.atan(w2 / h2) - Foundation.atan(w1 / h1), 2)
        let alpha = v / (v - iou + (1 + eps))
        out.append(iou - ((dx * dx + dy * dy) / diagonal + v * alpha))
    }
    let dtype = boxes1.dtype.isFloatingPoint ? boxes1.dtype : TensorDefaults.floatType
    return Tensor(shape: Array(boxes1.shape.dropLast()), scalars: out).cast(to: dtype)
}

/// The centre formats box deltas are taken in (Keras's `encoding_format`).
public enum BoxEncoding: Hashable, Sendable {
    case centerYXHW, centerXYWH
    var format: BoundingBoxFormat { self == .centerYXHW ? .centerYXHW : .centerXYWH }
}

/// Converts, per box, to the encoding's centre format: (centre₁, centre₂, size₁, size₂).
private func encoded(_ t: Tensor, _ format: BoundingBoxFormat, _ encoding: BoxEncoding, _ h: Int?, _ w: Int?) -> [Double] {
    convertBoundingBoxes(t, from: format, to: encoding.format, height: h, width: w).doubles
}

private func checkVariance(_ variance: [Double]?) {
    precondition(variance == nil || variance!.count == 4, "box deltas: variance must have 4 values, got \(variance!)")
}

/// Keras `encode_box_to_deltas`: the offsets of `boxes` [N, 4] or [B, N, 4] from `anchors` [N, 4]
/// in the encoding's centre format, ((c − c_a)/s_a, log(s / s_a)) with sizes floored at 1e-7,
/// divided by `variance`.
public func encodeBoxesToDeltas(anchors: Tensor, boxes: Tensor, anchorFormat: BoundingBoxFormat, boxFormat: BoundingBoxFormat,
                                encoding: BoxEncoding = .centerYXHW, variance: [Double]? = nil,
                                imageHeight: Int? = nil, imageWidth: Int? = nil) -> Tensor {
    checkVariance(variance)
    precondition(anchors.rank == 2 && anchors.shape[1] == 4, "encodeBoxesToDeltas: anchors must be [N, 4], got \(anchors.shape)")
    precondition(boxes.shape.suffix(2) == anchors.shape[...], "encodeBoxesToDeltas: boxes \(boxes.shape) do not match anchors \(anchors.shape)")
    let a = encoded(anchors, anchorFormat, encoding, imageHeight, imageWidth), b = encoded(boxes, boxFormat, encoding, imageHeight, imageWidth)
    var out = [Double](repeating: 0, count: b.count)
    for k in stride(from: 0, to: b.count, by: 4) {
        let ak = k % a.count
        for d in 0..<2 {
            let size = Swift.max(a[ak + 2 + d], 1e-7)
            out[k + d] = (b[k + d] - a[ak + d]) / size
            out[k + 2 + d] = Foundation.log(Swift.max(b[k + 2 + d], 1e-7) / size)
        }
        if let v = variance { for d in 0..<4 { out[k + d] /= v[d] } }
    }
    return Tensor(shape: boxes.shape, scalars: out).cast(to: boxes.dtype.isFloatingPoint ? boxes.dtype : TensorDefaults.floatType)
}

/// Keras `decode_deltas_to_boxes`: the inverse of `encodeBoxesToDeltas` — deltas [N, 4] or
/// [B, N, 4] (times `variance`) applied to `anchors` [N, 4], returned in `boxFormat`.
public func decodeDeltasToBoxes(anchors: Tensor, deltas: Tensor, anchorFormat: BoundingBoxFormat, boxFormat: BoundingBoxFormat,
                                encoding: BoxEncoding = .centerYXHW, variance: [Double]? = nil,
                                imageHeight: Int? = nil, imageWidth: Int? = nil) -> Tensor {
    checkVariance(variance)
    precondition(anchors.rank == 2 && anchors.shape[1] == 4, "decodeDeltasToBoxes: anchors must be [N, 4], got \(anchors.shape)")
    precondition(deltas.shape.suffix(2) == anchors.shape[...], "decodeDeltasToBoxes: deltas \(deltas.shape) do not match anchors \(anchors.shape)")
    let a = encoded(anchors, anchorFormat, encoding, imageHeight, imageWidth), dv = boxValues(deltas, "decodeDeltasToBoxes")
    var out = [Double](repeating: 0, count: dv.count)
    for k in stride(from: 0, to: dv.count, by: 4) {
        let ak = k % a.count
        var d = Array(dv[k..<(k + 4)])
        if let v = variance { for j in 0..<4 { d[j] *= v[j] } }
        for j in 0..<2 {
            out[k + j] = d[j] * a[ak + 2 + j] + a[ak + j]
            out[k + 2 + j] = Foundation.exp(d[2 + j]) * a[ak + 2 + j]
        }
    }
    let centre = Tensor(shape: deltas.shape, scalars: out).cast(to: deltas.dtype.isFloatingPoint ? deltas.dtype : TensorDefaults.floatType)
    return convertBoundingBoxes(centre, from: encoding.format, to: boxFormat, height: imageHeight, width: imageWidth)
}

// MARK: - Batches through the augmentation layers

/// What Keras's image preprocessing layers take as a dict: images [N, C, H, W] with, optionally,
/// their labels, bounding boxes and segmentation masks ([N, C, H, W] or [N, H, W]). A layer
/// applies one draw to all of them: geometric layers move boxes and masks with the pixels
/// (masks resampled nearest-neighbour), colour layers leave them as they are, MixUp and CutMix
/// mix labels too.
public struct ImageBatch: Sendable {
    public var images: Tensor
    public var labels: Tensor?
    public var boundingBoxes: BoundingBoxes?
    public var segmentationMasks: Tensor?

    public init(images: Tensor, labels: Tensor? = nil, boundingBoxes: BoundingBoxes? = nil, segmentationMasks: Tensor? = nil) {
        precondition(images.rank == 4, "ImageBatch: images must be [N, C, H, W], got \(images.shape)")
        let n = images.shape[0]
        if let l = labels { precondition(l.rank >= 1 && l.shape[0] == n, "ImageBatch: labels \(l.shape) do not match \(n) images") }
        if let b = boundingBoxes { precondition(b.boxes.shape[0] == n, "ImageBatch: boxes \(b.boxes.shape) do not match \(n) images") }
        if let m = segmentationMasks {
            let hw = Array(images.shape.suffix(2))
            precondition((m.rank == 3 || m.rank == 4) && m.shape[0] == n && Array(m.shape.suffix(2)) == hw,
                         "ImageBatch: segmentation masks must be [N, C, H, W] or [N, H, W] matching images \(images.shape), got \(m.shape)")
        }
        self.images = images
        self.labels = labels
        self.boundingBoxes = boundingBoxes
        self.segmentationMasks = segmentationMasks
    }
}

/// Something that transforms a whole `ImageBatch` with one draw (the image preprocessing
/// layers, MixUp, CutMix, MaxNumBoundingBoxes, Pipeline).
public protocol ImageBatchTransform: AnyObject {
    func callAsFunction(_ batch: ImageBatch) -> ImageBatch
}

/// The layers that change pixel values only: boxes, masks and labels pass through.
public protocol PixelAugmentation: Layer, ImageBatchTransform {}

extension PixelAugmentation {
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        var out = batch
        out.images = self(batch.images)
        return out
    }
}

/// `f` applied to masks as [N, C, H, W] (a [N, H, W] mask gets a channel axis and loses it
/// again), in the masks' own dtype.
func mapMasks(_ m: Tensor, _ f: (Tensor) -> Tensor) -> Tensor {
    let x = m.rank == 3 ? m.unsqueezed(axis: 1) : m
    let y = f(x).cast(to: m.dtype)
    return m.rank == 3 ? y.squeezed(axes: [1]) : y
}

/// The inverse of a sampling map (6 affine or 8 projective coefficients, output index → input
/// index) as a row-major 3 × 3 matrix.
func inverseMap(_ t: [Double]) -> [Double] {
    let m = [t[0], t[1], t[2], t[3], t[4], t[5], t.count == 8 ? t[6] : 0, t.count == 8 ? t[7] : 0, 1]
    let c00 = m[4] * m[8] - m[5] * m[7], c01 = m[5] * m[6] - m[3] * m[8], c02 = m[3] * m[7] - m[4] * m[6]
    let det = m[0] * c00 + m[1] * c01 + m[2] * c02
    precondition(Swift.abs(det) > 1e-12, "bounding boxes: the image transform is not invertible")
    return [c00, m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
            c01, m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
            c02, m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]].map { $0 / det }
}

/// Moves boxes with the pixels of images sampled through `maps` (per image, output index →
/// input index; an empty map is the identity): each corner, in pixel-edge coordinates, goes
/// through the inverse map (edges are half a pixel from indices), the box becomes the bounds of
/// its four corners, clipped to the output image; a box with no area left gets label −1.
/// Padding slots (label −1 coming in) pass through unchanged.
func transformBoxes(_ b: BoundingBoxes, maps: [[Double]], inputHeight: Int, inputWidth: Int,
                    outputHeight: Int, outputWidth: Int) -> BoundingBoxes {
    let corners = b.corners(height: inputHeight, width: inputWidth)
    precondition(maps.count == corners.count, "bounding boxes: \(corners.count) images of boxes for \(maps.count) transforms")
    let moved: [[(Double, Double, Double, Double)]] = zip(corners, maps).map { image, map in
        let inv = map.isEmpty ? nil : inverseMap(map)
        return image.map { c in
            var xs = [Double](), ys = [Double]()
            for (x, y) in [(c.0, c.1), (c.2, c.1), (c.0, c.3), (c.2, c.3)] {
                guard let m = inv else { xs.append(x); ys.append(y); continue }
                let u = x - 0.5, v = y - 0.5
                let k = m[6] * u + m[7] * v + m[8]
                xs.append((m[0] * u + m[1] * v + m[2]) / k + 0.5)
                ys.append((m[3] * u + m[4] * v + m[5]) / k + 0.5)
            }
            return (xs.min()!, ys.min()!, xs.max()!, ys.max()!)
        }
    }
    let placed = BoundingBoxes(corners: moved, labels: b.labels.doubles, like: b, height: outputHeight, width: outputWidth)
    var out = clipBoundingBoxes(placed, height: outputHeight, width: outputWidth)
    // Padding slots (label −1 coming in, as MaxNumBoundingBoxes fills them) stay as they were.
    let padding = b.labels .== Tensor(-1, dtype: b.labels.dtype)
    out.boxes = `where`(padding.unsqueezed(axis: 2).expanded(to: b.boxes.shape), b.boxes.cast(to: out.boxes.dtype), out.boxes)
    return out
}

extension ImageBatch {
    /// The batch after a geometric change: `images` already transformed, masks through
    /// `resampleMasks`, boxes moved by the sampling `maps` onto the output size.
    func warped(images out: Tensor, maps: [[Double]], resampleMasks: (Tensor) -> Tensor) -> ImageBatch {
        var r = self
        r.images = out
        r.segmentationMasks = segmentationMasks.map { mapMasks($0, resampleMasks) }
        if let b = boundingBoxes {
            r.boundingBoxes = transformBoxes(b, maps: maps, inputHeight: images.shape[2], inputWidth: images.shape[3],
                                             outputHeight: out.shape[2], outputWidth: out.shape[3])
        }
        return r
    }
}

/// Keras `MaxNumBoundingBoxes`: pads (with `fillValue` boxes and labels) or truncates each
/// image's boxes to `maxNumber`; images pass through.
public final class MaxNumBoundingBoxes: Layer, ImageBatchTransform {
    public let maxNumber: Int
    public let fillValue: Double
    public init(maxNumber: Int, fillValue: Double = -1) {
        precondition(maxNumber > 0, "MaxNumBoundingBoxes: maxNumber must be positive, got \(maxNumber)")
        self.maxNumber = maxNumber
        self.fillValue = fillValue
    }
    public func build(inputShape s: Shape) throws -> Shape { s }
    public func callAsFunction(_ x: Tensor) -> Tensor { x }
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        guard let b = batch.boundingBoxes else { return batch }
        let n = b.boxes.shape[0], m = b.boxes.shape[1], keep = Swift.min(m, maxNumber), pad = maxNumber - keep
        func fitted(_ t: Tensor, _ per: Int) -> Tensor {
            let v = t.doubles
            var out = [Double]()
            for i in 0..<n {
                out += v[(i * m * per)..<((i * m + keep) * per)]
                out += [Double](repeating: fillValue, count: pad * per)
            }
            return Tensor(shape: per == 4 ? [n, maxNumber, 4] : [n, maxNumber], scalars: out).cast(to: t.dtype)
        }
        var r = batch
        r.boundingBoxes = BoundingBoxes(boxes: fitted(b.boxes, 4), labels: fitted(b.labels, 1), format: b.format)
        return r
    }
}

/// Keras `Pipeline`: applies its transforms in order — to a whole `ImageBatch`, or to images
/// alone (then each layer sees a batch of just the images).
public final class Pipeline: Layer, ImageBatchTransform {
    public let transforms: [any ImageBatchTransform]
    public init(_ transforms: [any ImageBatchTransform]) { self.transforms = transforms }
    public var namedChildren: [(String, any Layer)] {
        transforms.enumerated().compactMap { i, t in (t as? any Layer).map { ("transforms.\(i)", $0) } }
    }
    public func build(inputShape s: Shape) throws -> Shape {
        try transforms.reduce(s) { shape, t in try (t as? any Layer)?.build(inputShape: shape) ?? shape }
    }
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch { transforms.reduce(batch) { $1($0) } }
    public func callAsFunction(_ x: Tensor) -> Tensor { self(ImageBatch(images: x)).images }
}

// The colour layers change pixel values only (as Keras: boxes and masks pass through; AugMix's
// geometric steps, too, leave them as they are, as Keras's do).
extension RandomContrast: PixelAugmentation {}
extension RandomBrightness: PixelAugmentation {}
extension RandomGrayscale: PixelAugmentation {}
extension UnitFactorImageLayer: PixelAugmentation {}
extension Solarization: PixelAugmentation {}
extension RandomPosterization: PixelAugmentation {}
extension AutoContrast: PixelAugmentation {}
extension RandomGaussianBlur: PixelAugmentation {}
extension RandomErasing: PixelAugmentation {}
extension RandomColorJitter: PixelAugmentation {}
extension Equalization: PixelAugmentation {}
extension AugMix: PixelAugmentation {}

extension RandAugment: ImageBatchTransform {
    /// The drawn augmentations applied to the whole batch in turn (the geometric ones move
    /// boxes and masks).
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        guard LearningPhase.isTraining else { return batch }
        return drawOps().reduce(batch) { b, k in
            guard let t = augmentations[k] as? any ImageBatchTransform else { preconditionFailure("RandAugment: \(augmentations[k].typeName) cannot take an ImageBatch") }
            return t(b)
        }
    }
}
