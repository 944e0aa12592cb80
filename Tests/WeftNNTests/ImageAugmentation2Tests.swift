import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// RandomShear, RandomGrayscale, RandomInvert, Solarization, MixUp, CutMix. References
// (KerasImageAugmentation2Reference.swift) from Keras 3.15.1, torch backend, float64,
// channels-first, x = det([2, 3, 5, 6], .37, .2), det = 0.5 + 0.5·sin(a·k + b):
//
//   shearPlus / shearMinus = ops.image.affine_transform(x, [1, ±0.3, 0, ±0.2, 1, 0, 0, 0] per image, fill_mode="reflect")
//       (RandomShear draws the sign per image, so each image is one of the two)
//   grayscale = RandomGrayscale(factor=1.0)(x, training=True)
//   inverted = RandomInvert(factor=(1.0, 1.0), value_range=(0, 1))(x, training=True)

private typealias R = KerasImageAugmentation2Reference

private func images(_ shape: Shape = [2, 3, 5, 6]) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { 0.5 + 0.5 * Foundation.sin(0.37 * Double($0) + 0.2) })
}

@Suite("More image augmentations against Keras 3")
struct ImageAugmentation2Tests {
    @Test("RandomShear: each image is Keras's shear with one of the two signs; both signs occur")
    func shear() {
        let x = images(), per = 90
        var signs = Set<Int>()
        for seed in 0..<6 {
            let y = withTrainingMode { RandomShear(xFactor: [0.3, 0.3], yFactor: [0.2, 0.2], generator: RandomGenerator(seed: UInt64(seed)))(x) }.doubles
            for i in 0..<2 {
                let img = Array(y[(i * per)..<((i + 1) * per)])
                let plus = Array(R.shearPlus[(i * per)..<((i + 1) * per)]), minus = Array(R.shearMinus[(i * per)..<((i + 1) * per)])
                let isPlus = nnIsClose(img, plus, rtol: 1e-9, atol: 1e-10), isMinus = nnIsClose(img, minus, rtol: 1e-9, atol: 1e-10)
                #expect(isPlus || isMinus)
                signs.insert(isPlus ? 1 : -1)
            }
        }
        #expect(signs.count == 2)
        #expect(RandomShear(xFactor: 0.3)(x).doubles == x.doubles)
    }

    @Test("RandomGrayscale and RandomInvert match Keras; Solarization's rule")
    func colour() {
        let x = images()
        expectNear(withTrainingMode { RandomGrayscale(factor: 1)(x) }.doubles, R.grayscale, rtol: 1e-12, atol: 1e-12)
        #expect(withTrainingMode { RandomGrayscale(factor: 0)(x) }.doubles == x.doubles)
        expectNear(withTrainingMode { RandomInvert(factor: [1, 1], valueRange: (0, 1))(x) }.doubles, R.inverted, rtol: 1e-12, atol: 1e-12)
        // Solarization with no addition and threshold 0 inverts everything; with threshold ½·255
        // only the values at or above it, on the 0…255 scale of the value range.
        expectNear(withTrainingMode { Solarization(valueRange: (0, 1))(x) }.doubles, (1 - x).doubles, rtol: 1e-12, atol: 1e-12)
        let s = withTrainingMode { Solarization(additionFactor: [0.1, 0.1], thresholdFactor: [0.5, 0.5], valueRange: (0, 1))(x) }.doubles
        for (a, b) in zip(x.doubles, s) {
            let v = Swift.min(Swift.max(a * 255 + 25.5, 0), 255)
            #expect(Swift.abs(b - (v < 127.5 ? v : 255 - v) / 255) < 1e-12)
        }
    }

    @Test("MixUp: images and labels mixed with one Beta weight per sample and a permutation")
    func mixUp() {
        let x = images([6, 1, 2, 2]), labels = Tensor.eye(6, dtype: .float64)
        let m = MixUp(alpha: 0.4, generator: RandomGenerator(seed: 5))
        let r = m.mix(x, labels)
        #expect(Set(r.partners) == Set(0..<6))
        for i in 0..<6 {
            let lam = r.weights[i], j = r.partners[i]
            #expect(lam > 0 && lam < 1)
            let own = Array(x.doubles[(i * 4)..<(i * 4 + 4)]), other = Array(x.doubles[(j * 4)..<(j * 4 + 4)])
            expectNear(Array(r.images.doubles[(i * 4)..<(i * 4 + 4)]), zip(own, other).map { lam * $0 + (1 - lam) * $1 }, rtol: 1e-12, atol: 1e-14)
            var want = [Double](repeating: 0, count: 6)
            want[i] += lam
            want[j] += 1 - lam
            expectNear(Array(r.labels.doubles[(i * 6)..<(i * 6 + 6)]), want, rtol: 1e-12, atol: 1e-14)
        }
        // The Beta draws have Beta's mean and variance (4000 draws of Beta(2, 5): 2/7 and 10/392).
        let b = betaDraws(4000, 2, 5, RandomGenerator(seed: 9))
        let mean = b.reduce(0, +) / 4000, variance = b.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4000
        #expect(Swift.abs(mean - 2.0 / 7) < 0.01 && Swift.abs(variance - 10.0 / 392) < 0.003)
        let small = betaDraws(4000, 0.3, 0.3, RandomGenerator(seed: 2))
        #expect(Swift.abs(small.reduce(0, +) / 4000 - 0.5) < 0.03 && small.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("CutMix: exactly the box's pixels come from the partner; labels weighted by the area kept")
    func cutMix() {
        let x = images([4, 2, 6, 5]), labels = Tensor.eye(4, dtype: .float64)
        let r = CutMix(generator: RandomGenerator(seed: 3)).mix(x, labels)
        let v = x.doubles, out = r.images.doubles
        for i in 0..<4 {
            let (x0, x1, y0, y1) = r.boxes[i], j = r.partners[i]
            for c in 0..<2 { for row in 0..<6 { for col in 0..<5 {
                let inside = Double(col) >= x0 && Double(col) < x1 && Double(row) >= y0 && Double(row) < y1
                let k = ((i * 2 + c) * 6 + row) * 5 + col, src = ((j * 2 + c) * 6 + row) * 5 + col
                #expect(out[k] == (inside ? v[src] : v[k]))
            } } }
            let keep = 1 - (x1 - x0) * (y1 - y0) / 30
            var want = [Double](repeating: 0, count: 4)
            want[i] += keep
            want[j] += 1 - keep
            expectNear(Array(r.labels.doubles[(i * 4)..<(i * 4 + 4)]), want, rtol: 1e-12, atol: 1e-14)
            #expect(x0 >= 0 && x1 <= 5 && y0 >= 0 && y1 <= 6)
        }
        #expect(r.boxes.contains { $0.1 - $0.0 > 0.5 })
    }
}
