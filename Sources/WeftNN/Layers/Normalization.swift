import Weft

/// Normalises over every axis except `axis` (Keras `BatchNormalization`). `axis` counts the
/// batch dimension, so the default 1 is the channel axis of NCHW input and the feature axis of
/// [N, F] input; negative values count from the end.
///
/// Training mode normalises with the batch mean and (biased) variance and updates
/// `movingMean`/`movingVariance` as Keras does: `moving = moving·momentum + batch·(1−momentum)`.
/// Inference mode normalises with the moving statistics and leaves them unchanged.
public final class BatchNormalization: Layer {
    public let axis: Int
    public let momentum: Double
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public var gamma: Parameter?
    public var beta: Parameter?
    /// Non-trainable (`trainable == false`).
    public var movingMean: Parameter?
    public var movingVariance: Parameter?
    /// Keras's initializers, regularizers and constraints of the scale (gamma) and offset (beta).
    public var gammaInitializer: Initializer = .ones
    public var betaInitializer: Initializer = .zeros
    public var gammaRegularizer: Regularizer?
    public var betaRegularizer: Regularizer?
    public var gammaConstraint: Constraint?
    public var betaConstraint: Constraint?
    public var movingMeanInitializer: Initializer = .zeros
    public var movingVarianceInitializer: Initializer = .ones
    /// Keras's batch renormalization (`renorm`): training normalises with the batch statistics
    /// corrected towards the moving ones by r = σ_B/σ_R and d = (μ_B − μ_R)/σ_R (clipped by
    /// `renormClipping`, no gradient), the renorm statistics μ_R, σ_R moving with `renormMomentum`;
    /// the inference statistics track the standard deviation (`movingStddev`), the variance
    /// derived from it.
    public let renorm: Bool
    public let renormClipping: RenormClipping
    public let renormMomentum: Double
    public var movingStddev: Parameter?
    public var renormMean: Parameter?
    public var renormStddev: Parameter?

    /// Keras's `renorm_clipping` bounds (each optional): r within [rmin, rmax], d within [−dmax, dmax].
    public struct RenormClipping: Hashable, Sendable {
        public var rmin: Double?, rmax: Double?, dmax: Double?
        public init(rmin: Double? = nil, rmax: Double? = nil, dmax: Double? = nil) {
            precondition(rmin == nil || rmax == nil || rmax! >= rmin!, "renormClipping: rmax must be at least rmin")
            precondition((dmax ?? 0) >= 0, "renormClipping: dmax must not be negative")
            self.rmin = rmin; self.rmax = rmax; self.dmax = dmax
        }
    }

    public init(axis: Int = 1, momentum: Double = 0.99, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
                betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
                movingMeanInitializer: Initializer = .zeros, movingVarianceInitializer: Initializer = .ones,
                betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil,
                betaConstraint: Constraint? = nil, gammaConstraint: Constraint? = nil,
                renorm: Bool = false, renormClipping: RenormClipping = RenormClipping(), renormMomentum: Double = 0.99) {
        precondition(axis != 0, "BatchNormalization: axis 0 is the batch axis")
        self.renorm = renorm
        self.renormClipping = renormClipping
        self.renormMomentum = renormMomentum
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.movingMeanInitializer = movingMeanInitializer
        self.movingVarianceInitializer = movingVarianceInitializer
        self.betaRegularizer = betaRegularizer
        self.gammaRegularizer = gammaRegularizer
        self.betaConstraint = betaConstraint
        self.gammaConstraint = gammaConstraint
        precondition(epsilon > 0, "BatchNormalization: epsilon must be positive, got \(epsilon)")
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
    }

    /// The axis of the full (batched) tensor of rank `rank`, or nil when out of range.
    func fullAxis(rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return (a >= 1 && a < rank) ? a : nil
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard let a = fullAxis(rank: s.count + 1) else {
            throw ShapeError(layer: "BatchNormalization", "axis \(axis) is out of range for input shape \(s)")
        }
        let c = s[a - 1]
        if let m = movingMean {
            guard m.value.shape == [c] else {
                throw ShapeError(layer: "BatchNormalization", "input shape \(s) has \(c) features on axis \(axis), but the layer was built for \(m.value.shape[0])")
            }
            return s
        }
        if scale { gamma = Parameter(gammaInitializer.make([c], fanIn: c, fanOut: c)) }
        if center { beta = Parameter(betaInitializer.make([c], fanIn: c, fanOut: c)) }
        movingMean = Parameter(movingMeanInitializer.make([c], fanIn: c, fanOut: c), trainable: false)
        movingVariance = Parameter(movingVarianceInitializer.make([c], fanIn: c, fanOut: c), trainable: false)
        if renorm {
            movingStddev = Parameter(sqrt(movingVariance!.value), trainable: false)
            renormMean = Parameter(movingMeanInitializer.make([c], fanIn: c, fanOut: c), trainable: false)
            renormStddev = Parameter(sqrt(movingVarianceInitializer.make([c], fanIn: c, fanOut: c)), trainable: false)
        }
        return s
    }

    /// Keras's renorm corrections (r, d) per channel from the batch statistics and the renorm
    /// ones before this batch, then every moving statistic's update.
    func renormCorrections(_ mean: Tensor, _ variance: Tensor, channels c: Int) -> (Tensor, Tensor) {
        withoutGradient {
            let bm = mean.detached().reshaped(to: [c]).cast(to: .float64), bv = variance.detached().reshaped(to: [c]).cast(to: .float64)
            let stddev = sqrt(bv + epsilon)
            let rm = renormMean!.value.cast(to: .float64)
            let rs = clamp(renormStddev!.value.cast(to: .float64), min: epsilon.squareRoot())
            var r = stddev / rs, d = (bm - rm) / rs
            let clip = renormClipping
            if clip.rmin != nil || clip.rmax != nil { r = clamp(r, min: clip.rmin ?? -.infinity, max: clip.rmax ?? .infinity) }
            if let dmax = clip.dmax { d = clamp(d, min: -dmax, max: dmax) }
            func moved(_ p: Parameter, _ v: Tensor, _ m: Double) { p.value = (p.value.cast(to: .float64) * m + v * (1 - m)).cast(to: p.value.dtype) }
            moved(renormMean!, bm, renormMomentum)
            moved(renormStddev!, stddev, renormMomentum)
            moved(movingMean!, bm, momentum)
            moved(movingStddev!, stddev, momentum)
            let s = movingStddev!.value.cast(to: .float64)
            movingVariance!.value = relu(s * s - epsilon).cast(to: movingVariance!.value.dtype)
            return (r.cast(to: mean.dtype), d.cast(to: mean.dtype))
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if movingMean == nil { ensureBuilt(self, x) }
        guard let a = fullAxis(rank: x.rank) else { preconditionFailure("BatchNormalization: axis \(axis) is out of range for input shape \(x.shape)") }
        var bshape = Shape(repeating: 1, count: x.rank)
        bshape[a] = x.shape[a]
        let reduce = (0..<x.rank).filter { $0 != a }
        let mean: Tensor, variance: Tensor
        if LearningPhase.isTraining && renorm {
            mean = x.mean(alongAxes: reduce, keepingDims: true)
            variance = x.variance(alongAxes: reduce, keepingDims: true)
            let (r, d) = renormCorrections(mean, variance, channels: x.shape[a])
            var y = (x - mean) * rsqrt(variance + epsilon)
            // (x̂·r + d)·γ + β, with r and d constants.
            y = y * r.reshaped(to: bshape) + d.reshaped(to: bshape)
            if let g = gamma { y = y * g.value.reshaped(to: bshape) }
            if let b = beta { y = y + b.value.reshaped(to: bshape) }
            return y
        } else if LearningPhase.isTraining {
            mean = x.mean(alongAxes: reduce, keepingDims: true)
            variance = x.variance(alongAxes: reduce, keepingDims: true)
            withoutGradient {
                let mm = movingMean!, mv = movingVariance!
                let bm = mean.detached().reshaped(to: [x.shape[a]]).cast(to: mm.value.dtype)
                let bv = variance.detached().reshaped(to: [x.shape[a]]).cast(to: mv.value.dtype)
                mm.value = mm.value * momentum + bm * (1 - momentum)
                mv.value = mv.value * momentum + bv * (1 - momentum)
            }
        } else {
            mean = movingMean!.value.reshaped(to: bshape)
            variance = movingVariance!.value.reshaped(to: bshape)
        }
        var y = (x - mean) * rsqrt(variance + epsilon)
        if let g = gamma { y = y * g.value.reshaped(to: bshape) }
        if let b = beta { y = y + b.value.reshaped(to: bshape) }
        return y
    }
}

/// Keras `LayerNormalization`: per sample, (x − mean) / √(variance + ε) over `axes` (of the
/// batched input, as Keras's `axis`; default the last), then `gamma` and `beta` (shaped as those
/// axes). With `rmsScaling` (Keras's option) the mean is not subtracted from x — x / √(variance +
/// ε) · gamma — and there is no beta.
public final class LayerNormalization: Layer {
    public let axes: [Int]
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public let rmsScaling: Bool
    public var gamma: Parameter?
    public var beta: Parameter?
    /// Keras's initializers, regularizers and constraints of the scale (gamma) and offset (beta).
    public var gammaInitializer: Initializer = .ones
    public var betaInitializer: Initializer = .zeros
    public var gammaRegularizer: Regularizer?
    public var betaRegularizer: Regularizer?
    public var gammaConstraint: Constraint?
    public var betaConstraint: Constraint?
    /// The per-sample shape the parameters broadcast against (1 off the normalized axes).
    var paramShape: Shape?
    var normalized: [Int] = []

    public init(axes: [Int] = [-1], epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true, rmsScaling: Bool = false,
                betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
                betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil,
                betaConstraint: Constraint? = nil, gammaConstraint: Constraint? = nil) {
        precondition(epsilon > 0, "LayerNormalization: epsilon must be positive, got \(epsilon)")
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.betaRegularizer = betaRegularizer
        self.gammaRegularizer = gammaRegularizer
        self.betaConstraint = betaConstraint
        self.gammaConstraint = gammaConstraint
        precondition(!axes.isEmpty && !axes.contains(0), "LayerNormalization: axes are non-batch axes, got \(axes)")
        self.axes = axes
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rmsScaling = rmsScaling
    }

    public convenience init(axis: Int, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true, rmsScaling: Bool = false) {
        self.init(axes: [axis], epsilon: epsilon, center: center, scale: scale, rmsScaling: rmsScaling)
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard !s.isEmpty else {
            throw ShapeError(layer: "LayerNormalization", "needs an input with a feature dimension, got \(s)")
        }
        let a = try axes.map { x -> Int in
            let b = x < 0 ? x + s.count + 1 : x
            guard b >= 1 && b <= s.count else { throw ShapeError(layer: "LayerNormalization", "axis \(x) is out of range for per-sample shape \(s)") }
            return b - 1
        }.sorted()
        let shape = a.map { s[$0] }
        let full: Shape = s.indices.map { a.contains($0) ? s[$0] : 1 }
        if let built = paramShape {
            guard built.count == s.count, a.allSatisfy({ built[$0] == s[$0] }) else {
                throw ShapeError(layer: "LayerNormalization", "input shape \(s) does not match the shape \(built) the layer was built for")
            }
            return s
        }
        paramShape = full
        normalized = a.map { $0 + 1 }
        let n = shape.elementCount
        if scale || rmsScaling { gamma = Parameter(gammaInitializer.make(shape, fanIn: n, fanOut: n)) }
        if center && !rmsScaling { beta = Parameter(betaInitializer.make(shape, fanIn: n, fanOut: n)) }
        return s
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if paramShape?.count != x.rank - 1 { ensureBuilt(self, x) }
        let lastOnly = normalized == [x.rank - 1]
        func shaped(_ p: Parameter) -> Tensor { lastOnly ? p.value : p.value.reshaped(to: paramShape!) }
        let variance = x.variance(alongAxes: normalized, keepingDims: true)
        var y = rmsScaling ? x * rsqrt(variance + epsilon)
            : (x - x.mean(alongAxes: normalized, keepingDims: true)) * rsqrt(variance + epsilon)
        if let g = gamma { y = y * shaped(g) }
        if let b = beta { y = y + shaped(b) }
        return y
    }
}

extension BatchNormalization: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(gamma, gammaRegularizer), (beta, betaRegularizer)]) }
    public var parameterConstraints: [(Parameter, Constraint)] { pairs([(gamma, gammaConstraint), (beta, betaConstraint)]) }
}

extension LayerNormalization: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(gamma, gammaRegularizer), (beta, betaRegularizer)]) }
    public var parameterConstraints: [(Parameter, Constraint)] { pairs([(gamma, gammaConstraint), (beta, betaConstraint)]) }
}
