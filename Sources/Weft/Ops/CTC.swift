import Glibc

// Connectionist temporal classification (Graves et al. 2006): the negative log-likelihood of
// label sequences under per-step class scores, summed over every alignment (blanks and
// repeats), by the forward–backward recursion in log space. The gradient with respect to the
// log-probabilities is minus the occupation probabilities γ_t(k); the log-softmax before it is an
// ordinary op, so the logits get PyTorch's `F.ctc_loss` gradient.

/// Per-sample CTC losses [N] of `logits` [N, T, C] (log-softmax is applied over C) for `labels`
/// [N, L] (integer classes, `blank` excluded; row n uses its first `labelLengths[n]` entries) over
/// the first `inputLengths[n]` steps. An impossible alignment (too few steps for the labels and
/// their necessary blanks) gives +∞ and a zero gradient. PyTorch's `F.ctc_loss(…, reduction="none")`.
public func ctcLoss(logits: Tensor, labels: Tensor, inputLengths: [Int]? = nil, labelLengths: [Int]? = nil, blank: Int = 0) -> Tensor {
    precondition(logits.rank == 3, "ctcLoss: logits must be [batch, time, classes], got \(shapeString(logits.shape))")
    precondition(labels.rank == 2 && labels.shape[0] == logits.shape[0],
                 "ctcLoss: labels must be [batch, length] for \(logits.shape[0]) samples, got \(shapeString(labels.shape))")
    let n = logits.shape[0], t = logits.shape[1], c = logits.shape[2], l = labels.shape[1]
    precondition(blank >= 0 && blank < c, "ctcLoss: blank \(blank) is not a class of \(c)")
    let inLens = inputLengths ?? [Int](repeating: t, count: n), labLens = labelLengths ?? [Int](repeating: l, count: n)
    precondition(inLens.count == n && labLens.count == n, "ctcLoss: needs one input and one label length per sample")
    for i in 0..<n {
        precondition(inLens[i] >= 0 && inLens[i] <= t, "ctcLoss: input length \(inLens[i]) of sample \(i) is not in 0…\(t)")
        precondition(labLens[i] >= 0 && labLens[i] <= l, "ctcLoss: label length \(labLens[i]) of sample \(i) is not in 0…\(l)")
    }
    let logProbs = logits.floatingPointCast().logSoftmax(axis: -1)
    let lp = logProbs.detached().doubles
    let lab = labels.detached().doubles.map { Int($0) }
    for i in 0..<n {
        for j in 0..<labLens[i] {
            let k = lab[i * l + j]
            precondition(k >= 0 && k < c && k != blank, "ctcLoss: label \(k) at sample \(i), position \(j) is not a non-blank class of \(c)")
        }
    }
    var losses = [Double](repeating: 0, count: n)
    var grad = [Double](repeating: 0, count: n * t * c)     // d loss / d logProbs
    for i in 0..<n {
        let seq = (0..<labLens[i]).map { lab[i * l + $0] }
        let r = ctcOne(lp, base: i * t * c, classes: c, steps: inLens[i], labels: seq, blank: blank)
        losses[i] = r.loss
        if r.loss.isFinite {
            for (k, g) in r.gradient.enumerated() { grad[i * t * c + k] = g }
        }
    }
    var out = Tensor(shape: [n], scalars: losses).cast(to: logProbs.dtype)
    if needsRecord(logProbs) {
        let g = Tensor(shape: [n, t, c], scalars: grad).cast(to: logProbs.dtype)
        out.record("ctc_loss", [logProbs]) { upstream, _ in [g * upstream.reshaped(to: [n, 1, 1])] }
    }
    return out
}

private extension Tensor {
    func floatingPointCast() -> Tensor { dtype.isFloatingPoint ? self : cast(to: dtype.floatingResult) }
}

/// log(e^a + e^b) with −∞ handled.
@inline(__always) private func logAdd(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let m = Swift.max(a, b)
    return m + Glibc.log1p(Glibc.exp(-Swift.abs(a - b)))
}

/// One sample: the loss and d loss / d logProbs over its [steps, classes] (row-major, stride
/// `classes`, the sample's whole T rows).
private func ctcOne(_ lp: [Double], base: Int, classes c: Int, steps t: Int, labels: [Int], blank: Int) -> (loss: Double, gradient: [Double]) {
    let s = 2 * labels.count + 1
    func sym(_ i: Int) -> Int { i % 2 == 0 ? blank : labels[i / 2] }
    func y(_ step: Int, _ k: Int) -> Double { lp[base + step * c + k] }
    var gradient = [Double](repeating: 0, count: t * c)
    guard t > 0 else { return (labels.isEmpty ? 0 : .infinity, gradient) }
    // α_t(s) and β_t(s) in log space, both including the emission at t.
    var alpha = [Double](repeating: -.infinity, count: t * s), beta = alpha
    alpha[0] = y(0, blank)
    if s > 1 { alpha[1] = y(0, sym(1)) }
    for step in 1..<t {
        for i in 0..<s {
            var a = alpha[(step - 1) * s + i]
            if i > 0 { a = logAdd(a, alpha[(step - 1) * s + i - 1]) }
            if i > 1 && sym(i) != blank && sym(i) != sym(i - 2) { a = logAdd(a, alpha[(step - 1) * s + i - 2]) }
            alpha[step * s + i] = a == -.infinity ? a : a + y(step, sym(i))
        }
    }
    beta[(t - 1) * s + s - 1] = y(t - 1, blank)
    if s > 1 { beta[(t - 1) * s + s - 2] = y(t - 1, sym(s - 2)) }
    for step in stride(from: t - 2, through: 0, by: -1) {
        for i in 0..<s {
            var b = beta[(step + 1) * s + i]
            if i < s - 1 { b = logAdd(b, beta[(step + 1) * s + i + 1]) }
            if i < s - 2 && sym(i) != blank && sym(i) != sym(i + 2) { b = logAdd(b, beta[(step + 1) * s + i + 2]) }
            beta[step * s + i] = b == -.infinity ? b : b + y(step, sym(i))
        }
    }
    var logP = alpha[(t - 1) * s + s - 1]
    if s > 1 { logP = logAdd(logP, alpha[(t - 1) * s + s - 2]) }
    guard logP > -.infinity else { return (.infinity, gradient) }
    // d(−log P)/d log y_t(k) = −γ_t(k), γ_t(k) = Σ_{s: sym(s) = k} α_t(s)·β_t(s) / (y_t(k)·P).
    for step in 0..<t {
        var occ = [Double](repeating: -.infinity, count: c)
        for i in 0..<s {
            let k = sym(i)
            occ[k] = logAdd(occ[k], alpha[step * s + i] + beta[step * s + i])
        }
        for k in 0..<c where occ[k] > -.infinity {
            gradient[step * c + k] = -Glibc.exp(occ[k] - y(step, k) - logP)
        }
    }
    return (-logP, gradient)
}
