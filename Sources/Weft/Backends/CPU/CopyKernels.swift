/// Data-movement kernels. They only move bytes, so they are written once per element size.

/// Copies `shape` elements of `src` read at `offset + Σ index[d]·strides[d]` into contiguous `dst`.
@inlinable
func stridedCopyLoop<T>(_ src: UnsafePointer<T>, _ offset: Int, _ strides: [Int], _ shape: Shape, _ dst: UnsafeMutablePointer<T>) {
    // Merge dimensions that are contiguous with each other in the source.
    var dims: [Int] = [], st: [Int] = []
    for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
        if let last = dims.last, strides[i] == st.last! * last { dims[dims.count - 1] = last * shape[i] }
        else { dims.append(shape[i]); st.append(strides[i]) }
    }
    if dims.isEmpty { dst[0] = src[offset]; return }
    dims.reverse(); st.reverse()
    let inner = dims.last!, innerStride = st.last!
    let outerDims = Array(dims.dropLast()), outerStrides = Array(st.dropLast())
    let rows = outerDims.elementCount
    parallelChunks(rows, costPerItem: inner) { range in
        for r in range {
            var rem = r, o = offset
            var d = outerDims.count - 1
            while d >= 0 { o += (rem % outerDims[d]) * outerStrides[d]; rem /= outerDims[d]; d -= 1 }
            let s = src + o, t = dst + r * inner
            if innerStride == 1 { t.update(from: s, count: inner) }
            else if innerStride == 0 { t.update(repeating: s[0], count: inner) }
            else { for i in 0..<inner { t[i] = s[i * innerStride] } }
        }
    }
}

extension CPUBackend {
    public func copyStrided(_ x: Tensor, offset: Int, strides: [Int], shape: Shape) -> Tensor {
        let out = Tensor(empty: shape, dtype: x.dtype)
        if shape.elementCount == 0 { return out }
        switch x.dtype.byteSize {
        case 1: stridedCopyLoop(x.ptr(UInt8.self), offset, strides, shape, out.ptr(UInt8.self))
        case 2: stridedCopyLoop(x.ptr(UInt16.self), offset, strides, shape, out.ptr(UInt16.self))
        case 4: stridedCopyLoop(x.ptr(UInt32.self), offset, strides, shape, out.ptr(UInt32.self))
        default: stridedCopyLoop(x.ptr(UInt64.self), offset, strides, shape, out.ptr(UInt64.self))
        }
        return out
    }

    public func concatenate(_ xs: [Tensor], axis: Int, shape: Shape) -> Tensor {
        let out = Tensor(empty: shape, dtype: xs[0].dtype)
        let es = out.dtype.byteSize
        let outer = shape[..<axis].reduce(1, *)
        let innerOut = shape[axis...].reduce(1, *) * es
        var col = 0
        for x in xs {
            let innerX = x.shape[axis...].reduce(1, *) * es
            let src = UnsafeRawPointer(x.storage.data), dst = out.storage.data
            for o in 0..<outer {
                (dst + o * innerOut + col).copyMemory(from: src + o * innerX, byteCount: innerX)
            }
            col += innerX
        }
        return out
    }

    public func pad(_ x: Tensor, before: [Int], after: [Int], value: Double) -> Tensor {
        let shape = (0..<x.rank).map { x.shape[$0] + before[$0] + after[$0] }
        var out = Tensor(empty: shape, dtype: x.dtype)
        out.fillScalar(value)
        if x.count == 0 { return out }
        let es = x.dtype.byteSize
        let os = shape.contiguousStrides
        var base = 0
        for d in 0..<x.rank { base += before[d] * os[d] }
        // Copy x's rows (last dim contiguous) into place.
        let inner = (x.shape.last ?? 1) * es
        let rows = x.count / Swift.max(x.shape.last ?? 1, 1)
        let outerShape = Array(x.shape.dropLast())
        let src = UnsafeRawPointer(x.storage.data), dst = out.storage.data
        for r in 0..<rows {
            var rem = r, o = base
            var d = outerShape.count - 1
            while d >= 0 { o += (rem % outerShape[d]) * os[d]; rem /= outerShape[d]; d -= 1 }
            (dst + o * es).copyMemory(from: src + r * inner, byteCount: inner)
        }
        return out
    }

    /// Reads integer indices (int32 or int64) as Int, checking bounds against `limit`.
    func indexArray(_ indices: Tensor, limit: Int, op: StaticString) -> [Int] {
        var out = [Int](repeating: 0, count: indices.count)
        switch indices.dtype {
        case .int32: let p = indices.ptr(Int32.self); for i in 0..<indices.count { out[i] = Int(p[i]) }
        case .int64: let p = indices.ptr(Int64.self); for i in 0..<indices.count { out[i] = Int(p[i]) }
        case .uint8: let p = indices.ptr(UInt8.self); for i in 0..<indices.count { out[i] = Int(p[i]) }
        default: preconditionFailure("\(op): indices must be an integer tensor, got \(indices.dtype)")
        }
        for i in 0..<out.count {
            if out[i] < 0 { out[i] += limit }
            precondition(out[i] >= 0 && out[i] < limit, "\(op): index \(out[i]) is out of range for a dimension of size \(limit)")
        }
        return out
    }

    public func indexSelect(_ x: Tensor, axis: Int, indices: Tensor) -> Tensor {
        let idx = indexArray(indices, limit: x.shape[axis], op: "indexSelect")
        var shape = x.shape
        shape[axis] = idx.count
        let out = Tensor(empty: shape, dtype: x.dtype)
        let es = x.dtype.byteSize
        let outer = x.shape[..<axis].reduce(1, *)
        let inner = x.shape[(axis + 1)...].reduce(1, *) * es
        let src = UnsafeRawPointer(x.storage.data), dst = out.storage.data
        let dimX = x.shape[axis]
        parallelChunks(outer * idx.count, costPerItem: inner / es) { r in
            for j in r {
                let o = j / idx.count, k = j % idx.count
                (dst + j * inner).copyMemory(from: src + (o * dimX + idx[k]) * inner, byteCount: inner)
            }
        }
        return out
    }

    public func indexAdd(_ shape: Shape, axis: Int, indices: Tensor, source: Tensor) -> Tensor {
        let idx = indexArray(indices, limit: shape[axis], op: "indexAdd")
        var out = Tensor(empty: shape, dtype: source.dtype)
        out.fillScalar(0)
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        func run<T: KernelNumeric>(_: T.Type) {
            let s = source.ptr(T.self), d = out.ptr(T.self)
            for o in 0..<outer {
                for (k, i) in idx.enumerated() {
                    let sp = s + (o * idx.count + k) * inner, dp = d + (o * shape[axis] + i) * inner
                    for e in 0..<inner { dp[e] = T.kAdd(dp[e], sp[e]) }
                }
            }
        }
        switch source.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int32: run(Int32.self)
        case .int64: run(Int64.self)
        default: unsupported("indexAdd", source.dtype)
        }
        return out
    }

    public func gather(_ x: Tensor, axis: Int, indices: Tensor) -> Tensor {
        // out[..., j, ...] = x[..., idx[..., j, ...], ...] (torch.gather): indices has x's rank.
        let idx = indexArray(indices, limit: x.shape[axis], op: "gather")
        let out = Tensor(empty: indices.shape, dtype: x.dtype)
        let outer = indices.shape[..<axis].reduce(1, *)
        let inner = indices.shape[(axis + 1)...].reduce(1, *)
        let xInnerStride = x.shape[(axis + 1)...].reduce(1, *)
        let xs = x.shape.contiguousStrides
        let n = indices.shape[axis]
        func run<T>(_: T.Type) {
            let s = x.ptr(T.self), d = out.ptr(T.self)
            for o in 0..<outer {
                // Decompose o over indices' outer dims into x's offset.
                var rem = o, xo = 0
                var dd = axis - 1
                while dd >= 0 { xo += (rem % indices.shape[dd]) * xs[dd]; rem /= indices.shape[dd]; dd -= 1 }
                for j in 0..<n {
                    for e in 0..<inner {
                        let flat = (o * n + j) * inner + e
                        // e indexes indices' inner dims; map into x's inner dims.
                        var r2 = e, xi = 0
                        var k = indices.rank - 1
                        while k > axis { xi += (r2 % indices.shape[k]) * xs[k]; r2 /= indices.shape[k]; k -= 1 }
                        d[flat] = s[xo + idx[flat] * xInnerStride + xi]
                    }
                }
            }
        }
        switch x.dtype.byteSize {
        case 1: run(UInt8.self)
        case 2: run(UInt16.self)
        case 4: run(UInt32.self)
        default: run(UInt64.self)
        }
        return out
    }

    public func scatterAdd(_ shape: Shape, axis: Int, indices: Tensor, source: Tensor) -> Tensor {
        let idx = indexArray(indices, limit: shape[axis], op: "scatterAdd")
        var out = Tensor(empty: shape, dtype: source.dtype)
        out.fillScalar(0)
        let outer = indices.shape[..<axis].reduce(1, *)
        let inner = indices.shape[(axis + 1)...].reduce(1, *)
        let os = shape.contiguousStrides
        let n = indices.shape[axis]
        func run<T: KernelNumeric>(_: T.Type) {
            let s = source.ptr(T.self), d = out.ptr(T.self)
            for o in 0..<outer {
                var rem = o, base = 0
                var dd = axis - 1
                while dd >= 0 { base += (rem % indices.shape[dd]) * os[dd]; rem /= indices.shape[dd]; dd -= 1 }
                for j in 0..<n {
                    for e in 0..<inner {
                        let flat = (o * n + j) * inner + e
                        var r2 = e, oi = 0
                        var k = indices.rank - 1
                        while k > axis { oi += (r2 % indices.shape[k]) * os[k]; r2 /= indices.shape[k]; k -= 1 }
                        let t = base + idx[flat] * os[axis] + oi
                        d[t] = T.kAdd(d[t], s[flat])
                    }
                }
            }
        }
        switch source.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        case .int32: run(Int32.self)
        case .int64: run(Int64.self)
        default: unsupported("scatterAdd", source.dtype)
        }
        return out
    }
}
