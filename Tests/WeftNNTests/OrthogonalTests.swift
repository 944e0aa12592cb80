import Testing
@testable import Weft
@testable import WeftNN

/// Keras's Orthogonal, Identity and VarianceScaling initialisers.
@Suite struct OrthogonalTests {
    func make(_ i: Initializer, _ shape: Shape, fanIn: Int = 1, fanOut: Int = 1, seed: UInt64 = 1) -> Tensor {
        i.make(shape, fanIn: fanIn, fanOut: fanOut, dtype: .float64, generator: RandomGenerator(seed: seed))
    }

    /// The Gram matrix of the rows of a row-major r×c matrix.
    func rowGram(_ v: [Double], rows r: Int, cols c: Int) -> [Double] {
        var g = [Double](repeating: 0, count: r * r)
        for i in 0..<r { for j in 0..<r { for k in 0..<c { g[i * r + j] += v[i * c + k] * v[j * c + k] } } }
        return g
    }

    func transpose(_ v: [Double], rows r: Int, cols c: Int) -> [Double] {
        var t = [Double](repeating: 0, count: r * c)
        for i in 0..<r { for j in 0..<c { t[j * r + i] = v[i * c + j] } }
        return t
    }

    func expectIdentity(_ g: [Double], _ n: Int, scale: Double = 1, tol: Double = 1e-12, sourceLocation: SourceLocation = #_sourceLocation) {
        for i in 0..<n { for j in 0..<n {
            let want = i == j ? scale : 0
            #expect(Swift.abs(g[i * n + j] - want) < tol, "Gram[\(i),\(j)] = \(g[i * n + j])", sourceLocation: sourceLocation)
        } }
    }

    @Test func householderQRReconstructsWithPositiveDiagonal() {
        let (m, n) = (5, 3)
        let a = Tensor.randomNormal([m, n], dtype: .float64, generator: RandomGenerator(seed: 9)).doubles
        let q = householderQ(a, m: m, n: n)
        expectIdentity(rowGram(transpose(q, rows: m, cols: n), rows: n, cols: m), n)
        // R = Qᵀ A is upper triangular with a positive diagonal and Q R = A.
        var r = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<m { r[i * n + j] += q[k * n + i] * a[k * n + j] } } }
        for i in 0..<n {
            #expect(r[i * n + i] > 0)
            for j in 0..<i { #expect(Swift.abs(r[i * n + j]) < 1e-12) }
        }
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += q[i * n + k] * r[k * n + j] }
            #expect(Swift.abs(s - a[i * n + j]) < 1e-12)
        } }
    }

    /// [4, 3]: orthonormal columns (WᵀW = I); [3, 4]: orthonormal rows (WWᵀ = I).
    @Test func orthogonalBothOrientations() {
        let tall = make(.orthogonal(), [4, 3])
        #expect(tall.shape == [4, 3] && tall.dtype == .float64)
        expectIdentity(rowGram(transpose(tall.doubles, rows: 4, cols: 3), rows: 3, cols: 4), 3)
        let wide = make(.orthogonal(), [3, 4])
        #expect(wide.shape == [3, 4])
        expectIdentity(rowGram(wide.doubles, rows: 3, cols: 4), 3)
        // Square: both.
        let sq = make(.orthogonal(), [5, 5]).doubles
        expectIdentity(rowGram(sq, rows: 5, cols: 5), 5)
        expectIdentity(rowGram(transpose(sq, rows: 5, cols: 5), rows: 5, cols: 5), 5)
    }

    @Test func orthogonalGainAndSeed() {
        let a = make(.orthogonal(), [6, 4], seed: 3).doubles
        let b = make(.orthogonal(), [6, 4], seed: 3).doubles
        let c = make(.orthogonal(), [6, 4], seed: 4).doubles
        #expect(a == b)
        #expect(a != c)
        let g = make(.orthogonal(gain: 2.5), [6, 4], seed: 3).doubles
        for (x, y) in zip(a, g) { #expect(Swift.abs(2.5 * x - y) < 1e-12) }
        expectIdentity(rowGram(transpose(g, rows: 6, cols: 4), rows: 4, cols: 6), 4, scale: 6.25)
        let f = Initializer.orthogonal().make([6, 4], fanIn: 6, fanOut: 4, dtype: .float32, generator: RandomGenerator(seed: 3))
        #expect(f.dtype == .float32)
        for (x, y) in zip(a, f.doubles) { #expect(Swift.abs(x - y) < 1e-6) }
    }

    /// OIHW conv weights follow Keras's HWIO flattening: each filter is a unit vector,
    /// filters are mutually orthogonal; with more filters than I·KH·KW the (kh, kw, i) rows are.
    @Test func orthogonalConvWeights() throws {
        let w = make(.orthogonal(), [2, 3, 2, 2]).doubles
        expectIdentity(rowGram(w, rows: 2, cols: 12), 2)
        let wide = make(.orthogonal(), [8, 1, 1, 2]).doubles   // rows = 2, cols = 8
        expectIdentity(rowGram(transpose(wide, rows: 8, cols: 2), rows: 2, cols: 8), 2)
        let conv = Conv2D(4, kernel: (3, 3), kernelInitializer: .orthogonal())
        _ = try conv.build(inputShape: [2, 5, 5])
        expectIdentity(rowGram(conv.weight!.value.doubles, rows: 4, cols: 18), 4, tol: 1e-5)   // float32
    }

    @Test func denseWithOrthogonalKernel() throws {
        let d = Dense(3, kernelInitializer: .orthogonal(gain: 1))
        _ = try d.build(inputShape: [5])
        let w = d.weight!.value.doubles
        let g = rowGram(transpose(w, rows: 5, cols: 3), rows: 3, cols: 5)
        for i in 0..<3 { for j in 0..<3 { #expect(Swift.abs(g[i * 3 + j] - (i == j ? 1 : 0)) < 1e-5) } }
    }

    @Test func identity() {
        #expect(make(.identity(), [2, 2]).doubles == [1, 0, 0, 1])
        #expect(make(.identity(gain: 3), [2, 3]).doubles == [3, 0, 0, 0, 3, 0])
        #expect(make(.identity(gain: 0.5), [3, 2]).doubles == [0.5, 0, 0, 0.5, 0, 0])
        #expect(Initializer.identity().make([2, 2], fanIn: 2, fanOut: 2, dtype: .float32).dtype == .float32)
    }

    struct Stats {
        let mean: Double, std: Double, maxAbs: Double
        init(_ v: [Double]) {
            let n = Double(v.count)
            mean = v.reduce(0, +) / n
            let m = mean
            std = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
            maxAbs = v.reduce(0) { Swift.max($0, Swift.abs($1)) }
        }
    }

    @Test func varianceScalingStatistics() {
        // Untruncated normal, fan-out: std √(scale/fanOut), values beyond 2σ occur.
        let un = Stats(make(.varianceScaling(scale: 3, mode: .fanOut, distribution: .untruncatedNormal), [200, 300], fanIn: 200, fanOut: 300).doubles)
        let s1 = (3.0 / 300).squareRoot()
        #expect(Swift.abs(un.mean) < 0.02 * s1)
        #expect(Swift.abs(un.std / s1 - 1) < 0.02)
        #expect(un.maxAbs > 3 * s1)
        // Truncated normal, fan-avg: sample std √(scale/avg), cut at 2·σ/0.8796.
        let tn = Stats(make(.varianceScaling(scale: 0.5, mode: .fanAvg, distribution: .truncatedNormal), [200, 300], fanIn: 200, fanOut: 300).doubles)
        let s2 = (0.5 / 250).squareRoot()
        #expect(Swift.abs(tn.std / s2 - 1) < 0.02)
        #expect(tn.maxAbs <= 2 * s2 / 0.87962566103423978 * (1 + 1e-12))
        // Uniform, fan-in: limit √(3·scale/fanIn).
        let u = make(.varianceScaling(scale: 2, mode: .fanIn, distribution: .uniform), [200, 300], fanIn: 200, fanOut: 300).doubles
        let l = (6.0 / 200).squareRoot()
        #expect(u.allSatisfy { Swift.abs($0) <= l })
        #expect(Stats(u).maxAbs > 0.99 * l)
        #expect(Swift.abs(Stats(u).std / (l / 3.0.squareRoot()) - 1) < 0.02)
        // Defaults: scale 1, fan-in, truncated normal (Keras's defaults).
        #expect(Initializer.varianceScaling() == .varianceScaling(scale: 1, mode: .fanIn, distribution: .truncatedNormal))
    }

    /// glorot/he/lecun are the variance-scaling special cases, draw for draw.
    @Test func namedInitializersAreVarianceScaling() {
        let pairs: [(Initializer, Initializer)] = [
            (.glorotUniform, .varianceScaling(scale: 1, mode: .fanAvg, distribution: .uniform)),
            (.glorotNormal, .varianceScaling(scale: 1, mode: .fanAvg, distribution: .truncatedNormal)),
            (.heUniform, .varianceScaling(scale: 2, mode: .fanIn, distribution: .uniform)),
            (.heNormal, .varianceScaling(scale: 2, mode: .fanIn, distribution: .truncatedNormal)),
            (.lecunUniform, .varianceScaling(scale: 1, mode: .fanIn, distribution: .uniform)),
            (.lecunNormal, .varianceScaling(scale: 1, mode: .fanIn, distribution: .truncatedNormal)),
        ]
        for (a, b) in pairs {
            #expect(make(a, [7, 9], fanIn: 7, fanOut: 9, seed: 5).doubles == make(b, [7, 9], fanIn: 7, fanOut: 9, seed: 5).doubles)
        }
    }
}
