import Testing
@testable import Weft

// Seeded random tensors: reproducibility, independence from the thread count, and the moments
// of the distributions. (Private generators throughout, so parallel tests cannot interfere.)

/// Bit patterns, so that "identical" means bit-identical (NaN-safe, -0 ≠ +0).
private func bits(_ t: Tensor) -> [UInt64] {
    switch t.dtype {
    case .float32: return t.scalars(as: Float.self).map { UInt64($0.bitPattern) }
    case .float64: return t.scalars(as: Double.self).map(\.bitPattern)
    default: return t.doubles.map(\.bitPattern)
    }
}

private func moments(_ v: [Double]) -> (mean: Double, std: Double) {
    let m = v.reduce(0, +) / Double(v.count)
    let s = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
    return (m, s)
}

/// Every kind of random tensor drawn in sequence from one fresh generator with `seed`.
private func draws(seed: UInt64, count: Int, dtype: DType) -> [[UInt64]] {
    let g = RandomGenerator(seed: seed)
    return [
        bits(Tensor.randomUniform([count], low: -2, high: 3, dtype: dtype, generator: g)),
        bits(Tensor.randomNormal([count], mean: 1, std: 2, dtype: dtype, generator: g)),
        bits(Tensor.truncatedNormal([count], dtype: dtype, generator: g)),
        bits(Tensor.bernoulli([count], p: 0.3, dtype: dtype, generator: g)),
        bits(dropout(Tensor.ones([count], dtype: dtype), rate: 0.4, training: true, generator: g)),
    ]
}

@Suite struct RandomTests {
    @Test(arguments: [DType.float32, .float64])
    func sameSeedIsBitIdentical(_ dtype: DType) {
        let a = draws(seed: 1234, count: 100, dtype: dtype), b = draws(seed: 1234, count: 100, dtype: dtype)
        #expect(a == b)
    }

    @Test func differentSeedsDiffer() {
        let a = draws(seed: 1, count: 64, dtype: .float32), b = draws(seed: 2, count: 64, dtype: .float32)
        for k in 0..<a.count { #expect(a[k] != b[k], "draw \(k)") }
        // Nearby seeds give unrelated streams (no shared prefix, no shift by one).
        let u1 = Tensor.randomUniform([16], dtype: .float64, generator: RandomGenerator(seed: 7)).doubles
        let u2 = Tensor.randomUniform([16], dtype: .float64, generator: RandomGenerator(seed: 8)).doubles
        #expect(Set(u1).isDisjoint(with: Set(u2)))
    }

    @Test func successiveDrawsDifferAndReseedRestarts() {
        let g = RandomGenerator(seed: 99)
        let first = Tensor.randomNormal([32], generator: g).floats
        let second = Tensor.randomNormal([32], generator: g).floats
        #expect(first != second)
        g.reseed(99)
        #expect(Tensor.randomNormal([32], generator: g).floats == first)
    }

    @Test func snapshotAndRestoreReplayTheStream() {
        let g = RandomGenerator(seed: 5)
        _ = Tensor.randomUniform([10], generator: g)
        let s = g.snapshot
        let a = Tensor.randomUniform([20], generator: g).floats
        let b = Tensor.truncatedNormal([20], generator: g).floats
        g.restore(key: s.key, counter: s.counter)
        #expect(Tensor.randomUniform([20], generator: g).floats == a)
        #expect(Tensor.truncatedNormal([20], generator: g).floats == b)
        // Counter-based: the first 10 values of a 20-draw equal a 10-draw at the same counter.
        let h1 = RandomGenerator(seed: 77), h2 = RandomGenerator(seed: 77)
        #expect(Array(Tensor.randomUniform([20], generator: h1).floats.prefix(10)) == Tensor.randomUniform([10], generator: h2).floats)
    }

    @Test func drawsDoNotDependOnTheShape() {
        let a = Tensor.randomNormal([6, 4], dtype: .float64, generator: RandomGenerator(seed: 3))
        let b = Tensor.randomNormal([24], dtype: .float64, generator: RandomGenerator(seed: 3))
        #expect(a.shape == [6, 4])
        #expect(bits(a) == bits(b))
    }

    @Test func normalMoments() {
        let n = 100_000
        let z = Tensor.randomNormal([n], dtype: .float64, generator: RandomGenerator(seed: 2024)).doubles
        let (m, s) = moments(z)
        #expect(Swift.abs(m) < 0.02, "mean \(m)")
        #expect(Swift.abs(s - 1) < 0.02, "std \(s)")
        // Tails: P(|z| > 2) = 4.55 %, P(|z| > 3) = 0.27 %.
        let beyond2 = Double(z.filter { Swift.abs($0) > 2 }.count) / Double(n)
        let beyond3 = Double(z.filter { Swift.abs($0) > 3 }.count) / Double(n)
        #expect(Swift.abs(beyond2 - 0.0455) < 0.004, "P(|z|>2) = \(beyond2)")
        #expect(Swift.abs(beyond3 - 0.0027) < 0.001, "P(|z|>3) = \(beyond3)")
        // Mean and std parameters.
        let y = Tensor.randomNormal([n], mean: 3, std: 0.5, dtype: .float32, generator: RandomGenerator(seed: 2025))
        #expect(y.dtype == .float32)
        let (m2, s2) = moments(y.doubles)
        #expect(Swift.abs(m2 - 3) < 0.01, "mean \(m2)")
        #expect(Swift.abs(s2 - 0.5) < 0.01, "std \(s2)")
    }

    @Test func truncatedNormalStaysWithinTwoStandardDeviations() {
        let n = 50_000
        let t = Tensor.truncatedNormal([n], mean: 1, std: 0.5, dtype: .float64, generator: RandomGenerator(seed: 31)).doubles
        #expect(t.allSatisfy { $0 >= 0 && $0 <= 2 }, "range \(t.min()!)…\(t.max()!)")
        let (m, s) = moments(t)
        #expect(Swift.abs(m - 1) < 0.01, "mean \(m)")
        // The standard deviation of N(0, 1) truncated to ±2 is 0.8796.
        #expect(Swift.abs(s - 0.5 * 0.8796) < 0.01, "std \(s)")
        // Values near the bounds do occur (it is not clipped to a narrower range).
        #expect(t.contains { $0 < 0.05 } && t.contains { $0 > 1.95 })
        let z = Tensor.truncatedNormal([n], dtype: .float32, generator: RandomGenerator(seed: 32)).floats
        #expect(z.allSatisfy { Swift.abs($0) <= 2 })
    }

    @Test func uniformRangeAndMoments() {
        let n = 50_000
        let u = Tensor.randomUniform([n], low: -1, high: 3, dtype: .float64, generator: RandomGenerator(seed: 41)).doubles
        #expect(u.allSatisfy { $0 >= -1 && $0 < 3 })
        let (m, s) = moments(u)
        #expect(Swift.abs(m - 1) < 0.03, "mean \(m)")
        #expect(Swift.abs(s - 4 / 12.0.squareRoot()) < 0.02, "std \(s)")
        let f = Tensor.randomUniform([1000], generator: RandomGenerator(seed: 42))
        #expect(f.dtype == .float32)
        #expect(f.floats.allSatisfy { $0 >= 0 && $0 < 1 })
        // Every tenth of [0, 1) gets about a tenth of the draws.
        var bins = [Int](repeating: 0, count: 10)
        for v in Tensor.randomUniform([n], dtype: .float64, generator: RandomGenerator(seed: 43)).doubles { bins[Swift.min(Int(v * 10), 9)] += 1 }
        #expect(bins.allSatisfy { Swift.abs($0 - n / 10) < 300 }, "bins \(bins)")
    }

    @Test func bernoulliFraction() {
        let n = 20_000
        let b = Tensor.bernoulli([n], p: 0.3, generator: RandomGenerator(seed: 51))
        #expect(b.dtype == .float32)
        let v = b.floats
        #expect(v.allSatisfy { $0 == 0 || $0 == 1 })
        let fraction = Double(v.filter { $0 == 1 }.count) / Double(n)
        #expect(Swift.abs(fraction - 0.3) < 0.015, "fraction \(fraction)")
        #expect(Tensor.bernoulli([100], p: 0, generator: RandomGenerator(seed: 52)).floats.allSatisfy { $0 == 0 })
        #expect(Tensor.bernoulli([100], p: 1, generator: RandomGenerator(seed: 53)).floats.allSatisfy { $0 == 1 })
        let bb = Tensor.bernoulli([10], p: 0.5, dtype: .bool, generator: RandomGenerator(seed: 54))
        #expect(bb.dtype == .bool)
    }

    @Test func halfPrecisionAndIntegerDtypes() {
        let h = Tensor.randomNormal([100], dtype: .bfloat16, generator: RandomGenerator(seed: 61))
        #expect(h.dtype == .bfloat16)
        // Rounding of the same float64 draws.
        let d = Tensor.randomNormal([100], dtype: .float64, generator: RandomGenerator(seed: 61)).doubles
        #expect(h.doubles == d.map { Double(BFloat16(Float($0)).floatValue) })
        let i = Tensor.randomUniform([100], low: 0, high: 10, dtype: .int32, generator: RandomGenerator(seed: 62))
        #expect(i.dtype == .int32)
        #expect(i.scalars(as: Int32.self).allSatisfy { $0 >= 0 && $0 < 10 })
    }

    @Test func permutationAndNextInt() {
        let g = RandomGenerator(seed: 71)
        let p = g.permutation(50)
        #expect(p.sorted() == Array(0..<50))
        #expect(p != Array(0..<50))
        #expect(RandomGenerator(seed: 71).permutation(50) == p)
        #expect(g.permutation(1) == [0] && g.permutation(0) == [])
        var seen = Set<Int>()
        for _ in 0..<400 {
            let k = g.nextInt(below: 7)
            #expect(k >= 0 && k < 7)
            seen.insert(k)
        }
        #expect(seen.count == 7)
    }

    @Test func philoxKnownAnswers() {
        // Philox4x32-10 known-answer vectors from Random123 (kat_vectors): counter words c0…c3 map to
        // (counter low, counter high, stream low, stream high), key words k0, k1 to (key low, key high).
        func eq(_ a: (UInt32, UInt32, UInt32, UInt32), _ b: (UInt32, UInt32, UInt32, UInt32)) -> Bool { a == b }
        #expect(eq(Philox4x32(key: 0).block(0, stream: 0), (0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8)))
        #expect(eq(Philox4x32(key: .max).block(.max, stream: .max), (0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD)))
        #expect(eq(Philox4x32(key: 0x299F_31D0_A409_3822).block(0x85A3_08D3_243F_6A88, stream: 0x0370_7344_1319_8A2E),
                   (0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1)))
        #expect(Philox4x32.unitFloat(0) == 0 && Philox4x32.unitFloat(.max) < 1)
        #expect(Philox4x32.unitDouble(0, 0) == 0 && Philox4x32.unitDouble(.max, .max) < 1)
    }
}

/// Tests that change the process-wide thread count: serialized, and each restores the count.
@Suite(.serialized) struct ThreadCountTests {
    @Test func randomTensorsDoNotDependOnTheThreadCount() {
        let original = CPUThreads.count
        defer { CPUThreads.set(original) }
        let n = 50_000   // well above the parallel threshold: split across threads when there are 2
        CPUThreads.set(1)
        let one = draws(seed: 8080, count: n, dtype: .float32) + draws(seed: 8081, count: n, dtype: .float64)
        CPUThreads.set(2)
        let two = draws(seed: 8080, count: n, dtype: .float32) + draws(seed: 8081, count: n, dtype: .float64)
        #expect(one.count == two.count)
        for k in 0..<Swift.min(one.count, two.count) { #expect(one[k] == two[k], "draw \(k) differs between 1 and 2 threads") }
        CPUThreads.set(3)
        let three = draws(seed: 8080, count: n, dtype: .float32)
        #expect(three == Array(one.prefix(5)))
    }

    @Test func kernelsGiveIdenticalResultsOnOneAndTwoThreads() {
        let original = CPUThreads.count
        defer { CPUThreads.set(original) }
        let x = Tensor.randomNormal([250, 200], dtype: .float64, generator: RandomGenerator(seed: 9))
        func compute() -> [[UInt64]] {
            [bits(exp(x) * x + 1), bits(x.sum(alongAxes: [1])), bits(x.sum(alongAxes: [0])), bits(x.max(alongAxes: [0])),
             bits(x.softmax(axis: 1)), bits(x.transposed()), bits(matmul(x.sliced(axis: 0, end: 20), x.transposed().sliced(axis: 1, end: 30)))]
        }
        CPUThreads.set(1)
        let one = compute()
        CPUThreads.set(2)
        let two = compute()
        for k in 0..<one.count { #expect(one[k] == two[k], "result \(k) differs between 1 and 2 threads") }
    }
}
