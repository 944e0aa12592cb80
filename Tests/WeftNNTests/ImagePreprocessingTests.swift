import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Resizing and CenterCrop against Keras 3.15.1 (torch backend, float64, channels_first):
// x = det((2,2,5,7), .29, .3), det(shape, a, b) = (0.5 * np.sin(a * np.arange(n) + b));
//   Resizing(8, 4)(x); Resizing(3, 4, interpolation="nearest")(x);
//   Resizing(4, 4, crop_to_aspect_ratio=True)(x); CenterCrop(3, 4)(x).
// RandomCrop in inference follows Keras's documentation (the aspect-ratio crop resized to the
// target); Keras 3.15.1's code returns the images unchanged there, so there is no reference.

private let x = nnTensor([2, 2, 5, 7], (0..<140).map { 0.5 * Foundation.sin(0.29 * Double($0) + 0.3) })

@Suite("Image preprocessing layers: Resizing, CenterCrop, RandomCrop, RandomFlip")
struct ImagePreprocessingTests {
    @Test func resizingAndCenterCrop() throws {
        let r = KerasImagePreprocessingReference.self
        let up = Resizing(height: 8, width: 4)
        #expect(try up.build(inputShape: [2, 5, 7]) == [2, 8, 4])
        expectNear(up(x).doubles, r.bilinearUp, rtol: 1e-12, atol: 1e-12)
        expectNear(Resizing(height: 3, width: 4, interpolation: .nearest)(x).doubles, r.nearestDown, rtol: 0, atol: 0)
        expectNear(Resizing(height: 4, width: 4, cropToAspectRatio: true)(x).doubles, r.cropAspect, rtol: 1e-12, atol: 1e-12)
        expectNear(CenterCrop(height: 3, width: 4)(x).doubles, r.centerCrop, rtol: 0, atol: 0)
        #expect(Resizing(height: 5, width: 7)(x).doubles == x.doubles)
        #expect(throws: ShapeError.self) { try Resizing(height: 2, width: 2).build(inputShape: [5, 7]) == [] }
    }

    @Test func randomCropAndFlip() throws {
        // Training: a 3×4 window of the images at one offset for the batch.
        let crop = RandomCrop(height: 3, width: 4, generator: RandomGenerator(seed: 4))
        let y = withTrainingMode { crop(x) }
        #expect(y.shape == [2, 2, 3, 4])
        var found = false
        for top in 0...2 { for left in 0...3 {
            let window = x.sliced(axis: 2, start: top, end: top + 3).sliced(axis: 3, start: left, end: left + 4)
            if window.doubles == y.doubles { found = true }
        } }
        #expect(found)
        // Inference: the aspect-ratio crop resized (as Resizing(cropToAspectRatio:)).
        expectNear(crop(x).doubles, Resizing(height: 3, width: 4, cropToAspectRatio: true)(x).doubles, rtol: 0, atol: 0)
        // RandomFlip: identity in inference; in training each image is itself or its mirror.
        let flip = RandomFlip(.horizontal, generator: RandomGenerator(seed: 1))
        #expect(flip(x).doubles == x.doubles)
        let big = nnTensor([32, 1, 2, 3], nnRandom(192, seed: 2))
        let f = withTrainingMode { flip(big) }
        let mirrored = big.indexSelect(axis: 3, indices: Tensor(shape: [3], scalars: [Int32(2), 1, 0]))
        var flipped = 0
        for i in 0..<32 {
            let got = f.sliced(axis: 0, start: i, end: i + 1).doubles
            if got == mirrored.sliced(axis: 0, start: i, end: i + 1).doubles { flipped += 1 }
            else { #expect(got == big.sliced(axis: 0, start: i, end: i + 1).doubles) }
        }
        #expect(flipped > 4 && flipped < 28, "\(flipped) of 32 flipped")
        let v = withTrainingMode { RandomFlip(.vertical, generator: RandomGenerator(seed: 3))(big) }
        let upDown = big.indexSelect(axis: 2, indices: Tensor(shape: [2], scalars: [Int32(1), 0]))
        #expect(v.doubles != big.doubles)
        for i in 0..<32 {
            let got = v.sliced(axis: 0, start: i, end: i + 1).doubles
            #expect(got == upDown.sliced(axis: 0, start: i, end: i + 1).doubles || got == big.sliced(axis: 0, start: i, end: i + 1).doubles)
        }
    }
}
