import Testing
@testable import Weft
@testable import WeftNN

/// Keras's initialisers: bounds and standard deviations from the Keras formulas.
@Suite struct InitializerTests {
    struct Stats {
        let mean: Double, std: Double, maxAbs: Double, min: Double, max: Double
        init(_ v: [Double]) {
            let n = Double(v.count)
            mean = v.reduce(0, +) / n
            let m = mean
            std = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
            maxAbs = v.reduce(0) { Swift.max($0, Swift.abs($1)) }
            min = v.min()!
            max = v.max()!
        }
    }

    func sample(_ i: Initializer, _ shape: Shape, fanIn: Int, fanOut: Int, seed: UInt64 = 1) -> Tensor {
        i.make(shape, fanIn: fanIn, fanOut: fanOut, dtype: .float64, generator: RandomGenerator(seed: seed))
    }

    /// Uniform on [−l, l]: every value inside, the extremes reached, variance l²/3.
    func checkUniform(_ t: Tensor, limit l: Double, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let s = Stats(t.doubles)
        #expect(s.min >= -l && s.max <= l, "\(name): range [\(s.min), \(s.max)] vs ±\(l)", sourceLocation: sourceLocation)
        #expect(s.maxAbs > 0.99 * l, "\(name): max |x| \(s.maxAbs) vs limit \(l)", sourceLocation: sourceLocation)
        // Five standard errors: of the mean, l/√3/√n; of the std (relative), √(0.8/4n).
        let n = Double(t.count)
        let expectedStd = l / 3.0.squareRoot()
        #expect(Swift.abs(s.mean) < 5 * expectedStd / n.squareRoot(), "\(name): mean \(s.mean)", sourceLocation: sourceLocation)
        #expect(Swift.abs(s.std / expectedStd - 1) < 5 * (0.2 / n).squareRoot(), "\(name): std \(s.std) vs \(expectedStd)",
                sourceLocation: sourceLocation)
    }

    /// Keras's truncated normal: drawn with std σ/0.87962566103423978 and cut at two of those
    /// standard deviations, so that the sample std is σ.
    func checkTruncatedNormal(_ t: Tensor, std sigma: Double, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let s = Stats(t.doubles)
        let bound = 2 * sigma / 0.87962566103423978
        #expect(s.maxAbs <= bound * (1 + 1e-12), "\(name): max |x| \(s.maxAbs) beyond the 2σ bound \(bound)", sourceLocation: sourceLocation)
        #expect(s.maxAbs > 0.97 * bound, "\(name): max |x| \(s.maxAbs) vs bound \(bound)", sourceLocation: sourceLocation)
        #expect(Swift.abs(s.mean) < 0.02 * sigma, "\(name): mean \(s.mean)", sourceLocation: sourceLocation)
        #expect(Swift.abs(s.std / sigma - 1) < 0.02, "\(name): std \(s.std) vs \(sigma)", sourceLocation: sourceLocation)
    }

    @Test func glorotUniform() {
        let t = sample(.glorotUniform, [200, 300], fanIn: 200, fanOut: 300)
        #expect(t.shape == [200, 300] && t.dtype == .float64)
        checkUniform(t, limit: (6.0 / 500).squareRoot(), "glorotUniform")
    }

    @Test func heNormal() {
        let t = sample(.heNormal, [250, 400], fanIn: 250, fanOut: 400)
        checkTruncatedNormal(t, std: (2.0 / 250).squareRoot(), "heNormal")
    }

    @Test func glorotNormalAndLecunNormal() {
        checkTruncatedNormal(sample(.glorotNormal, [100, 300], fanIn: 100, fanOut: 300), std: (2.0 / 400).squareRoot(), "glorotNormal")
        checkTruncatedNormal(sample(.lecunNormal, [100, 300], fanIn: 100, fanOut: 300), std: (1.0 / 100).squareRoot(), "lecunNormal")
    }

    @Test func heUniformAndLecunUniform() {
        checkUniform(sample(.heUniform, [100, 200], fanIn: 100, fanOut: 200), limit: (6.0 / 100).squareRoot(), "heUniform")
        checkUniform(sample(.lecunUniform, [100, 200], fanIn: 100, fanOut: 200), limit: (3.0 / 100).squareRoot(), "lecunUniform")
    }

    @Test func randomUniformAndNormal() {
        let u = Stats(sample(.randomUniform(low: 2, high: 5), [20000], fanIn: 1, fanOut: 1).doubles)
        #expect(u.min >= 2 && u.max <= 5 && u.min < 2.01 && u.max > 4.99)
        #expect(Swift.abs(u.mean - 3.5) < 0.03)
        let n = Stats(sample(.randomNormal(mean: -1, std: 0.5), [40000], fanIn: 1, fanOut: 1).doubles)
        #expect(Swift.abs(n.mean + 1) < 0.02)
        #expect(Swift.abs(n.std / 0.5 - 1) < 0.02)
        // Not truncated: values beyond 2σ occur (about 4.6 %).
        #expect(n.maxAbs > 1 + 2 * 0.5 + 0.1)
    }

    @Test func constants() {
        let z = Initializer.zeros.make([2, 3], fanIn: 2, fanOut: 3, dtype: .float64)
        #expect(z.dtype == .float64 && z.shape == [2, 3] && z.doubles == Array(repeating: 0, count: 6))
        let o = Initializer.ones.make([4], fanIn: 1, fanOut: 1, dtype: .float32)
        #expect(o.dtype == .float32 && o.floats == [1, 1, 1, 1])
        let c = Initializer.constant(0.375).make([3, 1], fanIn: 3, fanOut: 1, dtype: .float64)
        #expect(c.doubles == [0.375, 0.375, 0.375])
    }

    @Test func sameGeneratorSeedSameValues() {
        let a = sample(.glorotUniform, [10, 10], fanIn: 10, fanOut: 10, seed: 3)
        let b = sample(.glorotUniform, [10, 10], fanIn: 10, fanOut: 10, seed: 3)
        let c = sample(.glorotUniform, [10, 10], fanIn: 10, fanOut: 10, seed: 4)
        #expect(a.doubles == b.doubles)
        #expect(a.doubles != c.doubles)
    }

    /// Dense: kernel [in, units] with fan-in `in` and fan-out `units`; bias zeros by default.
    @Test func denseUsesKerasFans() throws {
        let d = Dense(300)
        _ = try d.build(inputShape: [200])
        #expect(d.weight!.value.shape == [200, 300])
        #expect(d.weight!.value.dtype == .float32)
        checkUniform(d.weight!.value, limit: (6.0 / 500).squareRoot(), "Dense glorotUniform")
        #expect(d.bias!.value.floats == Array(repeating: 0, count: 300))

        let h = Dense(50, kernelInitializer: .heUniform, biasInitializer: .constant(0.25))
        _ = try h.build(inputShape: [600])
        checkUniform(h.weight!.value, limit: (6.0 / 600).squareRoot(), "Dense heUniform")
        #expect(h.bias!.value.floats == Array(repeating: 0.25, count: 50))

        let nb = Dense(4, useBias: false)
        _ = try nb.build(inputShape: [3])
        #expect(nb.bias == nil)
        #expect(nb.parameterCount == 12)
    }

    /// Conv2D: weight [O, I, KH, KW] with fan-in I·KH·KW and fan-out O·KH·KW.
    @Test func conv2DUsesKerasFans() throws {
        let c = Conv2D(64, kernel: (3, 3), kernelInitializer: .heUniform)
        _ = try c.build(inputShape: [2, 5, 5])
        #expect(c.weight!.value.shape == [64, 2, 3, 3])
        checkUniform(c.weight!.value, limit: (6.0 / 18).squareRoot(), "Conv2D heUniform")

        let g = Conv2D(64, kernel: 3)
        _ = try g.build(inputShape: [2, 5, 5])
        checkUniform(g.weight!.value, limit: (6.0 / (18 + 576)).squareRoot(), "Conv2D glorotUniform")
        #expect(g.bias!.value.floats == Array(repeating: 0, count: 64))
    }

    /// Keras 3.15.1 `keras.initializers.STFT(...)(shape, dtype="float64")` (Keras ignores the
    /// channel axis and returns [T, 1, F]; Weft repeats the kernels per channel):
    /// STFT(side="real")((6, 1, 4)); STFT(side="imag", window="hamming", scaling="spectrum",
    /// periodic=True)((5, 1, 3)); STFT(side="real", window=None)((4, 1, 3)).
    @Test func stftKernels() {
        let real = Initializer.stft().make([6, 2, 4], fanIn: 1, fanOut: 1, dtype: .float64).doubles
        let keras: [Double] = [0.0, 0.0, 0.0, 0.0, 0.25231131935570694, 0.1261556596778535, -0.12615565967785342, -0.25231131935570694,
                               0.66055960981957, -0.3302798049097848, -0.33027980490978526, 0.66055960981957, 0.66055960981957,
                               -0.66055960981957, 0.66055960981957, -0.66055960981957, 0.25231131935570694, -0.12615565967785358,
                               -0.12615565967785328, 0.25231131935570694, 0.0, 0.0, -0.0, -0.0]
        // Each frame position t holds the same 4 bins for both channels.
        let perChannel = (0..<6).flatMap { t in Array(real[(t * 8)..<(t * 8 + 4)]) }
        expectNear(perChannel, keras, rtol: 1e-12, atol: 1e-15, "real, channel 0")
        expectNear((0..<6).flatMap { t in Array(real[(t * 8 + 4)..<(t * 8 + 8)]) }, keras, rtol: 1e-12, atol: 1e-15, "real, channel 1")
        let imag = Initializer.stft(imaginary: true, window: .hamming, scaling: .spectrum, periodic: true).make([5, 1, 3], fanIn: 1, fanOut: 1, dtype: .float64)
        expectNear(imag.doubles, [-0.0, -0.0, -0.0, -0.0, -0.14735266021760157, -1.8045496368133328e-17, -0.0, -4.1372552034941947e-17,
                                  8.274510406988389e-17, -0.0, 0.3378325249675836, -1.2411765610482584e-16, -0.0, 3.6090992736266656e-17,
                                  7.218198547253331e-17], rtol: 1e-12, atol: 1e-15, "imag, periodic hamming, spectrum")
        let plain = Initializer.stft(window: .none).make([4, 1, 3], fanIn: 1, fanOut: 1, dtype: .float64)
        expectNear(plain.doubles, [1.0, 1.0, 1.0, 1.0, 6.123233995736766e-17, -1.0, 1.0, -1.0, 1.0, 1.0, -1.8369701987210297e-16, -1.0],
                   rtol: 1e-12, atol: 1e-15, "no window")
        // STFTSpectrogram's own kernels are the same numbers, laid out [F, 1, 1, T].
        let layer = STFTSpectrogram(frameLength: 6, fftLength: 6)
        let k = layer.kernel(imaginary: false).cast(to: .float64).doubles
        expectNear((0..<6).flatMap { t in (0..<4).map { f in k[f * 6 + t] } }, keras, rtol: 1e-6, atol: 1e-7, "layer kernels")
    }
}
