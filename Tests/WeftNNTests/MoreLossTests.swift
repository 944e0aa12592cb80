import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// The Keras 3 losses against values written out from their definitions here.
@Suite struct MoreLossTests {
    static let eps = 1e-7

    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Swift.abs(a - b) <= tol * Swift.max(1, Swift.abs(b)), "\(a) vs \(b)", sourceLocation: sourceLocation)
    }

    /// Mean over rows of −Σ y·log p.
    static func crossEntropy(_ p: [[Double]], _ y: [[Double]]) -> Double {
        var t = 0.0
        for (pr, yr) in zip(p, y) { for (pi, yi) in zip(pr, yr) { t -= yi * Glibc.log(pi) } }
        return t / Double(p.count)
    }

    static func softmaxRow(_ x: [Double]) -> [Double] {
        let e = x.map { Glibc.exp($0) }, s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    @Test func categoricalFromProbabilities() {
        let p: [[Double]] = [[0.2, 0.3, 0.5], [0.1, 0.7, 0.2]], y: [[Double]] = [[0, 0, 1], [0, 1, 0]]
        let l = Loss.categoricalCrossentropy()(nnTensor([2, 3], p.flatMap { $0 }), nnTensor([2, 3], y.flatMap { $0 }))
        #expect(l.shape == [])
        Self.close(l.item, (-Glibc.log(0.5) - Glibc.log(0.7)) / 2)
        // Label smoothing 0.1 over 3 classes: targets 0.9·y + 0.1/3.
        let ys = y.map { $0.map { $0 * 0.9 + 0.1 / 3 } }
        let ls = Loss.categoricalCrossentropy(labelSmoothing: 0.1)(nnTensor([2, 3], p.flatMap { $0 }), nnTensor([2, 3], y.flatMap { $0 }))
        Self.close(ls.item, Self.crossEntropy(p, ys))
        // Unnormalised probabilities are divided by their sum; zeros are clipped to 1e-7.
        let u = Loss.categoricalCrossentropy()(nnTensor([1, 3], [1, 1, 2]), nnTensor([1, 3], [0.5, 0, 0.5])).item
        Self.close(u, -(0.5 * Glibc.log(0.25) + 0.5 * Glibc.log(0.5)))
        let z = Loss.categoricalCrossentropy()(nnTensor([1, 2], [1, 0]), nnTensor([1, 2], [0, 1])).item
        Self.close(z, -Glibc.log(1e-7), 1e-9)
    }

    @Test func categoricalFromLogits() {
        let x: [[Double]] = [[1, 2, 3], [0.5, -0.5, 0]], y: [[Double]] = [[0, 1, 0], [0.2, 0.3, 0.5]]
        let p = x.map(Self.softmaxRow)
        let l = Loss.categoricalCrossentropy(fromLogits: true)(nnTensor([2, 3], x.flatMap { $0 }), nnTensor([2, 3], y.flatMap { $0 }))
        Self.close(l.item, Self.crossEntropy(p, y))
        let ys = y.map { $0.map { $0 * 0.8 + 0.2 / 3 } }
        let ls = Loss.categoricalCrossentropy(fromLogits: true, labelSmoothing: 0.2)(nnTensor([2, 3], x.flatMap { $0 }), nnTensor([2, 3], y.flatMap { $0 }))
        Self.close(ls.item, Self.crossEntropy(p, ys))
        // One-hot targets agree with the sparse fused loss.
        let sparse = Loss.softmaxCrossEntropy(nnTensor([2, 3], x.flatMap { $0 }), nnLabels([1, 2])).item
        let dense = Loss.categoricalCrossentropy(fromLogits: true)(nnTensor([2, 3], x.flatMap { $0 }), oneHot(nnLabels([1, 2]), depth: 3, dtype: .float64)).item
        Self.close(sparse, dense)
    }

    @Test func sparsePerSampleMatchesMean() {
        let x = nnTensor([3, 3], [1, 2, 3, 0.5, -0.5, 0, -1, 0, 4]), y = nnLabels([2, 0, 1])
        for loss in [Loss.softmaxCrossEntropy, .sparseCategoricalCrossentropy] {
            let input = loss == .softmaxCrossEntropy ? x : x.softmax(axis: -1)
            let per = loss.perSample(input, y)
            #expect(per.shape == [3])
            Self.close(per.doubles.reduce(0, +) / 3, loss(input, y).item)
        }
    }

    /// −[z·log p + (1 − z)·log(1 − p)], mean per sample then over the batch.
    @Test func binaryCrossentropy() {
        let p: [Double] = [0.9, 0.2, 0.6, 0.3], z: [Double] = [1, 0, 0, 1]
        func bce(_ p: [Double], _ z: [Double]) -> Double {
            zip(p, z).map { -($1 * Glibc.log($0) + (1 - $1) * Glibc.log(1 - $0)) }.reduce(0, +) / Double(p.count)
        }
        Self.close(Loss.binaryCrossentropy()(nnTensor([4, 1], p), nnTensor([4, 1], z)).item, bce(p, z))
        // [2, 2]: per-sample means, then the batch mean: the same as the mean of all four.
        Self.close(Loss.binaryCrossentropy()(nnTensor([2, 2], p), nnTensor([2, 2], z)).item, bce(p, z))
        // Label smoothing 0.2: z ← 0.8·z + 0.1.
        let zs = z.map { $0 * 0.8 + 0.1 }
        Self.close(Loss.binaryCrossentropy(labelSmoothing: 0.2)(nnTensor([4, 1], p), nnTensor([4], z)).item, bce(p, zs))
        // From logits, with smoothing.
        let x: [Double] = [2, -1, 0.5, -3]
        let s = x.map { 1 / (1 + Glibc.exp(-$0)) }
        Self.close(Loss.binaryCrossentropy(fromLogits: true)(nnTensor([4, 1], x), nnTensor([4, 1], z)).item, bce(s, z))
        Self.close(Loss.binaryCrossentropy(fromLogits: true, labelSmoothing: 0.2)(nnTensor([4, 1], x), nnTensor([4, 1], z)).item, bce(s, zs))
        Self.close(Loss.binaryCrossentropyFromLogits(nnTensor([4, 1], x), nnTensor([4, 1], z)).item, bce(s, z))
        // Probabilities are clipped: p = 1 with z = 0 costs −log(1e-7) (to rounding of 1 − 1e-7).
        Self.close(Loss.binaryCrossentropy()(nnTensor([1], [1]), nnTensor([1], [0])).item, -Glibc.log(1e-7), 1e-8)
    }

    static let p: [Double] = [1, 2, 3, 4, -1, 0.5], y: [Double] = [1.5, 1, 3, 2, 2, -0.5]

    /// Mean over the 2×3 elements of f(p, y) (equal-width samples: same as Keras's mean of means).
    static func meanOf(_ f: (Double, Double) -> Double) -> Double { zip(p, y).map(f).reduce(0, +) / 6 }

    static func loss(_ l: Loss) -> Double { l(nnTensor([2, 3], p), nnTensor([2, 3], y)).item }

    @Test func regressionLosses() {
        Self.close(Self.loss(.meanSquaredError), Self.meanOf { ($0 - $1) * ($0 - $1) })
        Self.close(Self.loss(.meanAbsoluteError), Self.meanOf { Swift.abs($0 - $1) })
        Self.close(Self.loss(.meanAbsolutePercentageError), Self.meanOf { 100 * Swift.abs($1 - $0) / Swift.abs($1) })
        Self.close(Self.loss(.meanSquaredLogarithmicError), Self.meanOf { a, b in
            let d = Glibc.log(Swift.max(a, 1e-7) + 1) - Glibc.log(Swift.max(b, 1e-7) + 1)
            return d * d
        })
        for delta in [1.0, 0.7, 2.5] {
            Self.close(Self.loss(.huber(delta: delta)), Self.meanOf { a, b in
                let e = Swift.abs(a - b)
                return e <= delta ? 0.5 * e * e : delta * e - 0.5 * delta * delta
            })
        }
        #expect(Loss.huber() == .huber(delta: 1))
        Self.close(Self.loss(.logCosh), Self.meanOf { Glibc.log(Glibc.cosh($0 - $1)) })
        // log cosh stays finite for large errors: log cosh(1000) = 1000 − log 2.
        Self.close(Loss.logCosh(nnTensor([1, 1], [1000]), nnTensor([1, 1], [0])).item, 1000 - Glibc.log(2.0))
        // MAPE with a zero target divides by 1e-7.
        Self.close(Loss.meanAbsolutePercentageError(nnTensor([1], [0.5]), nnTensor([1], [0])).item, 100 * 0.5 / 1e-7)
    }

    @Test func klDivergence() {
        let y: [[Double]] = [[0.2, 0.8], [0.5, 0.5], [0, 1]], p: [[Double]] = [[0.4, 0.6], [0.9, 0.1], [0.3, 0.7]]
        var expected = 0.0
        for (yr, pr) in zip(y, p) {
            for (yi, pi) in zip(yr, pr) { let yc = Swift.max(yi, 1e-7); expected += yc * Glibc.log(yc / pi) }
        }
        expected /= 3
        Self.close(Loss.kullbackLeiblerDivergence(nnTensor([3, 2], p.flatMap { $0 }), nnTensor([3, 2], y.flatMap { $0 })).item, expected)
    }

    @Test func hingeLosses() {
        let p: [Double] = [0.3, -2, 0.8, 1.5]
        // 0/1 labels become −1/1.
        let z01: [Double] = [1, 0, 0, 1], zpm: [Double] = [1, -1, -1, 1]
        let h = zip(p, zpm).map { Swift.max(1 - $0 * $1, 0) }
        let hinge = h.reduce(0, +) / 4, squared = h.map { $0 * $0 }.reduce(0, +) / 4
        Self.close(Loss.hinge(nnTensor([4, 1], p), nnTensor([4, 1], z01)).item, hinge)
        Self.close(Loss.hinge(nnTensor([4, 1], p), nnTensor([4, 1], zpm)).item, hinge)
        Self.close(Loss.squaredHinge(nnTensor([4, 1], p), nnTensor([4, 1], z01)).item, squared)
        Self.close(Loss.squaredHinge(nnTensor([2, 2], p), nnTensor([2, 2], zpm)).item, squared)
        #expect(hinge == (0.7 + 0 + 1.8 + 0) / 4)
    }

    @Test func cosineSimilarity() {
        // Rows: cos 45° = 1/√2, opposite = −1, and a zero prediction (0 by the 1e-12 floor).
        let y: [Double] = [1, 0, 1, 1, 3, 4], p: [Double] = [1, 1, -2, -2, 0, 0]
        let l = Loss.cosineSimilarity(nnTensor([3, 2], p), nnTensor([3, 2], y)).item
        Self.close(l, (-1 / Glibc.sqrt(2.0) + 1 + 0) / 3)
        // Same direction: −1.
        Self.close(Loss.cosineSimilarity(nnTensor([1, 3], [1, 2, 3]), nnTensor([1, 3], [2, 4, 6])).item, -1)
    }

    @Test func sampleWeights() {
        let w: [Double] = [2, 0.5]
        // Per-sample MSE of the 2×3 data, then Σ w·l / N.
        var per = [0.0, 0.0]
        for i in 0..<6 { per[i / 3] += (Self.p[i] - Self.y[i]) * (Self.p[i] - Self.y[i]) / 3 }
        let expected = (w[0] * per[0] + w[1] * per[1]) / 2
        let l = Loss.meanSquaredError(nnTensor([2, 3], Self.p), nnTensor([2, 3], Self.y), sampleWeight: nnTensor([2], w))
        Self.close(l.item, expected)
        // Unit weights give the plain mean; nil likewise.
        Self.close(Loss.huber()(nnTensor([2, 3], Self.p), nnTensor([2, 3], Self.y), sampleWeight: nnTensor([2, 1], [1, 1])).item, Self.loss(.huber()))
        Self.close(Loss.logCosh(nnTensor([2, 3], Self.p), nnTensor([2, 3], Self.y), sampleWeight: nil).item, Self.loss(.logCosh))
        // Sparse cross-entropy with weights.
        let x: [Double] = [1, 2, 3, 0.5, -0.5, 0]
        let lse0 = Glibc.log(Glibc.exp(1.0) + Glibc.exp(2.0) + Glibc.exp(3.0)), lse1 = Glibc.log(Glibc.exp(0.5) + Glibc.exp(-0.5) + 1.0)
        let ce = Loss.softmaxCrossEntropy(nnTensor([2, 3], x), nnLabels([2, 0]), sampleWeight: nnTensor([2], [3, 0])).item
        Self.close(ce, 3 * (lse0 - 3) / 2)
        let ce2 = Loss.softmaxCrossEntropy(nnTensor([2, 3], x), nnLabels([2, 0]), sampleWeight: nnTensor([2], [3, 2])).item
        Self.close(ce2, (3 * (lse0 - 3) + 2 * (lse1 - 0.5)) / 2)
    }

    @Test func classWeights() {
        let cw: [Int: Double] = [0: 2, 2: 0.5]
        #expect(classSampleWeights(nnLabels([0, 1, 2, 1]), classWeights: cw).doubles == [2, 1, 0.5, 1])
        #expect(classSampleWeights(nnTensor([3, 1], [2, 0, 0]), classWeights: cw).doubles == [0.5, 2, 2])
        let onehot = nnTensor([2, 3], [0, 0, 1, 1, 0, 0])
        #expect(classSampleWeights(onehot, classWeights: cw).doubles == [0.5, 2])
        // Binary: 0/1 column.
        #expect(classSampleWeights(nnTensor([3, 1], [1, 0, 1], dtype: .float32), classWeights: [1: 4]).doubles == [4, 1, 4])
        // Into a loss.
        let x = nnTensor([2, 3], [1, 2, 3, 0.5, -0.5, 0])
        let w = classSampleWeights(onehot, classWeights: cw)
        let weighted = Loss.categoricalCrossentropy(fromLogits: true)(x, onehot, sampleWeight: w).item
        let per = Loss.categoricalCrossentropy(fromLogits: true).perSample(x, onehot).doubles
        Self.close(weighted, (0.5 * per[0] + 2 * per[1]) / 2)
    }

    /// Central differences in float64 against the autodiff gradient.
    static func checkGradient(_ loss: Loss, _ shape: Shape, _ p: [Double], _ y: Tensor, sampleWeight: Tensor? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let (_, g) = valueWithGradient(at: nnTensor(shape, p)) { loss($0, y, sampleWeight: sampleWeight) }
        let h = 1e-6
        var numeric: [Double] = []
        for i in p.indices {
            var a = p, b = p
            a[i] += h; b[i] -= h
            numeric.append((loss(nnTensor(shape, a), y, sampleWeight: sampleWeight).item - loss(nnTensor(shape, b), y, sampleWeight: sampleWeight).item) / (2 * h))
        }
        expectNear(g.doubles, numeric, rtol: 1e-6, atol: 1e-8, "\(loss)", sourceLocation: sourceLocation)
    }

    @Test func gradientsAgainstFiniteDifferences() {
        let logits = nnRandom(12, seed: 3).map { $0 * 2 }
        let soft = nnTensor([4, 3], [0.1, 0.2, 0.7, 1, 0, 0, 0.3, 0.3, 0.4, 0, 1, 0])
        Self.checkGradient(.categoricalCrossentropy(fromLogits: true, labelSmoothing: 0.1), [4, 3], logits, soft)
        let probs = [0.2, 0.3, 0.5, 0.6, 0.1, 0.3, 0.25, 0.25, 0.5, 0.05, 0.9, 0.05]
        Self.checkGradient(.categoricalCrossentropy(), [4, 3], probs, soft)
        Self.checkGradient(.kullbackLeiblerDivergence, [4, 3], probs, soft)
        let z = nnTensor([4, 3], [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0])
        Self.checkGradient(.binaryCrossentropy(labelSmoothing: 0.1), [4, 3], probs, z)
        Self.checkGradient(.binaryCrossentropy(fromLogits: true), [4, 3], logits, z, sampleWeight: nnTensor([4], [1, 2, 0.5, 0]))
        let yr = nnTensor([4, 3], nnRandom(12, seed: 9).map { $0 * 3 })
        // Away from the kinks (|e| = δ, e = 0).
        Self.checkGradient(.huber(delta: 0.8), [4, 3], logits, yr)
        Self.checkGradient(.logCosh, [4, 3], logits, yr)
        Self.checkGradient(.cosineSimilarity, [4, 3], logits, yr)
        Self.checkGradient(.meanSquaredLogarithmicError, [4, 3], probs, yr)
        Self.checkGradient(.meanAbsolutePercentageError, [4, 3], logits, yr)
        Self.checkGradient(.squaredHinge, [4, 3], logits, z)
        Self.checkGradient(.softmaxCrossEntropy, [4, 3], logits, nnLabels([0, 2, 1, 1]), sampleWeight: nnTensor([4], [1, 2, 3, 4]))
    }
}
