import Weft

/// Per-epoch values recorded by `fit` (Keras's `History.history`).
public struct History: Sendable {
    /// Metric name → one value per epoch: "loss", "accuracy", "val_loss", "val_accuracy", …
    public var history: [String: [Double]] = [:]
    public var epochs: [Int] = []
    /// Wall-clock seconds spent in the training loop of each epoch.
    public var epochSeconds: [Double] = []

    public subscript(_ name: String) -> [Double]? { history[name] }
}

/// Why `fit` or `evaluate` could not start.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case notCompiled
    case sampleCountMismatch(inputs: Int, targets: Int)
    case emptyDataset
    case shape(ShapeError)

    public var description: String {
        switch self {
        case .notCompiled: return "the model must be compiled (compile(optimizer:loss:metrics:)) before fit or evaluate"
        case .sampleCountMismatch(let x, let y): return "inputs have \(x) samples but targets have \(y)"
        case .emptyDataset: return "no samples to train or evaluate on"
        case .shape(let e): return e.description
        }
    }
}

extension Model {
    func checkedBuild(_ x: Tensor) throws {
        if builtInputShape == nil || builtInputShape! != Array(x.shape.dropFirst()) {
            do { _ = try build(inputShape: Array(x.shape.dropFirst())) }
            catch let e as ShapeError { throw TrainingError.shape(e) }
        }
    }

    /// Trains for `epochs` passes over (x, y) in batches of `batchSize` (the last batch may be
    /// smaller), reshuffling every epoch when `shuffle` (seeded: the same `seed` gives the same
    /// order), reporting loss and metrics, and validation values when `validationData` is given.
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, epochs: Int = 1,
                    validationData: (Tensor, Tensor)? = nil, shuffle: Bool = true, seed: UInt64 = 0,
                    verbose: Verbosity = .auto, onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        guard let optimizer, let loss else { throw TrainingError.notCompiled }
        let n = x.shape.first ?? 0
        guard n == (y.shape.first ?? -1) else { throw TrainingError.sampleCountMismatch(inputs: n, targets: y.shape.first ?? 0) }
        guard n > 0 else { throw TrainingError.emptyDataset }
        try checkedBuild(x)
        let shuffler = RandomGenerator(seed: seed)
        let steps = (n + batchSize - 1) / batchSize
        var history = History()
        let params = namedParameters.filter { $0.1.trainable }
        for epoch in stride(from: 1, through: epochs, by: 1) {
            let order = shuffle ? shuffler.permutation(n) : Array(0..<n)
            var bar = ProgressBar(total: steps, epoch: epoch, epochs: epochs, verbosity: verbose)
            var lossSum = 0.0, seen = 0
            var metricSums = [Double](repeating: 0, count: metrics.count)
            for step in 0..<steps {
                let lo = step * batchSize, hi = Swift.min(n, lo + batchSize)
                let idx = Tensor(shape: [hi - lo], scalars: order[lo..<hi].map { Int64($0) })
                let xb = x.indexSelect(axis: 0, indices: idx), yb = y.indexSelect(axis: 0, indices: idx)
                var output: Tensor? = nil
                for (_, p) in params { p.value = p.value.requiringGradient() }
                let lossValue = withTrainingMode {
                    let out = self(xb)
                    output = out
                    return loss(out, yb)
                }
                let grads = Weft.gradients(of: lossValue, wrt: params.map { $0.1.value })
                for (_, p) in params { p.value = p.value.detached() }
                optimizer.update(params.map(\.1), gradients: grads)
                let b = hi - lo
                lossSum += lossValue.item * Double(b)
                seen += b
                let out = output!.detached()
                for (i, m) in metrics.enumerated() { metricSums[i] += m.batchTotal(out, yb) }
                bar.update(step: step + 1, values: running(lossSum, metricSums, seen))
            }
            let seconds = bar.elapsed
            var values = running(lossSum, metricSums, seen)
            if let (vx, vy) = validationData {
                let v = try evaluate(vx, vy, batchSize: batchSize)
                values.append(("val_loss", v["loss"]!))
                for m in metrics { values.append(("val_" + m.name, v[m.name]!)) }
            }
            // Keras orders the metrics alphabetically on the line.
            values.sort { $0.0 < $1.0 }
            bar.finish(values: values)
            history.epochs.append(epoch)
            history.epochSeconds.append(seconds)
            for (k, v) in values { history.history[k, default: []].append(v) }
            onEpochEnd?(epoch, Dictionary(values, uniquingKeysWith: { a, _ in a }))
        }
        return history
    }

    func running(_ lossSum: Double, _ metricSums: [Double], _ seen: Int) -> [(String, Double)] {
        var out: [(String, Double)] = [("loss", lossSum / Double(Swift.max(seen, 1)))]
        for (i, m) in metrics.enumerated() { out.append((m.name, metricSums[i] / Double(Swift.max(seen, 1)))) }
        return out
    }

    /// Loss and metrics over (x, y), in inference mode without gradient recording.
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32) throws -> [String: Double] {
        guard let loss else { throw TrainingError.notCompiled }
        let n = x.shape.first ?? 0
        guard n == (y.shape.first ?? -1) else { throw TrainingError.sampleCountMismatch(inputs: n, targets: y.shape.first ?? 0) }
        guard n > 0 else { throw TrainingError.emptyDataset }
        try checkedBuild(x)
        var lossSum = 0.0
        var sums = [Double](repeating: 0, count: metrics.count)
        withoutGradient {
            withTrainingMode(false) {
                var lo = 0
                while lo < n {
                    let hi = Swift.min(n, lo + batchSize)
                    let xb = x.sliced(axis: 0, start: lo, end: hi), yb = y.sliced(axis: 0, start: lo, end: hi)
                    let out = self(xb)
                    lossSum += loss(out, yb).item * Double(hi - lo)
                    for (i, m) in metrics.enumerated() { sums[i] += m.batchTotal(out, yb) }
                    lo = hi
                }
            }
        }
        var r: [String: Double] = ["loss": lossSum / Double(n)]
        for (i, m) in metrics.enumerated() { r[m.name] = sums[i] / Double(n) }
        return r
    }

    /// The model's outputs for x, batch by batch, in inference mode without gradient recording.
    public func predict(_ x: Tensor, batchSize: Int = 32) throws -> Tensor {
        let n = x.shape.first ?? 0
        guard n > 0 else { throw TrainingError.emptyDataset }
        try checkedBuild(x)
        return withoutGradient {
            withTrainingMode(false) {
                var parts: [Tensor] = []
                var lo = 0
                while lo < n {
                    let hi = Swift.min(n, lo + batchSize)
                    parts.append(self(x.sliced(axis: 0, start: lo, end: hi)))
                    lo = hi
                }
                return parts.count == 1 ? parts[0] : concatenate(parts, axis: 0)
            }
        }
    }
}
