import Weft
#if canImport(Glibc)
import Glibc
#endif

// Keras 3's Lamb, Ftrl and Adafactor (update rules and defaults as Keras's).

/// Lamb (Keras 3): Adam's bias-corrected step u = m̂/(√v̂ + ε), scaled per parameter by the trust
/// ratio ‖w‖/‖u‖ (1 when either norm is 0): w ← w − η·ratio·u. Slots: m, v.
public final class Lamb: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-7) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon, t = Double(iterations)
        let c1 = 1 - Foundation_pow(b1, t), c2 = 1 - Foundation_pow(b2, t)
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>]) {
            let m = s[0], v = s[1]
            var wNorm = 0.0, uNorm = 0.0
            for i in 0..<n {
                m[i] += (g[i] - m[i]) * T(1 - b1)
                v[i] += (g[i] * g[i] - v[i]) * T(1 - b2)
                let u = Double(m[i]) / c1 / ((Double(v[i]) / c2).squareRoot() + eps)
                wNorm += Double(w[i]) * Double(w[i]); uNorm += u * u
            }
            let ratio = wNorm > 0 && uNorm > 0 ? (wNorm / uNorm).squareRoot() : 1
            for i in 0..<n {
                let u = Double(m[i]) / c1 / ((Double(v[i]) / c2).squareRoot() + eps)
                w[i] -= T(ratio * lr * u)
            }
        }
        slots.update(parameters, gradients, slots: 2, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// FTRL-proximal (Keras 3 `Ftrl`), with L1, L2 and L2-shrinkage regularisation and `beta`.
/// Slots: the accumulator (starting at `initialAccumulatorValue`) and the linear term.
public final class Ftrl: Optimizer {
    public var learningRate: Double
    public let learningRatePower: Double
    public let initialAccumulatorValue: Double
    public let l1: Double
    public let l2: Double
    public let l2Shrinkage: Double
    public let beta: Double
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 1e-3, learningRatePower: Double = -0.5, initialAccumulatorValue: Double = 0.1,
                l1RegularizationStrength: Double = 0, l2RegularizationStrength: Double = 0,
                l2ShrinkageRegularizationStrength: Double = 0, beta: Double = 0) {
        precondition(learningRatePower <= 0, "Ftrl: learningRatePower must be <= 0, got \(learningRatePower)")
        precondition(initialAccumulatorValue >= 0, "Ftrl: initialAccumulatorValue must be >= 0, got \(initialAccumulatorValue)")
        precondition(l1RegularizationStrength >= 0 && l2RegularizationStrength >= 0 && l2ShrinkageRegularizationStrength >= 0,
                     "Ftrl: regularization strengths must be >= 0")
        self.learningRate = learningRate
        self.learningRatePower = learningRatePower
        self.initialAccumulatorValue = initialAccumulatorValue
        self.l1 = l1RegularizationStrength
        self.l2 = l2RegularizationStrength
        self.l2Shrinkage = l2ShrinkageRegularizationStrength
        self.beta = beta
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        for p in parameters where p.trainable && slots.existing(p) == nil {
            slots.set(p, [Tensor.full(p.value.shape, value: initialAccumulatorValue, dtype: p.value.dtype),
                          Tensor.zeros(p.value.shape, dtype: p.value.dtype)])
        }
        let lr = learningRate, power = learningRatePower, l1 = l1, l2 = l2 + beta / (2 * lr), shrink = l2Shrinkage
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ w: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>]) {
            let accum = s[0], linear = s[1]
            for i in 0..<n {
                let wi = Double(w[i]), gi = Double(g[i]), a = Double(accum[i])
                let newA = a + gi * gi
                let lin = Double(linear[i]) + (gi + 2 * shrink * wi) - (Foundation_pow(newA, -power) - Foundation_pow(a, -power)) / lr * wi
                let quadratic = Foundation_pow(newA, -power) / lr + 2 * l2
                linear[i] = T(lin)
                w[i] = T((Swift.min(Swift.max(lin, -l1), l1) - lin) / quadratic)
                accum[i] = T(newA)
            }
        }
        slots.update(parameters, gradients, slots: 2, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// Adafactor (Keras 3): the second moment of a parameter of rank ≥ 2 is factored over its last
/// two axes (row means r, column means c; v = r/mean(r) ⊗ c), of lower rank kept whole; the
/// step η_t = min(η, 1/√t) (`relativeStep`) is scaled by max(ε₂, RMS(w)), the update
/// g/√v clipped to RMS ≤ `clipThreshold`, β₂ₜ = 1 − t^`beta2Decay`. Slots: r, c, v (r and c are
/// scalars for rank < 2). The factored axes are the last two of Weft's layouts (e.g. OIHW for
/// a Conv2D weight, where Keras's HWIO kernel factors over I and O).
public final class Adafactor: Optimizer {
    public var learningRate: Double
    public let beta2Decay: Double
    public let epsilon1: Double
    public let epsilon2: Double
    public let clipThreshold: Double
    public let relativeStep: Bool
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 1e-3, beta2Decay: Double = -0.8, epsilon1: Double = 1e-30, epsilon2: Double = 1e-3,
                clipThreshold: Double = 1, relativeStep: Bool = true) {
        self.learningRate = learningRate
        self.beta2Decay = beta2Decay
        self.epsilon1 = epsilon1
        self.epsilon2 = epsilon2
        self.clipThreshold = clipThreshold
        self.relativeStep = relativeStep
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let t = Double(iterations)
        let lr = relativeStep ? Swift.min(learningRate, 1 / t.squareRoot()) : learningRate
        let rho = Swift.min(lr, 1 / t.squareRoot())
        let beta2t = 1 - Foundation_pow(t, beta2Decay)
        func rms(_ x: Tensor) -> Double { square(x).mean().item.squareRoot() }
        withoutGradient {
            for (p, g) in zip(parameters, gradients) where p.trainable {
                let w = p.value.detached(), grad = g.cast(to: w.dtype)
                precondition(grad.shape == w.shape, "Adafactor: gradient shape \(grad.shape) differs from parameter shape \(w.shape)")
                let rank = w.rank, shape = w.shape
                var s = slots.existing(p) ?? (rank >= 2
                    ? [Tensor.zeros(Array(shape.dropLast()), dtype: w.dtype), Tensor.zeros(Array(shape.dropLast(2)) + [shape[rank - 1]], dtype: w.dtype),
                       Tensor.zeros(shape, dtype: w.dtype)]
                    : [Tensor.zeros([], dtype: w.dtype), Tensor.zeros([], dtype: w.dtype), Tensor.zeros(shape, dtype: w.dtype)])
                let alpha = Swift.max(epsilon2, rms(w)) * rho
                let reg = square(grad) + epsilon1
                if rank >= 2 {
                    s[0] = s[0] * beta2t + reg.mean(alongAxis: rank - 1) * (1 - beta2t)
                    s[1] = s[1] * beta2t + reg.mean(alongAxis: rank - 2) * (1 - beta2t)
                    let rn = s[0] / s[0].mean(alongAxis: rank - 2, keepingDims: true)
                    s[2] = rn.unsqueezed(axis: rank - 1) * s[1].unsqueezed(axis: rank - 2)
                } else {
                    s[2] = s[2] * beta2t + reg * (1 - beta2t)
                }
                let u = grad / sqrt(s[2])
                let uHat = u / Swift.max(1, rms(u) / clipThreshold)
                p.value = w - uHat * alpha
                slots.set(p, s)
            }
        }
    }
}

extension Lamb: SlotHolding {}
extension Ftrl: SlotHolding {}
extension Adafactor: SlotHolding {}

func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
