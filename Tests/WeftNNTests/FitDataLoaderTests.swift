import Testing
@testable import Weft
@testable import WeftNN
import WeftData

/// `fit` and `evaluate` on a `DataLoader`.
@Suite struct FitDataLoaderTests {
    /// The loader gives fit(x, y, seed:)'s batches, so training on it gives the same history.
    @Test func fitOnALoaderMatchesFitOnTensors() throws {
        let d = FitTests.separable(64, seed: 2024)
        let a = try FitTests.seededClassifier(7), b = try FitTests.seededClassifier(7)
        a.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        b.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let ha = try a.fit(d.x, d.y, batchSize: 12, epochs: 6, seed: 3, verbose: .silent)
        let loader = DataLoader(TensorDataset(d.x, d.y), batchSize: 12, shuffle: true, seed: 3, workers: 2)
        let hb = try b.fit(loader, epochs: 6, verbose: .silent)
        #expect(hb.epochs == Array(1...6))
        #expect(hb.epochSeconds.count == 6)
        #expect(Set(hb.history.keys) == ["loss", "accuracy"])
        #expect(hb["loss"]! == ha["loss"]!)
        #expect(hb["accuracy"]! == ha["accuracy"]!)
        #expect(loader.epoch == 6)
        for (pa, pb) in zip(a.parameters, b.parameters) { #expect(pa.value.doubles == pb.value.doubles) }
    }

    /// classWeight, initialEpoch and stepsPerEpoch on a loader do what they do on tensors;
    /// validation tensors can be given as lists (one per model input / output).
    @Test func fitOptionsOnALoaderMatchFitOnTensors() throws {
        let d = FitTests.separable(40, seed: 11)
        let a = try FitTests.seededClassifier(4), b = try FitTests.seededClassifier(4), c = try FitTests.seededClassifier(4)
        for m in [a, b, c] { m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy]) }
        let weights: [Int: Double] = [0: 2, 1: 0.5]
        let ha = try a.fit(d.x, d.y, batchSize: 8, epochs: 4, validationData: (d.x, d.y), shuffle: false, classWeight: weights,
                           initialEpoch: 1, stepsPerEpoch: 3, verbose: .silent)
        let hb = try b.fit(DataLoader(TensorDataset(d.x, d.y), batchSize: 8, workers: 2), epochs: 4, validationData: ([d.x], [d.y]),
                           classWeight: weights, initialEpoch: 1, stepsPerEpoch: 3, verbose: .silent)
        #expect(ha.epochs == [2, 3, 4] && hb.epochs == [2, 3, 4])
        for key in ["loss", "accuracy", "val_loss", "val_accuracy"] { #expect(hb[key]! == ha[key]!, "\(key)") }
        for (pa, pb) in zip(a.parameters, b.parameters) { #expect(pa.value.doubles == pb.value.doubles) }
        // Without the class weights (or with all 5 batches an epoch) training goes elsewhere.
        let hc = try c.fit(DataLoader(TensorDataset(d.x, d.y), batchSize: 8), epochs: 4, initialEpoch: 1, stepsPerEpoch: 3, verbose: .silent)
        #expect(hc["loss"]! != hb["loss"]!)
        #expect(throws: TrainingError.invalidStepsPerEpoch(0)) {
            try c.fit(DataLoader(TensorDataset(d.x, d.y), batchSize: 8), stepsPerEpoch: 0, verbose: .silent)
        }
        #expect(throws: TrainingError.invalidInitialEpoch(-1)) {
            try c.fit(DataLoader(TensorDataset(d.x, d.y), batchSize: 8), initialEpoch: -1, verbose: .silent)
        }
    }

    @Test func fitOnAnAugmentingLoaderTrains() throws {
        let d = FitTests.separable(96, seed: 99)
        let m = try FitTests.seededClassifier(5)
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        // Drop-last, three workers; the mapped dataset runs its closure on the workers.
        let jittered = TensorDataset(d.x, d.y).map { s in Sample(s.x * 1.0, s.y) }
        let loader = DataLoader(jittered, batchSize: 16, shuffle: true, seed: 1, dropLast: true, workers: 3)
        let h = try m.fit(loader, epochs: 12, validationData: (d.x, d.y), verbose: .silent)
        let loss = try #require(h["loss"])
        #expect(loss.count == 12)
        #expect(h["val_loss"]?.count == 12 && h["val_accuracy"]?.count == 12)
        #expect(loss.last! < 0.5 * loss.first!, "loss \(loss)")
        #expect(h["val_accuracy"]!.last! >= 0.9, "\(h["val_accuracy"]!)")
    }

    @Test func evaluateOnALoaderMatchesEvaluateOnTensors() throws {
        let d = FitTests.separable(50, seed: 7)
        let m = try FitTests.seededClassifier(3)
        m.compile(optimizer: SGD(learningRate: 0.1), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let direct = try m.evaluate(d.x, d.y, batchSize: 8)
        let viaLoader = try m.evaluate(DataLoader(TensorDataset(d.x, d.y), batchSize: 8, workers: 2))
        #expect(Set(viaLoader.keys) == ["loss", "accuracy"])
        #expect(abs(viaLoader["loss"]! - direct["loss"]!) < 1e-12)
        #expect(viaLoader["accuracy"]! == direct["accuracy"]!)
        // With a validation loader, fit records val_ values.
        let h = try m.fit(DataLoader(TensorDataset(d.x, d.y), batchSize: 10, shuffle: true), epochs: 2,
                          validation: DataLoader(TensorDataset(d.x, d.y), batchSize: 25, workers: 1), verbose: .silent)
        #expect(Set(h.history.keys) == ["loss", "accuracy", "val_loss", "val_accuracy"])
    }

    @Test func badLoadersThrow() throws {
        let d = FitTests.separable(8, seed: 1)
        let m = try FitTests.seededClassifier(1)
        #expect(throws: TrainingError.notCompiled) { try m.fit(DataLoader(TensorDataset(d.x, d.y)), verbose: .silent) }
        m.compile(optimizer: SGD(learningRate: 0.1), loss: .softmaxCrossEntropy)
        #expect(throws: BatchLayoutError(inputs: 1, targets: 0)) {
            try m.fit(DataLoader(TensorDataset(inputs: [d.x]), batchSize: 4), verbose: .silent)
        }
        #expect(throws: TrainingError.emptyDataset) {
            try m.fit(DataLoader(TensorDataset(d.x, d.y), batchSize: 16, dropLast: true), verbose: .silent)
        }
    }
}
