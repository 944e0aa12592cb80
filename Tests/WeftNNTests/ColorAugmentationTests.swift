import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// RandomColorDegeneration, RandomPosterization, RandomSharpness and AutoContrast against Keras
// 3.15.1 (KerasColorAugmentationReference.swift; torch backend, float64, channels-first, in
// training; factor pairs with equal bounds make the draws deterministic):
//
//   x = det([2, 3, 5, 6], .37, .2)·0.8 + 0.1, det = 0.5 + 0.5·sin(a·k + b), value_range=(0, 1)
//   degenerated = RandomColorDegeneration((.3, .3)); posterized = RandomPosterization((3, 3))
//   sharpened = RandomSharpness((.9, .9)); blurred = RandomSharpness((.1, .1))
//   autoContrast = AutoContrast on the channels-last copy, transposed back (Keras reduces over
//   axes (1, 2) whatever its data_format, so its channels-first result is not per channel)

private typealias R = KerasColorAugmentationReference

private func images() -> Tensor {
    let shape: Shape = [2, 3, 5, 6]
    let v: [Double] = (0..<shape.elementCount).map { k in
        let s: Double = 0.5 + 0.5 * Foundation.sin(0.37 * Double(k) + 0.2)
        return s * 0.8 + 0.1
    }
    return nnTensor(shape, v)
}

@Suite("Colour augmentations against Keras 3")
struct ColorAugmentationTests {
    @Test("Degeneration, posterization, sharpening / smoothing, auto-contrast")
    func matchKeras() {
        let x = images()
        expectNear(withTrainingMode { RandomColorDegeneration(factor: [0.3, 0.3], valueRange: (0, 1))(x) }.doubles, R.degenerated, rtol: 1e-12, atol: 1e-12)
        expectNear(withTrainingMode { RandomPosterization(bits: 3, valueRange: (0, 1))(x) }.doubles, R.posterized, rtol: 1e-12, atol: 1e-12)
        expectNear(withTrainingMode { RandomSharpness(factor: [0.9, 0.9], valueRange: (0, 1))(x) }.doubles, R.sharpened, rtol: 1e-12, atol: 1e-12)
        expectNear(withTrainingMode { RandomSharpness(factor: [0.1, 0.1], valueRange: (0, 1))(x) }.doubles, R.blurred, rtol: 1e-12, atol: 1e-12)
        expectNear(AutoContrast(valueRange: (0, 1))(x).doubles, R.autoContrast, rtol: 1e-12, atol: 1e-12)
        // Inference leaves the random ones alone; s = ½ is the identity; 8 bits keep 0…255 integers.
        #expect(RandomSharpness(factor: 0.9)(x).doubles == x.doubles)
        expectNear(withTrainingMode { RandomSharpness(factor: [0.5, 0.5], valueRange: (0, 1))(x) }.doubles, x.doubles, rtol: 0, atol: 1e-15)
        let ints = Tensor(shape: [1, 1, 1, 4], scalars: [0.0, 17, 128, 255])
        #expect(withTrainingMode { RandomPosterization(bits: 8)(ints) }.doubles == [0, 17, 128, 255])
        #expect(withTrainingMode { RandomPosterization(bits: 1)(ints) }.doubles == [0, 0, 128, 128])
        // A constant channel stays constant under AutoContrast.
        let flat = Tensor.full([1, 1, 2, 2], value: 0.3, dtype: .float64)
        #expect(AutoContrast(valueRange: (0, 1))(flat).doubles == [0.3, 0.3, 0.3, 0.3])
        // Drawn bit counts stay within the range.
        let drawn = withTrainingMode { RandomPosterization(bits: 2...4, generator: RandomGenerator(seed: 1))(Tensor.full([8, 1, 1, 1], value: 255, dtype: .float64)) }.doubles
        #expect(drawn.allSatisfy { [192.0, 224, 240].contains($0) } && Set(drawn).count > 1)
    }
}
