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
/// schedule and decoupled weight decay. One `update`: clip the gradients; set the base's
/// learning rate to `schedule(iterations)` (iterations before this step, as in Keras); apply
/// w ← w − η·λ·w; then the base's own update. Build with `opt.clipped(...)`,
/// `opt.scheduled(...)`, `opt.weightDecayed(...)` (chained calls configure one wrapper).
/// Don't add weight decay to `AdamW`, which already has its own.
public final class ConfiguredOptimizer: Optimizer {
    public let base: any Optimizer
    public var clipping: GradientClipping?
    public var schedule: (any LearningRateSchedule)?
    public var weightDecay: Double

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
    public var iterations: Int { base.iterations }

    public func update(_ parameters: [Parameter], gradients: [Tensor]) {
        let grads = clipping?.apply(gradients) ?? gradients
        if let schedule { base.learningRate = schedule(base.iterations) }
        applyWeightDecay(parameters, learningRate: base.learningRate, weightDecay: weightDecay)
        base.update(parameters, gradients: grads)
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
}
