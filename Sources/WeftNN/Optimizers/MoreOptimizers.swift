import Weft
#if canImport(Glibc)
import Glibc
#endif

// More optimizers with Keras 3's update rules and default constants, plus the state-by-name
// view shared by every optimizer. Each kernel is written once, generic over Float and Double.

/// Optimizers whose per-parameter state lives in a `SlotStore`.
protocol SlotHolding {
    var slots: SlotStore { get }
}
extension SGD: SlotHolding {}
extension RMSprop: SlotHolding {}
extension Adadelta: SlotHolding {}
extension Adam: SlotHolding {}

extension Optimizer {
    /// The optimizer's per-parameter state (slot tensors such as Adam's m and v, in the order
    /// the optimizer's documentation lists them), keyed by the parameter's name in `model`.
    /// Parameters not updated yet (or with no state, e.g. plain SGD) are absent.
    public func stateDict(for model: some Layer) -> [String: [Tensor]] {
        (self as? SlotHolding)?.slots.named(model.namedParameters) ?? [:]
    }
}

/// Keras's decoupled weight decay, applied before the update: w ← w − η·λ·w (trainable only).
func applyWeightDecay(_ parameters: [Parameter], learningRate: Double, weightDecay: Double) {
    guard weightDecay != 0 else { return }
    let k = learningRate * weightDecay
    for p in parameters where p.trainable {
        var none: [Tensor] = []
        updateInPlace(p, p.value, &none, float: { n, w, _, _ in
            let kf = Float(k)
            for i in 0..<n { w[i] -= w[i] * kf }
        }, double: { n, w, _, _ in
            for i in 0..<n { w[i] -= w[i] * k }
        })
    }
}

/// Adam's step (Keras 3): m ← m + (g − m)(1−β₁); v ← v + (g² − v)(1−β₂); w ← w − α·m/(√v + ε).
func adamKernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                                _ s: [UnsafeMutablePointer<T>], alpha: Double, beta1: Double,
                                                beta2: Double, epsilon: Double) {
    let m = s[0], v = s[1], a = T(alpha), c1 = T(1 - beta1), c2 = T(1 - beta2), e = T(epsilon)
    parallelChunks(n) { range in
        var lo = range.lowerBound
        if T.self == Float.self {
            // 8 lanes at a time (the same operations in the same order as the scalar loop, so
            // bit-identical): the compiler cannot vectorise the loop itself, since w, g, m and
            // v might alias.
            lo = adamLanes(range, UnsafeMutableRawPointer(w), UnsafeRawPointer(g), UnsafeMutableRawPointer(m),
                           UnsafeMutableRawPointer(v), a: Float(a), c1: Float(c1), c2: Float(c2), e: Float(e))
        }
        for i in lo..<range.upperBound {
            m[i] += (g[i] - m[i]) * c1
            v[i] += (g[i] * g[i] - v[i]) * c2
            w[i] -= a * m[i] / (v[i].squareRoot() + e)
        }
    }
}

/// Adam's AMSGrad step (Keras's `amsgrad=True`): as `adamKernel`, with v̂ ← max(v̂, v) (slot 2)
/// in the denominator.
func amsgradKernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                           _ s: [UnsafeMutablePointer<T>], alpha: Double, beta1: Double,
                                           beta2: Double, epsilon: Double) {
    let m = s[0], v = s[1], vh = s[2], a = T(alpha), c1 = T(1 - beta1), c2 = T(1 - beta2), e = T(epsilon)
    parallelChunks(n) { range in
        for i in range {
            m[i] += (g[i] - m[i]) * c1
            v[i] += (g[i] * g[i] - v[i]) * c2
            vh[i] = Swift.max(vh[i], v[i])
            w[i] -= a * m[i] / (vh[i].squareRoot() + e)
        }
    }
}

/// Adam's (or AMSGrad's) step on every parameter.
func adamUpdate(_ slots: SlotStore, _ parameters: [Parameter], _ gradients: [Tensor], alpha: Double, beta1 b1: Double,
                beta2 b2: Double, epsilon eps: Double, amsgrad: Bool) {
    if amsgrad {
        slots.update(parameters, gradients, slots: 3,
                     float: { amsgradKernel($0, $1, $2, $3, alpha: alpha, beta1: b1, beta2: b2, epsilon: eps) },
                     double: { amsgradKernel($0, $1, $2, $3, alpha: alpha, beta1: b1, beta2: b2, epsilon: eps) })
    } else {
        slots.update(parameters, gradients, slots: 2,
                     float: { adamKernel($0, $1, $2, $3, alpha: alpha, beta1: b1, beta2: b2, epsilon: eps) },
                     double: { adamKernel($0, $1, $2, $3, alpha: alpha, beta1: b1, beta2: b2, epsilon: eps) })
    }
}

/// Adam's float32 step on whole 8-lane groups of `range`; returns where the scalar tail starts.
@inline(__always)
private func adamLanes(_ range: Range<Int>, _ w: UnsafeMutableRawPointer, _ g: UnsafeRawPointer,
                       _ m: UnsafeMutableRawPointer, _ v: UnsafeMutableRawPointer,
                       a: Float, c1: Float, c2: Float, e: Float) -> Int {
    typealias V = SIMD8<Float>
    let step = MemoryLayout<V>.stride
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
        let o = i * MemoryLayout<Float>.stride
        let gv = g.loadUnaligned(fromByteOffset: o, as: V.self)
        var mv = m.loadUnaligned(fromByteOffset: o, as: V.self)
        var vv = v.loadUnaligned(fromByteOffset: o, as: V.self)
        var wv = w.loadUnaligned(fromByteOffset: o, as: V.self)
        mv += (gv - mv) * c1
        vv += (gv * gv - vv) * c2
        wv -= a * mv / (vv.squareRoot() + e)
        m.storeBytes(of: mv, toByteOffset: o, as: V.self)
        v.storeBytes(of: vv, toByteOffset: o, as: V.self)
        w.storeBytes(of: wv, toByteOffset: o, as: V.self)
        i += step / MemoryLayout<Float>.stride
    }
    return i
}

/// AdamW (Keras 3): Adam with decoupled weight decay, w ← w − η·λ·w before Adam's step.
/// Slots: m, v.
public final class AdamW: Optimizer {
    public var learningRate: Double
    public let weightDecay: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    /// Keras's `amsgrad`: the denominator uses the running maximum of v (a third slot).
    public let amsgrad: Bool
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.001, weightDecay: Double = 0.004, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false) {
        self.amsgrad = amsgrad
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        applyWeightDecay(parameters, learningRate: learningRate, weightDecay: weightDecay)
        iterations += 1
        let t = Double(iterations)
        let alpha = learningRate * (1 - Glibc.pow(beta2, t)).squareRoot() / (1 - Glibc.pow(beta1, t))
        adamUpdate(slots, parameters, gradients, alpha: alpha, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad)
    }
}

/// Adagrad (Keras 3): a ← a + g²; w ← w − η·g/√(a + ε), with a starting at
/// `initialAccumulatorValue`. Slot: the accumulator.
public final class Adagrad: Optimizer {
    public var learningRate: Double
    public let initialAccumulatorValue: Double
    public let epsilon: Double
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.001, initialAccumulatorValue: Double = 0.1, epsilon: Double = 1e-7) {
        self.learningRate = learningRate
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, eps = epsilon
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let a = s[0], lrT = T(lr), e = T(eps)
            for i in 0..<n {
                a[i] += g[i] * g[i]
                w[i] -= lrT * g[i] / (a[i] + e).squareRoot()
            }
        }
        for (p, g) in zip(parameters, gradients) where p.trainable {
            let isNew = slots.named([("", p)]).isEmpty
            var s = slots.get(p, count: 1)
            if isNew { s[0] = s[0] + initialAccumulatorValue }
            updateInPlace(p, g, &s, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
            slots.set(p, s)
        }
    }
}

/// Adamax (Keras 3): m ← m + (g − m)(1−β₁); u ← max(β₂u, |g|); w ← w − η·m/((1−β₁ᵗ)(u + ε)).
/// Slots: m, u.
public final class Adamax: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        let b1t = Glibc.pow(beta1, Double(iterations))
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let m = s[0], u = s[1], lrT = T(lr), c1 = T(1 - b1), b2T = T(b2), e = T(eps), corr = T(1 - b1t)
            for i in 0..<n {
                m[i] += (g[i] - m[i]) * c1
                u[i] = Swift.max(b2T * u[i], Swift.abs(g[i]))
                w[i] -= lrT * m[i] / (corr * (u[i] + e))
            }
        }
        slots.update(parameters, gradients, slots: 2, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// Nadam (Keras 3, with the momentum cache): uₜ = β₁(1 − ½·0.96ᵗ), Πₜ = u₁⋯uₜ;
/// m ← m + (g − m)(1−β₁); v ← v + (g² − v)(1−β₂);
/// m̂ = uₜ₊₁m/(1 − Πₜuₜ₊₁) + (1 − uₜ)g/(1 − Πₜ); v̂ = v/(1 − β₂ᵗ); w ← w − η·m̂/(√v̂ + ε).
/// Slots: m, v (the cache Πₜ is one number, `momentumCache`).
public final class Nadam: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public private(set) var iterations = 0
    /// Πₜ, the product of the momentum schedule so far (Keras's `_u_product`).
    public private(set) var momentumCache = 1.0
    let slots = SlotStore()

    public init(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let t = Double(iterations)
        let ut = beta1 * (1 - 0.5 * Glibc.pow(0.96, t))
        let ut1 = beta1 * (1 - 0.5 * Glibc.pow(0.96, t + 1))
        momentumCache *= ut
        let prod = momentumCache, prod1 = momentumCache * ut1
        let b2t = Glibc.pow(beta2, t)
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let m = s[0], v = s[1], c1 = T(1 - b1), c2 = T(1 - b2), e = T(eps), lrT = T(lr)
            let kM = T(ut1 / (1 - prod1)), kG = T((1 - ut) / (1 - prod)), kV = T(1 / (1 - b2t))
            for i in 0..<n {
                m[i] += (g[i] - m[i]) * c1
                v[i] += (g[i] * g[i] - v[i]) * c2
                let mHat = kM * m[i] + kG * g[i]
                let vHat = v[i] * kV
                w[i] -= mHat * lrT / (vHat.squareRoot() + e)
            }
        }
        slots.update(parameters, gradients, slots: 2, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// Lion (Keras 3): w ← w − η·sign(β₁m + (1−β₁)g); m ← β₂m + (1−β₂)g. Slot: m.
public final class Lion: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 1e-4, beta1: Double = 0.9, beta2: Double = 0.99) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, b1 = beta1, b2 = beta2
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let m = s[0], lrT = T(lr), b1T = T(b1), b2T = T(b2)
            for i in 0..<n {
                let c = m[i] * b1T + g[i] * (1 - b1T)
                w[i] -= lrT * (c > 0 ? 1 : (c < 0 ? -1 : 0))
                m[i] = m[i] * b2T + g[i] * (1 - b2T)
            }
        }
        slots.update(parameters, gradients, slots: 1, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

extension AdamW: SlotHolding {}
extension Adagrad: SlotHolding {}
extension Adamax: SlotHolding {}
extension Nadam: SlotHolding {}
extension Lion: SlotHolding {}
