import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Normalization (adapt), Discretization and CategoryEncoding against Keras 3.15.1 (torch
// backend, float64): data = det((6,3,4), .29, .3)·3 + 1 with det(shape, a, b) =
// (0.5 * np.sin(a * np.arange(n) + b)); Normalization(axis=-1 / 1 / None).adapt(data) applied to
// data[:2]; Normalization(axis=-1, mean=[1,2,3,4], variance=[1,4,0,9], invert=True)(data[:1]);
// Discretization(bin_boundaries=[-0.5, 0, 1, 2.5]) on [[-1, -.5, -.2, 0], [.7, 1, 2.49, 3]].

private let data = nnTensor([6, 3, 4], (0..<72).map { 0.5 * Foundation.sin(0.29 * Double($0) + 0.3) * 3 + 1 })

@Suite("Preprocessing layers against Keras 3: Normalization, Discretization, CategoryEncoding")
struct PreprocessingLayerTests {
    @Test func normalization() throws {
        let r = KerasPreprocessingReference.self
        let first2 = data.sliced(axis: 0, start: 0, end: 2)
        for (axes, ref, statShape) in [([-1], r.normLast, [1, 4]), ([1], r.normAxis1, [3, 1]), ([], r.normAll, [1, 1])] as [([Int], [Double], Shape)] {
            let n = Normalization(axes: axes)
            try n.adapt(data)
            #expect(n.mean!.value.shape == statShape && !n.mean!.trainable && !n.variance!.trainable)
            // Keras's adapt accumulates its statistics in float32: agreement to ~1e-7.
            expectNear(n(first2).doubles, ref, rtol: 1e-6, atol: 1e-6, "axes \(axes)")
            #expect(n.trainableParameters.isEmpty && n.parameters.count == 2)
        }
        let inv = Normalization(mean: [1, 2, 3, 4], variance: [1, 4, 0, 9], invert: true)
        #expect(try inv.build(inputShape: [3, 4]) == [3, 4])
        expectNear(inv(data.sliced(axis: 0, start: 0, end: 1)).doubles, r.normInvert, rtol: 1e-6, atol: 1e-6)
        // Inverting undoes normalising.
        let n = Normalization()
        try n.adapt(data)
        let back = Normalization(mean: n.mean!.value.doubles, variance: n.variance!.value.doubles, invert: true)
        _ = try back.build(inputShape: [3, 4])
        expectNear(back(n(data)).doubles, data.doubles, rtol: 1e-12, atol: 1e-12)
        #expect(throws: ShapeError.self) { try Normalization(mean: [1, 2], variance: [1, 1]).build(inputShape: [3, 4]) == [] }
        #expect(throws: ShapeError.self) { try Normalization(axes: [3]).adapt(data) }
    }

    @Test func discretizationAndCategoryEncoding() {
        let d = Discretization(binBoundaries: [-0.5, 0, 1, 2.5])
        let x = nnTensor([2, 4], [-1, -0.5, -0.2, 0, 0.7, 1, 2.49, 3])
        let ids = d(x)
        #expect(ids.dtype == .int64 && ids.shape == [2, 4])
        #expect(ids.doubles == KerasPreprocessingReference.discretized)
        let ints = Tensor(shape: [2, 3], scalars: [Int64(1), 3, 1, 0, 0, 2])
        #expect(CategoryEncoding(numTokens: 4)(ints).doubles == [0, 1, 0, 1, 1, 0, 1, 0])
        #expect(CategoryEncoding(numTokens: 4, outputMode: .count)(ints).doubles == [0, 2, 0, 1, 2, 0, 1, 0])
        #expect(CategoryEncoding(numTokens: 3, outputMode: .oneHot)(Tensor(shape: [3], scalars: [Int64(2), 0, 1])).doubles == [0, 0, 1, 1, 0, 0, 0, 1, 0])
    }
}
