import Foundation
import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// The Keras 3 update rules, written out in plain Double arithmetic from the formulas (one
/// element at a time), for comparison with WeftNN's optimizers.
enum ReferenceRule {
    /// Keras 3 SGD: m ← μm − ηg; w ← w + m (Nesterov: w ← w + μm − ηg, with the new m).
    static func sgd(_ w0: [Double], _ grads: [[Double]], lr: Double, momentum: Double, nesterov: Bool) -> [[Double]] {
        var w = w0, m = [Double](repeating: 0, count: w0.count)
        var out: [[Double]] = []
        for g in grads {
            for i in w.indices {
                if momentum == 0 {
                    w[i] = w[i] - lr * g[i]
                } else {
                    m[i] = momentum * m[i] - lr * g[i]
                    if nesterov { w[i] = w[i] + momentum * m[i] - lr * g[i] } else { w[i] = w[i] + m[i] }
                }
            }
            out.append(w)
        }
        return out
    }

    /// Keras 3 RMSprop: v ← ρv + (1−ρ)g²; w ← w − ηg/√(v+ε).
    static func rmsprop(_ w0: [Double], _ grads: [[Double]], lr: Double, rho: Double, eps: Double) -> [[Double]] {
        var w = w0, v = [Double](repeating: 0, count: w0.count)
        var out: [[Double]] = []
        for g in grads {
            for i in w.indices {
                v[i] = rho * v[i] + (1 - rho) * g[i] * g[i]
                w[i] = w[i] - lr * g[i] / (v[i] + eps).squareRoot()
            }
            out.append(w)
        }
        return out
    }

    /// Keras 3 Adadelta: a ← ρa + (1−ρ)g²; Δ = −√(d+ε)/√(a+ε)·g; d ← ρd + (1−ρ)Δ²; w ← w + ηΔ.
    static func adadelta(_ w0: [Double], _ grads: [[Double]], lr: Double, rho: Double, eps: Double) -> [[Double]] {
        var w = w0
        var a = [Double](repeating: 0, count: w0.count), d = a
        var out: [[Double]] = []
        for g in grads {
            for i in w.indices {
                a[i] = rho * a[i] + (1 - rho) * g[i] * g[i]
                let delta = -((d[i] + eps).squareRoot() / (a[i] + eps).squareRoot()) * g[i]
                d[i] = rho * d[i] + (1 - rho) * delta * delta
                w[i] = w[i] + lr * delta
            }
            out.append(w)
        }
        return out
    }

    /// Keras 3 Adam: t = step; α = η·√(1−β₂ᵗ)/(1−β₁ᵗ); m ← m + (g−m)(1−β₁); v ← v + (g²−v)(1−β₂);
    /// w ← w − α·m/(√v + ε).
    static func adam(_ w0: [Double], _ grads: [[Double]], lr: Double, beta1: Double, beta2: Double, eps: Double) -> [[Double]] {
        var w = w0
        var m = [Double](repeating: 0, count: w0.count), v = m
        var out: [[Double]] = []
        var b1t = 1.0, b2t = 1.0
        for g in grads {
            b1t *= beta1
            b2t *= beta2
            let alpha = lr * (1 - b2t).squareRoot() / (1 - b1t)
            for i in w.indices {
                m[i] = m[i] + (g[i] - m[i]) * (1 - beta1)
                v[i] = v[i] + (g[i] * g[i] - v[i]) * (1 - beta2)
                w[i] = w[i] - alpha * m[i] / (v[i].squareRoot() + eps)
            }
            out.append(w)
        }
        return out
    }
}

@Suite struct OptimizerTests {
    static let w0: [Double] = [0.5, -1.25, 2.0, 0.1]
    static let grads: [[Double]] = [[0.3, -0.7, 1.5, -0.05], [-0.2, 0.4, 1.0, 0.02], [0.1, 0.1, -2.0, 0.0]]

    /// Runs `opt` for the three fixed gradients on a [2, 2] parameter of `dtype`; returns the
    /// parameter after each step.
    func run(_ opt: any Optimizer, dtype: DType) -> [[Double]] {
        let p = Parameter(nnTensor([2, 2], Self.w0, dtype: dtype))
        var out: [[Double]] = []
        for g in Self.grads {
            opt.update([p], gradients: [nnTensor([2, 2], g, dtype: dtype)])
            #expect(p.value.dtype == dtype)
            #expect(p.value.shape == [2, 2])
            out.append(p.value.doubles)
        }
        #expect(opt.iterations == 3)
        return out
    }

    func check(_ make: () -> any Optimizer, _ expected: [[Double]], _ name: String,
               sourceLocation: SourceLocation = #_sourceLocation) {
        let got64 = run(make(), dtype: .float64)
        for step in 0..<3 {
            expectNear(got64[step], expected[step], rtol: 1e-13, atol: 1e-15, "\(name) float64 step \(step + 1)",
                       sourceLocation: sourceLocation)
        }
        let got32 = run(make(), dtype: .float32)
        for step in 0..<3 {
            expectNear(got32[step], expected[step], rtol: 1e-6, atol: 0, "\(name) float32 step \(step + 1)",
                       sourceLocation: sourceLocation)
        }
    }

    @Test func sgdPlain() {
        let expected = ReferenceRule.sgd(Self.w0, Self.grads, lr: 0.1, momentum: 0, nesterov: false)
        // Spelled out: w − 0.1·(g1 + g2 + g3).
        expectNear(expected[2], [0.48, -1.23, 1.95, 0.103], rtol: 1e-14)
        check({ SGD(learningRate: 0.1) }, expected, "SGD")
    }

    @Test func sgdMomentum() {
        let expected = ReferenceRule.sgd(Self.w0, Self.grads, lr: 0.1, momentum: 0.9, nesterov: false)
        // By hand: m1 = −0.1·g1, w1 = w0 + m1; m2 = 0.9·m1 − 0.1·g2, … → element 0: 0.4467.
        expectNear([expected[2][0]], [0.4467], rtol: 1e-14)
        check({ SGD(learningRate: 0.1, momentum: 0.9) }, expected, "SGD momentum")
    }

    @Test func sgdNesterov() {
        let expected = ReferenceRule.sgd(Self.w0, Self.grads, lr: 0.1, momentum: 0.9, nesterov: true)
        check({ SGD(learningRate: 0.1, momentum: 0.9, nesterov: true) }, expected, "SGD Nesterov")
    }

    @Test func rmsprop() {
        let expected = ReferenceRule.rmsprop(Self.w0, Self.grads, lr: 0.01, rho: 0.9, eps: 1e-7)
        check({ RMSprop(learningRate: 0.01) }, expected, "RMSprop")
    }

    @Test func adadelta() {
        let expected = ReferenceRule.adadelta(Self.w0, Self.grads, lr: 1.0, rho: 0.95, eps: 1e-7)
        check({ Adadelta(learningRate: 1.0) }, expected, "Adadelta")
    }

    @Test func adam() {
        let expected = ReferenceRule.adam(Self.w0, Self.grads, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7)
        // First step by hand: m = 0.1g, v = 0.001g², α = 0.01·√0.001/0.1 → w − 0.01·g/(|g| + ε/√0.001).
        expectNear(expected[0], Self.w0.enumerated().map { i, w in
            let g = Self.grads[0][i]
            return w - 0.01 * g / (Swift.abs(g) + 1e-7 / 0.001.squareRoot())
        }, rtol: 1e-13)
        check({ Adam(learningRate: 0.01) }, expected, "Adam")
    }

    @Test func adamNonDefaultBetas() {
        let expected = ReferenceRule.adam(Self.w0, Self.grads, lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-3)
        check({ Adam(learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3) }, expected, "Adam(0.8, 0.99)")
    }

    /// The float32 8-lane paths (RMSprop, Adam) give exactly the scalar loop's numbers, on a
    /// length with a tail.
    @Test func floatLanesMatchScalarRule() {
        let n = 1003
        let w0 = nnRandom(n, seed: 31).map { Float($0) }
        let grads = (0..<3).map { k in nnRandom(n, seed: 40 + UInt64(k)).map { Float($0) } }
        func run(_ opt: any Optimizer) -> [Float] {
            let p = Parameter(Tensor(shape: [n], scalars: w0))
            for g in grads { opt.update([p], gradients: [Tensor(shape: [n], scalars: g)]) }
            return p.value.floats
        }
        // RMSprop, in the kernel's order of float operations.
        var w = w0, v = [Float](repeating: 0, count: n)
        let lr: Float = 0.01, r: Float = 0.9, e: Float = 1e-7
        for g in grads {
            for i in 0..<n {
                v[i] = r * v[i] + (1 - r) * g[i] * g[i]
                w[i] -= lr * g[i] / (v[i] + e).squareRoot()
            }
        }
        #expect(run(RMSprop(learningRate: 0.01)) == w)
        // Adam.
        var wa = w0, m = [Float](repeating: 0, count: n), va = [Float](repeating: 0, count: n)
        for (k, g) in grads.enumerated() {
            let t = Double(k + 1)
            let a = Float(0.01 * (1 - Foundation.pow(0.999, t)).squareRoot() / (1 - Foundation.pow(0.9, t)))
            let c1 = Float(1 - 0.9), c2 = Float(1 - 0.999), ea = Float(1e-7)
            for i in 0..<n {
                m[i] += (g[i] - m[i]) * c1
                va[i] += (g[i] * g[i] - va[i]) * c2
                wa[i] -= a * m[i] / (va[i].squareRoot() + ea)
            }
        }
        #expect(run(Adam(learningRate: 0.01)) == wa)
    }

    @Test func rmspropNonDefaultRho() {
        let expected = ReferenceRule.rmsprop(Self.w0, Self.grads, lr: 0.02, rho: 0.5, eps: 1e-4)
        check({ RMSprop(learningRate: 0.02, rho: 0.5, epsilon: 1e-4) }, expected, "RMSprop(ρ 0.5)")
    }

    /// PyTorch 2 (torch.optim, float64), run once on the same values. PyTorch's SGD (b ← μb + g;
    /// w ← w − ηb) and Adadelta equal Keras's rules; its RMSprop and Adam put ε elsewhere, so
    /// they are compared with ε = 0, where the rules coincide.
    @Test func matchesPyTorch() {
        let torch: [(String, () -> any Optimizer, [Double])] = [
            ("SGD", { SGD(learningRate: 0.1) }, [0.48, -1.23, 1.95, 0.10300000000000001]),
            ("SGD momentum", { SGD(learningRate: 0.1, momentum: 0.9) }, [0.4467, -1.1463, 1.6035, 0.10975000000000001]),
            ("SGD nesterov", { SGD(learningRate: 0.1, momentum: 0.9, nesterov: true) },
             [0.43202999999999997, -1.13667, 1.59315, 0.111775]),
            ("RMSprop eps 0", { RMSprop(learningRate: 0.01, rho: 0.9, epsilon: 0) },
             [0.47738820250626796, -1.2389540935911976, 1.9745883700802793, 0.11933687426500478]),
            ("Adadelta", { Adadelta(learningRate: 1.0, rho: 0.95, epsilon: 1e-7) },
             [0.49908209493984484, -1.2498827558910524, 1.9991786747899876, 0.10065474700723635]),
            ("Adam eps 0", { Adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 0) },
             [0.4857697055644739, -1.237034231466731, 1.980023538385715, 0.11612760170022525]),
        ]
        for (name, make, expected) in torch {
            let got = run(make(), dtype: .float64)
            expectNear(got[2], expected, rtol: 1e-12, atol: 1e-15, "\(name) vs PyTorch")
        }
    }

    /// Keras 3 defaults.
    @Test func defaults() {
        let sgd = SGD()
        #expect(sgd.learningRate == 0.01 && sgd.momentum == 0 && !sgd.nesterov)
        let rms = RMSprop()
        #expect(rms.learningRate == 0.001 && rms.rho == 0.9 && rms.epsilon == 1e-7)
        let ada = Adadelta()
        #expect(ada.learningRate == 0.001 && ada.rho == 0.95 && ada.epsilon == 1e-7)
        let adam = Adam()
        #expect(adam.learningRate == 0.001 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-7)
        let a2: Adam = .adam(learningRate: 0.5)
        #expect(a2.learningRate == 0.5 && a2.beta2 == 0.999)
        let s2: SGD = .sgd(momentum: 0.9, nesterov: true)
        #expect(s2.learningRate == 0.01 && s2.momentum == 0.9 && s2.nesterov)
    }

    /// State is kept per parameter: two parameters updated together give the same results as
    /// each updated alone; a frozen parameter is left alone.
    @Test func statePerParameterAndFrozenParametersSkipped() {
        let gA = Self.grads, gB = Self.grads.map { $0.map { -2 * $0 + 0.1 } }
        let pA = Parameter(nnTensor([4], Self.w0)), pB = Parameter(nnTensor([4], Self.w0.map { $0 * 3 }))
        let frozen = Parameter(nnTensor([4], Self.w0), trainable: false)
        let opt = Adam(learningRate: 0.01)
        for s in 0..<3 {
            opt.update([pA, frozen, pB], gradients: [nnTensor([4], gA[s]), nnTensor([4], gA[s]), nnTensor([4], gB[s])])
        }
        expectNear(pA.value.doubles, ReferenceRule.adam(Self.w0, gA, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7)[2], rtol: 1e-13)
        expectNear(pB.value.doubles, ReferenceRule.adam(Self.w0.map { $0 * 3 }, gB, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7)[2],
                   rtol: 1e-13)
        #expect(frozen.value.doubles == Self.w0)
    }

    /// Changing the learning rate between steps takes effect at the next step (schedules).
    @Test func learningRateCanChange() {
        let p = Parameter(nnTensor([4], Self.w0))
        let opt = SGD(learningRate: 0.1)
        opt.update([p], gradients: [nnTensor([4], Self.grads[0])])
        opt.learningRate = 0.5
        opt.update([p], gradients: [nnTensor([4], Self.grads[1])])
        let expected = Self.w0.indices.map { Self.w0[$0] - 0.1 * Self.grads[0][$0] - 0.5 * Self.grads[1][$0] }
        expectNear(p.value.doubles, expected, rtol: 1e-14)
    }

    /// `update(model, along:)` with gradients from `valueWithGradient(at:)`: one SGD step on
    /// L = sum(x·W + b) moves W by −η·(column sums of x) and b by −η·N.
    @Test func updateModelAlongGradients() throws {
        let layer = Dense(2)
        _ = try layer.build(inputShape: [3])
        setFloat64Parameters(layer)
        let w = layer.weight!.value.doubles, b = layer.bias!.value.doubles
        let x = nnTensor([2, 3], [1, 2, 3, -1, 0.5, 4])
        let (_, grads) = valueWithGradient(at: layer) { l in l(x).sum() }
        #expect(grads.names == ["weight", "bias"])
        SGD(learningRate: 0.1).update(layer, along: grads)
        let colSums = [0.0, 2.5, 7.0]
        let expectedW = (0..<6).map { w[$0] - 0.1 * colSums[$0 / 2] }
        expectNear(layer.weight!.value.doubles, expectedW, rtol: 1e-14, atol: 1e-15)
        expectNear(layer.bias!.value.doubles, b.map { $0 - 0.1 * 2 }, rtol: 1e-14, atol: 1e-15)
    }

    /// A parameter whose storage is shared with another tensor must not change that tensor
    /// (copy-on-write survives the in-place update).
    @Test func updateDoesNotWriteThroughSharedStorage() {
        let original = nnTensor([4], Self.w0)
        let p = Parameter(original)
        SGD(learningRate: 0.1).update([p], gradients: [nnTensor([4], Self.grads[0])])
        #expect(original.doubles == Self.w0)
        expectNear(p.value.doubles, Self.w0.indices.map { Self.w0[$0] - 0.1 * Self.grads[0][$0] }, rtol: 1e-14)
    }
}
