import Weft

/// Keras weight regularizers: a penalty `l1·Σ|w| + l2·Σw²` (Keras's L2 has no ½), plus
/// Keras's `OrthogonalRegularizer` term when `orthogonal` is set.
public struct Regularizer: Hashable, Sendable {
    public var l1: Double
    public var l2: Double
    /// Keras `OrthogonalRegularizer(factor, mode)`: factor·½·Σ|off-diagonal entries of the
    /// Gram matrix of the unit-normalised rows (or columns)| / (pairs of them), for rank-2 weights.
    public var orthogonal: Orthogonal?

    /// Which vectors of a rank-2 weight should be orthogonal: its rows (a Dense kernel [in, out]'s
    /// inputs) or its columns (its units).
    public enum OrthogonalMode: Hashable, Sendable { case rows, columns }
    public struct Orthogonal: Hashable, Sendable {
        public var factor: Double
        public var mode: OrthogonalMode
    }

    public init(l1: Double = 0, l2: Double = 0, orthogonal: Orthogonal? = nil) {
        precondition(l1 >= 0 && l2 >= 0 && l1.isFinite && l2.isFinite, "Regularizer: factors must be finite and ≥ 0, got l1 \(l1), l2 \(l2)")
        if let o = orthogonal { precondition(o.factor >= 0 && o.factor.isFinite, "Regularizer: the orthogonal factor must be finite and ≥ 0, got \(o.factor)") }
        self.l1 = l1
        self.l2 = l2
        self.orthogonal = orthogonal
    }

    /// Keras `OrthogonalRegularizer(factor=0.01, mode="rows")`.
    public static func orthogonal(factor: Double = 0.01, mode: OrthogonalMode = .rows) -> Regularizer {
        Regularizer(orthogonal: Orthogonal(factor: factor, mode: mode))
    }

    /// Keras `L1(l1=0.01)`.
    public static func l1(_ x: Double = 0.01) -> Regularizer { Regularizer(l1: x) }
    /// Keras `L2(l2=0.01)`.
    public static func l2(_ x: Double = 0.01) -> Regularizer { Regularizer(l2: x) }
    /// Keras `L1L2(l1=0, l2=0)` (the `l1_l2` shortcut defaults both to 0.01).
    public static func l1l2(l1: Double = 0.01, l2: Double = 0.01) -> Regularizer { Regularizer(l1: l1, l2: l2) }

    /// The penalty of `w`, a 0-d tensor of `w`'s dtype, differentiable in `w`.
    public func penalty(_ w: Tensor) -> Tensor {
        var out = Tensor(0, dtype: w.dtype)
        if l1 != 0 { out = out + l1 * abs(w).sum() }
        if l2 != 0 { out = out + l2 * square(w).sum() }
        if let o = orthogonal, o.factor != 0 {
            precondition(w.rank == 2, "OrthogonalRegularizer: weights must have rank 2, got \(w.shape)")
            // Keras's ops.normalize: x · min(1/√Σx², 1/ε), ε = 1e-7.
            let axis = o.mode == .rows ? 1 : 0
            let v = w * clamp(rsqrt(square(w).sum(alongAxes: [axis], keepingDims: true)), max: 1e7)
            let gram = o.mode == .rows ? matmul(v, v.transposed()) : matmul(v.transposed(), v)
            let size = w.shape[o.mode == .rows ? 0 : 1]
            let offDiagonal = abs(gram * (1 - Tensor.eye(size, dtype: w.dtype)))
            out = out + offDiagonal.sum() * (o.factor * 0.5 / (Double(size) * (Double(size) - 1) / 2))
        }
        return out
    }
}

/// Keras weight constraints, applied to a parameter after each optimizer update.
///
/// `axes` are in Weft's layout; `nil` (the default) means "the norm of each output unit's
/// incoming weights", Keras's default `axis=0` for a Dense kernel [in, out] and
/// `axis=[0, 1, 2]` for an HWIO conv kernel: axes [0] for rank ≤ 2, [1, 2, 3] for Weft's OIHW
/// rank-4 conv weights, and every axis but the last otherwise.
public enum Constraint: Hashable, Sendable {
    /// Keras `MaxNorm(max_value=2)`: rescales so that each norm is at most `maxValue`.
    case maxNorm(Double = 2, axes: [Int]? = nil)
    /// Keras `NonNeg`: negative entries become 0.
    case nonNeg
    /// Keras `UnitNorm`: each norm becomes 1.
    case unitNorm(axes: [Int]? = nil)
    /// Keras `MinMaxNorm(min_value=0, max_value=1, rate=1)`: norms move to
    /// `rate·clip(norm, min, max) + (1 − rate)·norm`.
    case minMaxNorm(min: Double = 0, max: Double = 1, rate: Double = 1, axes: [Int]? = nil)

    /// Keras's `backend.epsilon()` in the norm rescalings.
    static let epsilon = 1e-7

    /// The constrained value of `w` (not recorded for gradients).
    public func callAsFunction(_ w: Tensor) -> Tensor {
        let w = w.detached()
        func axesFor(_ axes: [Int]?) -> [Int] {
            if let axes { return axes.map { $0 < 0 ? $0 + w.rank : $0 } }
            if w.rank <= 2 { return [0] }
            if w.rank == 4 { return [1, 2, 3] }
            return Array(0..<(w.rank - 1))
        }
        func rescale(_ axes: [Int]?, _ desired: (Tensor) -> Tensor) -> Tensor {
            let norms = sqrt(square(w).sum(alongAxes: axesFor(axes), keepingDims: true))
            return w * (desired(norms) / (norms + Constraint.epsilon))
        }
        switch self {
        case .nonNeg: return relu(w)
        case .maxNorm(let m, let axes): return rescale(axes) { clamp($0, min: 0, max: m) }
        case .unitNorm(let axes):
            let norms = sqrt(square(w).sum(alongAxes: axesFor(axes), keepingDims: true))
            return w / (norms + Constraint.epsilon)
        case .minMaxNorm(let lo, let hi, let rate, let axes):
            return rescale(axes) { rate * clamp($0, min: lo, max: hi) + (1 - rate) * $0 }
        }
    }

    /// Replaces `p.value` by its constrained value (keeping its dtype).
    public func apply(to p: Parameter) {
        let v = self(p.value)
        p.value = v.dtype == p.value.dtype ? v : v.cast(to: p.value.dtype)
    }
}

/// A layer with regularized or constrained parameters (Dense and Conv2D conform).
public protocol RegularizedLayer: Layer {
    /// Each parameter with its regularizer.
    var parameterRegularizers: [(Parameter, Regularizer)] { get }
    /// Each parameter with its constraint.
    var parameterConstraints: [(Parameter, Constraint)] { get }
}

extension Dense: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        [(weight, kernelRegularizer), (bias, biasRegularizer), (loraKernelA, kernelRegularizer), (loraKernelB, kernelRegularizer)]
            .compactMap { p, r in p.flatMap { p in r.map { (p, $0) } } }
    }
    public var parameterConstraints: [(Parameter, Constraint)] {
        [(weight, kernelConstraint), (bias, biasConstraint)].compactMap { p, c in p.flatMap { p in c.map { (p, $0) } } }
    }
}

extension Conv2D: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        pairs([(weight, kernelRegularizer), (bias, biasRegularizer), (loraKernelA, kernelRegularizer), (loraKernelB, kernelRegularizer)])
    }
    public var parameterConstraints: [(Parameter, Constraint)] {
        [(weight, kernelConstraint), (bias, biasConstraint)].compactMap { p, c in p.flatMap { p in c.map { (p, $0) } } }
    }
}

extension Layer {
    /// This layer and every sub-layer (through `namedChildren`), each once.
    var allLayers: [any Layer] {
        var seen = Set<ObjectIdentifier>()
        var out: [any Layer] = []
        func walk(_ l: any Layer) {
            guard seen.insert(ObjectIdentifier(l)).inserted else { return }
            out.append(l)
            for (_, c) in l.namedChildren { walk(c) }
        }
        walk(self)
        return out
    }

    /// The sum of every regularizer penalty over the model's trainable parameters (as Keras 3,
    /// which regularizes `trainable_weights`), a 0-d tensor differentiable in the parameters;
    /// `nil` when nothing is regularized. A parameter reached twice (a shared layer) is penalised once. The training loss is `loss + regularizationLoss()`:
    /// `fit` adds it inside the gradient computation.
    public func regularizationLoss() -> Tensor? {
        var total: Tensor?
        var seen = Set<ObjectIdentifier>()
        for case let l as any RegularizedLayer in allLayers {
            for (p, r) in l.parameterRegularizers where p.trainable && seen.insert(ObjectIdentifier(p)).inserted {
                let pen = r.penalty(p.value)
                if let t = total { total = t + (pen.dtype == t.dtype ? pen : pen.cast(to: t.dtype)) } else { total = pen }
            }
        }
        return total
    }

    /// Applies every layer's constraints to its trainable parameters (Keras applies them right
    /// after each optimizer update; `fit` calls this after each step).
    public func applyConstraints() {
        for case let l as any RegularizedLayer in allLayers {
            for (p, c) in l.parameterConstraints where p.trainable { c.apply(to: p) }
        }
    }
}
