// Matrix products (OpenBLAS GEMM on the CPU), batch-broadcast like numpy.matmul.

/// Matrix product with NumPy/PyTorch semantics: 1-D operands are promoted (and the added dim
/// removed), leading batch dims broadcast.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.rank >= 1 && b.rank >= 1, "matmul: operands must have rank ≥ 1, got \(shapeString(a.shape)) and \(shapeString(b.shape))")
    if a.rank == 1 && b.rank == 1 {
        precondition(a.shape[0] == b.shape[0], "matmul: vectors \(shapeString(a.shape)) and \(shapeString(b.shape)) differ in length")
        return matmul(a.unsqueezed(axis: 0), b.unsqueezed(axis: 1)).reshaped(to: [])
    }
    if a.rank == 1 { return matmul(a.unsqueezed(axis: 0), b).squeezed(axes: [-2]) }
    if b.rank == 1 { return matmul(a, b.unsqueezed(axis: 1)).squeezed(axes: [-1]) }
    precondition(a.shape[a.rank - 1] == b.shape[b.rank - 2],
                 "matmul: shapes \(shapeString(a.shape)) and \(shapeString(b.shape)) are not aligned (\(a.shape[a.rank - 1]) vs \(b.shape[b.rank - 2]))")
    let dt = DType.promote(a.dtype, b.dtype).floatingResult
    let x = a.cast(to: dt), y = b.cast(to: dt)
    if dt == .float16 || dt == .bfloat16 { return matmul(x.cast(to: .float32), y.cast(to: .float32)).cast(to: dt) }
    if x.rank == 2 && y.rank == 2 { return matmul2(x, y, false, false) }
    // Broadcast batch dims, fold them into one.
    let ba = Array(x.shape.dropLast(2)), bb = Array(y.shape.dropLast(2))
    for (da, db) in zip(ba.reversed(), bb.reversed()) where da != db && da != 1 && db != 1 {
        preconditionFailure("matmul: the batch dimensions of \(shapeString(a.shape)) and \(shapeString(b.shape)) cannot be broadcast together")
    }
    let batch = broadcastShapes(ba, bb, op: "matmul")
    let m = x.shape[x.rank - 2], k = x.shape[x.rank - 1], n = y.shape[y.rank - 1]
    let x3: Tensor = bb.elementCount == 1 && y.rank == 2 ? x.reshaped(to: [batch.elementCount, m, k])
        : x.expanded(to: batch + [m, k]).reshaped(to: [batch.elementCount, m, k])
    let y3: Tensor = y.rank == 2 ? y : (ba == bb || bb.elementCount == batch.elementCount ? y.expanded(to: batch + [k, n]).reshaped(to: [batch.elementCount, k, n])
                                         : y.expanded(to: batch + [k, n]).reshaped(to: [batch.elementCount, k, n]))
    return matmul2(x3, y3, false, false).reshaped(to: batch + [m, n])
}

/// op(a) · op(b) for rank-2/3 operands of one dtype, with gradients.
func matmul2(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
    var out = a.device.backend.matmul(a, b, transposeA: ta, transposeB: tb)
    if needsRecord(a, b) {
        out.record("matmul", [a, b]) { g, need in
            // C = A·B: dA = G·Bᵀ, dB = Aᵀ·G (with the transposes folded in).
            var ga: Tensor? = nil, gb: Tensor? = nil
            if need[0] { ga = ta ? matmul2(b, g, tb, true) : matmul2(g, b, false, !tb) }
            if need[1] { gb = tb ? matmul2(g, a, true, ta) : matmul2(a, g, !ta, false) }
            // A shared (rank-2) operand gets the sum over the batch.
            if let g0 = ga, g0.rank == 3, a.rank == 2 { ga = g0.sum(alongAxes: [0]) }
            if let g1 = gb, g1.rank == 3, b.rank == 2 { gb = g1.sum(alongAxes: [0]) }
            return [ga, gb]
        }
    }
    return out
}

/// y = x·W + b with a Keras-layout kernel W of shape [in, out] (x may have leading dims).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(weight.rank == 2 && x.shape.last == weight.shape[0],
                 "linear: input \(shapeString(x.shape)) does not match kernel \(shapeString(weight.shape)) (expected last dim \(weight.shape[0]))")
    let lead = Array(x.shape.dropLast())
    let x2 = x.rank == 2 ? x : x.reshaped(to: [lead.elementCount, weight.shape[0]])
    var y = matmul2(x2.cast(to: weight.dtype), weight, false, false)
    if let bias { y = y + bias }
    return x.rank == 2 ? y : y.reshaped(to: lead + [weight.shape[1]])
}
