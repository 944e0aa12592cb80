import Testing
@testable import Weft
@testable import WeftNN

/// Records the model's first weight at the validation pass and at the epoch's end.
private final class Probe: Callback {
    weak var model: Model?
    var atTest: [[Double]] = [], atEpochEnd: [[Double]] = [], tests = 0
    func setModel(_ model: Model) { self.model = model }
    func onTestBegin() throws { tests += 1; atTest.append(model!.parameters[0].value.doubles) }
    func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws { atEpochEnd.append(model!.parameters[0].value.doubles) }
}

@Suite("SwapEMAWeights and the validation hooks")
struct SwapEMAWeightsTests {
    func model() throws -> (Sequential, ConfiguredOptimizer) {
        let m = Sequential { Dense(3, activation: .tanh); Dense(1) }
        _ = try m.build(inputShape: [2])
        setFloat64Parameters(m, seed: 4)
        let opt = Adam(learningRate: 0.05).averaged(momentum: 0.8)
        m.compile(optimizer: opt, loss: .meanSquaredError)
        return (m, opt)
    }

    @Test("Validation runs with the averaged weights, training goes on with its own")
    func swapsForValidation() throws {
        let (m, opt) = try model()
        let x = nnTensor([16, 2], nnRandom(32, seed: 1)), y = nnTensor([16, 1], nnRandom(16, seed: 2))
        let probe = Probe()
        var averagesAtEnd: [[Double]] = []
        let record = LambdaCallback(onEpochEnd: { _, _ in averagesAtEnd.append(opt.average(of: m.parameters[0])!.doubles) })
        let h = try m.fit(x, y, batchSize: 4, epochs: 3, validationData: (x, y), verbose: .silent, callbacks: [SwapEMAWeights(), probe, record])
        #expect(probe.tests == 3)
        for e in 0..<3 {
            expectNear(probe.atTest[e], averagesAtEnd[e], rtol: 0, atol: 0)
            #expect(!nnIsClose(probe.atEpochEnd[e], averagesAtEnd[e], rtol: 1e-9, atol: 1e-12))
        }
        // The validation loss is that of the averaged weights: evaluate them by hand after the
        // last epoch (fit ends with the averaged weights, Keras's use_ema).
        let v = try m.evaluate(x, y, batchSize: 16)
        expectNear([h.history["val_loss"]!.last!], [v["loss"]!], rtol: 1e-12, atol: 1e-14)
    }

    @Test("swapOnEpoch keeps the averaged weights through onEpochEnd; a plain optimizer is an error")
    func swapOnEpoch() throws {
        let (m, opt) = try model()
        let x = nnTensor([8, 2], nnRandom(16, seed: 3)), y = nnTensor([8, 1], nnRandom(8, seed: 5))
        let probe = Probe()
        _ = try m.fit(x, y, batchSize: 4, epochs: 2, verbose: .silent, callbacks: [SwapEMAWeights(swapOnEpoch: true), probe])
        expectNear(probe.atEpochEnd.last!, opt.average(of: m.parameters[0])!.doubles, rtol: 0, atol: 0)
        let plain = Sequential { Dense(1) }
        _ = try plain.build(inputShape: [2])
        plain.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        #expect(throws: TrainingError.self) { try plain.fit(x, y, epochs: 1, verbose: .silent, callbacks: [SwapEMAWeights()]) }
    }
}
