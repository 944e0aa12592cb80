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
    /// `fit` was given both `validationSplit` and `validationData`.
    case validationSplitWithValidationData
    /// `validationSplit` is outside [0, 1), or leaves no training or no validation samples.
    case invalidValidationSplit(Double, samples: Int)
    /// `stepsPerEpoch` is not positive.
    case invalidStepsPerEpoch(Int)
    /// `initialEpoch` is negative.
    case invalidInitialEpoch(Int)

    public var description: String {
        switch self {
        case .notCompiled: return "the model must be compiled (compile(optimizer:loss:metrics:)) before fit or evaluate"
        case .sampleCountMismatch(let x, let y): return "inputs have \(x) samples but targets have \(y)"
        case .emptyDataset: return "no samples to train or evaluate on"
        case .shape(let e): return e.description
        case .validationSplitWithValidationData:
            return "give either validationSplit or validationData to fit, not both"
        case .invalidValidationSplit(let f, let n):
            if !(f >= 0 && f < 1) { return "validationSplit must be in [0, 1); got \(f)" }
            let t = Int(Double(n) * (1 - f))
            return "validationSplit \(f) of \(n) samples leaves \(t) training and \(n - t) validation samples; both need at least one"
        case .invalidStepsPerEpoch(let s): return "stepsPerEpoch must be positive; got \(s)"
        case .invalidInitialEpoch(let e): return "initialEpoch must not be negative; got \(e)"
        }
    }
}

/// Loss and metric sums over the batches of one epoch (or one evaluation).
struct EpochTotals {
    var lossSum = 0.0
    var seen = 0
    var metricSums: [Double]

    init(metrics: Int) { metricSums = [Double](repeating: 0, count: metrics) }
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
    ///
    /// Keras options:
    /// - `validationSplit`: the last fraction of the samples (taken before shuffling, as Keras)
    ///   is held out as validation data; cannot be combined with `validationData`.
    /// - `classWeight`: class → weight; each training batch's loss becomes Σ w·l / N with the
    ///   weights of `classSampleWeights(_:classWeights:)` (the reported loss is the weighted one).
    /// - `initialEpoch`: epochs are numbered `initialEpoch + 1 … epochs` (so `epochs − initialEpoch`
    ///   epochs are trained), e.g. to resume a run.
    /// - `stepsPerEpoch`: only the first `stepsPerEpoch` batches of each epoch's order are trained.
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, epochs: Int = 1,
                    validationSplit: Double = 0, validationData: (Tensor, Tensor)? = nil,
                    shuffle: Bool = true, seed: UInt64 = 0,
                    classWeight: [Int: Double]? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                    verbose: Verbosity = .auto, callbacks: [any Callback] = [],
                    onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        guard let optimizer, let loss else { throw TrainingError.notCompiled }
        let total = x.shape.first ?? 0
        guard total == (y.shape.first ?? -1) else { throw TrainingError.sampleCountMismatch(inputs: total, targets: y.shape.first ?? 0) }
        guard total > 0 else { throw TrainingError.emptyDataset }
        if validationSplit != 0 && validationData != nil { throw TrainingError.validationSplitWithValidationData }
        guard validationSplit >= 0 && validationSplit < 1 else { throw TrainingError.invalidValidationSplit(validationSplit, samples: total) }
        if let s = stepsPerEpoch, s <= 0 { throw TrainingError.invalidStepsPerEpoch(s) }
        guard initialEpoch >= 0 else { throw TrainingError.invalidInitialEpoch(initialEpoch) }
        var x = x, y = y
        var validationData = validationData
        if validationSplit > 0 {
            // Keras: split_at = int(n · (1 − validation_split)); the tail is the validation set.
            let splitAt = Int(Double(total) * (1 - validationSplit))
            guard splitAt > 0 && splitAt < total else { throw TrainingError.invalidValidationSplit(validationSplit, samples: total) }
            validationData = (x.sliced(axis: 0, start: splitAt, end: total), y.sliced(axis: 0, start: splitAt, end: total))
            x = x.sliced(axis: 0, start: 0, end: splitAt)
            y = y.sliced(axis: 0, start: 0, end: splitAt)
        }
        let n = x.shape[0]
        try checkedBuild(x)
        let shuffler = RandomGenerator(seed: seed)
        let steps = Swift.min((n + batchSize - 1) / batchSize, stepsPerEpoch ?? Int.max)
        var history = History()
        let params = namedParameters.filter { $0.1.trainable }
        try beginTraining(callbacks)
        for epoch in stride(from: initialEpoch + 1, through: epochs, by: 1) {
            for c in callbacks { try c.onEpochBegin(epoch) }
            let order = shuffle ? shuffler.permutation(n) : Array(0..<n)
            var bar = ProgressBar(total: steps, epoch: epoch, epochs: epochs, verbosity: verbose)
            var totals = startTotals()
            for step in 0..<steps {
                for c in callbacks { try c.onBatchBegin(step) }
                let lo = step * batchSize, hi = Swift.min(n, lo + batchSize)
                let idx = Tensor(shape: [hi - lo], scalars: order[lo..<hi].map { Int64($0) })
                let xb = x.indexSelect(axis: 0, indices: idx), yb = y.indexSelect(axis: 0, indices: idx)
                let weights = classWeight.map { classSampleWeights(yb, classWeights: $0) }
                trainStep(x: xb, y: yb, sampleWeight: weights, params: params, optimizer: optimizer, loss: loss, totals: &totals)
                bar.update(step: step + 1, values: running(totals))
                if try endBatch(step, totals: totals, callbacks: callbacks) { break }
            }
            let logs = try finishEpoch(epoch, totals: totals, bar: bar, history: &history, onEpochEnd: onEpochEnd,
                                       validate: validationData.map { v in { try self.evaluate(v.0, v.1, batchSize: batchSize) } })
            for c in callbacks { try c.onEpochEnd(epoch, logs: logs) }
            if stopTraining { break }
        }
        for c in callbacks { try c.onTrainEnd() }
        return history
    }

    /// Fresh totals for an epoch or an evaluation; resets the streaming metrics.
    func startTotals() -> EpochTotals {
        for m in streamingMetrics { m.reset() }
        return EpochTotals(metrics: metrics.count)
    }

    /// Resets `stopTraining`, hands the callbacks the model and calls their `onTrainBegin`.
    func beginTraining(_ callbacks: [any Callback]) throws {
        stopTraining = false
        for c in callbacks { c.setModel(self) }
        for c in callbacks { try c.onTrainBegin() }
    }

    /// Calls the callbacks' `onBatchEnd` with the running loss and metrics; true when a
    /// callback asked to stop training (the epoch then ends after this batch, as in Keras).
    func endBatch(_ step: Int, totals: EpochTotals, callbacks: [any Callback]) throws -> Bool {
        if !callbacks.isEmpty {
            let logs = Dictionary(running(totals), uniquingKeysWith: { a, _ in a })
            for c in callbacks { try c.onBatchEnd(step, logs: logs) }
        }
        return stopTraining
    }

    /// One training step on a batch: forward in training mode, loss, gradients, optimizer
    /// update; the batch's loss and metric totals are added to `totals`.
    func trainStep(x xb: Tensor, y yb: Tensor, sampleWeight: Tensor? = nil, params: [(String, Parameter)],
                   optimizer: any Optimizer, loss: Loss, totals: inout EpochTotals) {
        var output: Tensor? = nil
        for (_, p) in params { p.value = p.value.requiringGradient() }
        let lossValue = withTrainingMode {
            let out = self(xb)
            output = out
            let l = loss(out, yb, sampleWeight: sampleWeight)
            // Kernel/bias regularisers add their penalties to the loss (and to the reported loss, as Keras).
            if let penalty = self.regularizationLoss() { return l + penalty.cast(to: l.dtype) }
            return l
        }
        let grads = Weft.gradients(of: lossValue, wrt: params.map { $0.1.value })
        for (_, p) in params { p.value = p.value.detached() }
        optimizer.update(params.map(\.1), gradients: grads)
        applyConstraints()   // Keras applies constraints right after each update
        let b = xb.shape[0]
        totals.lossSum += lossValue.item * Double(b)
        totals.seen += b
        let out = output!.detached()
        for (i, m) in metrics.enumerated() { totals.metricSums[i] += m.batchTotal(out, yb) }
        for m in streamingMetrics { m.update(out, yb) }
    }

    /// Ends an epoch: adds the validation values (when `validate` is given), prints the epoch
    /// line, records the epoch in `history` and calls `onEpochEnd`.
    /// Returns the epoch's values (the `logs` given to callbacks).
    @discardableResult
    func finishEpoch(_ epoch: Int, totals: EpochTotals, bar: ProgressBar, history: inout History,
                     onEpochEnd: ((Int, [String: Double]) -> Void)?, validate: (() throws -> [String: Double])?) throws -> [String: Double] {
        let seconds = bar.elapsed
        var values = running(totals)
        if let validate {
            let v = try validate()
            values.append(("val_loss", v["loss"]!))
            for m in metrics { values.append(("val_" + m.name, v[m.name]!)) }
            for m in streamingMetrics { values.append(("val_" + m.name, v[m.name]!)) }
        }
        // Keras orders the metrics alphabetically on the line.
        values.sort { $0.0 < $1.0 }
        bar.finish(values: values)
        history.epochs.append(epoch)
        history.epochSeconds.append(seconds)
        for (k, v) in values { history.history[k, default: []].append(v) }
        let logs = Dictionary(values, uniquingKeysWith: { a, _ in a })
        onEpochEnd?(epoch, logs)
        return logs
    }

    func running(_ totals: EpochTotals) -> [(String, Double)] { running(totals.lossSum, totals.metricSums, totals.seen) }

    func running(_ lossSum: Double, _ metricSums: [Double], _ seen: Int) -> [(String, Double)] {
        var out: [(String, Double)] = [("loss", lossSum / Double(Swift.max(seen, 1)))]
        for (i, m) in metrics.enumerated() { out.append((m.name, metricSums[i] / Double(Swift.max(seen, 1)))) }
        for m in streamingMetrics { out.append((m.name, m.result())) }
        return out
    }

    /// Loss and metrics over (x, y), in inference mode without gradient recording.
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32) throws -> [String: Double] {
        guard let loss else { throw TrainingError.notCompiled }
        let n = x.shape.first ?? 0
        guard n == (y.shape.first ?? -1) else { throw TrainingError.sampleCountMismatch(inputs: n, targets: y.shape.first ?? 0) }
        guard n > 0 else { throw TrainingError.emptyDataset }
        try checkedBuild(x)
        var totals = startTotals()
        withoutGradient {
            withTrainingMode(false) {
                var lo = 0
                while lo < n {
                    let hi = Swift.min(n, lo + batchSize)
                    evaluateStep(x: x.sliced(axis: 0, start: lo, end: hi), y: y.sliced(axis: 0, start: lo, end: hi), loss: loss, totals: &totals)
                    lo = hi
                }
            }
        }
        return results(totals)
    }

    /// Adds one batch's loss and metric totals (call in inference mode without gradients).
    func evaluateStep(x xb: Tensor, y yb: Tensor, loss: Loss, totals: inout EpochTotals) {
        let out = self(xb)
        let b = xb.shape[0]
        totals.lossSum += loss(out, yb).item * Double(b)
        totals.seen += b
        for (i, m) in metrics.enumerated() { totals.metricSums[i] += m.batchTotal(out, yb) }
        for m in streamingMetrics { m.update(out.detached(), yb) }
    }

    /// Mean loss and metrics over the samples seen: what `evaluate` returns.
    func results(_ totals: EpochTotals) -> [String: Double] {
        let n = Double(Swift.max(totals.seen, 1))
        var r: [String: Double] = ["loss": totals.lossSum / n]
        for (i, m) in metrics.enumerated() { r[m.name] = totals.metricSums[i] / n }
        for m in streamingMetrics { r[m.name] = m.result() }
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
