import Weft

/// Keras's gradient clipping (`clipnorm`, `global_clipnorm`, `clipvalue`; one at a time).
public enum GradientClipping: Sendable, Equatable {
    /// Each gradient tensor g becomes g·c/max(‖g‖₂, c) (Keras `clipnorm`).
    case norm(Double)
    /// All gradients are scaled together by c/max(‖(g₁, …, gₙ)‖₂, c) (Keras `global_clipnorm`).
    case globalNorm(Double)
    /// Each element is clamped to [−c, c] (Keras `clipvalue`).
    case value(Double)

    /// The clipped gradients.
    public func apply(_ gradients: [Tensor]) -> [Tensor] {
        func sumOfSquares(_ g: Tensor) -> Double { g.doubles.reduce(0) { $0 + $1 * $1 } }
        func scaled(_ g: Tensor, norm: Double, clip: Double) -> Tensor {
            norm > clip ? g * (clip / norm) : g
        }
        switch self {
        case .norm(let c):
            return gradients.map { scaled($0, norm: sumOfSquares($0).squareRoot(), clip: c) }
        case .globalNorm(let c):
            let norm = gradients.reduce(0) { $0 + sumOfSquares($1) }.squareRoot()
            return gradients.map { scaled($0, norm: norm, clip: c) }
        case .value(let c):
            return gradients.map { clamp($0, min: -c, max: c) }
        }
    }
}

/// Any optimizer with Keras's optimizer-wide options: gradient clipping, a learning-rate
/// schedule, decoupled weight decay, gradient accumulation and an exponential moving average of
/// the weights. One `update`: with `accumulationSteps` N > 1, the gradients are added up and
/// only every N-th call goes on, with their mean; clip the gradients; set the base's learning
/// rate to `schedule(iterations)` (iterations before this step, as in Keras); apply
/// w ← w − η·λ·w; the base's own update; then, with `emaMomentum` μ, the averages
/// a ← μ·a + (1 − μ)·w (a = w after the first step), copied into the weights every
/// `emaOverwriteFrequency` calls and by `finalizeVariableValues` (which `fit` calls at the end,
/// as Keras's `use_ema`). Build with `opt.clipped(...)`, `opt.scheduled(...)`,
/// `opt.weightDecayed(...)`, `opt.accumulatingGradients(steps:)`, `opt.averaged(momentum:)`
/// (chained calls configure one wrapper). Don't add weight decay to `AdamW`, which already has
/// its own. With accumulation, `iterations` counts every call (Keras's count, which the schedule
/// sees) and the base optimizer steps once per N calls (its bias corrections count its own
/// updates, where Keras's count every call).
public final class ConfiguredOptimizer: Optimizer {
    public let base: any Optimizer
    public var clipping: GradientClipping?
    public var schedule: (any LearningRateSchedule)?
    public var weightDecay: Double
    public var accumulationSteps: Int = 1 {
        didSet { precondition(accumulationSteps >= 1, "accumulationSteps must be >= 1, got \(accumulationSteps)") }
    }
    public var emaMomentum: Double? = nil {
        didSet { precondition(emaMomentum.map { $0 >= 0 && $0 < 1 } ?? true, "emaMomentum must be in [0, 1), got \(emaMomentum ?? 0)") }
    }
    public var emaOverwriteFrequency: Int? = nil
    private var calls = 0
    private var accumulated: [ObjectIdentifier: Tensor] = [:]
    private var averages: [ObjectIdentifier: Tensor] = [:]

    public init(_ base: any Optimizer, clipping: GradientClipping? = nil,
                schedule: (any LearningRateSchedule)? = nil, weightDecay: Double = 0) {
        self.base = base
        self.clipping = clipping
        self.schedule = schedule
        self.weightDecay = weightDecay
    }

    /// The base optimizer's learning rate (with a schedule: the one used by the latest step).
    public var learningRate: Double {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }
    public var iterations: Int { accumulationSteps > 1 ? calls : base.iterations }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        let step = iterations
        calls += 1
        var grads = gradients
        if accumulationSteps > 1 {
            let ids = parameters.map { ObjectIdentifier($0) }
            let sums = zip(ids, gradients).map { id, g in accumulated[id].map { $0 + g.cast(to: $0.dtype) } ?? g }
            guard calls % accumulationSteps == 0 else {
                for (id, s) in zip(ids, sums) { accumulated[id] = s }
                return
            }
            for id in ids { accumulated[id] = nil }
            grads = sums.map { $0 / Double(accumulationSteps) }
        }
        grads = clipping?.apply(grads) ?? grads
        if let schedule { base.learningRate = schedule(step) }
        applyWeightDecay(parameters, learningRate: base.learningRate, weightDecay: weightDecay)
        base.update(parameters, gradients: grads)
        guard let mu = emaMomentum else { return }
        for p in parameters where p.trainable {
            let id = ObjectIdentifier(p), w = p.value.detached()
            averages[id] = averages[id].map { $0 * mu + w * (1 - mu) } ?? w
        }
        if let f = emaOverwriteFrequency, calls % f == 0 { finalizeVariableValues(parameters) }
    }

    /// The moving averages of the weights (nil without `emaMomentum`, or before `p`'s first update).
    public func average(of p: Parameter) -> Tensor? { averages[ObjectIdentifier(p)] }

    /// Copies the moving averages into the weights (Keras's `finalize_variable_values`; nothing
    /// without `emaMomentum`).
    public func finalizeVariableValues(_ parameters: [Parameter]) {
        for p in parameters { if let a = averages[ObjectIdentifier(p)] { p.value = a } }
    }
}

extension ConfiguredOptimizer: SlotHolding {
    var slots: SlotStore { (base as? SlotHolding)?.slots ?? SlotStore() }
}

extension Optimizer {
    private func configured() -> ConfiguredOptimizer {
        (self as? ConfiguredOptimizer) ?? ConfiguredOptimizer(self)
    }
    /// This optimizer with Keras's gradient clipping.
    public func clipped(_ clipping: GradientClipping) -> ConfiguredOptimizer {
        let c = configured(); c.clipping = clipping; return c
    }
    /// This optimizer with its learning rate taken from `schedule` at every step.
    public func scheduled(_ schedule: some LearningRateSchedule) -> ConfiguredOptimizer {
        let c = configured(); c.schedule = schedule; return c
    }
    /// This optimizer with Keras's decoupled weight decay (`weight_decay`).
    public func weightDecayed(_ weightDecay: Double) -> ConfiguredOptimizer {
        let c = configured(); c.weightDecay = weightDecay; return c
    }
    /// This optimizer stepping once per `steps` calls with the mean of their gradients (Keras's
    /// `gradient_accumulation_steps`).
    public func accumulatingGradients(steps: Int) -> ConfiguredOptimizer {
        let c = configured(); c.accumulationSteps = steps; return c
    }
    /// This optimizer keeping an exponential moving average of the weights (Keras's `use_ema`,
    /// `ema_momentum`, `ema_overwrite_frequency`).
    public func averaged(momentum: Double = 0.99, overwriteFrequency: Int? = nil) -> ConfiguredOptimizer {
        precondition(overwriteFrequency.map { $0 > 0 } ?? true, "averaged: overwriteFrequency must be positive")
        let c = configured(); c.emaMomentum = momentum; c.emaOverwriteFrequency = overwriteFrequency; return c
    }
}
