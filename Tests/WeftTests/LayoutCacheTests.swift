import Testing
@testable import Weft

/// oneDNN's blocked copies kept with tensor storages must never change results: a convolution
/// reading a tensor through its cached blocked copy equals one reading a plain copy, and an
/// in-place write drops the cached copy.
@Suite struct LayoutCacheTests {
    let w1 = Tensor.randomUniform([16, 16, 3, 3], low: -0.2, high: 0.2, generator: RandomGenerator(seed: 1))
    let w2 = Tensor.randomUniform([16, 16, 3, 3], low: -0.2, high: 0.2, generator: RandomGenerator(seed: 2))
    let x = Tensor.randomUniform([2, 16, 8, 8], low: -1, high: 1, generator: RandomGenerator(seed: 3))

    @Test func chainedConvolutionsReuseTheBlockedCopy() {
        let h = conv2d(x, weight: w1, padding: .explicit(1, 1))
        #expect(h.storage.alternate != nil, "the forward keeps its blocked output with the result")
        let viaCache = conv2d(h, weight: w2, padding: .explicit(1, 1))
        let plainCopy = h + 0   // same values, fresh storage without a blocked copy
        #expect(plainCopy.storage.alternate == nil)
        let viaPlain = conv2d(plainCopy, weight: w2, padding: .explicit(1, 1))
        #expect(viaCache.floats == viaPlain.floats)
    }

    @Test func inPlaceWriteDropsTheBlockedCopy() {
        var h = conv2d(x, weight: w1, padding: .explicit(1, 1))
        _ = conv2d(h, weight: w2, padding: .explicit(1, 1))
        h.withUnsafeMutableBufferPointer(as: Float.self) { p in for i in p.indices { p[i] = 0.5 } }
        #expect(h.storage.alternate == nil)
        let after = conv2d(h, weight: w2, padding: .explicit(1, 1))
        let expected = conv2d(Tensor.full([2, 16, 8, 8], value: 0.5), weight: w2, padding: .explicit(1, 1))
        #expect(after.floats == expected.floats)
    }

    @Test func gradientsThroughCachedLayoutsMatchPlainOnes() {
        func loss(_ a: Tensor, _ w: Tensor) -> Tensor {
            relu(conv2d(relu(conv2d(a, weight: w, padding: .explicit(1, 1))), weight: w2, padding: .explicit(1, 1))).sum()
        }
        let (_, g1) = valueWithGradient(at: x, w1) { a, w in loss(a, w) }
        let (_, g2) = valueWithGradient(at: x + 0, w1 + 0) { a, w in loss(a, w) }
        #expect(g1.0.floats == g2.0.floats)
        #expect(g1.1.floats == g2.1.floats)
    }
}
