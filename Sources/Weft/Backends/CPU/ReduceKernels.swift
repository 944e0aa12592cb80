/// The reductions a backend implements; mean, variance, logsumexp and friends are built on them.
public enum ReduceOp: Hashable, Sendable { case sum, max, min, prod }

public protocol ReduceFunctor {
    static func initial<T: KernelNumeric>(_: T.Type) -> T?
    static func combine<T: KernelNumeric>(_ a: T, _ b: T) -> T
}
public enum RSum: ReduceFunctor {
    @inlinable public static func initial<T: KernelNumeric>(_: T.Type) -> T? { T.zero }
    @inlinable public static func combine<T: KernelNumeric>(_ a: T, _ b: T) -> T { T.kAdd(a, b) }
}
public enum RProd: ReduceFunctor {
    @inlinable public static func initial<T: KernelNumeric>(_: T.Type) -> T? { T.one }
    @inlinable public static func combine<T: KernelNumeric>(_ a: T, _ b: T) -> T { T.kMul(a, b) }
}
public enum RMax: ReduceFunctor {
    @inlinable public static func initial<T: KernelNumeric>(_: T.Type) -> T? { nil }
    @inlinable public static func combine<T: KernelNumeric>(_ a: T, _ b: T) -> T { BF.Max.f(a, b) }
}
public enum RMin: ReduceFunctor {
    @inlinable public static func initial<T: KernelNumeric>(_: T.Type) -> T? { nil }
    @inlinable public static func combine<T: KernelNumeric>(_ a: T, _ b: T) -> T { BF.Min.f(a, b) }
}

/// Reduces x viewed as [outer, r, inner] over the middle dimension.
@inlinable
func reduceLoop<F: ReduceFunctor, T: KernelNumeric>(_: F.Type, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, outer: Int, r: Int, inner: Int) {
    if r == 0 {
        guard let v = F.initial(T.self) else { preconditionFailure("reduction over an empty dimension has no identity") }
        y.update(repeating: v, count: outer * inner)
        return
    }
    if inner == 1 {
        parallelChunks(outer, costPerItem: r) { rows in
            for o in rows {
                let p = x + o * r
                // Four accumulators: lets the loop vectorise and reduces rounding drift.
                if r >= 4 {
                    var a0 = p[0], a1 = p[1], a2 = p[2], a3 = p[3]
                    var i = 4
                    while i + 4 <= r {
                        a0 = F.combine(a0, p[i]); a1 = F.combine(a1, p[i + 1]); a2 = F.combine(a2, p[i + 2]); a3 = F.combine(a3, p[i + 3])
                        i += 4
                    }
                    var acc = F.combine(F.combine(a0, a1), F.combine(a2, a3))
                    while i < r { acc = F.combine(acc, p[i]); i += 1 }
                    y[o] = acc
                } else {
                    var acc = p[0]
                    for i in 1..<r { acc = F.combine(acc, p[i]) }
                    y[o] = acc
                }
            }
        }
        return
    }
    parallelChunks(outer * inner, costPerItem: r) { range in
        // Split the [outer, inner] output into row pieces; accumulate whole rows of x at a time.
        var j = range.lowerBound
        while j < range.upperBound {
            let o = j / inner, i0 = j % inner
            let i1 = Swift.min(inner, i0 + (range.upperBound - j))
            let yo = y + o * inner, xo = x + o * r * inner
            for i in i0..<i1 { yo[i] = xo[i] }
            for k in 1..<r {
                let row = xo + k * inner
                for i in i0..<i1 { yo[i] = F.combine(yo[i], row[i]) }
            }
            j += i1 - i0
        }
    }
}

extension CPUBackend {
    public func reduce(_ op: ReduceOp, _ x: Tensor, axes: [Int]) -> Tensor {
        var outShape = x.shape
        for a in axes { outShape[a] = 1 }
        let sorted = axes.sorted()
        // Contiguous block of axes → [outer, r, inner]; otherwise move the axes to the end first.
        var src = x
        var outer: Int, r: Int, inner: Int
        if sorted.isEmpty {
            outer = x.count; r = 1; inner = 1
        } else if sorted.last! - sorted.first! + 1 == sorted.count {
            outer = x.shape[..<sorted.first!].reduce(1, *)
            r = sorted.map { x.shape[$0] }.reduce(1, *)
            inner = x.shape[(sorted.last! + 1)...].reduce(1, *)
        } else {
            let keep = (0..<x.rank).filter { !sorted.contains($0) }
            let perm = keep + sorted
            let xs = x.shape.contiguousStrides
            src = copyStrided(x, offset: 0, strides: perm.map { xs[$0] }, shape: perm.map { x.shape[$0] })
            outer = keep.map { x.shape[$0] }.reduce(1, *)
            r = sorted.map { x.shape[$0] }.reduce(1, *)
            inner = 1
        }
        let out = Tensor(empty: outShape, dtype: x.dtype)
        func run<T: KernelNumeric>(_: T.Type) {
            let px = src.ptr(T.self), py = out.ptr(T.self)
            switch op {
            case .sum: reduceLoop(RSum.self, px, py, outer: outer, r: r, inner: inner)
            case .prod: reduceLoop(RProd.self, px, py, outer: outer, r: r, inner: inner)
            case .max: reduceLoop(RMax.self, px, py, outer: outer, r: r, inner: inner)
            case .min: reduceLoop(RMin.self, px, py, outer: outer, r: r, inner: inner)
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int32: run(Int32.self)
        case .int64: run(Int64.self)
        case .uint8: run(UInt8.self)
        default: unsupported("reduce", x.dtype)
        }
        return out
    }

    public func argReduce(max: Bool, _ x: Tensor, axis: Int) -> Tensor {
        var outShape = x.shape
        outShape[axis] = 1
        let outer = x.shape[..<axis].reduce(1, *), r = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        precondition(r > 0, "\(max ? "argmax" : "argmin"): axis \(axis) has size 0")
        let out = Tensor(empty: outShape, dtype: .int64)
        let po = out.ptr(Int64.self)
        func run<T: Comparable>(_: T.Type) {
            let px = x.ptr(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = px[o * r * inner + i], bi = 0
                    for k in 1..<Swift.max(r, 1) {
                        let v = px[(o * r + k) * inner + i]
                        // First occurrence wins; NaN wins like PyTorch.
                        if best != best { break }
                        if v != v || (max ? v > best : v < best) { best = v; bi = k }
                    }
                    po[o * inner + i] = Int64(bi)
                }
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int32: run(Int32.self)
        case .int64: run(Int64.self)
        case .uint8: run(UInt8.self)
        default: unsupported("argmax/argmin", x.dtype)
        }
        return out
    }
}
