import Testing
@testable import Weft
@testable import WeftNN
import WeftData
#if canImport(Glibc)
import Glibc
#endif

/// The callbacks of `fit`, on a Dense(1) regression over 16 points.
@Suite struct CallbackTests {
    /// 16 points in 2-D and targets 0.5·x₀ − 0.3·x₁ + 0.1, float32.
    static func data(nanAt: Int? = nil) -> (x: Tensor, y: Tensor) {
        var r = nnRandom(32, seed: 11)
        if let nanAt { r[2 * nanAt] = .nan }
        let y: [Double] = (0..<16).map { (i: Int) -> Double in
            let a: Double = 0.5 * r[2 * i], b: Double = 0.3 * r[2 * i + 1]
            return a - b + 0.1
        }
        return (nnTensor([16, 2], r, dtype: .float32), nnTensor([16, 1], y, dtype: .float32))
    }

    static func model(learningRate: Double) throws -> Sequential {
        let m = Sequential { Dense(1) }
        _ = try m.build(inputShape: [2])
        m.compile(optimizer: SGD(learningRate: learningRate), loss: .meanSquaredError)
        return m
    }

    static func tempPath(_ name: String) -> String {
        "/tmp/weft-callbacks-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-\(name)"
    }

    static func fileText(_ path: String) -> String? {
        CSVLogger.readContents(path).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Hook order and the stop flag

    @Test func lambdaHookOrderOnTensors() throws {
        let d = Self.data()
        let m = try Self.model(learningRate: 0.1)
        var events: [String] = []
        var epochLogs: [[String: Double]] = []
        let cb = LambdaCallback(onTrainBegin: { events.append("trainBegin") }, onTrainEnd: { events.append("trainEnd") },
                                onEpochBegin: { events.append("epochBegin \($0)") },
                                onEpochEnd: { events.append("epochEnd \($0)"); epochLogs.append($1) },
                                onBatchBegin: { events.append("batchBegin \($0)") },
                                onBatchEnd: { b, logs in events.append("batchEnd \(b)"); #expect(logs["loss"] != nil) })
        let h = try m.fit(d.x, d.y, batchSize: 8, epochs: 2, verbose: .silent, callbacks: [cb])
        #expect(events == ["trainBegin",
                           "epochBegin 1", "batchBegin 0", "batchEnd 0", "batchBegin 1", "batchEnd 1", "epochEnd 1",
                           "epochBegin 2", "batchBegin 0", "batchEnd 0", "batchBegin 1", "batchEnd 1", "epochEnd 2",
                           "trainEnd"])
        #expect(cb.model === m)
        #expect(epochLogs.map { $0["loss"]! } == h["loss"]!)
    }

    @Test func lambdaHookOrderOnALoader() throws {
        let d = Self.data()
        let m = try Self.model(learningRate: 0.1)
        var events: [String] = []
        let cb = LambdaCallback(onTrainBegin: { events.append("trainBegin") }, onTrainEnd: { events.append("trainEnd") },
                                onEpochBegin: { events.append("epochBegin \($0)") },
                                onEpochEnd: { e, _ in events.append("epochEnd \(e)") },
                                onBatchBegin: { events.append("batchBegin \($0)") },
                                onBatchEnd: { b, _ in events.append("batchEnd \(b)") })
        let loader = DataLoader(TensorDataset(d.x, d.y), batchSize: 8, shuffle: false, workers: 1)
        let h = try m.fit(loader, epochs: 2, validationData: (d.x, d.y), verbose: .silent, callbacks: [cb])
        #expect(events == ["trainBegin",
                           "epochBegin 1", "batchBegin 0", "batchEnd 0", "batchBegin 1", "batchEnd 1", "epochEnd 1",
                           "epochBegin 2", "batchBegin 0", "batchEnd 0", "batchBegin 1", "batchEnd 1", "epochEnd 2",
                           "trainEnd"])
        #expect(h.epochs == [1, 2])
    }

    /// Setting `stopTraining` in a batch hook ends the epoch after that batch, the epoch is
    /// still recorded, and the next `fit` starts afresh.
    @Test func stopTrainingEndsAfterTheBatch() throws {
        let d = Self.data()
        let m = try Self.model(learningRate: 0.1)
        var batches: [String] = []
        let cb = LambdaCallback(onBatchEnd: { b, _ in batches.append("\(b)") })
        let stopper = LambdaCallback()
        stopper.onEpochBeginHook = { e in if e == 2 { stopper.model?.stopTraining = true } }
        let h = try m.fit(d.x, d.y, batchSize: 4, epochs: 5, verbose: .silent, callbacks: [cb, stopper])
        #expect(h.epochs == [1, 2])
        #expect(batches == ["0", "1", "2", "3", "0"])
        #expect(m.stopTraining)
        let h2 = try m.fit(d.x, d.y, batchSize: 4, epochs: 3, verbose: .silent, callbacks: [cb])
        #expect(h2.epochs == [1, 2, 3])
        #expect(!m.stopTraining)
    }

    // MARK: EarlyStopping

    /// With a learning rate of 0 (and no shuffling, so that the sums are in the same order) the loss stays flat: the first epoch is the best and training
    /// stops `patience` epochs later.
    @Test func earlyStoppingStopsAfterPatience() throws {
        let d = Self.data()
        for patience in [1, 2, 4] {
            let m = try Self.model(learningRate: 0)
            let es = EarlyStopping(monitor: "loss", patience: patience)
            let h = try m.fit(d.x, d.y, batchSize: 8, epochs: 20, shuffle: false, verbose: .silent, callbacks: [es])
            #expect(h.epochs == Array(1...(patience + 1)), "patience \(patience)")
            #expect(es.stoppedEpoch == patience + 1)
            #expect(es.bestEpoch == 1)
        }
        // Same on a loader.
        let m = try Self.model(learningRate: 0)
        let es = EarlyStopping(monitor: "val_loss", patience: 3)
        let loader = DataLoader(TensorDataset(d.x, d.y), batchSize: 8, shuffle: false, workers: 1)
        let h = try m.fit(loader, epochs: 20, validationData: (d.x, d.y), verbose: .silent, callbacks: [es])
        #expect(h.epochs == [1, 2, 3, 4])
    }

    /// Scripted monitored values: minDelta, patience, baseline and the restored weights.
    @Test func earlyStoppingScripted() throws {
        let m = try Self.model(learningRate: 0.1)
        func setWeights(_ v: Double) { for p in m.parameters { p.value = Tensor.full(p.value.shape, value: v, dtype: p.value.dtype) } }
        let es = EarlyStopping(monitor: "val_loss", minDelta: 0.01, patience: 2, restoreBestWeights: true)
        es.setModel(m)
        es.onTrainBegin()
        let values = [1.0, 0.5, 0.495, 0.6]   // 0.495 is not better by more than minDelta
        for (i, v) in values.enumerated() {
            setWeights(Double(i + 1))
            es.onEpochEnd(i + 1, logs: ["val_loss": v, "loss": 9])
            #expect(m.stopTraining == (i == 3), "epoch \(i + 1)")
        }
        #expect(es.best == 0.5 && es.bestEpoch == 2 && es.stoppedEpoch == 4)
        es.onTrainEnd()
        for p in m.parameters { #expect(p.value.doubles.allSatisfy { $0 == 2 }) }

        // mode max, a baseline that is never beaten, startFromEpoch.
        m.stopTraining = false
        let es2 = EarlyStopping(monitor: "val_accuracy", patience: 3, baseline: 0.9, startFromEpoch: 2)
        #expect(MonitorMode.auto.maximizes("val_accuracy") && !MonitorMode.auto.maximizes("val_loss"))
        es2.setModel(m)
        es2.onTrainBegin()
        let acc = [0.1, 0.2, 0.5, 0.6, 0.55, 0.8]
        var stopped = 0
        for (i, v) in acc.enumerated() {
            es2.onEpochEnd(i + 1, logs: ["val_accuracy": v])
            if m.stopTraining { stopped = i + 1; break }
        }
        // Epochs 1–2 ignored; 3–4 improve but stay under the baseline, so the wait is not reset
        // and the first epoch without improvement (5) is the third one counted.
        #expect(stopped == 5)
    }

    /// The snapshot survives the optimizer's in-place updates: with mode max on a falling loss
    /// the first epoch is the best, and its weights come back at the end.
    @Test func earlyStoppingRestoresBestWeightsInFit() throws {
        let d = Self.data()
        let m = try Self.model(learningRate: 0.1)
        var afterEpoch: [[[Double]]] = []
        let record = LambdaCallback(onEpochEnd: { _, _ in afterEpoch.append(m.parameters.map(\.value.doubles)) })
        let es = EarlyStopping(monitor: "loss", patience: 10, mode: .max, restoreBestWeights: true)
        let h = try m.fit(d.x, d.y, batchSize: 4, epochs: 4, shuffle: false, verbose: .silent, callbacks: [record, es])
        let loss = h["loss"]!
        #expect(loss.last! < loss.first!, "\(loss)")
        #expect(afterEpoch[0] != afterEpoch[3])
        #expect(m.parameters.map(\.value.doubles) == afterEpoch[0])
    }

    // MARK: ModelCheckpoint

    @Test func modelCheckpointBestOnly() throws {
        let m = try Self.model(learningRate: 0.1)
        var saved: [Int] = []
        let ck = ModelCheckpoint(monitor: "val_loss", saveBestOnly: true) { model, epoch, logs in
            #expect(model === m)
            #expect(logs["val_loss"] != nil)
            saved.append(epoch)
        }
        ck.setModel(m)
        for (i, v) in [1.0, 0.8, 0.9, 0.5, 0.5, 0.7, 0.4].enumerated() { try ck.onEpochEnd(i + 1, logs: ["val_loss": v]) }
        try ck.onEpochEnd(8, logs: ["loss": 0.1])   // the monitored value is missing: no save
        #expect(saved == [1, 2, 4, 7])

        // Every epoch in fit, and best-only on a falling training loss.
        let d = Self.data()
        var every: [Int] = [], best: [Int] = []
        let all = ModelCheckpoint { _, e, _ in every.append(e) }
        let onlyBest = ModelCheckpoint(monitor: "loss", saveBestOnly: true, initialValueThreshold: 1e9) { _, e, _ in best.append(e) }
        let h = try m.fit(d.x, d.y, batchSize: 4, epochs: 5, verbose: .silent, callbacks: [all, onlyBest])
        #expect(every == [1, 2, 3, 4, 5])
        let loss = h["loss"]!
        var expected: [Int] = [], b = Double.infinity
        for (i, l) in loss.enumerated() where l < b { b = l; expected.append(i + 1) }
        #expect(best == expected)
    }

    // MARK: Learning rates

    @Test func learningRateSchedulerSetsEachEpoch() throws {
        let d = Self.data()
        let m = try Self.model(learningRate: 0.1)
        var seen: [Double] = []
        let sched = LearningRateScheduler { epoch, lr in epoch == 1 ? lr : lr * 0.5 }
        let record = LambdaCallback(onEpochBegin: { _ in seen.append(m.optimizer!.learningRate) })
        let loader = DataLoader(TensorDataset(d.x, d.y), batchSize: 8, workers: 1)
        try m.fit(d.x, d.y, batchSize: 8, epochs: 4, verbose: .silent, callbacks: [sched, record])
        #expect(seen == [0.1, 0.05, 0.025, 0.0125])
        #expect(m.optimizer!.learningRate == 0.0125)
        seen = []
        try m.fit(loader, epochs: 2, verbose: .silent, callbacks: [LearningRateScheduler { e, _ in Double(e) / 100 }, record])
        #expect(seen == [0.01, 0.02])
    }

    /// Keras's semantics: reduce after `patience` epochs without improvement, then a cooldown
    /// during which the wait does not grow, never below minLR.
    @Test func reduceLROnPlateau() throws {
        let m = try Self.model(learningRate: 1)
        let r = ReduceLROnPlateau(monitor: "val_loss", factor: 0.5, patience: 2, cooldown: 1)
        r.setModel(m)
        r.onTrainBegin()
        var lrs: [Double] = []
        for e in 1...7 { r.onEpochEnd(e, logs: ["val_loss": 1]); lrs.append(m.optimizer!.learningRate) }
        #expect(lrs == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125])

        // An improvement by less than minDelta does not count; minLR is a floor.
        m.optimizer!.learningRate = 1
        let r2 = ReduceLROnPlateau(monitor: "loss", factor: 0.1, patience: 1, minDelta: 0.01, minLR: 0.05)
        r2.setModel(m)
        r2.onTrainBegin()
        lrs = []
        for (e, v) in [1.0, 0.995, 0.5, 0.499, 0.498].enumerated() { r2.onEpochEnd(e + 1, logs: ["loss": v]); lrs.append(m.optimizer!.learningRate) }
        #expect(lrs == [1, 0.1, 0.1, 0.05, 0.05])

        // In fit: a flat loss (all parameters at zero and zero targets keep the gradient zero).
        let x = nnTensor([16, 2], nnRandom(32, seed: 3), dtype: .float32), y = Tensor.zeros([16, 1], dtype: .float32)
        let m3 = try Self.model(learningRate: 0.2)
        for p in m3.parameters { p.value = Tensor.zeros(p.value.shape, dtype: p.value.dtype) }
        var seen: [Double] = []
        let rec = LambdaCallback(onEpochEnd: { _, _ in seen.append(m3.optimizer!.learningRate) })
        try m3.fit(x, y, batchSize: 8, epochs: 6, verbose: .silent,
                   callbacks: [ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 2), rec])
        #expect(seen == [0.2, 0.2, 0.1, 0.1, 0.05, 0.05])
    }

    // MARK: CSVLogger

    @Test func csvLoggerWritesEpochRows() throws {
        let d = Self.data()
        let path = Self.tempPath("log.csv")
        defer { unlink(path) }
        let m = try Self.model(learningRate: 0.1)
        let h = try m.fit(d.x, d.y, batchSize: 8, epochs: 3, validationData: (d.x, d.y), verbose: .silent,
                          callbacks: [CSVLogger(path: path)])
        var expected = "epoch,loss,val_loss\n"
        for i in 0..<3 { expected += "\(i + 1),\(h["loss"]![i]),\(h["val_loss"]![i])\n" }
        #expect(Self.fileText(path) == expected)

        // append: rows after the existing ones, no second header.
        let h2 = try m.fit(d.x, d.y, batchSize: 8, epochs: 2, validationData: (d.x, d.y), verbose: .silent,
                           callbacks: [CSVLogger(path: path, append: true)])
        var appended = expected
        for i in 0..<2 { appended += "\(i + 1),\(h2["loss"]![i]),\(h2["val_loss"]![i])\n" }
        #expect(Self.fileText(path) == appended)

        // Without append the file is replaced; another separator.
        let h3 = try m.fit(d.x, d.y, batchSize: 8, epochs: 1, verbose: .silent, callbacks: [CSVLogger(path: path, separator: ";")])
        #expect(Self.fileText(path) == "epoch;loss\n1;\(h3["loss"]![0])\n")
    }

    @Test func csvLoggerFormatting() throws {
        let path = Self.tempPath("fmt.csv")
        defer { unlink(path) }
        let log = CSVLogger(path: path)
        try log.onTrainBegin()
        try log.onEpochEnd(1, logs: ["loss": 0.5, "accuracy": 1, "val_loss": 1e-5])
        #expect(Self.fileText(path) == "epoch,accuracy,loss,val_loss\n1,1.0,0.5,1e-05\n")
        try log.onEpochEnd(2, logs: ["loss": 0.25, "val_loss": .nan])
        #expect(Self.fileText(path) == "epoch,accuracy,loss,val_loss\n1,1.0,0.5,1e-05\n2,NA,0.25,nan\n")
        // append to a file without a trailing newline and to a missing one.
        let other = Self.tempPath("missing.csv")
        defer { unlink(other) }
        let a = CSVLogger(path: other, append: true)
        try a.onTrainBegin()
        try a.onEpochEnd(1, logs: ["loss": 2])
        #expect(Self.fileText(other) == "epoch,loss\n1,2.0\n")
    }

    // MARK: TerminateOnNaN

    @Test func terminateOnNaNStopsAtTheBatch() throws {
        let d = Self.data(nanAt: 5)   // sample 5 is in batch 1 (batches of 4, no shuffle)
        let m = try Self.model(learningRate: 0.1)
        var batches: [Int] = []
        let t = TerminateOnNaN()
        let rec = LambdaCallback(onBatchEnd: { b, _ in batches.append(b) })
        let h = try m.fit(d.x, d.y, batchSize: 4, epochs: 5, shuffle: false, verbose: .silent, callbacks: [rec, t])
        #expect(h.epochs == [1])
        #expect(h["loss"]![0].isNaN)
        #expect(batches == [0, 1])
        #expect(t.stoppedAtBatch == 1)

        // On a loader, and on an infinite loss from a diverging learning rate.
        let loader = DataLoader(TensorDataset(d.x, d.y), batchSize: 4, shuffle: false, workers: 2)
        let m2 = try Self.model(learningRate: 0.1)
        let t2 = TerminateOnNaN()
        let h2 = try m2.fit(loader, epochs: 3, verbose: .silent, callbacks: [t2])
        #expect(h2.epochs == [1] && t2.stoppedAtBatch == 1)

        let clean = Self.data()
        let m3 = try Self.model(learningRate: 1e30)
        let t3 = TerminateOnNaN()
        let h3 = try m3.fit(clean.x, clean.y, batchSize: 4, epochs: 50, verbose: .silent, callbacks: [t3])
        #expect(t3.stoppedAtBatch != nil)
        #expect(h3.epochs.count < 50)
        #expect(!h3["loss"]!.last!.isFinite)
    }

    @Test func terminateOnNaNCanThrow() throws {
        let d = Self.data(nanAt: 5)
        let m = try Self.model(learningRate: 0.1)
        var ended = false
        let rec = LambdaCallback(onTrainEnd: { ended = true })
        let t = TerminateOnNaN(raiseError: true)
        do {
            _ = try m.fit(d.x, d.y, batchSize: 4, epochs: 5, shuffle: false, verbose: .silent, callbacks: [t, rec])
            Issue.record("fit did not throw")
        } catch let e as TrainingError {
            guard case .nonFiniteLoss(let batch, let loss) = e else { Issue.record("wrong error \(e)"); return }
            #expect(batch == 1 && loss.isNaN)
        }
        #expect(!ended && t.stoppedAtBatch == 1)
    }
}
