import Weft
#if canImport(Glibc)
import Glibc
#endif

// Keras 3's Muon and ScheduleFreeAdamW (update rules and defaults as Keras's).

/// Muon (Jordan et al.; Keras 3 `Muon`): 2-D parameters (Dense kernels) step along the
/// momentum orthogonalised by 5 Newton–Schulz iterations, scaled by √max(rows, cols)·`rmsRate`;
/// every other parameter (biases, convolution kernels, and the `excluded` ones — Keras excludes
/// embeddings by name: pass `Muon.embeddingParameters(of: model)`) takes AdamW's step with
/// `adamLearningRateRatio`·η. Before the steps each parameter decays, w ← w − η·λ·w, with λ =
/// `weightDecay` for Muon's parameters and `adamWeightDecay` for AdamW's. Slots: momentum (and
/// Adam's second moment).
public final class Muon: Optimizer {
    public var learningRate: Double
    public let adamBeta1: Double, adamBeta2: Double, epsilon: Double
    public let weightDecay: Double, adamWeightDecay: Double
    public let momentum: Double
    public let nesterov: Bool
    public let nsSteps: Int
    public let coefficients: (a: Double, b: Double, c: Double)
    public let adamLearningRateRatio: Double
    public let rmsRate: Double?
    public private(set) var iterations = 0
    let excluded: Set<ObjectIdentifier>
    let slots = SlotStore()

    public init(learningRate: Double = 1e-3, adamBeta1: Double = 0.9, adamBeta2: Double = 0.999, adamWeightDecay: Double = 0.004,
                epsilon: Double = 1e-7, weightDecay: Double = 0.004, excluded: [Parameter] = [],
                coefficients: (a: Double, b: Double, c: Double) = (3.4445, -4.7750, 2.0315), adamLearningRateRatio: Double = 1,
                momentum: Double = 0.95, nsSteps: Int = 5, nesterov: Bool = true, rmsRate: Double? = 0.2) {
        precondition(nsSteps > 0, "Muon: nsSteps must be positive, got \(nsSteps)")
        self.learningRate = learningRate
        self.adamBeta1 = adamBeta1
        self.adamBeta2 = adamBeta2
        self.adamWeightDecay = adamWeightDecay
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.excluded = Set(excluded.map(ObjectIdentifier.init))
        self.coefficients = coefficients
        self.adamLearningRateRatio = adamLearningRateRatio
        self.momentum = momentum
        self.nsSteps = nsSteps
        self.nesterov = nesterov
        self.rmsRate = rmsRate
    }

    /// The parameters of the model's Embedding layers (Keras's `exclude_embeddings=True`).
    public static func embeddingParameters(of model: some Layer) -> [Parameter] {
        model.allLayers.compactMap { ($0 as? Embedding)?.embeddings }
    }

    func usesAdam(_ p: Parameter) -> Bool { p.value.rank != 2 || excluded.contains(ObjectIdentifier(p)) }

    /// Keras's `zeropower_via_newtonschulz5`: the matrix pushed towards U·Vᵀ of its SVD.
    func orthogonalized(_ g: Tensor) -> Tensor {
        let tall = g.shape[0] > g.shape[1]
        var x = tall ? g.transposed() : g
        x = x / (sqrt(square(x).sum()) + 1e-7)
        let (a, b, c) = coefficients
        for _ in 0..<nsSteps {
            let t = matmul(x, x.transposed())
            x = a * x + matmul(b * t + c * matmul(t, t), x)
        }
        return tall ? x.transposed() : x
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let lr = learningRate, t = Double(iterations)
        withoutGradient {
            for (p, grad) in zip(parameters, gradients) where p.trainable {
                let dt = p.value.dtype
                let g = grad.cast(to: dt)
                var w = p.value.detached()
                let adam = usesAdam(p)
                let decay = adam ? adamWeightDecay : weightDecay
                if decay != 0 { w = w - w * (decay * lr) }
                if adam {
                    var s = slots.get(p, count: 2)
                    let b1 = adamBeta1, b2 = adamBeta2, alr = lr * adamLearningRateRatio
                    let alpha = alr * (1 - Foundation_pow(b2, t)).squareRoot() / (1 - Foundation_pow(b1, t))
                    s[0] = s[0] + (g - s[0]) * (1 - b1)
                    s[1] = s[1] + (square(g) - s[1]) * (1 - b2)
                    w = w - s[0] * alpha / (sqrt(s[1]) + epsilon)
                    slots.set(p, s)
                } else {
                    var s = slots.get(p, count: 1)
                    s[0] = s[0] + g + s[0] * (momentum - 1)
                    let direction = nesterov ? g + s[0] * momentum : s[0]
                    var step = orthogonalized(direction) * lr
                    if let r = rmsRate { step = step * (Double(Swift.max(w.shape[0], w.shape[1])).squareRoot() * r) }
                    w = w - step
                    slots.set(p, s)
                }
                p.value = w.cast(to: dt)
            }
        }
    }
}

/// Schedule-free AdamW (Defazio et al.; Keras 3 `ScheduleFreeAdamW`): Adam's normalised steps
/// act on an iterate z (the `momentum` slot, starting at the weights); the weights y are the
/// interpolation (1 − β₁)·z + β₁·x of z and the running average x of the iterates, weight 1/t.
/// `warmupSteps` scales η by min(t / warmupSteps, 1). Slots: z, v.
public final class ScheduleFreeAdamW: Optimizer {
    public var learningRate: Double
    public let beta1: Double, beta2: Double, epsilon: Double
    public let warmupSteps: Int
    public private(set) var iterations = 0
    let slots = SlotStore()

    public init(learningRate: Double = 0.0025, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, warmupSteps: Int = 0) {
        precondition(warmupSteps >= 0, "ScheduleFreeAdamW: warmupSteps must be ≥ 0")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.warmupSteps = warmupSteps
    }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        let t = Double(iterations)
        var lr = learningRate
        if warmupSteps > 0 { lr *= Swift.min(t / Double(warmupSteps), 1) }
        let b1 = beta1, b2 = beta2, eps = epsilon, c2 = 1 - Foundation_pow(b2, t), weight = 1 / t
        for p in parameters where p.trainable && slots.existing(p) == nil {
            // z starts at the weights (its own storage: the slots are updated in place).
            var z = p.value.detached()
            z.makeUnique()
            slots.set(p, [z, Tensor.zeros(p.value.shape, dtype: p.value.dtype)])
        }
        func kernel<T: BinaryFloatingPoint>(_ n: Int, _ y: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>, _ s: [UnsafeMutablePointer<T>]) {
            let z = s[0], v = s[1]
            for i in 0..<n {
                let zOld = Double(z[i]), gi = Double(g[i])
                let vi = Double(v[i]) + (gi * gi - Double(v[i])) * (1 - b2)
                v[i] = T(vi)
                let zNew = zOld - lr * gi / ((vi / c2).squareRoot() + eps)
                z[i] = T(zNew)
                let xOld = (Double(y[i]) - (1 - b1) * zOld) / b1
                let xNew = (1 - weight) * xOld + weight * zNew
                y[i] = T((1 - b1) * zNew + b1 * xNew)
            }
        }
        slots.update(parameters, gradients, slots: 2, float: { kernel($0, $1, $2, $3) }, double: { kernel($0, $1, $2, $3) })
    }
}

/// Keras `LossScaleOptimizer`: dynamic loss scaling for low-precision training. `fit` (and
/// `trainOnBatch`) differentiate loss × `dynamicScale`; `update` divides the gradients by the
/// scale and, when they are all finite, lets the inner optimizer step — every
/// `dynamicGrowthSteps` finite steps in a row double the scale — or, when any is infinite or NaN,
/// skips the step and halves the scale. In a custom loop scale the loss with `scaleLoss(_:)`.
public final class LossScaleOptimizer: Optimizer {
    public let inner: any Optimizer
    public let dynamicGrowthSteps: Int
    public private(set) var dynamicScale: Double
    /// Finite steps since the scale last changed.
    public private(set) var stepCounter = 0

    public init(_ inner: any Optimizer, initialScale: Double = 32768, dynamicGrowthSteps: Int = 2000) {
        precondition(initialScale > 0 && dynamicGrowthSteps > 0, "LossScaleOptimizer: the scale and growth steps must be positive")
        self.inner = inner
        self.dynamicScale = initialScale
        self.dynamicGrowthSteps = dynamicGrowthSteps
    }

    public var learningRate: Double {
        get { inner.learningRate }
        set { inner.learningRate = newValue }
    }
    public var iterations: Int { inner.iterations }

    /// The loss times the current scale (what to differentiate).
    public func scaleLoss(_ loss: Tensor) -> Tensor { loss * dynamicScale }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        // x·0 is NaN exactly where x is ±∞ or NaN.
        let finite = withoutGradient { gradients.allSatisfy { g in g.count == 0 || (g.detached() * 0).sum().item.isFinite } }
        guard finite else {
            stepCounter = 0
            dynamicScale *= 0.5
            return
        }
        let s = dynamicScale
        inner.update(parameters, gradients: gradients.map { $0 / s })
        if stepCounter == dynamicGrowthSteps - 1 {
            stepCounter = 0
            dynamicScale *= 2
        } else {
            stepCounter += 1
        }
    }
}

/// Keras `MultiOptimizer`: each parameter goes to one of several optimizers — chosen by the
/// first pattern (a regular expression matched against the whole dotted parameter name, as
/// `model.namedParameters` gives it; Keras's `OptimizerMap`) or by a selector — the rest to
/// `defaultOptimizer`. `learningRate` reads the default optimizer's; setting it sets every
/// optimizer's.
public final class MultiOptimizer: Optimizer {
    public let defaultOptimizer: any Optimizer
    public let optimizers: [any Optimizer]
    private var assignment: [ObjectIdentifier: Int] = [:]
    public private(set) var iterations = 0

    /// Routes by name: `patterns` are tried in order; unmatched parameters use the default.
    public init(model: some Layer, defaultOptimizer: any Optimizer, patterns: [(String, any Optimizer)]) throws {
        self.defaultOptimizer = defaultOptimizer
        optimizers = [defaultOptimizer] + patterns.map(\.1)
        let compiled = try patterns.map { try Regex($0.0) }
        for (name, p) in model.namedParameters {
            if let k = compiled.firstIndex(where: { name.wholeMatch(of: $0) != nil }) { assignment[ObjectIdentifier(p)] = k + 1 }
        }
    }

    /// Routes by a selector of (name, parameter); the optimizers it returns are kept by identity.
    public init(model: some Layer, selector: (String, Parameter) -> any Optimizer) {
        var list: [any Optimizer] = []
        var map: [ObjectIdentifier: Int] = [:]
        for (name, p) in model.namedParameters {
            let o = selector(name, p)
            let k = list.firstIndex { $0 === o } ?? { list.append(o); return list.count - 1 }()
            map[ObjectIdentifier(p)] = k
        }
        precondition(!list.isEmpty, "MultiOptimizer: the model has no parameters")
        defaultOptimizer = list[0]
        optimizers = list
        assignment = map
    }

    public var learningRate: Double {
        get { defaultOptimizer.learningRate }
        set { for o in optimizers { o.learningRate = newValue } }
    }

    /// The index in `optimizers` that updates `p` (0, the default, when unassigned).
    public func optimizerIndex(for p: Parameter) -> Int { assignment[ObjectIdentifier(p)] ?? 0 }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        iterations += 1
        var groups = [[(Parameter, Tensor)]](repeating: [], count: optimizers.count)
        for (p, g) in zip(parameters, gradients) { groups[optimizerIndex(for: p)].append((p, g)) }
        for (k, group) in groups.enumerated() where !group.isEmpty {
            optimizers[k].update(group.map(\.0), gradients: group.map(\.1))
        }
    }
}
