// Softmax family and losses fused for speed and stability.

extension Tensor {
    /// Softmax along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { softmaxOp(axis: axis, log: false) }
    /// Log-softmax along `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor { softmaxOp(axis: axis, log: true) }

    func softmaxOp(axis: Int, log: Bool) -> Tensor {
        let a = normalizeAxis(axis, rank: rank, op: log ? "logSoftmax" : "softmax")
        if !(dtype == .float32 || dtype == .float64) {
            return cast(to: dtype.computeType == .float32 || !dtype.isFloatingPoint ? .float32 : dtype).softmaxOp(axis: a, log: log).cast(to: dtype.floatingResult)
        }
        let backend = device.backend
        var y = backend.softmax(self, axis: a, log: log)
        if needsRecord(self) {
            let yv = y
            y.record(log ? "logSoftmax" : "softmax", [self]) { g, _ in [backend.softmaxBackward(y: yv, gradient: g, axis: a, log: log)] }
        }
        return y
    }
}

/// Mean cross-entropy of `logits` [N, C] against integer class `labels` [N] (PyTorch's
/// `F.cross_entropy`, Keras's sparse categorical cross-entropy from logits), fused with softmax.
public func softmaxCrossEntropy(logits: Tensor, labels: Tensor) -> Tensor {
    precondition(logits.rank == 2, "softmaxCrossEntropy: logits must be [batch, classes], got \(shapeString(logits.shape))")
    precondition(labels.rank == 1 && labels.shape[0] == logits.shape[0],
                 "softmaxCrossEntropy: labels \(shapeString(labels.shape)) do not match logits \(shapeString(logits.shape))")
    precondition(!labels.dtype.isFloatingPoint, "softmaxCrossEntropy: labels must be integer class indices, got \(labels.dtype)")
    let x = logits.dtype == .float32 || logits.dtype == .float64 ? logits : logits.cast(to: .float32)
    let backend = x.device.backend
    let (losses, probs) = backend.softmaxCrossEntropy(logits: x, labels: labels)
    let n = Double(x.shape[0])
    var loss = backend.reduce(.sum, losses, axes: [0]).reshaped(to: []) / n
    if needsRecord(x) {
        loss.record("softmaxCrossEntropy", [x]) { g, _ in
            // d/dlogits = (softmax − onehot) / N · g
            let onehot = oneHot(labels, depth: x.shape[1], dtype: x.dtype)
            return [(probs - onehot) * (g / n)]
        }
    }
    return loss
}

/// Inverted dropout: zeroes each element with probability `rate` and scales the rest by
/// 1/(1−rate); identity when not training or rate is 0. Seeded through `generator`.
public func dropout(_ x: Tensor, rate: Double, training: Bool, generator: RandomGenerator = .global) -> Tensor {
    precondition(rate >= 0 && rate < 1, "dropout: rate must be in [0, 1), got \(rate)")
    if !training || rate == 0 { return x }
    let (k, c) = generator.reserve(blocks: (x.count + 3) / 4)
    let mask = x.device.backend.dropoutMask(x.shape, dtype: x.dtype, keep: 1 - rate, key: k, counter: c)
    return x * mask
}
