// Shape and data-movement ops. Reshapes share storage; everything else copies (contiguous tensors).

extension Tensor {
    /// Same data, new shape (one dimension may be -1).
    public func reshaped(to newShape: Shape) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "reshape: cannot reshape \(shapeString(shape)) into \(shapeString(newShape))")
            s[i] = count / known
        }
        precondition(s.elementCount == count, "reshape: cannot reshape \(shapeString(shape)) (\(count) elements) into \(shapeString(newShape))")
        if s == shape { return self }
        var y = Tensor(storage: storage, shape: s, dtype: dtype, device: device)
        if needsRecord(self) {
            let old = shape
            y.record("reshape", [self]) { g, _ in [g.reshaped(to: old)] }
        }
        return y
    }

    /// Flattens dimensions `startAxis...endAxis` into one.
    public func flattened(startAxis: Int = 0, endAxis: Int = -1) -> Tensor {
        if rank == 0 { return reshaped(to: [1]) }
        let s = normalizeAxis(startAxis, rank: rank, op: "flatten"), e = normalizeAxis(endAxis, rank: rank, op: "flatten")
        return reshaped(to: Array(shape[..<s]) + [shape[s...e].reduce(1, *)] + Array(shape[(e + 1)...]))
    }

    /// Removes size-1 dimensions (the given ones, or all).
    public func squeezed(axes: [Int]? = nil) -> Tensor {
        let ax = axes.map { $0.map { normalizeAxis($0, rank: rank, op: "squeeze") } } ?? (0..<rank).filter { shape[$0] == 1 }
        for a in ax { precondition(shape[a] == 1, "squeeze: dimension \(a) of \(shapeString(shape)) is not 1") }
        return reshaped(to: droppingAxes(ax))
    }

    /// Inserts a size-1 dimension at `axis`.
    public func unsqueezed(axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze: axis \(axis) out of range for rank \(rank)")
        var s = shape
        s.insert(1, at: a)
        return reshaped(to: s)
    }

    /// Reorders dimensions: result dim i is input dim `permutation[i]`.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(permutation.count == rank && Set(permutation) == Set(0..<rank),
                     "permute: \(permutation) is not a permutation of the \(rank) dims of \(shapeString(shape))")
        if permutation == Array(0..<rank) { return self }
        let st = shape.contiguousStrides
        var y = device.backend.copyStrided(self, offset: 0, strides: permutation.map { st[$0] }, shape: permutation.map { shape[$0] })
        if needsRecord(self) {
            var inverse = [Int](repeating: 0, count: rank)
            for (i, p) in permutation.enumerated() { inverse[p] = i }
            y.record("permute", [self]) { g, _ in [g.permuted(inverse)] }
        }
        return y
    }

    /// Swaps the last two dimensions (or two given ones).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        precondition(rank >= 2, "transpose: needs rank ≥ 2, got \(shapeString(shape))")
        var p = Array(0..<rank)
        p.swapAt(normalizeAxis(a, rank: rank, op: "transpose"), normalizeAxis(b, rank: rank, op: "transpose"))
        return permuted(p)
    }

    /// Broadcasts to `newShape` (NumPy rules), copying.
    public func expanded(to newShape: Shape) -> Tensor {
        if newShape == shape { return self }
        let out = broadcastShapes(shape, newShape, op: "expand")
        precondition(out == newShape, "expand: \(shapeString(shape)) cannot be expanded to \(shapeString(newShape))")
        let off = newShape.count - rank
        var strides = [Int](repeating: 0, count: newShape.count)
        let xs = shape.contiguousStrides
        for i in 0..<rank where shape[i] != 1 { strides[i + off] = xs[i] }
        var y = device.backend.copyStrided(self, offset: 0, strides: strides, shape: newShape)
        if needsRecord(self) {
            let old = shape
            y.record("expand", [self]) { g, _ in [g.summed(toShape: old)] }
        }
        return y
    }

    /// Elements `start..<end` by `step` along `axis` (negative bounds count from the end, like Python).
    public func sliced(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "slice")
        precondition(step > 0, "slice: step must be positive, got \(step)")
        let d = shape[a]
        func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + d : i, 0), d) }
        let s = clampIndex(start), e = Swift.max(clampIndex(end ?? d), s)
        let n = (e - s + step - 1) / step
        if s == 0 && n == d && step == 1 { return self }
        var newShape = shape
        newShape[a] = n
        let st = shape.contiguousStrides
        var strides = st
        strides[a] = st[a] * step
        var y = device.backend.copyStrided(self, offset: s * st[a], strides: strides, shape: newShape)
        if needsRecord(self) {
            let full = shape, r = rank
            y.record("slice", [self]) { g, _ in
                if step == 1 {
                    var before = [Int](repeating: 0, count: r), after = before
                    before[a] = s; after[a] = full[a] - e
                    return [g.padded(before: before, after: after)]
                }
                let idx = Tensor(shape: [n], scalars: (0..<n).map { Int64(s + $0 * step) })
                return [g.device.backend.indexAdd(full, axis: a, indices: idx, source: g)]
            }
        }
        return y
    }

    /// Element `i` along the first axis, with that axis removed.
    public subscript(_ i: Int) -> Tensor {
        precondition(rank >= 1, "subscript: a scalar tensor cannot be indexed")
        let j = i < 0 ? i + shape[0] : i
        precondition(j >= 0 && j < shape[0], "subscript: index \(i) is out of range for dimension of size \(shape[0])")
        return sliced(axis: 0, start: j, end: j + 1).squeezed(axes: [0])
    }

    /// Pads with `value`: `before[i]`/`after[i]` elements on each side of dimension i.
    public func padded(before: [Int], after: [Int], value: Double = 0) -> Tensor {
        precondition(before.count == rank && after.count == rank, "pad: need \(rank) before/after sizes for \(shapeString(shape))")
        precondition((before + after).allSatisfy { $0 >= 0 }, "pad: negative padding \(before) \(after)")
        var y = device.backend.pad(self, before: before, after: after, value: value)
        if needsRecord(self) {
            let old = shape
            y.record("pad", [self]) { g, _ in
                var t = g
                for d in 0..<old.count where before[d] != 0 || after[d] != 0 {
                    t = t.sliced(axis: d, start: before[d], end: before[d] + old[d])
                }
                return [t]
            }
        }
        return y
    }

    /// Repeats the tensor `multiples[i]` times along dimension i.
    public func tiled(_ multiples: [Int]) -> Tensor {
        precondition(multiples.count == rank, "tile: need \(rank) multiples for \(shapeString(shape)), got \(multiples)")
        var inter: Shape = [], big: Shape = []
        for (d, m) in zip(shape, multiples) { inter += [1, d]; big += [m, d] }
        return reshaped(to: inter).expanded(to: big).reshaped(to: zip(shape, multiples).map { $0 * $1 })
    }

    /// Rows `indices` along `axis` (torch.index_select).
    public func indexSelect(axis: Int, indices: Tensor) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "indexSelect")
        precondition(indices.rank <= 1, "indexSelect: indices must be 1-D, got \(shapeString(indices.shape))")
        let idx = indices.reshaped(to: [indices.count])
        var y = device.backend.indexSelect(self, axis: a, indices: idx)
        if needsRecord(self) {
            let full = shape
            y.record("indexSelect", [self]) { g, _ in [g.device.backend.indexAdd(full, axis: a, indices: idx, source: g)] }
        }
        return y
    }

    /// torch.gather: out[i][j] = self[i][indices[i][j]] along `axis`.
    public func gathering(axis: Int, indices: Tensor) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "gather")
        precondition(indices.rank == rank, "gather: indices rank \(indices.rank) differs from input rank \(rank)")
        for d in 0..<rank where d != a {
            precondition(indices.shape[d] <= shape[d], "gather: indices \(shapeString(indices.shape)) exceed input \(shapeString(shape)) in dim \(d)")
        }
        var y = device.backend.gather(self, axis: a, indices: indices)
        if needsRecord(self) {
            let full = shape
            y.record("gather", [self]) { g, _ in [g.device.backend.scatterAdd(full, axis: a, indices: indices, source: g)] }
        }
        return y
    }

    /// torch.scatter_add: a copy of self with `source` added at `indices` along `axis`.
    public func scatteringAdd(axis: Int, indices: Tensor, source: Tensor) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: "scatterAdd")
        precondition(indices.shape == source.shape, "scatterAdd: indices \(shapeString(indices.shape)) and source \(shapeString(source.shape)) differ")
        let src = source.cast(to: dtype)
        let scattered = device.backend.scatterAdd(shape, axis: a, indices: indices, source: src.detached())
        var y = device.backend.binary(.add, self, scattered, shape: shape)
        if needsRecord(self, src) {
            y.record("scatterAdd", [self, src]) { g, need in
                [need[0] ? g : nil, need[1] ? g.gathering(axis: a, indices: indices) : nil]
            }
        }
        return y
    }

    /// Splits into pieces of `sizes` along `axis`.
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank, op: "split")
        precondition(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to dimension \(a) of \(shapeString(shape))")
        var start = 0
        return sizes.map { s in defer { start += s }; return sliced(axis: a, start: start, end: start + s) }
    }

    /// Splits into `count` equal pieces along `axis`.
    public func split(count: Int, axis: Int = 0) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank, op: "split")
        precondition(count > 0 && shape[a] % count == 0, "split: dimension \(a) of \(shapeString(shape)) does not divide into \(count)")
        return split(sizes: Array(repeating: shape[a] / count, count: count), axis: a)
    }
}

/// Joins tensors along an existing axis.
public func concatenate(_ xs: [Tensor], axis: Int = 0) -> Tensor {
    precondition(!xs.isEmpty, "concatenate: no tensors")
    let r = xs[0].rank
    let a = normalizeAxis(axis, rank: r, op: "concatenate")
    var dt = xs[0].dtype
    for x in xs { dt = DType.promote(dt, x.dtype) }
    var shape = xs[0].shape
    shape[a] = 0
    for x in xs {
        precondition(x.rank == r, "concatenate: ranks differ: \(shapeString(xs[0].shape)) and \(shapeString(x.shape))")
        for d in 0..<r where d != a {
            precondition(x.shape[d] == xs[0].shape[d], "concatenate: shapes \(shapeString(xs[0].shape)) and \(shapeString(x.shape)) differ outside axis \(a)")
        }
        shape[a] += x.shape[a]
    }
    let ys = xs.map { $0.cast(to: dt) }
    var out = ys[0].device.backend.concatenate(ys, axis: a, shape: shape)
    if needsRecord(ys) {
        let sizes = ys.map { $0.shape[a] }
        out.record("concatenate", ys) { g, _ in g.split(sizes: sizes, axis: a).map { Optional($0) } }
    }
    return out
}

/// Joins tensors of one shape along a new axis.
public func stack(_ xs: [Tensor], axis: Int = 0) -> Tensor {
    precondition(!xs.isEmpty, "stack: no tensors")
    for x in xs { precondition(x.shape == xs[0].shape, "stack: shapes \(shapeString(xs[0].shape)) and \(shapeString(x.shape)) differ") }
    return concatenate(xs.map { $0.unsqueezed(axis: axis) }, axis: axis < 0 ? axis : axis)
}

/// One-hot encoding of integer `indices` into `depth` classes (float, last axis new).
public func oneHot(_ indices: Tensor, depth: Int, dtype: DType = TensorDefaults.floatType) -> Tensor {
    let flat = indices.reshaped(to: [indices.count])
    let eye = Tensor.eye(depth, dtype: dtype)
    return eye.indexSelect(axis: 0, indices: flat).reshaped(to: indices.shape + [depth])
}
