import Testing
@testable import Weft
@testable import WeftNN

/// Counts `update` calls since the last reset: shows when `fit`/`evaluate` reset and update
/// streaming metrics.
final class FitOptionsUpdateCounter: StreamingMetric {
    let name = "updates"
    var count = 0
    func update(_ prediction: Tensor, _ target: Tensor, sampleWeight: Tensor?) { count += 1 }
    func result() -> Double { Double(count) }
    func reset() { count = 0 }
}

/// Keras `fit` options: validationSplit, classWeight, initialEpoch, stepsPerEpoch, and
/// streaming metrics given to `compile`.
@Suite struct FitOptionsTests {
    static func head(_ t: Tensor, _ k: Int) -> Tensor { t.sliced(axis: 0, start: 0, end: k) }
    static func tail(_ t: Tensor, _ k: Int) -> Tensor { t.sliced(axis: 0, start: k, end: t.shape[0]) }

    // MARK: validationSplit

    @Test func validationSplitTakesTheLastSamples() throws {
        let d = FitTests.separable(64, seed: 2024)
        let a = try FitTests.seededClassifier(7)
        a.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let ha = try a.fit(d.x, d.y, batchSize: 16, epochs: 3, validationSplit: 0.25, seed: 1, verbose: .silent)

        // int(64 · 0.75) = 48 training samples, the last 16 for validation.
        let b = try FitTests.seededClassifier(7)
        b.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let hb = try b.fit(Self.head(d.x, 48), Self.head(d.y, 48), batchSize: 16, epochs: 3,
                           validationData: (Self.tail(d.x, 48), Self.tail(d.y, 48)), seed: 1, verbose: .silent)

        #expect(Set(ha.history.keys) == ["loss", "accuracy", "val_loss", "val_accuracy"])
        #expect(ha.history == hb.history)
        #expect(ha.epochs == hb.epochs)
        // The final val_loss is the trained model's loss on the last 16 samples.
        let v = try a.evaluate(Self.tail(d.x, 48), Self.tail(d.y, 48))
        #expect(abs(ha["val_loss"]!.last! - v["loss"]!) < 1e-9)
    }

    @Test func validationBatchSizeAndSteps() throws {
        let d = FitTests.separable(40, seed: 77)
        let a = try FitTests.seededClassifier(3)
        a.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let vx = Self.tail(d.x, 24), vy = Self.tail(d.y, 24)
        let h = try a.fit(Self.head(d.x, 24), Self.head(d.y, 24), batchSize: 8, epochs: 1, validationData: (vx, vy),
                          seed: 3, validationBatchSize: 5, validationSteps: 2, verbose: .silent)
        // Validation saw the first 2 batches of 5 samples.
        let first10 = try a.evaluate(Self.head(vx, 10), Self.head(vy, 10))
        #expect(abs(h["val_loss"]!.last! - first10["loss"]!) < 1e-12)
        #expect(abs(try a.evaluate(vx, vy, batchSize: 5, steps: 2)["loss"]! - first10["loss"]!) < 1e-12)
        #expect(abs(try a.evaluate(vx, vy)["loss"]! - first10["loss"]!) > 1e-9)
        #expect(try a.predict(vx, batchSize: 4, steps: 3).shape[0] == 12)
        #expect(try a.predict(vx, batchSize: 4, steps: 30).shape[0] == 16)
        #expect(throws: TrainingError.notPositive("validationSteps", 0)) {
            try a.fit(d.x, d.y, validationData: (vx, vy), validationSteps: 0, verbose: .silent)
        }
        #expect(throws: TrainingError.notPositive("validationBatchSize", -1)) {
            try a.fit(d.x, d.y, validationData: (vx, vy), validationBatchSize: -1, verbose: .silent)
        }
        #expect(throws: TrainingError.notPositive("steps", 0)) { try a.evaluate(vx, vy, steps: 0) }
    }

    @Test func weightedMetricsUseSampleWeights() throws {
        let m = Sequential { Dense(1) }
        _ = try m.build(inputShape: [2])
        setFloat64Parameters(m, seed: 9)
        let x = kerasDet([7, 2], 0.8, 0.1), y = kerasDet([7, 1], 1.3, 0.5)
        let w = nnTensor([7], [1, 0, 2, 0.5, 3, 1, 0])
        m.compile(optimizer: SGD(learningRate: 0), loss: .meanSquaredError,
                  streamingMetrics: [MeanAbsoluteErrorMetric()], weightedMetrics: [MeanAbsoluteErrorMetric(), MeanSquaredErrorMetric()])
        let p = try m.predict(x).doubles, t = y.doubles, wv = w.doubles
        let errors = zip(p, t).map { Swift.abs($0 - $1) }
        let plain = errors.reduce(0, +) / 7
        let weighted = zip(errors, wv).map { $0 * $1 }.reduce(0, +) / wv.reduce(0, +)
        let weightedSquares = zip(errors, wv).map { $0 * $0 * $1 }.reduce(0, +) / wv.reduce(0, +)
        let r = try m.evaluate(x, y, batchSize: 3, sampleWeight: w)
        #expect(Set(r.keys) == ["loss", "mean_absolute_error", "weighted_mean_absolute_error", "mean_squared_error"])
        #expect(abs(r["mean_absolute_error"]! - plain) < 1e-12)
        #expect(abs(r["weighted_mean_absolute_error"]! - weighted) < 1e-12)
        #expect(abs(r["mean_squared_error"]! - weightedSquares) < 1e-12)
        // fit weighs them the same way (a zero learning rate keeps the weights).
        let h = try m.fit(x, y, batchSize: 3, epochs: 1, shuffle: false, sampleWeight: w, verbose: .silent)
        #expect(abs(h["weighted_mean_absolute_error"]!.last! - weighted) < 1e-12)
        #expect(abs(h["mean_absolute_error"]!.last! - plain) < 1e-12)
        // Without sample weights a weighted metric is the plain one.
        #expect(abs(try m.evaluate(x, y)["weighted_mean_absolute_error"]! - plain) < 1e-12)
    }

    @Test func validationSplitRoundsTrainingCountDown() throws {
        // int(10 · 0.75) = 7: 7 training samples in one batch, 3 validation samples.
        let d = FitTests.separable(10, seed: 5)
        let m = try FitTests.seededClassifier(3)
        m.compile(optimizer: SGD(learningRate: 0), loss: .softmaxCrossEntropy)
        var seen: [Int] = []
        let counter = LambdaCallback(onBatchBegin: { seen.append($0) })
        let h = try m.fit(d.x, d.y, batchSize: 7, epochs: 1, validationSplit: 0.25, verbose: .silent, callbacks: [counter])
        #expect(seen == [0])
        let v = try m.evaluate(Self.tail(d.x, 7), Self.tail(d.y, 7))
        #expect(abs(h["val_loss"]![0] - v["loss"]!) < 1e-9)
        let t = try m.evaluate(Self.head(d.x, 7), Self.head(d.y, 7))
        #expect(abs(h["loss"]![0] - t["loss"]!) < 1e-6)
    }

    @Test func validationSplitErrors() throws {
        let d = FitTests.separable(16, seed: 1)
        let m = try FitTests.seededClassifier(1)
        m.compile(optimizer: SGD(), loss: .softmaxCrossEntropy)
        #expect(throws: TrainingError.validationSplitWithValidationData) {
            try m.fit(d.x, d.y, validationSplit: 0.2, validationData: (d.x, d.y), verbose: .silent)
        }
        // int(16 · 0.01) = 0 training samples.
        #expect(throws: TrainingError.invalidValidationSplit(0.99, samples: 16)) {
            try m.fit(d.x, d.y, validationSplit: 0.99, verbose: .silent)
        }
        #expect(throws: TrainingError.invalidValidationSplit(1, samples: 16)) {
            try m.fit(d.x, d.y, validationSplit: 1, verbose: .silent)
        }
        #expect(throws: TrainingError.invalidValidationSplit(-0.1, samples: 16)) {
            try m.fit(d.x, d.y, validationSplit: -0.1, verbose: .silent)
        }
        // A split so small that 1 − s rounds to 1 leaves no validation samples.
        #expect(throws: TrainingError.invalidValidationSplit(1e-17, samples: 16)) {
            try m.fit(d.x, d.y, validationSplit: 1e-17, verbose: .silent)
        }
        #expect(TrainingError.validationSplitWithValidationData.description.contains("not both"))
        #expect(TrainingError.invalidValidationSplit(0.99, samples: 16).description.contains("0 training"))
        #expect(TrainingError.invalidValidationSplit(1.5, samples: 16).description.contains("[0, 1)"))
    }

    // MARK: classWeight

    @Test func classWeightGivesWeightedLoss() throws {
        let d = FitTests.separable(40, seed: 11)
        let m = try FitTests.seededClassifier(4)
        // Learning rate 0: the weights stay put, so every batch sees the same model.
        m.compile(optimizer: SGD(learningRate: 0), loss: .softmaxCrossEntropy)
        let weights: [Int: Double] = [0: 0.25, 1: 3]
        let h = try m.fit(d.x, d.y, batchSize: 16, epochs: 1, classWeight: weights, verbose: .silent)
        let l = Loss.softmaxCrossEntropy.perSample(try m.predict(d.x), d.y).doubles
        let expected = zip(l, d.labels).map { $0 * weights[$1]! }.reduce(0, +) / Double(l.count)
        let plain = l.reduce(0, +) / Double(l.count)
        #expect(abs(h["loss"]![0] - expected) < 1e-5, "\(h["loss"]![0]) vs \(expected)")
        #expect(abs(expected - plain) > 1e-3)

        // Without class weights, the plain mean; a class missing from the map weighs 1.
        let h2 = try m.fit(d.x, d.y, batchSize: 16, epochs: 1, verbose: .silent)
        #expect(abs(h2["loss"]![0] - plain) < 1e-5)
        let h3 = try m.fit(d.x, d.y, batchSize: 16, epochs: 1, classWeight: [1: 2], verbose: .silent)
        let e3 = zip(l, d.labels).map { $0 * ($1 == 1 ? 2 : 1) }.reduce(0, +) / Double(l.count)
        #expect(abs(h3["loss"]![0] - e3) < 1e-5)
    }

    @Test func classWeightChangesTraining() throws {
        let d = FitTests.separable(32, seed: 3)
        func run(_ w: [Int: Double]?) throws -> [Double] {
            let m = try FitTests.seededClassifier(9)
            m.compile(optimizer: SGD(learningRate: 0.1), loss: .softmaxCrossEntropy)
            _ = try m.fit(d.x, d.y, batchSize: 8, epochs: 2, seed: 2, classWeight: w, verbose: .silent)
            return m.parameters.flatMap { $0.value.doubles }
        }
        // Unit weights train as no weights (up to rounding: the weighted loss sums per-sample losses).
        let plain = try run(nil), unit = try run([0: 1, 1: 1]), skewed = try run([0: 1, 1: 5])
        #expect(zip(plain, unit).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(zip(plain, skewed).map { abs($0 - $1) }.max()! > 1e-3)
    }

    // MARK: initialEpoch

    @Test func initialEpochNumbersAndCount() throws {
        let d = FitTests.separable(16, seed: 1)
        let m = try FitTests.seededClassifier(1)
        m.compile(optimizer: SGD(), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        var begun: [Int] = [], ended: [Int] = []
        let cb = LambdaCallback(onEpochBegin: { begun.append($0) }, onEpochEnd: { e, _ in ended.append(e) })
        var seenByClosure: [Int] = []
        let h = try m.fit(d.x, d.y, batchSize: 8, epochs: 5, initialEpoch: 2, verbose: .silent, callbacks: [cb],
                          onEpochEnd: { e, _ in seenByClosure.append(e) })
        #expect(h.epochs == [3, 4, 5])
        #expect(h["loss"]?.count == 3)
        #expect(h["accuracy"]?.count == 3)
        #expect(begun == [3, 4, 5])
        #expect(ended == [3, 4, 5])
        #expect(seenByClosure == [3, 4, 5])

        // initialEpoch ≥ epochs trains nothing.
        let none = try m.fit(d.x, d.y, epochs: 2, initialEpoch: 2, verbose: .silent)
        #expect(none.epochs.isEmpty)
        #expect(throws: TrainingError.invalidInitialEpoch(-1)) {
            try m.fit(d.x, d.y, initialEpoch: -1, verbose: .silent)
        }
    }

    @Test func resumingWithInitialEpochMatchesOneRun() throws {
        // Without shuffling, 2 epochs then epochs 3…4 train exactly as 4 epochs in one go.
        let d = FitTests.separable(24, seed: 8)
        let a = try FitTests.seededClassifier(5)
        a.compile(optimizer: SGD(learningRate: 0.1), loss: .softmaxCrossEntropy)
        let whole = try a.fit(d.x, d.y, batchSize: 8, epochs: 4, shuffle: false, verbose: .silent)
        let b = try FitTests.seededClassifier(5)
        b.compile(optimizer: SGD(learningRate: 0.1), loss: .softmaxCrossEntropy)
        let first = try b.fit(d.x, d.y, batchSize: 8, epochs: 2, shuffle: false, verbose: .silent)
        let second = try b.fit(d.x, d.y, batchSize: 8, epochs: 4, shuffle: false, initialEpoch: 2, verbose: .silent)
        #expect(first["loss"]! + second["loss"]! == whole["loss"]!)
        #expect(second.epochs == [3, 4])
    }

    // MARK: stepsPerEpoch

    @Test func stepsPerEpochLimitsBatches() throws {
        let d = FitTests.separable(64, seed: 2)
        let m = try FitTests.seededClassifier(2)
        m.compile(optimizer: SGD(learningRate: 0), loss: .softmaxCrossEntropy)
        var batches: [Int] = []
        let cb = LambdaCallback(onBatchBegin: { batches.append($0) })
        _ = try m.fit(d.x, d.y, batchSize: 8, epochs: 2, stepsPerEpoch: 3, verbose: .silent, callbacks: [cb])
        #expect(batches == [0, 1, 2, 0, 1, 2])

        // More steps than batches: the epoch is the whole data (8 batches).
        batches = []
        _ = try m.fit(d.x, d.y, batchSize: 8, epochs: 1, stepsPerEpoch: 100, verbose: .silent, callbacks: [cb])
        #expect(batches == Array(0..<8))

        // Without shuffling, the epoch's loss is the mean over its first 2 batches (16 samples).
        let h = try m.fit(d.x, d.y, batchSize: 8, epochs: 1, shuffle: false, stepsPerEpoch: 2, verbose: .silent)
        let e = try m.evaluate(FitOptionsTests.head(d.x, 16), FitOptionsTests.head(d.y, 16))
        #expect(abs(h["loss"]![0] - e["loss"]!) < 1e-6)

        #expect(throws: TrainingError.invalidStepsPerEpoch(0)) {
            try m.fit(d.x, d.y, stepsPerEpoch: 0, verbose: .silent)
        }
    }

    // MARK: streaming metrics

    @Test func streamingMetricsResetEveryEpochAndEvaluation() throws {
        let d = FitTests.separable(64, seed: 2024)
        let v = FitTests.separable(32, seed: 99)
        let m = try FitTests.seededClassifier(7)
        let counter = FitOptionsUpdateCounter()
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy],
                  streamingMetrics: [counter, SparseCategoricalAccuracy()])
        var batchCounts: [Double] = []
        let cb = LambdaCallback(onBatchEnd: { _, logs in batchCounts.append(logs["updates"]!) })
        let h = try m.fit(d.x, d.y, batchSize: 16, epochs: 3, validationData: (v.x, v.y), seed: 1,
                          verbose: .silent, callbacks: [cb])
        #expect(Set(h.history.keys) == ["loss", "accuracy", "updates", "sparse_categorical_accuracy",
                                         "val_loss", "val_accuracy", "val_updates", "val_sparse_categorical_accuracy"])
        #expect(h["updates"] == [4, 4, 4])
        #expect(h["val_updates"] == [2, 2, 2])
        #expect(batchCounts == [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4])
        // The streaming accuracy equals the enum accuracy (both: mean of argmax == label).
        for (a, b) in zip(h["accuracy"]!, h["sparse_categorical_accuracy"]!) { #expect(abs(a - b) < 1e-12) }
        for (a, b) in zip(h["val_accuracy"]!, h["val_sparse_categorical_accuracy"]!) { #expect(abs(a - b) < 1e-12) }

        let e = try m.evaluate(d.x, d.y, batchSize: 10)
        #expect(e["updates"] == 7)
        #expect(abs(e["sparse_categorical_accuracy"]! - e["accuracy"]!) < 1e-12)
    }

    @Test func precisionOnBinaryProblem() throws {
        let d = FitTests.separable(64, seed: 2024)
        let y = nnTensor([64, 1], d.labels.map { Double($0) }, dtype: .float32)
        let m = Sequential {
            Dense(8, activation: .relu)
            Dense(1, activation: .sigmoid)
        }
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .binaryCrossentropy(),
                  streamingMetrics: [Precision(), Recall()])
        let h = try m.fit(d.x, y, batchSize: 16, epochs: 5, validationSplit: 0.25, seed: 3, verbose: .silent)
        for key in ["precision", "recall", "val_precision", "val_recall"] {
            let values = try #require(h[key], "\(key) missing")
            #expect(values.count == 5)
            #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(key): \(values)")
        }
        // evaluate's precision is that of the final model's predictions over all samples.
        let e = try m.evaluate(d.x, y, batchSize: 16)
        let p = Precision()
        p.update(try m.predict(d.x), y)
        #expect(abs(e["precision"]! - p.result()) < 1e-12)
        // The last epoch's val_precision is the final model's precision on the last 16 samples.
        let pv = Precision()
        pv.update(try m.predict(Self.tail(d.x, 48)), Self.tail(y, 48))
        #expect(abs(h["val_precision"]!.last! - pv.result()) < 1e-12)
    }
}
