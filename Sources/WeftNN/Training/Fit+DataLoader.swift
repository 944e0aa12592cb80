import Weft
import WeftData

/// A loader's batches do not have the inputs and targets that `fit` and `evaluate` need (one
/// per model input and one per model output).
public struct BatchLayoutError: Error, CustomStringConvertible, Equatable {
    public let inputs: Int
    public let targets: Int
    /// What the model needs: its number of inputs and of outputs.
    public var expectedInputs = 1
    public var expectedTargets = 1

    public var description: String {
        if expectedInputs == 1 && expectedTargets == 1 {
            return "fit/evaluate on a DataLoader need batches with one input and one target; got \(inputs) input(s) and \(targets) target(s) "
                + "(map the dataset to Sample(x, y))"
        }
        return "fit/evaluate on a DataLoader need batches with \(expectedInputs) input(s) and \(expectedTargets) target(s) (the model's inputs "
            + "and outputs); got \(inputs) input(s) and \(targets) target(s)"
    }
}

extension Model {
    /// Trains for `epochs` passes over a ``DataLoader``'s batches (`batch.x`, `batch.y`), with
    /// the same training step, progress output and history as `fit(_:_:)` on tensors.
    ///
    /// Each epoch is the loader's next epoch (its shuffle order, its augmentation draws), and
    /// the loader's workers load the next batches while this thread trains on the current one.
    /// A loader over `TensorDataset(x, y)` with `shuffle: true, seed: s` gives exactly the
    /// batches, hence the history, of `fit(x, y, batchSize:, seed: s)` in a fresh loader.
    /// `classWeight`, `initialEpoch` and `stepsPerEpoch` (at most that many of each epoch's
    /// batches) are those of the tensor `fit`.
    @discardableResult
    public func fit<D: Dataset>(_ loader: DataLoader<D>, epochs: Int = 1, validationData: (Tensor, Tensor)? = nil,
                                classWeight: [Int: Double]? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                                verbose: Verbosity = .auto, callbacks: [any Callback] = [],
                                onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        let validate: (() throws -> [String: Double])? = validationData.map { v in
            { try self.evaluate(v.0, v.1, batchSize: loader.batchSize) }
        }
        return try fit(loader, epochs: epochs, validate: validate, classWeight: classWeight, initialEpoch: initialEpoch,
                       stepsPerEpoch: stepsPerEpoch, verbose: verbose, callbacks: callbacks, onEpochEnd: onEpochEnd)
    }

    /// Trains on `loader`, validating after every epoch on tensors for a model with several
    /// inputs or outputs (one tensor per model input, one per output).
    @discardableResult
    public func fit<D: Dataset>(_ loader: DataLoader<D>, epochs: Int = 1, validationData: ([Tensor], [Tensor]),
                                classWeight: [Int: Double]? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                                verbose: Verbosity = .auto, callbacks: [any Callback] = [],
                                onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        try fit(loader, epochs: epochs, validate: { try self.evaluate(validationData.0, validationData.1, batchSize: loader.batchSize) },
                classWeight: classWeight, initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch, verbose: verbose,
                callbacks: callbacks, onEpochEnd: onEpochEnd)
    }

    /// Trains on `loader`, evaluating on all of `validation` after every epoch.
    @discardableResult
    public func fit<D: Dataset, V: Dataset>(_ loader: DataLoader<D>, epochs: Int = 1, validation: DataLoader<V>,
                                            classWeight: [Int: Double]? = nil, initialEpoch: Int = 0, stepsPerEpoch: Int? = nil,
                                            verbose: Verbosity = .auto, callbacks: [any Callback] = [],
                                            onEpochEnd: ((Int, [String: Double]) -> Void)? = nil) throws -> History {
        try fit(loader, epochs: epochs, validate: { try self.evaluate(validation) }, classWeight: classWeight,
                initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch, verbose: verbose, callbacks: callbacks, onEpochEnd: onEpochEnd)
    }

    func fit<D: Dataset>(_ loader: DataLoader<D>, epochs: Int, validate: (() throws -> [String: Double])?,
                         classWeight: [Int: Double]?, initialEpoch: Int, stepsPerEpoch: Int?,
                         verbose: Verbosity, callbacks: [any Callback],
                         onEpochEnd: ((Int, [String: Double]) -> Void)?) throws -> History {
        guard let optimizer, loss != nil else { throw TrainingError.notCompiled }
        guard loader.count > 0 else { throw TrainingError.emptyDataset }
        if let s = stepsPerEpoch, s <= 0 { throw TrainingError.invalidStepsPerEpoch(s) }
        guard initialEpoch >= 0 else { throw TrainingError.invalidInitialEpoch(initialEpoch) }
        if classWeight != nil && outputCount > 1 { throw TrainingError.classWeightWithMultipleOutputs }
        let steps = Swift.min(loader.count, stepsPerEpoch ?? Int.max)
        var history = History()
        var params: [(String, Parameter)]? = nil
        try beginTraining(callbacks)
        for epoch in stride(from: initialEpoch + 1, through: epochs, by: 1) {
            for c in callbacks { try c.onEpochBegin(epoch) }
            var bar = ProgressBar(total: steps, epoch: epoch, epochs: epochs, verbosity: verbose)
            var totals = startTotals()
            var step = 0
            for batch in loader {
                for c in callbacks { try c.onBatchBegin(step) }
                let (xs, ys) = try inputsAndTargets(batch)
                try checkedBuild(xs)
                if params == nil { params = namedParameters.filter { $0.1.trainable } }
                let weights = classWeight.map { classSampleWeights(ys[0], classWeights: $0) }
                trainStep(xs: xs, ys: ys, sampleWeight: weights, params: params!, optimizer: optimizer, totals: &totals)
                step += 1
                bar.update(step: step, values: running(totals))
                if try endBatch(step - 1, totals: totals, callbacks: callbacks) || step == steps { break }
            }
            let logs = try finishEpoch(epoch, totals: totals, bar: bar, history: &history, onEpochEnd: onEpochEnd,
                                       validate: validate.map { v in { try self.validating(callbacks, v) } })
            for c in callbacks { try c.onEpochEnd(epoch, logs: logs) }
            if stopTraining { break }
        }
        // Keras's use_ema: the averaged weights are the trained ones.
        if let c = optimizer as? ConfiguredOptimizer, c.emaMomentum != nil { c.finalizeVariableValues(parameters) }
        for c in callbacks { try c.onTrainEnd() }
        return history
    }

    /// Loss and metrics over one epoch of `loader`'s batches, in inference mode without gradient
    /// recording (the loader's workers keep loading meanwhile).
    public func evaluate<D: Dataset>(_ loader: DataLoader<D>) throws -> [String: Double] {
        guard loss != nil else { throw TrainingError.notCompiled }
        guard loader.count > 0 else { throw TrainingError.emptyDataset }
        var totals = startTotals()
        for batch in loader {
            let (xs, ys) = try inputsAndTargets(batch)
            try checkedBuild(xs)
            withoutGradient { withTrainingMode(false) { evaluateStep(xs: xs, ys: ys, totals: &totals) } }
        }
        return results(totals)
    }

    /// A batch's inputs and targets, one per model input and output.
    func inputsAndTargets(_ batch: Batch) throws -> ([Tensor], [Tensor]) {
        guard batch.inputs.count == inputCount, batch.targets.count == outputCount else {
            throw BatchLayoutError(inputs: batch.inputs.count, targets: batch.targets.count,
                                   expectedInputs: inputCount, expectedTargets: outputCount)
        }
        return (batch.inputs, batch.targets)
    }
}
