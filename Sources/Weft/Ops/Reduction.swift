// Reductions over any set of axes, with or without keeping the reduced dims.

extension Tensor {
    func normalizedAxes(_ axes: [Int]?, op: StaticString) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let n = axes.map { normalizeAxis($0, rank: rank, op: op) }
        precondition(Set(n).count == n.count, "\(op): repeated axis in \(axes)")
        return n.sorted()
    }

    func droppingAxes(_ axes: [Int]) -> Shape { shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element) }

    func reduceOp(_ op: ReduceOp, axes: [Int]?, keepingDims: Bool, name: StaticString) -> Tensor {
        let ax = normalizedAxes(axes, op: name)
        var x = self
        if dtype == .float16 || dtype == .bfloat16 { x = cast(to: .float32) }
        if dtype == .bool { x = cast(to: .int64) }
        var kept = ax.isEmpty ? x : x.device.backend.reduce(op, x, axes: ax)
        if needsRecord(x) && x.dtype.isFloatingPoint {
            let y = kept
            kept.record(name, [x]) { g, _ in
                switch op {
                case .sum: return [g.expanded(to: x.shape)]
                case .prod:
                    // ∂/∂xᵢ = Π_{j≠i} xⱼ: y/xᵢ where xᵢ ≠ 0; for a zero, the product of the
                    // other elements (nonzero only when it is the only zero).
                    let isZero = x .== 0.0
                    let zero = Tensor.zeros([], dtype: x.dtype)
                    let nonzero = `where`(isZero, Tensor.ones([], dtype: x.dtype), x)
                    let othersAtZero = `where`(isZero.cast(to: x.dtype).sum(alongAxes: ax, keepingDims: true) .== 1.0,
                                               nonzero.product(alongAxes: ax, keepingDims: true), zero)
                    let dy = `where`(isZero, othersAtZero.expanded(to: x.shape), y.expanded(to: x.shape) / nonzero)
                    return [g.expanded(to: x.shape) * dy]
                case .max, .min:
                    // Split the gradient evenly among tied extrema (as torch.amax).
                    let mask = (x .== y).cast(to: x.dtype)
                    let count = mask.sum(alongAxes: ax, keepingDims: true)
                    return [mask * (g / count)]
                }
            }
        }
        var out = keepingDims ? kept : kept.reshaped(to: droppingAxes(ax))
        if x.dtype != dtype && dtype != .bool { out = out.cast(to: dtype) }
        return out
    }

    /// Sum over `axes` (all when nil).
    public func sum(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
        reduceOp(.sum, axes: axes, keepingDims: keepingDims, name: "sum")
    }
    public func sum(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { sum(alongAxes: [axis], keepingDims: keepingDims) }

    /// Mean over `axes` (all when nil); integer tensors give the default float type.
    public func mean(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "mean")
        let n = ax.map { shape[$0] }.reduce(1, *)
        let x = dtype.isFloatingPoint ? self : cast(to: dtype.floatingResult)
        return x.sum(alongAxes: ax, keepingDims: keepingDims) / Double(n)
    }
    public func mean(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { mean(alongAxes: [axis], keepingDims: keepingDims) }

    public func max(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor { reduceOp(.max, axes: axes, keepingDims: keepingDims, name: "max") }
    public func min(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor { reduceOp(.min, axes: axes, keepingDims: keepingDims, name: "min") }
    public func max(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { max(alongAxes: [axis], keepingDims: keepingDims) }
    public func min(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor { min(alongAxes: [axis], keepingDims: keepingDims) }
    public func product(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor { reduceOp(.prod, axes: axes, keepingDims: keepingDims, name: "prod") }

    /// Variance with `correction` (0: population, NumPy/Keras default; 1: unbiased, torch.var default).
    public func variance(alongAxes axes: [Int]? = nil, keepingDims: Bool = false, correction: Int = 0) -> Tensor {
        let ax = normalizedAxes(axes, op: "variance")
        let n = ax.map { shape[$0] }.reduce(1, *)
        let x = dtype.isFloatingPoint ? self : cast(to: dtype.floatingResult)
        let d = x - x.mean(alongAxes: ax, keepingDims: true)
        return (d * d).sum(alongAxes: ax, keepingDims: keepingDims) / Double(Swift.max(n - correction, 0))
    }

    /// log Σ exp, stable.
    public func logSumExp(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
        let ax = normalizedAxes(axes, op: "logsumexp")
        let m = max(alongAxes: ax, keepingDims: true).detached()
        // An infinite maximum (all −inf, or a +inf) is replaced by 0 so that x − m stays finite or ±inf.
        let mFinite = `where`(abs(m) .== Double.infinity, Tensor.zeros([], dtype: dtype), m)
        let r = log(exp(self - mFinite).sum(alongAxes: ax, keepingDims: true)) + mFinite
        return keepingDims ? r : r.reshaped(to: droppingAxes(ax))
    }

    /// Index of the largest element along `axis` (int64); the flat index when `axis` is nil.
    public func argmax(alongAxis axis: Int? = nil, keepingDims: Bool = false) -> Tensor { argReduce(true, axis, keepingDims) }
    public func argmin(alongAxis axis: Int? = nil, keepingDims: Bool = false) -> Tensor { argReduce(false, axis, keepingDims) }

    func argReduce(_ isMax: Bool, _ axis: Int?, _ keep: Bool) -> Tensor {
        guard let axis else { return reshaped(to: [count]).argReduce(isMax, 0, false) }
        let a = normalizeAxis(axis, rank: rank, op: isMax ? "argmax" : "argmin")
        var x = self
        if dtype == .float16 || dtype == .bfloat16 || dtype == .bool { x = cast(to: .float32) }
        let r = x.device.backend.argReduce(max: isMax, x.detached(), axis: a)
        return keep ? r : r.reshaped(to: droppingAxes([a]))
    }
}
