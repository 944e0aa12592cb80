import Weft

/// Hooks that `fit` calls during training (Keras's `keras.callbacks.Callback`).
///
/// Every hook has an empty default, so a callback implements only the ones it needs. Epochs
/// are numbered from 1 (as in ``History/epochs``), batches from 0 within each epoch. `fit`
/// calls `setModel` with the model being trained before `onTrainBegin`; a callback stops
/// training by setting `model.stopTraining`, which `fit` honours after the current batch
/// (the epoch is then finished: validation, history, `onEpochEnd`) — Keras's
/// `model.stop_training`.
///
/// Batch logs hold the running means of the loss and metrics over the epoch so far; epoch
/// logs hold the epoch's values, as recorded in the ``History`` ("loss", metrics, "val_…").
/// A hook that throws stops `fit` with that error.
public protocol Callback: AnyObject {
    /// Called by `fit` before `onTrainBegin` with the model being trained.
    func setModel(_ model: Model)
    func onTrainBegin() throws
    func onTrainEnd() throws
    func onEpochBegin(_ epoch: Int) throws
    func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws
    func onBatchBegin(_ batch: Int) throws
    func onBatchEnd(_ batch: Int, logs: [String: Double]) throws
    /// Around the validation pass at the end of an epoch (Keras's `on_test_begin` / `on_test_end`).
    func onTestBegin() throws
    func onTestEnd(logs: [String: Double]) throws
}

extension Callback {
    public func setModel(_ model: Model) {}
    public func onTrainBegin() throws {}
    public func onTrainEnd() throws {}
    public func onEpochBegin(_ epoch: Int) throws {}
    public func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws {}
    public func onBatchBegin(_ batch: Int) throws {}
    public func onBatchEnd(_ batch: Int, logs: [String: Double]) throws {}
    public func onTestBegin() throws {}
    public func onTestEnd(logs: [String: Double]) throws {}
}

/// Whether a smaller or a larger monitored value is better.
public enum MonitorMode: Sendable {
    /// "max" for accuracy-like names ("accuracy", "acc", "auc", "precision", "recall", with or
    /// without "val_"), "min" otherwise (losses, errors).
    case auto
    case min
    case max

    /// True when larger values of `monitor` are better.
    func maximizes(_ monitor: String) -> Bool {
        switch self {
        case .min: return false
        case .max: return true
        case .auto:
            let name = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
            if name.contains("loss") { return false }
            return name.contains("acc") || ["auc", "precision", "recall", "f1_score", "fbeta_score"].contains(name)
        }
    }
}

/// Stops training when a monitored value has stopped improving (Keras's `EarlyStopping`).
///
/// After each epoch from `startFromEpoch + 1` on, the value improves when it beats the best so
/// far by more than `minDelta`; training stops once `patience` epochs in a row have not
/// improved (and, with a `baseline`, until the value beats the baseline). With
/// `restoreBestWeights`, the parameter values of the best epoch are put back when training ends.
public final class EarlyStopping: Callback {
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let mode: MonitorMode
    public let restoreBestWeights: Bool
    public let baseline: Double?
    /// Epochs to wait before watching the value (a warm-up): epochs 1…startFromEpoch are ignored.
    public let startFromEpoch: Int

    /// Epochs without improvement so far.
    public private(set) var wait = 0
    /// The epoch at which training was stopped, 0 when it was not.
    public private(set) var stoppedEpoch = 0
    /// The best monitored value so far.
    public private(set) var best: Double?
    /// The epoch of the best value, 0 before the first one.
    public private(set) var bestEpoch = 0
    private var bestWeights: [Tensor]?
    private weak var model: Model?
    private let maximize: Bool

    public init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, mode: MonitorMode = .auto,
                restoreBestWeights: Bool = false, baseline: Double? = nil, startFromEpoch: Int = 0) {
        self.monitor = monitor
        self.minDelta = Swift.abs(minDelta)
        self.patience = patience
        self.mode = mode
        self.restoreBestWeights = restoreBestWeights
        self.baseline = baseline
        self.startFromEpoch = startFromEpoch
        self.maximize = mode.maximizes(monitor)
    }

    public func setModel(_ model: Model) { self.model = model }

    public func onTrainBegin() {
        wait = 0
        stoppedEpoch = 0
        best = nil
        bestEpoch = 0
        bestWeights = nil
    }

    func isImprovement(_ value: Double, over reference: Double?) -> Bool {
        guard let reference else { return true }
        return maximize ? value - minDelta > reference : value + minDelta < reference
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double]) {
        guard let current = logs[monitor], epoch > startFromEpoch, let model else { return }
        if restoreBestWeights && bestWeights == nil {
            // Until something improves, the current weights are the best.
            bestWeights = model.parameters.map(\.value)
            bestEpoch = epoch
        }
        wait += 1
        if isImprovement(current, over: best) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = model.parameters.map(\.value) }
            // Only restart the wait when the value beats both the baseline and the best so far.
            if baseline == nil || isImprovement(current, over: baseline) { wait = 0 }
            return
        }
        if wait >= patience && epoch > 1 {
            stoppedEpoch = epoch
            model.stopTraining = true
        }
    }

    public func onTrainEnd() {
        guard restoreBestWeights, let bestWeights, let model else { return }
        for (p, v) in zip(model.parameters, bestWeights) { p.value = v }
    }
}

/// Calls `save(model, epoch, logs)` after every epoch, or with `saveBestOnly` only after the
/// epochs whose monitored value is the best so far (Keras's `ModelCheckpoint`; the saving
/// itself is up to the closure).
public final class ModelCheckpoint: Callback {
    public let monitor: String
    public let saveBestOnly: Bool
    public let mode: MonitorMode
    /// With `saveBestOnly`, a value to beat before the first save (Keras's `initial_value_threshold`).
    public let initialValueThreshold: Double?
    /// The best monitored value so far.
    public private(set) var best: Double?
    private let save: (Model, Int, [String: Double]) throws -> Void
    private weak var model: Model?
    private let maximize: Bool

    public init(monitor: String = "val_loss", saveBestOnly: Bool = false, mode: MonitorMode = .auto,
                initialValueThreshold: Double? = nil, save: @escaping (Model, Int, [String: Double]) throws -> Void) {
        self.monitor = monitor
        self.saveBestOnly = saveBestOnly
        self.mode = mode
        self.initialValueThreshold = initialValueThreshold
        self.best = initialValueThreshold
        self.save = save
        self.maximize = mode.maximizes(monitor)
    }

    public func setModel(_ model: Model) { self.model = model }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws {
        guard let model else { return }
        if !saveBestOnly { return try save(model, epoch, logs) }
        // Keras skips the epoch (with a warning) when the monitored value is missing.
        guard let current = logs[monitor] else { return }
        let improved = best.map { maximize ? current > $0 : current < $0 } ?? true
        if improved {
            best = current
            try save(model, epoch, logs)
        }
    }
}

/// Sets the optimizer's learning rate at the start of every epoch to
/// `schedule(epoch, currentLearningRate)` (Keras's `LearningRateScheduler`; epochs from 1).
public final class LearningRateScheduler: Callback {
    private let schedule: (Int, Double) -> Double
    private weak var model: Model?

    public init(schedule: @escaping (_ epoch: Int, _ learningRate: Double) -> Double) {
        self.schedule = schedule
    }

    public func setModel(_ model: Model) { self.model = model }

    public func onEpochBegin(_ epoch: Int) {
        guard let optimizer = model?.optimizer else { return }
        optimizer.learningRate = schedule(epoch, optimizer.learningRate)
    }
}

/// Multiplies the learning rate by `factor` when a monitored value has not improved (by more
/// than `minDelta`) for `patience` epochs, then waits `cooldown` epochs before counting again;
/// never goes below `minLR` (Keras's `ReduceLROnPlateau`).
public final class ReduceLROnPlateau: Callback {
    public let monitor: String
    public let factor: Double
    public let patience: Int
    public let mode: MonitorMode
    public let minDelta: Double
    public let cooldown: Int
    public let minLR: Double

    public private(set) var wait = 0
    public private(set) var cooldownCounter = 0
    public private(set) var best: Double
    private weak var model: Model?
    private let maximize: Bool

    public init(monitor: String = "val_loss", factor: Double = 0.1, patience: Int = 10, mode: MonitorMode = .auto,
                minDelta: Double = 1e-4, cooldown: Int = 0, minLR: Double = 0) {
        precondition(factor < 1, "ReduceLROnPlateau does not support a factor >= 1 (got \(factor))")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.mode = mode
        self.minDelta = minDelta
        self.cooldown = cooldown
        self.minLR = minLR
        self.maximize = mode.maximizes(monitor)
        self.best = maximize ? -.infinity : .infinity
    }

    public func setModel(_ model: Model) { self.model = model }

    public func onTrainBegin() {
        best = maximize ? -.infinity : .infinity
        cooldownCounter = 0
        wait = 0
    }

    var inCooldown: Bool { cooldownCounter > 0 }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double]) {
        guard let current = logs[monitor], let optimizer = model?.optimizer else { return }
        if inCooldown {
            cooldownCounter -= 1
            wait = 0
        }
        if maximize ? current > best + minDelta : current < best - minDelta {
            best = current
            wait = 0
        } else if !inCooldown {
            wait += 1
            if wait >= patience {
                let old = optimizer.learningRate
                if old > Double(Float(minLR)) {
                    optimizer.learningRate = Swift.max(old * factor, minLR)
                    cooldownCounter = cooldown
                    wait = 0
                }
            }
        }
    }
}

/// Stops training as soon as a batch's loss is NaN or infinite (Keras's `TerminateOnNaN`).
public final class TerminateOnNaN: Callback {
    /// The batch (of the last epoch) at which training was stopped, nil when it was not.
    public private(set) var stoppedAtBatch: Int?
    /// Keras's `raise_error`: throw `TrainingError.nonFiniteLoss` at once (fit ends there, no
    /// `onTrainEnd`) instead of stopping after the batch.
    public let raiseError: Bool
    private weak var model: Model?

    public init(raiseError: Bool = false) { self.raiseError = raiseError }

    public func setModel(_ model: Model) { self.model = model }

    public func onTrainBegin() { stoppedAtBatch = nil }

    public func onBatchEnd(_ batch: Int, logs: [String: Double]) throws {
        guard let loss = logs["loss"], !loss.isFinite else { return }
        stoppedAtBatch = batch
        if raiseError { throw TrainingError.nonFiniteLoss(batch: batch, loss: loss) }
        model?.stopTraining = true
    }
}

/// A callback made of closures, one per hook, each optional (Keras's `LambdaCallback`).
public final class LambdaCallback: Callback {
    public var onTrainBeginHook: (() throws -> Void)?
    public var onTrainEndHook: (() throws -> Void)?
    public var onEpochBeginHook: ((Int) throws -> Void)?
    public var onEpochEndHook: ((Int, [String: Double]) throws -> Void)?
    public var onBatchBeginHook: ((Int) throws -> Void)?
    public var onBatchEndHook: ((Int, [String: Double]) throws -> Void)?
    /// The model being trained (set by `fit`).
    public private(set) weak var model: Model?

    public init(onTrainBegin: (() throws -> Void)? = nil, onTrainEnd: (() throws -> Void)? = nil,
                onEpochBegin: ((Int) throws -> Void)? = nil, onEpochEnd: ((Int, [String: Double]) throws -> Void)? = nil,
                onBatchBegin: ((Int) throws -> Void)? = nil, onBatchEnd: ((Int, [String: Double]) throws -> Void)? = nil) {
        onTrainBeginHook = onTrainBegin
        onTrainEndHook = onTrainEnd
        onEpochBeginHook = onEpochBegin
        onEpochEndHook = onEpochEnd
        onBatchBeginHook = onBatchBegin
        onBatchEndHook = onBatchEnd
    }

    public func setModel(_ model: Model) { self.model = model }
    public func onTrainBegin() throws { try onTrainBeginHook?() }
    public func onTrainEnd() throws { try onTrainEndHook?() }
    public func onEpochBegin(_ epoch: Int) throws { try onEpochBeginHook?(epoch) }
    public func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws { try onEpochEndHook?(epoch, logs) }
    public func onBatchBegin(_ batch: Int) throws { try onBatchBeginHook?(batch) }
    public func onBatchEnd(_ batch: Int, logs: [String: Double]) throws { try onBatchEndHook?(batch, logs) }
}

/// Keras `SwapEMAWeights`: with an optimizer keeping a moving average of the weights
/// (`.averaged(momentum:)`), validation at the end of each epoch runs with the averaged weights,
/// and the training weights come back after it. With `swapOnEpoch`, the averaged weights also
/// stay in place through the other callbacks' `onEpochEnd` (so a ModelCheckpoint listed after
/// this callback saves them) and are swapped out at the next epoch's start.
public final class SwapEMAWeights: Callback {
    public let swapOnEpoch: Bool
    weak var model: Model?
    private var stash: [(Parameter, Tensor)] = []

    public init(swapOnEpoch: Bool = false) { self.swapOnEpoch = swapOnEpoch }

    public func setModel(_ model: Model) { self.model = model }

    var averaging: ConfiguredOptimizer? {
        guard let c = model?.optimizer as? ConfiguredOptimizer, c.emaMomentum != nil else { return nil }
        return c
    }

    func swapIn() {
        guard stash.isEmpty, let c = averaging, let m = model else { return }
        for p in m.parameters where p.trainable {
            if let a = c.average(of: p) { stash.append((p, p.value)); p.value = a }
        }
    }

    func swapOut() {
        for (p, v) in stash { p.value = v }
        stash = []
    }

    public func onTrainBegin() throws {
        guard averaging != nil else {
            throw TrainingError.callbackMisconfigured("SwapEMAWeights needs an optimizer with a moving average of the weights (optimizer.averaged(momentum:))")
        }
    }
    public func onTestBegin() throws { if !swapOnEpoch { swapIn() } }
    public func onTestEnd(logs: [String: Double]) throws { if !swapOnEpoch { swapOut() } }
    public func onEpochBegin(_ epoch: Int) throws { swapOut() }
    public func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws { if swapOnEpoch { swapIn() } }
    public func onTrainEnd() throws { swapOut() }
}
