import Weft
#if canImport(Glibc)
import Glibc
#endif

/// A learning rate as a function of the step (the optimizer's `iterations` before the update),
/// with Keras 3's semantics. Use with `optimizer.scheduled(_:)`.
public protocol LearningRateSchedule: Sendable {
    func callAsFunction(_ step: Int) -> Double
}

/// The same learning rate at every step.
public struct ConstantSchedule: LearningRateSchedule {
    public let learningRate: Double
    public init(_ learningRate: Double) { self.learningRate = learningRate }
    public func callAsFunction(_ step: Int) -> Double { learningRate }
}

/// Keras `ExponentialDecay`: η₀·rate^(step/decaySteps), the exponent floored with `staircase`.
public struct ExponentialDecay: LearningRateSchedule {
    public let initialLearningRate: Double
    public let decaySteps: Int
    public let decayRate: Double
    public let staircase: Bool
    public init(initialLearningRate: Double, decaySteps: Int, decayRate: Double, staircase: Bool = false) {
        precondition(decaySteps > 0, "ExponentialDecay: decaySteps must be positive")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }
    public func callAsFunction(_ step: Int) -> Double {
        var p = Double(step) / Double(decaySteps)
        if staircase { p = p.rounded(.down) }
        return initialLearningRate * Glibc.pow(decayRate, p)
    }
}

/// Keras `PiecewiseConstantDecay`: values[0] while step ≤ boundaries[0], values[i] while
/// boundaries[i−1] < step ≤ boundaries[i], the last value after the last boundary.
public struct PiecewiseConstantDecay: LearningRateSchedule {
    public let boundaries: [Int]
    public let values: [Double]
    public init(boundaries: [Int], values: [Double]) {
        precondition(values.count == boundaries.count + 1,
                     "PiecewiseConstantDecay: needs one more value than boundaries (\(boundaries.count) boundaries, \(values.count) values)")
        self.boundaries = boundaries
        self.values = values
    }
    public func callAsFunction(_ step: Int) -> Double {
        values[boundaries.firstIndex { step <= $0 } ?? boundaries.count]
    }
}

/// Keras 3 `CosineDecay`: with a warm-up (`warmupTarget` set), η rises linearly from η₀ to the
/// target over `warmupSteps`, then decays from the target; the decay is
/// η·((1−α)·½(1 + cos(π·s/decaySteps)) + α), s capped at decaySteps.
public struct CosineDecay: LearningRateSchedule {
    public let initialLearningRate: Double
    public let decaySteps: Int
    public let alpha: Double
    public let warmupTarget: Double?
    public let warmupSteps: Int
    public init(initialLearningRate: Double, decaySteps: Int, alpha: Double = 0,
                warmupTarget: Double? = nil, warmupSteps: Int = 0) {
        precondition(decaySteps > 0 && warmupSteps >= 0, "CosineDecay: decaySteps must be positive, warmupSteps non-negative")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
    }
    private func decayed(_ step: Double, from lr: Double) -> Double {
        let cosine = 0.5 * (1 + Glibc.cos(Double.pi * step / Double(decaySteps)))
        return lr * ((1 - alpha) * cosine + alpha)
    }
    public func callAsFunction(_ step: Int) -> Double {
        guard let target = warmupTarget else {
            return decayed(Double(Swift.min(step, decaySteps)), from: initialLearningRate)
        }
        let s = Swift.min(step, decaySteps + warmupSteps)
        if s < warmupSteps {
            return (target - initialLearningRate) * Double(s) / Double(warmupSteps) + initialLearningRate
        }
        return decayed(Double(s - warmupSteps), from: target)
    }
}

/// Keras `PolynomialDecay`: (η₀ − η_end)(1 − s/decaySteps)^power + η_end, s capped at
/// decaySteps; with `cycle`, decaySteps is instead multiplied by ⌈step/decaySteps⌉ (1 at step 0).
public struct PolynomialDecay: LearningRateSchedule {
    public let initialLearningRate: Double
    public let decaySteps: Int
    public let endLearningRate: Double
    public let power: Double
    public let cycle: Bool
    public init(initialLearningRate: Double, decaySteps: Int, endLearningRate: Double = 0.0001,
                power: Double = 1, cycle: Bool = false) {
        precondition(decaySteps > 0, "PolynomialDecay: decaySteps must be positive")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.endLearningRate = endLearningRate
        self.power = power
        self.cycle = cycle
    }
    public func callAsFunction(_ step: Int) -> Double {
        var s = Double(step), d = Double(decaySteps)
        if cycle {
            d *= step == 0 ? 1 : (s / d).rounded(.up)
        } else {
            s = Swift.min(s, d)
        }
        return (initialLearningRate - endLearningRate) * Glibc.pow(1 - s / d, power) + endLearningRate
    }
}

/// Keras `InverseTimeDecay`: η₀/(1 + rate·step/decaySteps), the ratio floored with `staircase`.
public struct InverseTimeDecay: LearningRateSchedule {
    public let initialLearningRate: Double
    public let decaySteps: Int
    public let decayRate: Double
    public let staircase: Bool
    public init(initialLearningRate: Double, decaySteps: Int, decayRate: Double, staircase: Bool = false) {
        precondition(decaySteps > 0, "InverseTimeDecay: decaySteps must be positive")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }
    public func callAsFunction(_ step: Int) -> Double {
        var p = Double(step) / Double(decaySteps)
        if staircase { p = p.rounded(.down) }
        return initialLearningRate / (1 + decayRate * p)
    }
}
