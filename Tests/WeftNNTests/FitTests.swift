import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// `fit`, `evaluate` and `predict` on a tiny synthetic problem.
@Suite struct FitTests {
    /// `n` points in 2-D, class 1 when x₀ > x₁, pushed 0.2 away from the boundary along its
    /// normal so that the classes are linearly separable with a margin.
    static func separable(_ n: Int, seed: UInt64) -> (x: Tensor, y: Tensor, labels: [Int]) {
        let r = nnRandom(2 * n, seed: seed)
        var xs: [Double] = [], labels: [Int] = []
        let push = 0.2 / 2.0.squareRoot()
        for i in 0..<n {
            let a = r[2 * i], b = r[2 * i + 1]
            let c = a > b ? 1 : 0
            let s = c == 1 ? push : -push
            xs += [a + s, b - s]
            labels.append(c)
        }
        return (nnTensor([n, 2], xs, dtype: .float32), nnLabels(labels), labels)
    }

    static func classifier() -> Sequential {
        Sequential {
            Dense(8, activation: .relu)
            Dense(2)
        }
    }

    /// The classifier built for 2-D input, its kernels re-drawn (Glorot uniform) from a local
    /// generator so that the run does not depend on the shared global one.
    static func seededClassifier(_ seed: UInt64) throws -> Sequential {
        let m = classifier()
        _ = try m.build(inputShape: [2])
        let g = RandomGenerator(seed: seed)
        for p in m.parameters where p.value.rank == 2 {
            let s = p.value.shape
            p.value = Initializer.glorotUniform.make(s, fanIn: s[0], fanOut: s[1], dtype: .float32, generator: g)
        }
        return m
    }

    @Test func datasetIsBalancedEnough() {
        let d = Self.separable(64, seed: 2024)
        let ones = d.labels.reduce(0, +)
        #expect(ones > 16 && ones < 48, "\(ones) of 64 in class 1")
    }

    @Test func learnsSeparableData() throws {
        let d = Self.separable(64, seed: 2024)
        let m = try Self.seededClassifier(7)
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let h = try m.fit(d.x, d.y, batchSize: 16, epochs: 30, seed: 1, verbose: .silent)
        #expect(Set(h.history.keys) == ["loss", "accuracy"])
        #expect(h["loss"]?.count == 30)
        #expect(h["accuracy"]?.count == 30)
        #expect(h.epochs == Array(1...30))
        #expect(h.epochSeconds.count == 30)
        let loss = try #require(h["loss"]), acc = try #require(h["accuracy"])
        #expect(acc.last! >= 0.95, "final training accuracy \(acc.last!), history \(acc)")
        #expect(loss.last! < loss.first!, "loss \(loss)")
        #expect(loss.last! < 0.5 * loss.first!, "loss \(loss)")
        #expect(acc.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Accuracies are multiples of 1/64.
        #expect(acc.allSatisfy { ($0 * 64 - ($0 * 64).rounded()).magnitude < 1e-9 })

        let r = try m.evaluate(d.x, d.y)
        #expect(Set(r.keys) == ["loss", "accuracy"])
        #expect(r["accuracy"]! >= 0.95, "\(r)")

        // predict agrees with the labels and with evaluate's accuracy.
        let p = try m.predict(d.x, batchSize: 10)
        #expect(p.shape == [64, 2])
        let v = p.doubles
        let correct = (0..<64).filter { (v[2 * $0 + 1] > v[2 * $0] ? 1 : 0) == d.labels[$0] }.count
        #expect(Double(correct) / 64 == r["accuracy"]!)
    }

    @Test func validationValuesRecordedPerEpoch() throws {
        let train = Self.separable(48, seed: 1), val = Self.separable(20, seed: 2)
        let m = try Self.seededClassifier(8)
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        var seen: [(Int, [String: Double])] = []
        let h = try m.fit(train.x, train.y, batchSize: 16, epochs: 5, validationData: (val.x, val.y), verbose: .silent,
                          onEpochEnd: { seen.append(($0, $1)) })
        #expect(Set(h.history.keys) == ["loss", "accuracy", "val_loss", "val_accuracy"])
        for k in ["loss", "accuracy", "val_loss", "val_accuracy"] { #expect(h[k]?.count == 5, "\(k)") }
        #expect(seen.map(\.0) == [1, 2, 3, 4, 5])
        for (i, (_, values)) in seen.enumerated() {
            for k in ["loss", "accuracy", "val_loss", "val_accuracy"] { #expect(values[k] == h[k]?[i], "\(k) epoch \(i + 1)") }
        }
        // The last validation values are evaluate's on the final weights.
        let r = try m.evaluate(val.x, val.y, batchSize: 16)
        #expect(h["val_loss"]!.last! == r["loss"]!)
        #expect(h["val_accuracy"]!.last! == r["accuracy"]!)
        // Accuracies of 20 validation samples are multiples of 1/20.
        #expect(h["val_accuracy"]!.allSatisfy { ($0 * 20 - ($0 * 20).rounded()).magnitude < 1e-9 })
    }

    /// Same initial weights and the same seed → the same history and weights, bit for bit;
    /// another shuffling seed gives another history.
    @Test func sameSeedSameHistory() throws {
        let d = Self.separable(40, seed: 99)
        func train(_ seed: UInt64, from reference: Sequential?) throws -> (History, Sequential) {
            let m = Self.classifier()
            _ = try m.build(inputShape: [2])
            if let reference { copyParameters(from: reference, to: m) }
            m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy, metrics: [.accuracy])
            return (try m.fit(d.x, d.y, batchSize: 8, epochs: 4, seed: seed, verbose: .silent), m)
        }
        let base = Self.classifier()
        _ = try base.build(inputShape: [2])
        let (h1, m1) = try train(5, from: base)
        let (h2, m2) = try train(5, from: base)
        #expect(h1.history == h2.history)
        for (a, b) in zip(m1.parameters, m2.parameters) { #expect(a.value.floats == b.value.floats) }
        let (h3, _) = try train(6, from: base)
        #expect(h3.history["loss"] != h1.history["loss"])
    }

    /// With a zero learning rate the weights never change, so the epoch loss (a sample-weighted
    /// mean over batches, the last one smaller) equals `evaluate`'s loss on the same data.
    @Test func epochLossIsSampleWeightedMean() throws {
        let d = Self.separable(10, seed: 5)
        let m = Self.classifier()
        _ = try m.build(inputShape: [2])
        setFloat64Parameters(m, seed: 3, scale: 1)
        let x = d.x.cast(to: .float64)
        m.compile(optimizer: SGD(learningRate: 0), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let h = try m.fit(x, d.y, batchSize: 4, epochs: 2, verbose: .silent)
        let r = try m.evaluate(x, d.y, batchSize: 10)
        // The same loss computed by hand from the model's outputs.
        let out = try m.predict(x).doubles
        var total = 0.0
        for i in 0..<10 {
            let a = out[2 * i], b = out[2 * i + 1], mx = Swift.max(a, b)
            let lse = mx + Glibc.log(Glibc.exp(a - mx) + Glibc.exp(b - mx))
            total += lse - (d.labels[i] == 1 ? b : a)
        }
        let byHand = total / 10
        #expect(Swift.abs(r["loss"]! - byHand) <= 1e-12 * byHand)
        for v in h["loss"]! { #expect(Swift.abs(v - byHand) <= 1e-12 * byHand, "\(v) vs \(byHand)") }
        for v in h["accuracy"]! { #expect(v == r["accuracy"]!) }
    }

    /// Keras runs `range(0, epochs)`: zero epochs train nothing and record nothing.
    @Test func zeroEpochsTrainNothing() throws {
        let d = Self.separable(8, seed: 1)
        let m = try Self.seededClassifier(9)
        let before = m.parameters.map { $0.value.floats }
        m.compile(optimizer: SGD(learningRate: 0.5), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let h = try m.fit(d.x, d.y, epochs: 0, verbose: .silent)
        #expect(h.epochs.isEmpty, "epochs run: \(h.epochs)")
        #expect(h.history.values.allSatisfy { $0.isEmpty }, "\(h.history)")
        #expect(m.parameters.map { $0.value.floats } == before)
    }

    @Test func fitBeforeCompileThrows() {
        let d = Self.separable(8, seed: 1)
        let m = Self.classifier()
        #expect(throws: TrainingError.notCompiled) { try m.fit(d.x, d.y, verbose: .silent) }
        #expect(throws: TrainingError.notCompiled) { _ = try m.evaluate(d.x, d.y) }
    }

    @Test func sampleCountMismatchThrows() {
        let d = Self.separable(64, seed: 1)
        let m = Self.classifier()
        m.compile(optimizer: Adam(), loss: .softmaxCrossEntropy)
        let y63 = d.y.sliced(axis: 0, start: 0, end: 63)
        #expect(throws: TrainingError.sampleCountMismatch(inputs: 64, targets: 63)) {
            try m.fit(d.x, y63, verbose: .silent)
        }
        #expect(throws: TrainingError.sampleCountMismatch(inputs: 64, targets: 63)) { _ = try m.evaluate(d.x, y63) }
        let e = TrainingError.sampleCountMismatch(inputs: 64, targets: 63)
        #expect(e.description.contains("64") && e.description.contains("63"))
    }

    @Test func emptyDatasetThrows() {
        let m = Self.classifier()
        m.compile(optimizer: Adam(), loss: .softmaxCrossEntropy)
        let x = Tensor.zeros([0, 2]), y = Tensor.zeros([0], dtype: .int64)
        #expect(throws: TrainingError.emptyDataset) { try m.fit(x, y, verbose: .silent) }
        #expect(throws: TrainingError.emptyDataset) { _ = try m.predict(x) }
    }

    /// Frozen parameters keep their values through `fit`.
    @Test func frozenParametersAreNotTrained() throws {
        let d = Self.separable(16, seed: 4)
        let m = Self.classifier()
        _ = try m.build(inputShape: [2])
        m.parameters[0].trainable = false
        let frozen = m.parameters[0].value.floats, trained = m.parameters[2].value.floats
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy)
        try m.fit(d.x, d.y, batchSize: 8, epochs: 2, verbose: .silent)
        #expect(m.parameters[0].value.floats == frozen)
        #expect(m.parameters[2].value.floats != trained)
    }
}
