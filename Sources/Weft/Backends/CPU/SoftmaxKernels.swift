extension CPUBackend {
    /// Softmax or log-softmax along `axis`, numerically stable (max subtracted).
    public func softmax(_ x: Tensor, axis: Int, log: Bool) -> Tensor {
        let outer = x.shape[..<axis].reduce(1, *), r = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        let out = Tensor(empty: x.shape, dtype: x.dtype)
        func run<T: KernelFloat>(_: T.Type) {
            let px = x.ptr(T.self), py = out.ptr(T.self)
            parallelChunks(outer * inner, costPerItem: r * 8) { range in
                for j in range {
                    let o = j / inner, i = j % inner
                    let base = o * r * inner + i
                    var m = -T.infinity
                    for k in 0..<r { m = Swift.max(m, px[base + k * inner]) }
                    var s: T = 0
                    for k in 0..<r { let e = T.kExp(px[base + k * inner] - m); py[base + k * inner] = e; s += e }
                    if log {
                        let ls = T.kLog(s) + m
                        for k in 0..<r { py[base + k * inner] = px[base + k * inner] - ls }
                    } else {
                        let inv = 1 / s
                        for k in 0..<r { py[base + k * inner] *= inv }
                    }
                }
            }
        }
        switch x.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        default: unsupported("softmax", x.dtype)
        }
        return out
    }

    /// softmax: gx = y ⊙ (g − Σ g⊙y); log-softmax: gx = g − exp(y) Σ g.
    public func softmaxBackward(y: Tensor, gradient: Tensor, axis: Int, log: Bool) -> Tensor {
        let outer = y.shape[..<axis].reduce(1, *), r = y.shape[axis], inner = y.shape[(axis + 1)...].reduce(1, *)
        let out = Tensor(empty: y.shape, dtype: y.dtype)
        func run<T: KernelFloat>(_: T.Type) {
            let py = y.ptr(T.self), pg = gradient.ptr(T.self), po = out.ptr(T.self)
            parallelChunks(outer * inner, costPerItem: r * 4) { range in
                for j in range {
                    let o = j / inner, i = j % inner
                    let base = o * r * inner + i
                    var s: T = 0
                    if log {
                        for k in 0..<r { s += pg[base + k * inner] }
                        for k in 0..<r { let q = base + k * inner; po[q] = pg[q] - T.kExp(py[q]) * s }
                    } else {
                        for k in 0..<r { let q = base + k * inner; s += pg[q] * py[q] }
                        for k in 0..<r { let q = base + k * inner; po[q] = py[q] * (pg[q] - s) }
                    }
                }
            }
        }
        switch y.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        default: unsupported("softmaxBackward", y.dtype)
        }
        return out
    }

    /// Per-sample cross-entropy of logits [N, C] against integer labels [N], and the softmax.
    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor) -> (losses: Tensor, probabilities: Tensor) {
        let n = logits.shape[0], c = logits.shape[1]
        let lab = indexArray(labels, limit: c, op: "softmaxCrossEntropy")
        let probs = Tensor(empty: logits.shape, dtype: logits.dtype)
        let losses = Tensor(empty: [n], dtype: logits.dtype)
        func run<T: KernelFloat>(_: T.Type) {
            let px = logits.ptr(T.self), pp = probs.ptr(T.self), pl = losses.ptr(T.self)
            parallelChunks(n, costPerItem: c * 8) { range in
                for i in range {
                    let row = px + i * c, prow = pp + i * c
                    var m = -T.infinity
                    for k in 0..<c { m = Swift.max(m, row[k]) }
                    var s: T = 0
                    for k in 0..<c { let e = T.kExp(row[k] - m); prow[k] = e; s += e }
                    let inv = 1 / s
                    for k in 0..<c { prow[k] *= inv }
                    pl[i] = T.kLog(s) + m - row[lab[i]]
                }
            }
        }
        switch logits.dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        default: unsupported("softmaxCrossEntropy", logits.dtype)
        }
        return (losses, probs)
    }
}
