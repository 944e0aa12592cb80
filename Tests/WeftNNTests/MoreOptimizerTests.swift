import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// More Keras 3 update rules in plain Double arithmetic, one element at a time, written from
/// Keras 3's `update_step` code (not from WeftNN's).
enum MoreReferenceRule {
    /// Runs `step(i, g, t)` (t = 1, 2, …) over every element for each gradient; returns w after each step.
    static func run(_ w0: [Double], _ grads: [[Double]], slots: Int, initial: Double = 0,
                    _ step: (inout Double, Double, inout [Double], Double) -> Void) -> [[Double]] {
        var w = w0
        var s = [[Double]](repeating: [Double](repeating: initial, count: slots), count: w0.count)
        var out: [[Double]] = []
        for (k, g) in grads.enumerated() {
            for i in w.indices { step(&w[i], g[i], &s[i], Double(k + 1)) }
            out.append(w)
        }
        return out
    }

    /// AdamW: w ← w − η·λ·w, then Adam.
    static func adamw(_ w0: [Double], _ grads: [[Double]], lr: Double, wd: Double, beta1: Double = 0.9,
                      beta2: Double = 0.999, eps: Double = 1e-7) -> [[Double]] {
        run(w0, grads, slots: 2) { w, g, s, t in
            w = w - w * wd * lr
            let alpha = lr * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
            s[0] = s[0] + (g - s[0]) * (1 - beta1)
            s[1] = s[1] + (g * g - s[1]) * (1 - beta2)
            w = w - alpha * s[0] / (s[1].squareRoot() + eps)
        }
    }

    /// Adagrad: a ← a + g² (a₀ = initial accumulator); w ← w − η·g/√(a + ε).
    static func adagrad(_ w0: [Double], _ grads: [[Double]], lr: Double, initial: Double = 0.1, eps: Double = 1e-7) -> [[Double]] {
        run(w0, grads, slots: 1, initial: initial) { w, g, s, _ in
            s[0] = s[0] + g * g
            w = w - lr * g / (s[0] + eps).squareRoot()
        }
    }

    /// Adamax: m ← m + (g − m)(1−β₁); u ← max(β₂u, |g|); w ← w − η·m/((1−β₁ᵗ)(u + ε)).
    static func adamax(_ w0: [Double], _ grads: [[Double]], lr: Double, beta1: Double = 0.9,
                       beta2: Double = 0.999, eps: Double = 1e-7) -> [[Double]] {
        run(w0, grads, slots: 2) { w, g, s, t in
            s[0] = s[0] + (g - s[0]) * (1 - beta1)
            s[1] = max(beta2 * s[1], abs(g))
            w = w - (lr * s[0]) / ((1 - pow(beta1, t)) * (s[1] + eps))
        }
    }

    /// Nadam: the optimizer-wide `_u_product` is multiplied by uₜ before the variables are
    /// updated; then, per variable, u_product_t_1 = u_product·uₜ₊₁,
    /// m̂ = uₜ₊₁m/(1 − u_product_t_1) + (1 − uₜ)g/(1 − u_product); v̂ = v/(1 − β₂ᵗ).
    static func nadam(_ w0: [Double], _ grads: [[Double]], lr: Double, beta1: Double = 0.9,
                      beta2: Double = 0.999, eps: Double = 1e-7) -> [[Double]] {
        var w = w0
        var m = [Double](repeating: 0, count: w0.count), v = m
        var uProduct = 1.0
        var out: [[Double]] = []
        for (k, g) in grads.enumerated() {
            let localStep = Double(k + 1), nextStep = Double(k + 2)
            uProduct = uProduct * beta1 * (1.0 - 0.5 * pow(0.96, localStep))
            let ut = beta1 * (1.0 - 0.5 * pow(0.96, localStep))
            let ut1 = beta1 * (1.0 - 0.5 * pow(0.96, nextStep))
            let uProductT = uProduct
            let uProductT1 = uProductT * ut1
            let beta2Power = pow(beta2, localStep)
            for i in w.indices {
                m[i] = m[i] + (g[i] - m[i]) * (1 - beta1)
                v[i] = v[i] + (g[i] * g[i] - v[i]) * (1 - beta2)
                let mHat = ut1 * m[i] / (1 - uProductT1) + (1 - ut) * g[i] / (1 - uProductT)
                let vHat = v[i] / (1 - beta2Power)
                w[i] = w[i] - (mHat * lr) / (vHat.squareRoot() + eps)
            }
            out.append(w)
        }
        return out
    }

    /// Lion: w ← w − η·sign(β₁m + (1−β₁)g); m ← β₂m + (1−β₂)g.
    static func lion(_ w0: [Double], _ grads: [[Double]], lr: Double, beta1: Double = 0.9, beta2: Double = 0.99) -> [[Double]] {
        run(w0, grads, slots: 1) { w, g, s, _ in
            let c = s[0] * beta1 + g * (1 - beta1)
            w = w - lr * (c > 0 ? 1 : (c < 0 ? -1 : 0))
            s[0] = s[0] * beta2 + g * (1 - beta2)
        }
    }

    /// RMSprop with momentum and/or centered: v ← ρv + (1−ρ)g²; centered: a ← ρa + (1−ρ)g,
    /// den = v − a² + ε, else den = v + ε; inc = ηg/√den; momentum: m ← μm + inc, w ← w − m;
    /// else w ← w − inc.
    static func rmsprop(_ w0: [Double], _ grads: [[Double]], lr: Double, rho: Double = 0.9, eps: Double = 1e-7,
                        momentum: Double, centered: Bool) -> [[Double]] {
        run(w0, grads, slots: 3) { w, g, s, _ in
            s[0] = rho * s[0] + (1 - rho) * g * g
            var den = s[0] + eps
            if centered {
                s[2] = rho * s[2] + (1 - rho) * g
                den = s[0] - s[2] * s[2] + eps
            }
            let inc = lr * g / den.squareRoot()
            if momentum > 0 {
                s[1] = momentum * s[1] + inc
                w = w - s[1]
            } else {
                w = w - inc
            }
        }
    }

    /// SGD (optional momentum) with Keras's decoupled weight decay: w ← w − η·λ·w first.
    static func sgdWeightDecay(_ w0: [Double], _ grads: [[Double]], lr: Double, wd: Double, momentum: Double) -> [[Double]] {
        run(w0, grads, slots: 1) { w, g, s, _ in
            w = w - w * wd * lr
            if momentum == 0 { w = w - lr * g; return }
            s[0] = momentum * s[0] - lr * g
            w = w + s[0]
        }
    }
}

@Suite struct MoreOptimizerTests {
    let w0 = OptimizerTests.w0, grads = OptimizerTests.grads
    /// float64 within 1e-13, float32 within 1e-6, for the first 3 steps.
    func check(_ make: () -> any Optimizer, _ expected: [[Double]], _ name: String,
               sourceLocation: SourceLocation = #_sourceLocation) {
        OptimizerTests().check(make, expected, name, sourceLocation: sourceLocation)
    }

    @Test func adamW() {
        let expected = MoreReferenceRule.adamw(w0, grads, lr: 0.01, wd: 0.004)
        check({ AdamW(learningRate: 0.01) }, expected, "AdamW")
        // Large decay, so the decoupled term is clearly visible.
        let big = MoreReferenceRule.adamw(w0, grads, lr: 0.05, wd: 0.5)
        let adamOnly = ReferenceRule.adam(w0, grads, lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-7)
        #expect(!nnIsClose(big[2], adamOnly[2], rtol: 1e-3, atol: 0))
        check({ AdamW(learningRate: 0.05, weightDecay: 0.5) }, big, "AdamW wd 0.5")
        // wd 0 is Adam.
        check({ AdamW(learningRate: 0.01, weightDecay: 0) },
              ReferenceRule.adam(w0, grads, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7), "AdamW wd 0")
    }

    @Test func adagrad() {
        let expected = MoreReferenceRule.adagrad(w0, grads, lr: 0.1)
        // First step by hand: w − 0.1·g/√(0.1 + g² + ε).
        expectNear(expected[0], w0.indices.map { w0[$0] - 0.1 * grads[0][$0] / (0.1 + grads[0][$0] * grads[0][$0] + 1e-7).squareRoot() },
                   rtol: 1e-14)
        check({ Adagrad(learningRate: 0.1) }, expected, "Adagrad")
        check({ Adagrad(learningRate: 0.05, initialAccumulatorValue: 0.5, epsilon: 1e-3) },
              MoreReferenceRule.adagrad(w0, grads, lr: 0.05, initial: 0.5, eps: 1e-3), "Adagrad(0.5)")
    }

    @Test func adamax() {
        check({ Adamax(learningRate: 0.01) }, MoreReferenceRule.adamax(w0, grads, lr: 0.01), "Adamax")
        check({ Adamax(learningRate: 0.02, beta1: 0.8, beta2: 0.9, epsilon: 1e-4) },
              MoreReferenceRule.adamax(w0, grads, lr: 0.02, beta1: 0.8, beta2: 0.9, eps: 1e-4), "Adamax(0.8, 0.9)")
    }

    @Test func nadam() {
        let expected = MoreReferenceRule.nadam(w0, grads, lr: 0.01)
        // First step by hand: u₁ = 0.9(1 − 0.48) = 0.468, u₂ = 0.9(1 − 0.5·0.9216) = 0.48528;
        // m = 0.1g, v = 0.001g²: m̂ = u₂·0.1g/(1 − u₁u₂) + (1 − u₁)g/(1 − u₁), v̂ = g².
        let u1 = 0.468, u2 = 0.48528
        expectNear(expected[0], w0.indices.map { i in
            let g = grads[0][i]
            let mHat = u2 * 0.1 * g / (1 - u1 * u2) + g
            return w0[i] - 0.01 * mHat / (Swift.abs(g) + 1e-7)
        }, rtol: 1e-12)
        check({ Nadam(learningRate: 0.01) }, expected, "Nadam")
        check({ Nadam(learningRate: 0.03, beta1: 0.8, beta2: 0.99, epsilon: 1e-4) },
              MoreReferenceRule.nadam(w0, grads, lr: 0.03, beta1: 0.8, beta2: 0.99, eps: 1e-4), "Nadam(0.8, 0.99)")
    }

    @Test func lion() {
        let expected = MoreReferenceRule.lion(w0, grads, lr: 0.01)
        // Step 1 is w − η·sign(g).
        expectNear(expected[0], w0.indices.map { w0[$0] - 0.01 * (grads[0][$0] > 0 ? 1 : -1) }, rtol: 1e-15)
        check({ Lion(learningRate: 0.01) }, expected, "Lion")
        check({ Lion(learningRate: 0.02, beta1: 0.5, beta2: 0.9) },
              MoreReferenceRule.lion(w0, grads, lr: 0.02, beta1: 0.5, beta2: 0.9), "Lion(0.5, 0.9)")
    }

    @Test func rmspropCenteredAndMomentum() {
        for (mu, centered) in [(0.0, true), (0.9, false), (0.9, true)] {
            let expected = MoreReferenceRule.rmsprop(w0, grads, lr: 0.01, momentum: mu, centered: centered)
            check({ RMSprop(learningRate: 0.01, momentum: mu, centered: centered) }, expected,
                  "RMSprop(momentum \(mu), centered \(centered))")
        }
        // The plain case of the reference equals the original rule.
        expectNear(MoreReferenceRule.rmsprop(w0, grads, lr: 0.01, momentum: 0, centered: false)[2],
                   ReferenceRule.rmsprop(w0, grads, lr: 0.01, rho: 0.9, eps: 1e-7)[2], rtol: 1e-15)
        let opt = RMSprop(learningRate: 0.01, momentum: 0.9, centered: true)
        let p = Parameter(nnTensor([4], w0))
        opt.update([p], gradients: [nnTensor([4], grads[0])])
        #expect(opt.slots.named([("p", p)])["p"]?.count == 3)
    }

    @Test func sgdWeightDecay() {
        for mu in [0.0, 0.9] {
            let expected = MoreReferenceRule.sgdWeightDecay(w0, grads, lr: 0.1, wd: 0.2, momentum: mu)
            check({ SGD(learningRate: 0.1, momentum: mu).weightDecayed(0.2) }, expected, "SGD wd momentum \(mu)")
        }
        // Weight decay on Adam through the wrapper is AdamW.
        check({ Adam(learningRate: 0.05).weightDecayed(0.5) },
              MoreReferenceRule.adamw(w0, grads, lr: 0.05, wd: 0.5), "Adam.weightDecayed = AdamW")
    }

    @Test func defaults() {
        let aw = AdamW()
        #expect(aw.learningRate == 0.001 && aw.weightDecay == 0.004 && aw.beta1 == 0.9 && aw.beta2 == 0.999 && aw.epsilon == 1e-7)
        let ag = Adagrad()
        #expect(ag.learningRate == 0.001 && ag.initialAccumulatorValue == 0.1 && ag.epsilon == 1e-7)
        let am = Adamax()
        #expect(am.learningRate == 0.001 && am.beta1 == 0.9 && am.beta2 == 0.999 && am.epsilon == 1e-7)
        let na = Nadam()
        #expect(na.learningRate == 0.001 && na.beta1 == 0.9 && na.beta2 == 0.999 && na.epsilon == 1e-7)
        let li = Lion()
        #expect(li.learningRate == 1e-4 && li.beta1 == 0.9 && li.beta2 == 0.99)
        let rms = RMSprop()
        #expect(rms.momentum == 0 && !rms.centered)
    }

    // MARK: Clipping

    @Test func clipNormPerTensor() {
        let clipped = GradientClipping.norm(1).apply([nnTensor([2], [3, 4]), nnTensor([2], [0.3, -0.4])])
        expectNear(clipped[0].doubles, [0.6, 0.8], rtol: 1e-15)   // ‖g‖ = 5 → scaled by 1/5
        expectNear(clipped[1].doubles, [0.3, -0.4], rtol: 0)      // ‖g‖ = 0.5 ≤ 1: unchanged
        let f32 = GradientClipping.norm(2).apply([nnTensor([2], [3, 4], dtype: .float32)])[0]
        #expect(f32.dtype == .float32)
        expectNear(f32.doubles, [1.2, 1.6], rtol: 1e-7)
    }

    @Test func clipGlobalNorm() {
        // Global norm √(3² + 4² + 12²) = 13; clip 6.5 halves everything.
        let clipped = GradientClipping.globalNorm(6.5).apply([nnTensor([2], [3, 4]), nnTensor([1], [-12])])
        expectNear(clipped[0].doubles, [1.5, 2], rtol: 1e-15)
        expectNear(clipped[1].doubles, [-6], rtol: 1e-15)
        let unchanged = GradientClipping.globalNorm(13.5).apply([nnTensor([2], [3, 4]), nnTensor([1], [-12])])
        #expect(unchanged[0].doubles == [3, 4] && unchanged[1].doubles == [-12])
    }

    @Test func clipValue() {
        let clipped = GradientClipping.value(0.5).apply([nnTensor([4], [0.3, -0.7, 1.5, -0.05])])
        #expect(clipped[0].doubles == [0.3, -0.5, 0.5, -0.05])
    }

    /// The optimizer steps along the clipped gradients: SGD(η = 1) with clipnorm 1.
    @Test func clippedOptimizer() {
        let p = Parameter(nnTensor([2], [1, 1]))
        let opt = SGD(learningRate: 1).clipped(.norm(1))
        opt.update([p], gradients: [nnTensor([2], [3, 4])])
        expectNear(p.value.doubles, [0.4, 0.2], rtol: 1e-15)
        #expect(opt.iterations == 1)
        // Chained options configure one wrapper.
        let both = opt.weightDecayed(0.1)
        #expect(both === opt && both.clipping == .norm(1) && both.weightDecay == 0.1)
        // Clipped Adam over three steps = Adam on the clipped gradients (clipvalue 0.5).
        let clippedGrads = grads.map { $0.map { Swift.min(Swift.max($0, -0.5), 0.5) } }
        check({ Adam(learningRate: 0.01).clipped(.value(0.5)) },
              ReferenceRule.adam(w0, clippedGrads, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7), "Adam clipvalue")
    }

    // MARK: State

    @Test func stateDictByName() throws {
        let layer = Dense(2)
        _ = try layer.build(inputShape: [3])
        setFloat64Parameters(layer)
        let x = nnTensor([2, 3], [1, 2, 3, -1, 0.5, 4])
        let (_, g) = valueWithGradient(at: layer) { l in l(x).sum() }
        let opt = Adam(learningRate: 0.01)
        #expect(opt.stateDict(for: layer).isEmpty)
        opt.update(layer, along: g)
        #expect(opt.iterations == 1)
        let state = opt.stateDict(for: layer)
        #expect(Set(state.keys) == ["weight", "bias"])
        // After one step m = 0.1g and v = 0.001g².
        expectNear(state["weight"]![0].doubles, g["weight"]!.doubles.map { 0.1 * $0 }, rtol: 1e-14, atol: 1e-16)
        expectNear(state["bias"]![1].doubles, g["bias"]!.doubles.map { 0.001 * $0 * $0 }, rtol: 1e-14)
        // Through the wrapper, and for the new optimizers.
        let wrapped = Lion(learningRate: 0.01).clipped(.value(1))
        wrapped.update(layer, along: g)
        #expect(wrapped.stateDict(for: layer)["weight"]?.count == 1)
        #expect(SGD().stateDict(for: layer).isEmpty)
        let ada = Adagrad()
        ada.update(layer, along: g)
        expectNear(ada.stateDict(for: layer)["bias"]![0].doubles, g["bias"]!.doubles.map { 0.1 + $0 * $0 }, rtol: 1e-14)
    }
}
