import Testing
@testable import Weft
@testable import WeftNN

/// A layer that records the learning phase it was called in.
final class PhaseProbe: Layer {
    var seen: [Bool] = []
    func callAsFunction(_ x: Tensor) -> Tensor {
        seen.append(LearningPhase.isTraining)
        return x
    }
    func build(inputShape: Shape) throws -> Shape { inputShape }
}

/// Dropout and the learning phase: inference by default, training inside `withTrainingMode`
/// and `fit`, inference in `predict` and `evaluate` whatever the caller's phase.
@Suite struct LearningPhaseTests {
    @Test func inferenceIsTheDefault() {
        #expect(LearningPhase.isTraining == false)
        #expect(withTrainingMode { LearningPhase.isTraining } == true)
        #expect(withTrainingMode(false) { LearningPhase.isTraining } == false)
        #expect(withTrainingMode { withTrainingMode(false) { LearningPhase.isTraining } } == false)
        #expect(LearningPhase.isTraining == false)
    }

    @Test func dropoutIsIdentityInInference() {
        let d = Dropout(0.5)
        let x = nnTensor([4, 16], nnRandom(64, seed: 3), dtype: .float32)
        let y = d(x)
        #expect(y.shape == x.shape)
        #expect(y.floats == x.floats)
        #expect(withTrainingMode(false) { d(x) }.floats == x.floats)
    }

    /// Inverted dropout in training: each element is 0 or x/(1 − rate); about `rate` of them are 0.
    @Test func dropoutIsActiveInTrainingMode() {
        let rate = 0.25
        let d = Dropout(rate, generator: RandomGenerator(seed: 42))
        let n = 4000
        let xv = (0..<n).map { Double($0 % 7) + 1 }   // all non-zero
        let x = nnTensor([40, 100], xv)
        let y = withTrainingMode { d(x) }
        #expect(y.shape == x.shape && y.dtype == .float64)
        var zeros = 0
        for (a, b) in zip(y.doubles, xv) {
            if a == 0 { zeros += 1 } else { #expect(Swift.abs(a - b / (1 - rate)) <= 1e-12 * b) }
        }
        // Binomial(4000, 0.25): mean 1000, σ ≈ 27; allow ±6σ.
        #expect(zeros > 840 && zeros < 1160, "zeroed \(zeros) of \(n)")
    }

    /// Same generator seed → same mask; the generator advances between calls.
    @Test func dropoutIsSeeded() {
        let x = nnTensor([8, 8], Array(repeating: 1, count: 64), dtype: .float32)
        let a = Dropout(0.5, generator: RandomGenerator(seed: 7)), b = Dropout(0.5, generator: RandomGenerator(seed: 7))
        let ya = withTrainingMode { a(x) }, yb = withTrainingMode { b(x) }
        #expect(ya.floats == yb.floats)
        let ya2 = withTrainingMode { a(x) }
        #expect(ya2.floats != ya.floats)
    }

    /// `predict` and `evaluate` switch training off even when called in training mode; the
    /// values equal the dropout-free computation.
    @Test func predictAndEvaluateRunInInference() throws {
        let m = Sequential {
            Dense(3)
            Dropout(0.9)
            Dense(2)
        }
        _ = try m.build(inputShape: [2])
        // Weights by hand: W1 = [[1, 0, 2], [0, 1, -1]], b1 = 0; W2 = [[1, 0], [0, 1], [1, 1]], b2 = [0.5, 0].
        m.parameters[0].value = nnTensor([2, 3], [1, 0, 2, 0, 1, -1])
        m.parameters[1].value = nnTensor([3], [0, 0, 0])
        m.parameters[2].value = nnTensor([3, 2], [1, 0, 0, 1, 1, 1])
        m.parameters[3].value = nnTensor([2], [0.5, 0])
        let x = nnTensor([2, 2], [1, 2, 3, -1])
        // h = [1, 2, 0] → y = [1+0+0.5, 2+0] = [1.5, 2]; h = [3, -1, 7] → y = [3+7+0.5, -1+7] = [10.5, 6]
        let expected: [Double] = [1.5, 2, 10.5, 6]
        for _ in 0..<3 {
            let p = try withTrainingMode { try m.predict(x) }
            #expect(p.doubles == expected)
        }
        m.compile(optimizer: SGD(), loss: .meanSquaredError)
        let target = nnTensor([2, 2], [1.5, 1, 10.5, 8])
        // Squared errors 0, 1, 0, 4 → mean 1.25.
        let r = try withTrainingMode { try m.evaluate(x, target) }
        #expect(r["loss"] == 1.25)
    }

    @Test func fitTrainsInTrainingModeAndPredictDoesNot() throws {
        let probe = PhaseProbe()
        let m = Sequential {
            Dense(2)
            probe
        }
        m.compile(optimizer: SGD(), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let x = nnTensor([4, 3], nnRandom(12, seed: 1), dtype: .float32)
        let y = nnLabels([0, 1, 1, 0])
        try m.fit(x, y, batchSize: 2, epochs: 1, validationData: (x, y), shuffle: false, verbose: .silent)
        // Two training batches, then two validation batches (evaluated with the same batch size).
        #expect(probe.seen == [true, true, false, false], "\(probe.seen)")
        probe.seen = []
        _ = try m.predict(x)
        _ = try m.evaluate(x, y)
        #expect(probe.seen == [false, false])
        #expect(LearningPhase.isTraining == false)
    }
}
