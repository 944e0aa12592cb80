import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Keras's random affine and colour augmentations. References (KerasImageAugmentationReference.swift)
// from Keras 3.15.1, torch backend, float64, channels-first, in training mode; a factor pair with
// equal bounds makes the draw deterministic:
//
//   import os; os.environ["KERAS_BACKEND"] = "torch"
//   import numpy as np, keras; from keras import layers
//   keras.config.set_floatx("float64"); keras.config.set_dtype_policy("float64")
//   det = lambda shape, a, b: (0.5 + 0.5 * np.sin(a * np.arange(int(np.prod(shape))) + b)).reshape(shape)
//   x = det([2, 2, 5, 6], .37, .2); cf = dict(data_format="channels_first")
//   rotation_{fm}_{ip} = RandomRotation((0.1, 0.1), fill_mode=fm, interpolation=ip, fill_value=0.25, **cf)(x, training=True)
//       for fm in reflect, wrap, constant, nearest and ip in bilinear, nearest
//   rotationNegative = RandomRotation((-0.3, -0.3), **cf)
//   zoomBoth = RandomZoom((0.2, 0.2), (-0.3, -0.3), fill_mode="constant", **cf); zoomHeightOnly = RandomZoom((-0.4, -0.4), **cf)
//   translate = RandomTranslation((0.2, 0.2), (-0.25, -0.25), **cf)
//   translateWrapNearest = RandomTranslation((-0.5, -0.5), (0.35, 0.35), fill_mode="wrap", interpolation="nearest", **cf)
//   contrast = RandomContrast((-0.3, 0.3), value_range=(0, 1), **cf)          # k = 1.3
//   brightness = RandomBrightness((0.3, 0.3), value_range=(0, 1), **cf)
//   brightnessDown = RandomBrightness((-0.2, -0.2), value_range=(0, 255), **cf)(x * 255, training=True)
// (Keras computes the zoom and translation matrices in float32: compared at 1e-6.)

private typealias R = KerasImageAugmentationReference

private func images() -> Tensor {
    let shape: Shape = [2, 2, 5, 6]
    return nnTensor(shape, (0..<shape.elementCount).map { 0.5 + 0.5 * Foundation.sin(0.37 * Double($0) + 0.2) })
}

@Suite("Image augmentation layers against Keras 3")
struct ImageAugmentationTests {
    @Test("RandomRotation: every fill mode with bilinear and nearest sampling")
    func rotation() throws {
        let x = images()
        let refs: [(FillMode, Interpolation, [Double])] = [
            (.reflect, .bilinear, R.rotation_reflect_bilinear), (.reflect, .nearest, R.rotation_reflect_nearest),
            (.wrap, .bilinear, R.rotation_wrap_bilinear), (.wrap, .nearest, R.rotation_wrap_nearest),
            (.constant, .bilinear, R.rotation_constant_bilinear), (.constant, .nearest, R.rotation_constant_nearest),
            (.nearest, .bilinear, R.rotation_nearest_bilinear), (.nearest, .nearest, R.rotation_nearest_nearest),
        ]
        for (fill, interp, ref) in refs {
            let layer = RandomRotation(factor: [0.1, 0.1], fillMode: fill, interpolation: interp, fillValue: 0.25)
            let y = withTrainingMode { layer(x) }
            expectNear(y.doubles, ref, rtol: 1e-9, atol: 1e-10, "\(fill) \(interp)")
            #expect(!nnIsClose(y.doubles, x.doubles, rtol: 1e-3, atol: 1e-3))
        }
        expectNear(withTrainingMode { RandomRotation(factor: [-0.3, -0.3])(x) }.doubles, R.rotationNegative, rtol: 1e-9, atol: 1e-10)
        // Inference passes the images through.
        #expect(RandomRotation(factor: 0.2)(x).doubles == x.doubles)
        #expect(try RandomRotation(factor: 0.2).build(inputShape: [2, 5, 6]) == [2, 5, 6])
        #expect(throws: ShapeError.self) { try RandomRotation(factor: 0.2).build(inputShape: [5, 6]) }
    }

    @Test("RandomZoom and RandomTranslation match Keras")
    func zoomAndTranslation() {
        let x = images()
        expectNear(withTrainingMode { RandomZoom(heightFactor: [0.2, 0.2], widthFactor: [-0.3, -0.3], fillMode: .constant)(x) }.doubles,
                   R.zoomBoth, rtol: 1e-6, atol: 1e-6)
        expectNear(withTrainingMode { RandomZoom(heightFactor: [-0.4, -0.4])(x) }.doubles, R.zoomHeightOnly, rtol: 1e-6, atol: 1e-6)
        expectNear(withTrainingMode { RandomTranslation(heightFactor: [0.2, 0.2], widthFactor: [-0.25, -0.25])(x) }.doubles,
                   R.translate, rtol: 1e-6, atol: 1e-6)
        expectNear(withTrainingMode {
            RandomTranslation(heightFactor: [-0.5, -0.5], widthFactor: [0.35, 0.35], fillMode: .wrap, interpolation: .nearest)(x)
        }.doubles, R.translateWrapNearest, rtol: 1e-6, atol: 1e-6)
    }

    @Test("RandomContrast and RandomBrightness match Keras, clipped to the value range")
    func contrastAndBrightness() {
        let x = images()
        // Keras's pair (-0.3, 0.3) draws k in [1.3, 1.3] (its bound in float32: compared at 1e-6).
        expectNear(withTrainingMode { RandomContrast(factor: [-0.3, 0.3], valueRange: (0, 1))(x) }.doubles, R.contrast, rtol: 1e-6, atol: 1e-7)
        expectNear(withTrainingMode { RandomBrightness(factor: [0.3, 0.3], valueRange: (0, 1))(x) }.doubles, R.brightness, rtol: 1e-12, atol: 1e-12)
        let bright = withTrainingMode { RandomBrightness(factor: [0.3, 0.3], valueRange: (0, 1))(x) }
        #expect(bright.doubles.max()! == 1 && bright.doubles.contains { $0 < 1 })
        expectNear(withTrainingMode { RandomBrightness(factor: [-0.2, -0.2])(x * 255) }.doubles, R.brightnessDown, rtol: 1e-12, atol: 1e-10)
    }

    @Test("Random draws: one per image within the factor's range; seeded generators repeat")
    func draws() {
        let x = images()
        // Brightness shifts each image by one constant: recover it.
        let layer = RandomBrightness(factor: 0.4, valueRange: (-10, 10), generator: RandomGenerator(seed: 3))
        let y = withTrainingMode { layer(x) }
        let d = (y - x).doubles
        for i in 0..<2 {
            let per = Array(d[(i * 60)..<((i + 1) * 60)])
            #expect(per.allSatisfy { Swift.abs($0 - per[0]) < 1e-12 })
            #expect(Swift.abs(per[0]) <= 0.4 * 20)
        }
        #expect(Swift.abs(d[0] - d[60]) > 1e-9)
        let again = withTrainingMode { RandomBrightness(factor: 0.4, valueRange: (-10, 10), generator: RandomGenerator(seed: 3))(x) }
        #expect(again.doubles == y.doubles)
        // The contrast factor of a scalar f lies in [1 − f, 1 + f] (Keras's documented range).
        let k = (0..<20).map { s -> Double in
            let c = withTrainingMode { RandomContrast(factor: 0.5, valueRange: (-100, 100), generator: RandomGenerator(seed: UInt64(s)))(x) }
            let m = x.mean(alongAxes: [2, 3], keepingDims: true)
            return ((c - m).doubles[0]) / ((x - m).doubles[0])
        }
        #expect(k.allSatisfy { $0 >= 0.5 - 1e-9 && $0 <= 1.5 + 1e-9 })
        #expect(k.contains { $0 < 1 } && k.contains { $0 > 1 })
        // A rotation by a full turn changes nothing (up to rounding).
        expectNear(withTrainingMode { RandomRotation(factor: [1, 1])(x) }.doubles, x.doubles, rtol: 1e-9, atol: 1e-9)
    }
}
