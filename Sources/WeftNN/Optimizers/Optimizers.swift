import Weft
#if canImport(Glibc)
import Glibc
#endif

/// Stochastic gradient descent with optional momentum and Nesterov momentum (Keras 3 rule:
/// m ← μm − ηg; w ← w + m, or w ← w + μm − ηg with Nesterov).
public final class SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let nesterov: Bool
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, mu = momentum, nest = nesterov
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let lrT = T(lr), muT = T(mu)
            if s.isEmpty { for i in 0..<n { w[i] -= lrT * g[i] }; return }
            let m = s[0]
            for i in 0..<n {
                m[i] = muT * m[i] - lrT * g[i]
                w[i] += nest ? muT * m[i] - lrT * g[i] : m[i]
            }
        }
        slots.update(parameters, gradients, slots: mu == 0 ? 0 : 1,
                     float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// RMSprop (Keras 3: v ← ρv + (1−ρ)g²; w ← w − ηg/√(v + ε)). With `centered`, also
/// a ← ρa + (1−ρ)g and the denominator is √(v − a² + ε); with `momentum` μ > 0,
/// m ← μm + ηg/√(…) and w ← w − m.
public final class RMSprop: Optimizer {
    public var learningRate: Double
    public let rho: Double
    public let epsilon: Double
    public let momentum: Double
    public let centered: Bool
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.001, rho: Double = 0.9, epsilon: Double = 1e-7,
                momentum: Double = 0, centered: Bool = false) {
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, rho = rho, eps = epsilon
        if momentum != 0 || centered { return updateGeneral(parameters, gradients: gradients) }
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let v = s[0], lrT = T(lr), r = T(rho), e = T(eps)
            parallelChunks(n) { range in
                var lo = range.lowerBound
                if T.self == Float.self {
                    // 8 lanes at a time, the scalar loop's operations in its order (bit-identical).
                    lo = rmspropLanes(range, UnsafeMutableRawPointer(w), UnsafeRawPointer(g), UnsafeMutableRawPointer(v),
                                      lr: Float(lrT), rho: Float(r), e: Float(e))
                }
                for i in lo..<range.upperBound {
                    v[i] = r * v[i] + (1 - r) * g[i] * g[i]
                    w[i] -= lrT * g[i] / (v[i] + e).squareRoot()
                }
            }
        }
        slots.update(parameters, gradients, slots: 1, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }

    /// The centered and/or momentum rule. Slots: velocity, then momentum (if μ > 0), then the
    /// average gradient (if centered).
    private func updateGeneral(_ parameters: [Parameter], gradients: [Tensor]) {
        let lr = learningRate, rho = rho, eps = epsilon, mu = momentum, centered = centered
        let count = 1 + (mu > 0 ? 1 : 0) + (centered ? 1 : 0)
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let v = s[0], r = T(rho), e = T(eps), lrT = T(lr), muT = T(mu)
            let m: UnsafeMutablePointer<T>? = mu > 0 ? s[1] : nil
            let a: UnsafeMutablePointer<T>? = centered ? s[count - 1] : nil
            for i in 0..<n {
                v[i] = r * v[i] + (1 - r) * g[i] * g[i]
                var denominator = v[i] + e
                if let a {
                    a[i] = r * a[i] + (1 - r) * g[i]
                    denominator = v[i] - a[i] * a[i] + e
                }
                let increment = lrT * g[i] / denominator.squareRoot()
                if let m {
                    m[i] = muT * m[i] + increment
                    w[i] -= m[i]
                } else {
                    w[i] -= increment
                }
            }
        }
        slots.update(parameters, gradients, slots: count, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// Adadelta (Keras 3: a ← ρa + (1−ρ)g²; Δ = −√(d + ε)/√(a + ε)·g; d ← ρd + (1−ρ)Δ²; w ← w + ηΔ).
public final class Adadelta: Optimizer {
    public var learningRate: Double
    public let rho: Double
    public let epsilon: Double
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.001, rho: Double = 0.95, epsilon: Double = 1e-7) {
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, rho = rho, eps = epsilon
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
                                            _ s: [UnsafeMutablePointer<T>]) {
            let a = s[0], d = s[1], lrT = T(lr), r = T(rho), e = T(eps)
            parallelChunks(n) { range in
                for i in range {
                    a[i] = r * a[i] + (1 - r) * g[i] * g[i]
                    let delta = -(d[i] + e).squareRoot() / (a[i] + e).squareRoot() * g[i]
                    d[i] = r * d[i] + (1 - r) * delta * delta
                    w[i] += lrT * delta
                }
            }
        }
        slots.update(parameters, gradients, slots: 2, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// Adam (Keras 3: m ← m + (g − m)(1−β₁); v ← v + (g² − v)(1−β₂);
/// w ← w − η·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε)).
public final class Adam: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    /// Keras's `amsgrad`: the denominator uses the running maximum of v (a third slot, v̂).
    public let amsgrad: Bool
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let t = Double(iterations)
        let alpha = learningRate * (1 - Glibc.pow(beta2, t)).squareRoot() / (1 - Glibc.pow(beta1, t))
        adamUpdate(slots, parameters, gradients, alpha: alpha, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad)
    }
}

/// Shorthands for `compile(optimizer:)`, Keras style.
extension Optimizer where Self == SGD {
    public static func sgd(learningRate: Double = 0.01, momentum: Double = 0, nesterov: Bool = false) -> SGD {
        SGD(learningRate: learningRate, momentum: momentum, nesterov: nesterov)
    }
}
extension Optimizer where Self == RMSprop {
    public static func rmsprop(learningRate: Double = 0.001, rho: Double = 0.9, epsilon: Double = 1e-7) -> RMSprop {
        RMSprop(learningRate: learningRate, rho: rho, epsilon: epsilon)
    }
}
extension Optimizer where Self == Adadelta {
    public static func adadelta(learningRate: Double = 0.001, rho: Double = 0.95, epsilon: Double = 1e-7) -> Adadelta {
        Adadelta(learningRate: learningRate, rho: rho, epsilon: epsilon)
    }
}
extension Optimizer where Self == Adam {
    public static func adam(learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7,
                            amsgrad: Bool = false) -> Adam {
        Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad)
    }
}

/// RMSprop's float32 step on whole 8-lane groups of `range`; returns where the scalar tail starts.
@inline(__always)
private func rmspropLanes(_ range: Range<Int>, _ w: UnsafeMutableRawPointer, _ g: UnsafeRawPointer, _ v: UnsafeMutableRawPointer,
                          lr: Float, rho: Float, e: Float) -> Int {
    typealias V = SIMD8<Float>
    var i = range.lowerBound
    let oneMinusRho = 1 - rho
    while i + 8 <= range.upperBound {
        let o = i * MemoryLayout<Float>.stride
        let gv = g.loadUnaligned(fromByteOffset: o, as: V.self)
        var vv = v.loadUnaligned(fromByteOffset: o, as: V.self)
        var wv = w.loadUnaligned(fromByteOffset: o, as: V.self)
        vv = rho * vv + oneMinusRho * gv * gv
        wv -= lr * gv / (vv + e).squareRoot()
        v.storeBytes(of: vv, toByteOffset: o, as: V.self)
        w.storeBytes(of: wv, toByteOffset: o, as: V.self)
        i += 8
    }
    return i
}
