import Testing
@testable import Weft

// Inverted dropout: zeroes ≈ rate of the elements and scales the rest by 1/(1−rate) in training;
// identity otherwise; seeded through a generator.

@Suite struct DropoutTests {
    @Test(arguments: [0.1, 0.3, 0.5, 0.8])
    func trainingZeroesAboutRateAndScalesTheRest(_ rate: Double) {
        let n = 10_000
        let x = Tensor.ones([100, 100])
        let y = dropout(x, rate: rate, training: true, generator: RandomGenerator(seed: 11))
        #expect(y.shape == [100, 100])
        #expect(y.dtype == .float32)
        let v = y.scalars(as: Float.self)
        let zeros = v.filter { $0 == 0 }.count
        let scale = Float(1 / (1 - rate))
        #expect(v.allSatisfy { $0 == 0 || Swift.abs($0 - scale) <= scale * 1e-6 }, "kept values must be 1/(1−rate) = \(scale)")
        // 10 000 Bernoulli draws: standard deviation ≤ 0.005; allow 4σ.
        let fraction = Double(zeros) / Double(n)
        #expect(Swift.abs(fraction - rate) < 0.02, "zeroed fraction \(fraction) for rate \(rate)")
        // The expected value is preserved.
        let mean = v.reduce(0) { $0 + Double($1) } / Double(n)
        #expect(Swift.abs(mean - 1) < 0.04 * (1 + rate / (1 - rate)), "mean \(mean)")
    }

    @Test func keptElementsCarryTheirScaledValue() {
        let values = (0..<48).map { Double($0) - 23.5 }
        let x = tensor([6, 8], values)
        let y = dropout(x, rate: 0.25, training: true, generator: RandomGenerator(seed: 5))
        #expect(y.dtype == .float64)
        for (yi, xi) in zip(y.doubles, values) {
            #expect(yi == 0 || Swift.abs(yi - xi / 0.75) <= 1e-12 * Swift.abs(xi / 0.75))
        }
        #expect(y.doubles.contains(0))
        #expect(y.doubles.contains { $0 != 0 })
    }

    @Test func notTrainingOrRateZeroIsIdentity() {
        let x = tensor([3, 4], (0..<12).map(Double.init))
        let eval = dropout(x, rate: 0.5, training: false)
        #expect(eval.doubles == x.doubles)
        #expect(eval.sharesStorage(with: x))
        let zero = dropout(x, rate: 0, training: true)
        #expect(zero.doubles == x.doubles)
    }

    @Test func sameSeedSameMaskDifferentSeedDifferentMask() {
        let x = Tensor.ones([37, 5])
        let a = dropout(x, rate: 0.5, training: true, generator: RandomGenerator(seed: 42)).floats
        let b = dropout(x, rate: 0.5, training: true, generator: RandomGenerator(seed: 42)).floats
        let c = dropout(x, rate: 0.5, training: true, generator: RandomGenerator(seed: 43)).floats
        #expect(a == b)
        #expect(a != c)
        // Successive draws from one generator differ.
        let g = RandomGenerator(seed: 42)
        let d1 = dropout(x, rate: 0.5, training: true, generator: g).floats
        let d2 = dropout(x, rate: 0.5, training: true, generator: g).floats
        #expect(d1 == a)
        #expect(d1 != d2)
    }

    @Test func gradientIsTheSameMask() {
        let x = Tensor.ones([4, 9], dtype: .float64)
        let (y, g) = valueWithGradient(at: x) { dropout($0, rate: 0.4, training: true, generator: RandomGenerator(seed: 9)).sum() }
        let mask = dropout(x, rate: 0.4, training: true, generator: RandomGenerator(seed: 9))
        #expect(g.doubles == mask.doubles)
        expectClose([y.item], [mask.doubles.reduce(0, +)], rtol: 1e-14)
    }

    @Test func halfPrecision() async {
        // Run in child processes: a kernel that writes past its buffer corrupts the heap and
        // would take the whole test run down with it.
        await #expect(processExitsWith: .success, "dropout on bfloat16") {
            let y = dropout(Tensor.ones([64], dtype: .bfloat16), rate: 0.5, training: true, generator: RandomGenerator(seed: 1))
            precondition(y.dtype == .bfloat16, "dtype \(y.dtype)")
            precondition(y.doubles.allSatisfy { $0 == 0 || $0 == 2 } && y.doubles.contains(0) && y.doubles.contains(2), "values \(y.doubles)")
        }
        await #expect(processExitsWith: .success, "dropout on float16") {
            let y = dropout(Tensor.ones([64], dtype: .float16), rate: 0.5, training: true, generator: RandomGenerator(seed: 1))
            precondition(y.dtype == .float16, "dtype \(y.dtype)")
            precondition(y.doubles.allSatisfy { $0 == 0 || $0 == 2 } && y.doubles.contains(0) && y.doubles.contains(2), "values \(y.doubles)")
        }
    }
}
