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
    /// The number of input or target arrays differs from the model's inputs or outputs
    /// (`what` is "input" or "target").
    case arrayCountMismatch(what: String, expected: Int, got: Int)
    /// The input arrays (or the target arrays) differ in their number of samples.
    case inconsistentSampleCounts([Int])
    /// `classWeight` was given for a model with several outputs (Keras supports it only for one).
    case classWeightWithMultipleOutputs
    /// A callback cannot work with this model or optimizer.
    case callbackMisconfigured(String)
    /// `validationFreq` is not positive.
    case invalidValidationFrequency(Int)
    /// A batch size or a step count (`validationBatchSize`, `validationSteps`, `evaluate`'s
    /// `steps`) is not positive.
    case notPositive(String, Int)
    /// `TerminateOnNaN(raiseError: true)` saw a NaN or infinite loss.
    case nonFiniteLoss(batch: Int, loss: Double)

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
        case .arrayCountMismatch(let what, let e, let g):
            return "the model has \(e) \(what == "input" ? "input" : "output")(s) but got \(g) \(what) array(s)"
        case .inconsistentSampleCounts(let counts):
            return "all input arrays (and all target arrays) need the same number of samples; got \(counts)"
        case .classWeightWithMultipleOutputs: return "classWeight is only supported for models with a single output"
        case .callbackMisconfigured(let why): return why
        case .invalidValidationFrequency(let f): return "validationFreq must be positive; got \(f)"
        case .notPositive(let what, let v): return "\(what) must be positive; got \(v)"
        case .nonFiniteLoss(let b, let l): return "the loss is \(l) at batch \(b) (TerminateOnNaN)"
        }
    }
}

/// Loss and metric sums over the batches of one epoch (or one evaluation).
struct EpochTotals {
    var lossSum = 0.0
    var seen = 0
    /// Per-output (unweighted) loss sums, reported when the model has several outputs.
    var outputLossSums: [Double]
    /// Per-output, per-metric sums.
    var metricSums: [[Double]]

    init(metrics: [Int]) {
        metricSums = metrics.map { [Double](repeating: 0, count: $0) }
        outputLossSums = [Double](repeating: 0, count: metrics.count)
    }
}

extension Model {
    func checkedBuild(_ x: Tensor) throws {
        if builtInputShape == nil || builtInputShape! != Array(x.shape.dropFirst()) {
            do { _ = try build(inputShape: Array(x.shape.dropFirst())) }
            catch let e as ShapeError { throw TrainingError.shape(e) }
        }
    }

    /// Checks the number of input arrays and builds (a functional model: checks the shapes).
    func checkedBuild(_ xs: [Tensor]) throws {
        guard xs.count == inputCount else { throw TrainingError.arrayCountMismatch(what: "input", expected: inputCount, got: xs.count) }
        if let graph {
            do { _ = try graph.check(xs.map { Array($0.shape.dropFirst()) }, model: name) }
            catch let e as ShapeError { throw TrainingError.shape(e) }
        } else {
            try checkedBuild(xs[0])
        }
    }

    /// The number of samples of (xs, ys) after checking that all arrays agree.
    func sampleCount(_ xs: [Tensor], _ ys: [Tensor]) throws -> Int {
        guard xs.count == inputCount else { throw TrainingError.arrayCountMismatch(what: "input", expected: inputCount, got: xs.count) }
        guard ys.count == outputCount else { throw TrainingError.arrayCountMismatch(what: "target", expected: outputCount, got: ys.count) }
        let xn = xs.map { $0.shape.first ?? 0 }, yn = ys.map { $0.shape.first ?? 0 }
        guard Set(xn).count == 1 else { throw TrainingError.inconsistentSampleCounts(xn) }
        guard Set(yn).count == 1 else { throw TrainingError.inconsistentSampleCounts(yn) }
        guard xn[0] == yn[0] else { throw TrainingError.sampleCountMismatch(inputs: xn[0], targets: yn[0]) }
        guard xn[0] > 0 else { throw TrainingError.emptyDataset }
        return xn[0]
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
    /// - `sampleWeight`: one weight per sample ([N]); a batch's loss is Σ w·l / n (times the class
    ///   weights when both are given); with `validationSplit` the held-out part keeps its weights
    ///   for the validation loss.
    /// - `validationFreq`: validate after every `validationFreq`-th epoch only.
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, epochs: Int = 1,
                    validationSplit: Double = 0, validationData: (Tensor, Tensor)? = nil,
                    shuffle: Bool = true, seed: UInt64 = 0,
                    classWeight: [Int: Double]? = nil, sampleWeight: Tensor? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                    validationFreq: Int = 1, validationBatchSize: Int? = nil, validationSteps: Int? = nil,
                    verbose: Verbosity = .auto, callbacks: [any Callback] = [],
                    onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        try fitArrays([x], [y], batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                      validationData: validationData.map { ([$0.0], [$0.1]) }, shuffle: shuffle, seed: seed,
                      classWeight: classWeight, sampleWeight: sampleWeight, initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch,
                      validationFreq: validationFreq, validationBatchSize: validationBatchSize, validationSteps: validationSteps, verbose: verbose, callbacks: callbacks, onEpochEnd: onEpochEnd)
    }

    /// `fit` for a model with several inputs (one array per input, in the order of the model's
    /// inputs) and one output.
    @discardableResult
    public func fit(_ xs: [Tensor], _ y: Tensor, batchSize: Int = 32, epochs: Int = 1,
                    validationSplit: Double = 0, validationData: ([Tensor], Tensor)? = nil,
                    shuffle: Bool = true, seed: UInt64 = 0,
                    classWeight: [Int: Double]? = nil, sampleWeight: Tensor? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                    validationFreq: Int = 1, validationBatchSize: Int? = nil, validationSteps: Int? = nil,
                    verbose: Verbosity = .auto, callbacks: [any Callback] = [],
                    onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        try fitArrays(xs, [y], batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                      validationData: validationData.map { ($0.0, [$0.1]) }, shuffle: shuffle, seed: seed,
                      classWeight: classWeight, sampleWeight: sampleWeight, initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch,
                      validationFreq: validationFreq, validationBatchSize: validationBatchSize, validationSteps: validationSteps, verbose: verbose, callbacks: callbacks, onEpochEnd: onEpochEnd)
    }

    /// `fit` for a model with several inputs and several outputs (one target array per output;
    /// compile with `compile(optimizer:losses:lossWeights:metrics:)`).
    @discardableResult
    public func fit(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int = 32, epochs: Int = 1,
                    validationSplit: Double = 0, validationData: ([Tensor], [Tensor])? = nil,
                    shuffle: Bool = true, seed: UInt64 = 0,
                    classWeight: [Int: Double]? = nil, sampleWeight: Tensor? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                    validationFreq: Int = 1, validationBatchSize: Int? = nil, validationSteps: Int? = nil,
                    verbose: Verbosity = .auto, callbacks: [any Callback] = [],
                    onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        try fitArrays(xs, ys, batchSize: batchSize, epochs: epochs, validationSplit: validationSplit,
                      validationData: validationData, shuffle: shuffle, seed: seed,
                      classWeight: classWeight, sampleWeight: sampleWeight, initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch,
                      validationFreq: validationFreq, validationBatchSize: validationBatchSize, validationSteps: validationSteps, verbose: verbose, callbacks: callbacks, onEpochEnd: onEpochEnd)
    }

    func fitArrays(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int, epochs: Int,
                   validationSplit: Double, validationData: ([Tensor], [Tensor])?,
                   shuffle: Bool, seed: UInt64,
                   classWeight: [Int: Double]?, sampleWeight: Tensor?, initialEpoch: Int, stepsPerEpoch: Int?,
                   validationFreq: Int, validationBatchSize: Int?, validationSteps: Int?, verbose: Verbosity, callbacks: [any Callback],
                   onEpochEnd: ((Int, [String: Double]) -> Void)?) throws -> History {
        guard let optimizer, loss != nil else { throw TrainingError.notCompiled }
        if let b = validationBatchSize, b <= 0 { throw TrainingError.notPositive("validationBatchSize", b) }
        if let s = validationSteps, s <= 0 { throw TrainingError.notPositive("validationSteps", s) }
        let total = try sampleCount(xs, ys)
        if let w = sampleWeight, w.count != total { throw TrainingError.arrayCountMismatch(what: "sample weight", expected: total, got: w.count) }
        guard validationFreq > 0 else { throw TrainingError.invalidValidationFrequency(validationFreq) }
        var sampleWeight = sampleWeight.map { $0.reshaped(to: [total]).cast(to: .float64) }
        var validationWeight: Tensor? = nil
        if validationSplit != 0 && validationData != nil { throw TrainingError.validationSplitWithValidationData }
        guard validationSplit >= 0 && validationSplit < 1 else { throw TrainingError.invalidValidationSplit(validationSplit, samples: total) }
        if let s = stepsPerEpoch, s <= 0 { throw TrainingError.invalidStepsPerEpoch(s) }
        guard initialEpoch >= 0 else { throw TrainingError.invalidInitialEpoch(initialEpoch) }
        if classWeight != nil && ys.count > 1 { throw TrainingError.classWeightWithMultipleOutputs }
        if let v = validationData { _ = try sampleCount(v.0, v.1) }
        var xs = xs, ys = ys
        var validationData = validationData
        if validationSplit > 0 {
            // Keras: split_at = int(n · (1 − validation_split)); the tail is the validation set.
            let splitAt = Int(Double(total) * (1 - validationSplit))
            guard splitAt > 0 && splitAt < total else { throw TrainingError.invalidValidationSplit(validationSplit, samples: total) }
            validationData = (xs.map { $0.sliced(axis: 0, start: splitAt, end: total) }, ys.map { $0.sliced(axis: 0, start: splitAt, end: total) })
            validationWeight = sampleWeight?.sliced(axis: 0, start: splitAt, end: total)
            sampleWeight = sampleWeight?.sliced(axis: 0, start: 0, end: splitAt)
            xs = xs.map { $0.sliced(axis: 0, start: 0, end: splitAt) }
            ys = ys.map { $0.sliced(axis: 0, start: 0, end: splitAt) }
        }
        let n = xs[0].shape[0]
        try checkedBuild(xs)
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
                let xb = xs.map { $0.indexSelect(axis: 0, indices: idx) }, yb = ys.map { $0.indexSelect(axis: 0, indices: idx) }
                // Keras multiplies the sample weights by the class weights.
                let given = sampleWeight?.indexSelect(axis: 0, indices: idx)
                let byClass = classWeight.map { classSampleWeights(yb[0], classWeights: $0) }
                let weights = given.map { g in byClass.map { g * $0 } ?? g } ?? byClass
                trainStep(xs: xb, ys: yb, sampleWeight: weights, params: params, optimizer: optimizer, totals: &totals)
                bar.update(step: step + 1, values: running(totals))
                if try endBatch(step, totals: totals, callbacks: callbacks) { break }
            }
            let logs = try finishEpoch(epoch, totals: totals, bar: bar, history: &history, onEpochEnd: onEpochEnd,
                                       validate: epoch % validationFreq != 0 ? nil : validationData.map { v in {
                                           try self.validating(callbacks) {
                                               try self.evaluate(v.0, v.1, batchSize: validationBatchSize ?? batchSize, sampleWeight: validationWeight, steps: validationSteps)
                                           }
                                       } })
            for c in callbacks { try c.onEpochEnd(epoch, logs: logs) }
            if stopTraining { break }
        }
        // Keras's use_ema: the averaged weights are the trained ones.
        if let c = optimizer as? ConfiguredOptimizer, c.emaMomentum != nil { c.finalizeVariableValues(parameters) }
        for c in callbacks { try c.onTrainEnd() }
        return history
    }

    /// The loss of output `k` (a single compiled loss applies to every output).
    func lossOf(_ k: Int) -> Loss { losses.count > 1 ? losses[k] : (losses.first ?? loss!) }
    /// The weight of output `k`'s loss in the total.
    func lossWeightOf(_ k: Int) -> Double { lossWeights?[k] ?? 1 }
    /// The metrics of output `k` (plain `metrics` apply to every output).
    func metricsOf(_ k: Int) -> [Metric] { outputMetrics?[k] ?? metrics }
    /// The streaming metrics of output `k` (plain `streamingMetrics` go with the first output).
    func streamingMetricsOf(_ k: Int) -> [any StreamingMetric] { outputStreamingMetrics?[k] ?? (k == 0 ? streamingMetrics : []) }
    /// The weighted metrics of output `k` (plain `weightedMetrics` go with the first output).
    func weightedMetricsOf(_ k: Int) -> [any StreamingMetric] { outputWeightedMetrics?[k] ?? (k == 0 ? weightedMetrics : []) }
    /// A weighted metric's log name: `weighted_<name>` where an unweighted metric of output `k`
    /// has its name (Keras).
    func weightedName(_ k: Int, _ m: any StreamingMetric) -> String {
        let taken = Set(metricsOf(k).map(\.name) + streamingMetricsOf(k).map(\.name))
        return logName(k, taken.contains(m.name) ? "weighted_" + m.name : m.name)
    }
    /// A log name: `metric` for one output, `<output>_<metric>` for several (Keras).
    func logName(_ k: Int, _ metric: String) -> String { outputCount == 1 ? metric : "\(outputNames[k])_\(metric)" }

    /// Fresh totals for an epoch or an evaluation; resets the streaming metrics.
    func startTotals() -> EpochTotals {
        for k in 0..<outputCount { for m in streamingMetricsOf(k) + weightedMetricsOf(k) { m.reset() } }
        return EpochTotals(metrics: (0..<outputCount).map { metricsOf($0).count })
    }

    /// Resets `stopTraining`, hands the callbacks the model and calls their `onTrainBegin`.
    func beginTraining(_ callbacks: [any Callback]) throws {
        stopTraining = false
        for c in callbacks { c.setModel(self) }
        for c in callbacks { try c.onTrainBegin() }
    }

    /// Runs a validation pass between the callbacks' `onTestBegin` and `onTestEnd`.
    func validating(_ callbacks: [any Callback], _ body: () throws -> [String: Double]) throws -> [String: Double] {
        for c in callbacks { try c.onTestBegin() }
        let logs = try body()
        for c in callbacks { try c.onTestEnd(logs: logs) }
        return logs
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

    /// The weighted total loss of a batch's outputs, and each output's loss.
    func batchLoss(_ outs: [Tensor], _ ys: [Tensor], sampleWeight: Tensor?) -> (Tensor, [Tensor]) {
        precondition(outs.count == ys.count, "\(name): the model gave \(outs.count) outputs for \(ys.count) targets")
        var parts: [Tensor] = []
        var total: Tensor? = nil
        for k in outs.indices {
            let l = lossOf(k)(outs[k], ys[k], sampleWeight: sampleWeight)
            parts.append(l)
            let w = lossWeightOf(k)
            let term = w == 1 ? l : l * w
            total = total.map { $0 + term } ?? term
        }
        return (total!, parts)
    }

    /// Adds a batch's per-output losses and metrics to `totals`.
    func accumulate(_ outs: [Tensor], _ ys: [Tensor], parts: [Tensor], batch b: Int, sampleWeight: Tensor?, totals: inout EpochTotals) {
        for k in outs.indices {
            totals.outputLossSums[k] += parts[k].item * Double(b)
            let out = outs[k].detached()
            for (i, m) in metricsOf(k).enumerated() { totals.metricSums[k][i] += m.batchTotal(out, ys[k]) }
            for m in streamingMetricsOf(k) { m.update(out, ys[k]) }
            for m in weightedMetricsOf(k) { m.update(out, ys[k], sampleWeight: sampleWeight) }
        }
    }

    /// One training step on a batch: forward in training mode, loss, gradients, optimizer
    /// update; the batch's loss and metric totals are added to `totals`.
    func trainStep(xs: [Tensor], ys: [Tensor], sampleWeight: Tensor? = nil, params: [(String, Parameter)],
                   optimizer: any Optimizer, totals: inout EpochTotals) {
        var outputs: [Tensor] = [], parts: [Tensor] = []
        for (_, p) in params { p.value = p.value.requiringGradient() }
        let lossValue = withTrainingMode {
            // Losses the layers add in the forward pass (activity regularizers, `addLoss`).
            let (outs, added) = collectingAddedLosses { self.call(xs) }
            outputs = outs
            var (l, ls) = batchLoss(outs, ys, sampleWeight: sampleWeight)
            parts = ls
            if let added { l = l + added.cast(to: l.dtype) }
            // Kernel/bias regularisers add their penalties to the loss (and to the reported loss, as Keras).
            if let penalty = self.regularizationLoss() { return l + penalty.cast(to: l.dtype) }
            return l
        }
        // A loss-scaling optimizer differentiates the scaled loss (and unscales the gradients).
        let target = (optimizer as? LossScaleOptimizer)?.scaleLoss(lossValue) ?? lossValue
        let grads = Weft.gradients(of: target, wrt: params.map { $0.1.value })
        for (_, p) in params { p.value = p.value.detached() }
        optimizer.update(params.map(\.1), gradients: grads)
        applyConstraints()   // Keras applies constraints right after each update
        let b = xs[0].shape[0]
        totals.lossSum += lossValue.item * Double(b)
        totals.seen += b
        accumulate(outputs, ys, parts: parts, batch: b, sampleWeight: sampleWeight, totals: &totals)
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
            for (k, x) in v { values.append(("val_" + k, x)) }
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

    /// The running loss and metrics: `loss`, then (several outputs) `<output>_loss`, then
    /// each output's metrics and streaming metrics.
    func running(_ totals: EpochTotals) -> [(String, Double)] {
        let n = Double(Swift.max(totals.seen, 1))
        var out: [(String, Double)] = [("loss", totals.lossSum / n)]
        let outputs = outputCount
        if outputs > 1 {
            for k in 0..<outputs { out.append((logName(k, "loss"), totals.outputLossSums[k] / n)) }
        }
        for k in 0..<outputs {
            for (i, m) in metricsOf(k).enumerated() { out.append((logName(k, m.name), totals.metricSums[k][i] / n)) }
            for m in streamingMetricsOf(k) { out.append((logName(k, m.name), m.result())) }
            for m in weightedMetricsOf(k) { out.append((weightedName(k, m), m.result())) }
        }
        return out
    }

    /// Loss and metrics over (x, y), in inference mode without gradient recording.
    /// With `sampleWeight` ([N]) the loss is Σ w·l / N per batch, averaged over samples.
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, sampleWeight: Tensor? = nil, steps: Int? = nil) throws -> [String: Double] {
        try evaluate([x], [y], batchSize: batchSize, sampleWeight: sampleWeight, steps: steps)
    }

    /// `evaluate` for a model with several inputs and one output.
    public func evaluate(_ xs: [Tensor], _ y: Tensor, batchSize: Int = 32, sampleWeight: Tensor? = nil, steps: Int? = nil) throws -> [String: Double] {
        try evaluate(xs, [y], batchSize: batchSize, sampleWeight: sampleWeight, steps: steps)
    }

    /// `evaluate` for a model with several inputs and outputs: `loss` (the weighted total),
    /// `<output>_loss` and the per-output metrics. `steps` (Keras's): only the first `steps`
    /// batches.
    public func evaluate(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int = 32, sampleWeight: Tensor? = nil, steps: Int? = nil) throws -> [String: Double] {
        guard loss != nil else { throw TrainingError.notCompiled }
        if let s = steps, s <= 0 { throw TrainingError.notPositive("steps", s) }
        let n = try sampleCount(xs, ys)
        if let w = sampleWeight, w.count != n { throw TrainingError.arrayCountMismatch(what: "sample weight", expected: n, got: w.count) }
        let weights = sampleWeight.map { $0.reshaped(to: [n]).cast(to: .float64) }
        try checkedBuild(xs)
        var totals = startTotals()
        withoutGradient {
            withTrainingMode(false) {
                // Keras's `steps`: only the first batches.
                let end = steps.map { Swift.min(n, $0 * batchSize) } ?? n
                var lo = 0
                while lo < end {
                    let hi = Swift.min(end, lo + batchSize)
                    evaluateStep(xs: xs.map { $0.sliced(axis: 0, start: lo, end: hi) }, ys: ys.map { $0.sliced(axis: 0, start: lo, end: hi) },
                                 sampleWeight: weights?.sliced(axis: 0, start: lo, end: hi), totals: &totals)
                    lo = hi
                }
            }
        }
        return results(totals)
    }

    /// Keras `train_on_batch`: one optimizer step on this batch (training mode); returns the
    /// batch's loss and metrics (streaming metrics start over at each call, Keras's
    /// `reset_metrics=True`). Sample weights and class weights multiply, as in `fit`.
    @discardableResult
    public func trainOnBatch(_ xs: [Tensor], _ ys: [Tensor], sampleWeight: Tensor? = nil, classWeight: [Int: Double]? = nil) throws -> [String: Double] {
        guard let optimizer, loss != nil else { throw TrainingError.notCompiled }
        let n = try sampleCount(xs, ys)
        if let w = sampleWeight, w.count != n { throw TrainingError.arrayCountMismatch(what: "sample weight", expected: n, got: w.count) }
        if classWeight != nil && ys.count > 1 { throw TrainingError.classWeightWithMultipleOutputs }
        try checkedBuild(xs)
        let given = sampleWeight.map { $0.reshaped(to: [n]).cast(to: .float64) }
        let byClass = classWeight.map { classSampleWeights(ys[0], classWeights: $0) }
        let weights = given.map { g in byClass.map { g * $0 } ?? g } ?? byClass
        var totals = startTotals()
        trainStep(xs: xs, ys: ys, sampleWeight: weights, params: namedParameters.filter { $0.1.trainable }, optimizer: optimizer, totals: &totals)
        return results(totals)
    }

    @discardableResult
    public func trainOnBatch(_ x: Tensor, _ y: Tensor, sampleWeight: Tensor? = nil, classWeight: [Int: Double]? = nil) throws -> [String: Double] {
        try trainOnBatch([x], [y], sampleWeight: sampleWeight, classWeight: classWeight)
    }

    /// Keras `test_on_batch`: the batch's loss and metrics in inference mode.
    public func testOnBatch(_ xs: [Tensor], _ ys: [Tensor], sampleWeight: Tensor? = nil) throws -> [String: Double] {
        let n = try sampleCount(xs, ys)
        return try evaluate(xs, ys, batchSize: n, sampleWeight: sampleWeight)
    }

    public func testOnBatch(_ x: Tensor, _ y: Tensor, sampleWeight: Tensor? = nil) throws -> [String: Double] {
        try testOnBatch([x], [y], sampleWeight: sampleWeight)
    }

    /// Keras `predict_on_batch`: the outputs for one batch in inference mode.
    public func predictOnBatch(_ x: Tensor) throws -> Tensor { try predict(x, batchSize: Swift.max(x.shape.first ?? 1, 1)) }
    public func predictOnBatch(_ xs: [Tensor]) throws -> [Tensor] { try predict(xs, batchSize: Swift.max(xs.first?.shape.first ?? 1, 1)) }

    /// Adds one batch's loss and metric totals (call in inference mode without gradients).
    func evaluateStep(xs: [Tensor], ys: [Tensor], sampleWeight: Tensor? = nil, totals: inout EpochTotals) {
        let outs = call(xs)
        let (l, parts) = batchLoss(outs, ys, sampleWeight: sampleWeight)
        let b = xs[0].shape[0]
        totals.lossSum += l.item * Double(b)
        totals.seen += b
        accumulate(outs, ys, parts: parts, batch: b, sampleWeight: sampleWeight, totals: &totals)
    }

    /// Mean loss and metrics over the samples seen: what `evaluate` returns.
    func results(_ totals: EpochTotals) -> [String: Double] {
        Dictionary(running(totals), uniquingKeysWith: { a, _ in a })
    }

    /// The model's outputs for x, batch by batch, in inference mode without gradient recording.
    public func predict(_ x: Tensor, batchSize: Int = 32, steps: Int? = nil) throws -> Tensor {
        let outs = try predict([x], batchSize: batchSize, steps: steps)
        precondition(outs.count == 1, "\(name): the model has \(outs.count) outputs; use predict([x]) to get them all")
        return outs[0]
    }

    /// The model's outputs (one tensor per output) for the inputs `xs`, batch by batch, in
    /// inference mode without gradient recording (`steps`: only the first `steps` batches).
    public func predict(_ xs: [Tensor], batchSize: Int = 32, steps: Int? = nil) throws -> [Tensor] {
        if let s = steps, s <= 0 { throw TrainingError.notPositive("steps", s) }
        guard xs.count == inputCount else { throw TrainingError.arrayCountMismatch(what: "input", expected: inputCount, got: xs.count) }
        let counts = xs.map { $0.shape.first ?? 0 }
        guard Set(counts).count == 1 else { throw TrainingError.inconsistentSampleCounts(counts) }
        let n = counts[0]
        guard n > 0 else { throw TrainingError.emptyDataset }
        try checkedBuild(xs)
        return withoutGradient {
            withTrainingMode(false) {
                var parts: [[Tensor]] = []
                // Keras's `steps`: only the first batches.
                let end = steps.map { Swift.min(n, $0 * batchSize) } ?? n
                var lo = 0
                while lo < end {
                    let hi = Swift.min(end, lo + batchSize)
                    parts.append(call(xs.map { $0.sliced(axis: 0, start: lo, end: hi) }))
                    lo = hi
                }
                return parts[0].indices.map { k in parts.count == 1 ? parts[0][k] : concatenate(parts.map { $0[k] }, axis: 0) }
            }
        }
    }
}
