import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Bounding boxes: `keras.utils.bounding_boxes` (convert_format, clip_to_image_size,
// compute_iou, compute_ciou, encode_box_to_deltas, decode_deltas_to_boxes) and boxes and masks
// through the image preprocessing layers. References from Keras 3.15.1 (torch backend, float64
// policy; its box utilities compute in float32, so those are compared at 1e-6):
//
//   boxes = [[10, 20, 30, 60], [5, 8, 45, 12], [0, 0, 50, 40]] (xyxy), H = 40, W = 50
//   convert_format(boxes, "xyxy", f, height=40, width=50) for each format f
//   clip_to_image_size({"boxes": [[[-10, -20, 150, 160], [50, 40, 70, 80], [3, 4, 9, 8]]], "labels": [[0, 1, 2]]}, height=100, width=60)
//   b1 = [[[0,0,10,10], [5,5,15,20], [-1,-1,-1,-1]], [[2,3,8,9], [0,0,4,4], [1,1,2,3]]],
//   b2 = [[[1,2,11,9], [5,5,15,20]], [[0,0,5,5], [-1,-1,-1,-1]]]: compute_iou(b1, b2, "xyxy") (and use_masking=True),
//       compute_iou(b1[1], b2[0], "yxyx"), compute_iou(b1, b2[0], "center_xywh")
//   c1 = [[0,0,10,10], [5,5,15,20], [2,3,8,9]], c2 = [[1,2,11,9], [0,1,4,30], [2,3,8,9]]: compute_ciou(c1, c2, "xyxy" / "xywh")
//   anchors = [[0,0,10,10], [5,5,25,15], [2,3,8,9]], boxes [[[1,2,11,9], [4,6,20,18], [2,3,8,9]]]:
//       encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=[.1, .1, .2, .2]),
//       encode_box_to_deltas(anchors, boxes, "xyxy", "xywh", encoding_format="center_xywh") (the same numbers as xywh),
//       decode_deltas_to_boxes(anchors, [[[.1, -.2, .3, .05], [0, 0, 0, 0], [-.5, .25, -.1, .2]]], "xyxy", "center_xywh")
//   layers (data_format="channels_first", bounding_box_format="xyxy") on {"images": zeros [1, 1, 8, 10],
//       "bounding_boxes": {"boxes": [[[1, 2, 5, 6], [6, 1, 9, 7], [-1, -1, -1, -1]]], "labels": [[1, 2, -1]]}}:
//       RandomTranslation(height_factor=(.1, .1), width_factor=(-.2, -.2)), Resizing(16, 12), Resizing(4, 10,
//       crop_to_aspect_ratio=True), Resizing(10, 10 / 16, 10, pad_to_aspect_ratio=True), CenterCrop(6, 8),
//       CenterCrop(12, 12), MaxNumBoundingBoxes(5 / 2); RandomFlip(mode).transform_bounding_boxes with flips [[True]]
//   mask = zeros [1, 1, 8, 10], mask[2:6, 1:5] = 1, mask[1:7, 6:9] = 2:
//       RandomTranslation(height_factor=(.25, .25), width_factor=(-.2, -.2), fill_mode="constant")({"images", "segmentation_masks"})

//
// Deliberate difference: padding slots (label −1 coming in) pass through every layer unchanged;
// Keras 3.15.1 zeroes them in Resizing and moves or clips them like boxes elsewhere (its
// RandomFlip even leaves one at x = 11 in a 10-wide image), so the references' padding rows
// read −1 here. Keras's labels for them are −1 either way.

private func t(_ shape: Shape, _ v: [Double]) -> Tensor { nnTensor(shape, v) }

private let kerasBoxes: [Double] = [10, 20, 30, 60, 5, 8, 45, 12, 0, 0, 50, 40]

/// The three boxes of the layer references on an 8 × 10 image (the last one padding).
private func layerBatch(format: BoundingBoxFormat = .xyxy) -> ImageBatch {
    let b = BoundingBoxes(boxes: t([1, 3, 4], [1, 2, 5, 6, 6, 1, 9, 7, -1, -1, -1, -1]), labels: t([1, 3], [1, 2, -1]))
    return ImageBatch(images: Tensor.zeros([1, 1, 8, 10], dtype: .float64), boundingBoxes: format == .xyxy ? b : b.converted(to: format, height: 8, width: 10))
}

private func expectBoxes(_ r: ImageBatch, _ boxes: [Double], _ labels: [Double], _ what: String, atol: Double = 1e-6,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    expectNear(r.boundingBoxes!.boxes.doubles, boxes, rtol: 0, atol: atol, "\(what) boxes", sourceLocation: sourceLocation)
    expectNear(r.boundingBoxes!.labels.doubles, labels, rtol: 0, atol: 0, "\(what) labels", sourceLocation: sourceLocation)
}

@Suite("Bounding boxes: formats, IoU, deltas, and boxes and masks through the image layers")
struct BoundingBoxTests {
    @Test("convertBoundingBoxes: every Keras format from xyxy, and back")
    func formats() {
        let expected: [BoundingBoxFormat: [Double]] = [
            .xyxy: kerasBoxes,
            .yxyx: [20, 10, 60, 30, 8, 5, 12, 45, 0, 0, 40, 50],
            .xywh: [10, 20, 20, 40, 5, 8, 40, 4, 0, 0, 50, 40],
            .centerXYWH: [20, 40, 20, 40, 25, 10, 40, 4, 25, 20, 50, 40],
            .centerYXHW: [40, 20, 40, 20, 10, 25, 4, 40, 20, 25, 40, 50],
            .relXYXY: [0.2, 0.5, 0.6, 1.5, 0.1, 0.2, 0.9, 0.3, 0, 0, 1, 1],
            .relYXYX: [0.5, 0.2, 1.5, 0.6, 0.2, 0.1, 0.3, 0.9, 0, 0, 1, 1],
            .relXYWH: [0.2, 0.5, 0.4, 1, 0.1, 0.2, 0.8, 0.1, 0, 0, 1, 1],
            .relCenterXYWH: [0.4, 1, 0.4, 1, 0.5, 0.25, 0.8, 0.1, 0.5, 0.5, 1, 1],
        ]
        #expect(expected.count == BoundingBoxFormat.allCases.count)
        let boxes = t([3, 4], kerasBoxes)
        for f in BoundingBoxFormat.allCases {
            let out = convertBoundingBoxes(boxes, from: .xyxy, to: f, height: 40, width: 50)
            expectNear(out.doubles, expected[f]!, rtol: 1e-15, atol: 1e-15, f.rawValue)
            expectNear(convertBoundingBoxes(out, from: f, to: .xyxy, height: 40, width: 50).doubles, kerasBoxes, rtol: 1e-14, atol: 1e-14, "\(f.rawValue) back")
            // Relative to relative needs no size.
            if f.isRelative {
                let rel = convertBoundingBoxes(t([3, 4], expected[.relXYXY]!), from: .relXYXY, to: f)
                expectNear(rel.doubles, expected[f]!, rtol: 1e-14, atol: 1e-14, "rel_xyxy → \(f.rawValue)")
            }
        }
        #expect(BoundingBoxFormat(keras: "REL_Center_XYWH") == .relCenterXYWH)
        #expect(BoundingBoxFormat(keras: "corners") == nil)
    }

    @Test("clipBoundingBoxes: clipped to the image, label −1 where no area is left (Keras clip_to_image_size)")
    func clip() {
        let b = BoundingBoxes(boxes: t([1, 3, 4], [-10, -20, 150, 160, 50, 40, 70, 80, 3, 4, 9, 8]), labels: t([1, 3], [0, 1, 2]))
        let r = clipBoundingBoxes(b, height: 100, width: 60)
        expectNear(r.boxes.doubles, [0, 0, 60, 100, 50, 40, 60, 80, 3, 4, 9, 8], rtol: 0, atol: 0)
        expectNear(r.labels.doubles, [0, 1, 2], rtol: 0, atol: 0)
        // A box entirely outside keeps its clipped coordinates and loses its label.
        let out = clipBoundingBoxes(BoundingBoxes(boxes: t([1, 1, 4], [70, 5, 80, 9]), labels: t([1, 1], [3])), height: 100, width: 60)
        expectNear(out.boxes.doubles, [60, 5, 60, 9], rtol: 0, atol: 0)
        expectNear(out.labels.doubles, [-1], rtol: 0, atol: 0)
        // In a relative format the clip is to [0, 1].
        let rel = clipBoundingBoxes(BoundingBoxes(boxes: t([1, 1, 4], [-0.5, 0.25, 0.5, 1.5]), labels: t([1, 1], [1]), format: .relXYXY), height: 10, width: 20)
        expectNear(rel.boxes.doubles, [0, 0.25, 0.5, 1], rtol: 1e-15, atol: 1e-15)
    }

    @Test("boundingBoxIoU and boundingBoxCIoU against Keras's compute_iou / compute_ciou")
    func iou() {
        let b1 = t([2, 3, 4], [0, 0, 10, 10, 5, 5, 15, 20, -1, -1, -1, -1, 2, 3, 8, 9, 0, 0, 4, 4, 1, 1, 2, 3])
        let b2 = t([2, 2, 4], [1, 2, 11, 9, 5, 5, 15, 20, 0, 0, 5, 5, -1, -1, -1, -1])
        let plain: [Double] = [0.5887850522994995, 0.1111111119389534, 0.12244898080825806, 1.0, 0.0, 0.0,
                               0.1090909093618393, 0.0, 0.6399999856948853, 0.0, 0.07999999821186066, 0.0]
        let iou = boundingBoxIoU(b1, b2, format: .xyxy)
        #expect(iou.shape == [2, 3, 2])
        expectNear(iou.doubles, plain, rtol: 0, atol: 1e-6, "batched")
        let masked: [Double] = [0.5887850522994995, 0.1111111119389534, 0.12244898080825806, 1.0, -1, -1,
                                0.1090909093618393, -1, 0.6399999856948853, -1, 0.07999999821186066, -1]
        expectNear(boundingBoxIoU(b1, b2, format: .xyxy, useMasking: true).doubles, masked, rtol: 0, atol: 1e-6, "masked")
        let u = boundingBoxIoU(t([3, 4], Array(b1.doubles[12...])), t([2, 4], Array(b2.doubles[..<8])), format: .yxyx)
        #expect(u.shape == [3, 2])
        expectNear(u.doubles, [0.5142857432365417, 0.06896551698446274, 0.07500000298023224, 0.0, 0.014084506779909134, 0.0],
                   rtol: 0, atol: 1e-6, "unbatched yxyx")
        let mixed = boundingBoxIoU(b1, t([2, 4], Array(b2.doubles[..<8])), format: .centerXYWH)
        #expect(mixed.shape == [2, 3, 2])
        expectNear(mixed.doubles, [0.557729959487915, 0.23076923191547394, 0.25471699237823486, 1.0, 0.0, 0.0, 0.5981308221817017,
                                   0.23999999463558197, 0.16161616146564484, 0.0533333346247673, 0.06060606241226196, 0.019999999552965164],
                   rtol: 0, atol: 1e-6, "batched × unbatched center_xywh")
        let c1 = t([3, 4], [0, 0, 10, 10, 5, 5, 15, 20, 2, 3, 8, 9]), c2 = t([3, 4], [1, 2, 11, 9, 0, 1, 4, 30, 2, 3, 8, 9])
        expectNear(boundingBoxCIoU(c1, c2, format: .xyxy).doubles, [0.5827679634094238, -0.07475494593381882, 1.0], rtol: 0, atol: 1e-6, "ciou xyxy")
        expectNear(boundingBoxCIoU(c1, c2, format: .xywh).doubles, [0.5499109625816345, -0.0957009419798851, 1.0], rtol: 0, atol: 1e-6, "ciou xywh")
    }

    @Test("encodeBoxesToDeltas / decodeDeltasToBoxes against Keras, and decode inverts encode")
    func deltas() {
        let anchors = t([3, 4], [0, 0, 10, 10, 5, 5, 25, 15, 2, 3, 8, 9])
        let boxes = t([1, 3, 4], [1, 2, 11, 9, 4, 6, 20, 18, 2, 3, 8, 9])
        let variance = [0.1, 0.1, 0.2, 0.2]
        let d = encodeBoxesToDeltas(anchors: anchors, boxes: boxes, anchorFormat: .xyxy, boxFormat: .xyxy, variance: variance)
        expectNear(d.doubles, [0.5, 1, -1.7833747863769531, 0, 2, -1.5, 0.9116079807281494, -1.1157176494598389, 0, 0, 0, 0],
                   rtol: 0, atol: 1e-6, "center_yxhw with variance")
        // The same numbers read as xywh boxes.
        let d2 = encodeBoxesToDeltas(anchors: anchors, boxes: boxes, anchorFormat: .xyxy, boxFormat: .xywh, encoding: .centerXYWH)
        expectNear(d2.doubles, [0.15000000596046448, 0.15000000596046448, 0.09531020373106003, -0.10536053776741028, -0.05000000074505806, 0.5,
                                0.0, 0.5877866744995117, 0.1666666716337204, 0.25, 0.28768211603164673, 0.40546512603759766],
                   rtol: 0, atol: 1e-6, "center_xywh")
        let back = decodeDeltasToBoxes(anchors: anchors, deltas: d, anchorFormat: .xyxy, boxFormat: .xyxy, variance: variance)
        expectNear(back.doubles, boxes.doubles, rtol: 0, atol: 1e-12, "round trip")
        let deltas = t([1, 3, 4], [0.1, -0.2, 0.3, 0.05, 0, 0, 0, 0, -0.5, 0.25, -0.1, 0.2])
        let decoded = decodeDeltasToBoxes(anchors: anchors, deltas: deltas, anchorFormat: .xyxy, boxFormat: .centerXYWH)
        expectNear(decoded.doubles, [3.0, 6.000000476837158, 10.512710571289062, 13.498588562011719, 15, 10, 20, 10,
                                     6.5, 3.0, 7.32841682434082, 5.429024696350098], rtol: 0, atol: 2e-6, "decode to center_xywh")
    }

    @Test("Keras's box rules: translation (absolute and relative), resizing (stretch, crop, pad), centre crop, MaxNumBoundingBoxes")
    func layerBoxes() {
        let translation = RandomTranslation(heightFactor: [0.1, 0.1], widthFactor: [-0.2, -0.2])
        expectBoxes(withTrainingMode { translation(layerBatch()) }, [0, 2.799999952316, 3, 6.800000190735, 4, 1.799999952316, 7, 7.800000190735, -1, -1, -1, -1],
                    [1, 2, -1], "translation")
        let rel = withTrainingMode { translation(layerBatch(format: .relXYXY)) }
        #expect(rel.boundingBoxes!.format == .relXYXY)
        expectBoxes(rel, [0, 0.34999999404, 0.300000011921, 0.850000023842, 0.40000000596, 0.22499999404, 0.699999988079, 0.975000023842, -0.1, -0.125, -0.1, -0.125],
                    [1, 2, -1], "translation rel_xyxy")
        let cases: [(any ImageBatchTransform, [Double], Shape, String)] = [
            (Resizing(height: 16, width: 12), [1.200000047684, 4, 6, 12, 7.200000286102, 2, 10.800000190735, 14, -1, -1, -1, -1], [1, 1, 16, 12], "stretch"),
            (Resizing(height: 4, width: 10, cropToAspectRatio: true), [1, 0, 5, 4, 6, 0, 9, 4, -1, -1, -1, -1], [1, 1, 4, 10], "crop to aspect"),
            (Resizing(height: 10, width: 10, padToAspectRatio: true), [1, 3, 5, 7, 6, 2, 9, 8, -1, -1, -1, -1], [1, 1, 10, 10], "pad rows"),
            (Resizing(height: 16, width: 10, padToAspectRatio: true), [1, 6, 5, 10, 6, 5, 9, 11, -1, -1, -1, -1], [1, 1, 16, 10], "pad more rows"),
            (CenterCrop(height: 6, width: 8), [0, 1, 4, 5, 5, 0, 8, 6, -1, -1, -1, -1], [1, 1, 6, 8], "centre crop"),
            (CenterCrop(height: 12, width: 12), [0, 3, 6, 9, 7.5, 1.5, 12, 10.5, -1, -1, -1, -1], [1, 1, 12, 12], "centre crop of a smaller image"),
        ]
        for (layer, boxes, shape, what) in cases {
            let r = layer(layerBatch())
            #expect(r.images.shape == shape, "\(what)")
            expectBoxes(r, boxes, [1, 2, -1], what)
        }
        let five = MaxNumBoundingBoxes(maxNumber: 5)(layerBatch())
        expectBoxes(five, [1, 2, 5, 6, 6, 1, 9, 7] + [Double](repeating: -1, count: 12), [1, 2, -1, -1, -1], "padded to 5")
        expectBoxes(MaxNumBoundingBoxes(maxNumber: 2)(layerBatch()), [1, 2, 5, 6, 6, 1, 9, 7], [1, 2], "truncated to 2")
    }

    @Test("RandomFlip moves boxes as Keras's flip rule when an image flips, and not otherwise; masks flip with the image")
    func flip() {
        let ramp = t([1, 1, 8, 10], (0..<80).map(Double.init))
        var seen = Set<Bool>()
        for (mode, flipped) in [(RandomFlip.Mode.horizontal, [5, 2, 9, 6, 1, 1, 4, 7, -1, -1, -1, -1.0]),
                                (.vertical, [1, 2, 5, 6, 6, 1, 9, 7, -1, -1, -1, -1.0])] {
            for seed in 0..<8 {
                var batch = layerBatch()
                batch.images = ramp
                batch.segmentationMasks = ramp.reshaped(to: [1, 8, 10])
                let r = withTrainingMode { RandomFlip(mode, generator: RandomGenerator(seed: UInt64(seed)))(batch) }
                let didFlip = r.images.doubles != ramp.doubles
                seen.insert(didFlip)
                #expect(r.segmentationMasks!.shape == [1, 8, 10])
                #expect(r.segmentationMasks!.doubles == r.images.doubles)
                let boxes = didFlip ? flipped : [1, 2, 5, 6, 6, 1, 9, 7, -1, -1, -1, -1]
                expectBoxes(r, boxes, [1, 2, -1], "\(mode) seed \(seed)")
            }
        }
        #expect(seen == [true, false])
    }

    @Test("Segmentation masks go through the same draw, nearest-neighbour (Keras's RandomTranslation mask)")
    func masks() {
        var m = [Double](repeating: 0, count: 80)
        for r in 2..<6 { for c in 1..<5 { m[r * 10 + c] = 1 } }
        for r in 1..<7 { for c in 6..<9 { m[r * 10 + c] = 2 } }
        let expected: [Double] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 2, 2, 2, 0, 0, 0,
                                  1, 1, 1, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 2, 2, 2, 0, 0, 0]
        let layer = RandomTranslation(heightFactor: [0.25, 0.25], widthFactor: [-0.2, -0.2], fillMode: .constant)
        let masks = Tensor(shape: [1, 1, 8, 10], scalars: m.map { Int64($0) })
        let r = withTrainingMode { layer(ImageBatch(images: Tensor.zeros([1, 1, 8, 10], dtype: .float64), segmentationMasks: masks)) }
        #expect(r.segmentationMasks!.dtype == .int64)
        expectNear(r.segmentationMasks!.doubles, expected, rtol: 0, atol: 0)
        // Inference leaves everything as it is.
        let same = layer(ImageBatch(images: Tensor.zeros([1, 1, 8, 10], dtype: .float64), segmentationMasks: masks))
        #expect(same.segmentationMasks!.doubles == m)
    }

    @Test("Every geometric layer moves a box with its pixels: the box holds the moved rectangle's pixels, within a pixel")
    func boxesFollowPixels() {
        let h = 20, w = 24
        var rect = [Double](repeating: 0, count: h * w)
        for r in 5..<11 { for c in 6..<15 { rect[r * w + c] = 1 } }
        let makers: [(String, (RandomGenerator) -> any ImageBatchTransform)] = [
            ("rotation", { RandomRotation(factor: [-0.08, 0.08], fillMode: .constant, interpolation: .nearest, generator: $0) }),
            ("zoom", { RandomZoom(heightFactor: [-0.3, 0.2], widthFactor: [-0.2, 0.3], fillMode: .constant, interpolation: .nearest, generator: $0) }),
            ("translation", { RandomTranslation(heightFactor: [-0.2, 0.2], widthFactor: [-0.2, 0.2], fillMode: .constant, interpolation: .nearest, generator: $0) }),
            ("shear", { RandomShear(xFactor: [0.1, 0.3], yFactor: [0.1, 0.2], interpolation: .nearest, fillMode: .constant, generator: $0) }),
            ("perspective", { RandomPerspective(factor: 1, scale: 0.3, interpolation: .nearest, generator: $0) }),
            ("flip", { RandomFlip(.horizontalAndVertical, generator: $0) }),
            ("random crop", { RandomCrop(height: 14, width: 17, generator: $0) }),
            ("centre crop", { _ in CenterCrop(height: 12, width: 16) }),
            ("resizing", { _ in Resizing(height: 31, width: 13, interpolation: .nearest) }),
            ("resizing, padded", { _ in Resizing(height: 30, width: 30, interpolation: .nearest, padToAspectRatio: true) }),
            ("RandAugment's geometric ops", { RandAugment(numOps: 3, factor: [0.1, 0.3], interpolation: .nearest, generator: $0) }),
        ]
        for (name, make) in makers {
            for seed in 0..<4 {
                let batch = ImageBatch(images: t([1, 1, h, w], rect),
                                       boundingBoxes: BoundingBoxes(boxes: t([1, 1, 4], [6, 5, 15, 11]), labels: t([1, 1], [3])),
                                       segmentationMasks: Tensor(shape: [1, h, w], scalars: rect.map { Int64($0) }))
                let layer = make(RandomGenerator(seed: UInt64(seed)))
                let r = withTrainingMode { layer.callAsFunction(batch) }
                let oh = r.images.shape[2], ow = r.images.shape[3], mask = r.segmentationMasks!.doubles
                #expect(r.segmentationMasks!.shape == [1, oh, ow])
                // The mask moved as the image (RandAugment's colour ops change the image's values only).
                if !name.hasPrefix("RandAugment") { #expect(mask == r.images.doubles, "\(name) seed \(seed): the mask moved as the image") }
                let on = mask.indices.filter { mask[$0] > 0.5 }
                guard !on.isEmpty else { Issue.record("\(name) seed \(seed): the rectangle left the image"); continue }
                let rows = on.map { $0 / ow }, cols = on.map { $0 % ow }
                let b = r.boundingBoxes!.boxes.doubles
                #expect(r.boundingBoxes!.labels.doubles == [3])
                let x1 = Double(cols.min()!), x2 = Double(cols.max()! + 1), y1 = Double(rows.min()!), y2 = Double(rows.max()! + 1)
                // The box holds every pixel centre of the rectangle and reaches at most a pixel beyond its pixels.
                let holds = b[0] <= x1 + 0.5 && b[2] >= x2 - 0.5 && b[1] <= y1 + 0.5 && b[3] >= y2 - 0.5
                let tight = b[0] >= x1 - 1 && b[2] <= x2 + 1 && b[1] >= y1 - 1 && b[3] <= y2 + 1
                #expect(holds && tight, "\(name) seed \(seed): box \(b) for pixels [\(x1), \(y1), \(x2), \(y2)]")
            }
        }
    }

    @Test("Colour layers pass boxes and masks through; MixUp mixes masks and keeps both images' boxes; CutMix pastes masks; Pipeline chains")
    func passThroughAndMixing() throws {
        let images = kerasDet([2, 3, 4, 5], 0.31, 0.4, offset: 0.5)
        let boxes = BoundingBoxes(boxes: t([2, 2, 4], [0, 0, 2, 2, 1, 1, 4, 3, 2, 0, 5, 4, -1, -1, -1, -1]), labels: t([2, 2], [1, 2, 3, -1]))
        let masks = kerasDet([2, 1, 4, 5], 0.7, 0.1, offset: 0.5)
        let batch = ImageBatch(images: images, labels: t([2, 2], [1, 0, 0, 1]), boundingBoxes: boxes, segmentationMasks: masks)
        for layer in [RandomContrast(factor: 0.5, valueRange: (0, 1)), RandomSaturation(factor: 0.8, valueRange: (0, 1)),
                      Solarization(additionFactor: 0.2, thresholdFactor: 0.5, valueRange: (0, 1))] as [any PixelAugmentation] {
            let r = withTrainingMode { layer(batch) }
            #expect(r.images.doubles != images.doubles, "\(layer.typeName) changed the images")
            #expect(r.boundingBoxes!.boxes.doubles == boxes.boxes.doubles && r.segmentationMasks!.doubles == masks.doubles && r.labels!.doubles == [1, 0, 0, 1])
        }
        // MixUp: the images' mixing weights and partners decide the masks; boxes are own + partner's.
        let mix = withTrainingMode { MixUp(alpha: 0.4, generator: RandomGenerator(seed: 5))(ImageBatch(images: masks.expanded(to: [2, 3, 4, 5]), labels: batch.labels,
                                                                                                     boundingBoxes: boxes, segmentationMasks: masks)) }
        expectNear(mix.segmentationMasks!.doubles, Array(mix.images.doubles.prefix(20)) + Array(mix.images.doubles[60..<80]), rtol: 0, atol: 1e-12, "MixUp masks")
        #expect(mix.boundingBoxes!.boxes.shape == [2, 4, 4] && mix.boundingBoxes!.labels.shape == [2, 4])
        let partnerOf0 = mix.labels!.doubles[0] == 1 ? 0 : 1     // label [1, 0] mixed with itself stays [1, 0]
        let firstOwn = Array(mix.boundingBoxes!.labels.doubles[0..<2]), firstPartner = Array(mix.boundingBoxes!.labels.doubles[2..<4])
        #expect(firstOwn == [1, 2] && firstPartner == (partnerOf0 == 0 ? [1, 2] : [3, -1]))
        // CutMix: with the masks as every channel of the images, the mixed mask is the mixed image.
        let cut = withTrainingMode { CutMix(factor: 1, generator: RandomGenerator(seed: 2))(ImageBatch(images: masks.expanded(to: [2, 3, 4, 5]), labels: batch.labels,
                                                                                                segmentationMasks: masks)) }
        expectNear(cut.segmentationMasks!.doubles, Array(cut.images.doubles.prefix(20)) + Array(cut.images.doubles[60..<80]), rtol: 0, atol: 0, "CutMix masks")
        // Pipeline: the layers in order, one draw each, as calling them one after another.
        let p = Pipeline([RandomFlip(.horizontal, generator: RandomGenerator(seed: 3)), Resizing(height: 8, width: 6), MaxNumBoundingBoxes(maxNumber: 3)])
        let q: [any ImageBatchTransform] = [RandomFlip(.horizontal, generator: RandomGenerator(seed: 3)), Resizing(height: 8, width: 6), MaxNumBoundingBoxes(maxNumber: 3)]
        let a = withTrainingMode { p(batch) }, e = withTrainingMode { q.reduce(batch) { $1($0) } }
        #expect(a.images.doubles == e.images.doubles && a.boundingBoxes!.boxes.doubles == e.boundingBoxes!.boxes.doubles)
        #expect(a.boundingBoxes!.boxes.shape == [2, 3, 4] && a.images.shape == [2, 3, 8, 6] && a.segmentationMasks!.shape == [2, 1, 8, 6])
        #expect(withTrainingMode { p(images) }.shape == [2, 3, 8, 6])
        #expect(try p.build(inputShape: [3, 4, 5]) == [3, 8, 6])
    }
}
