import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// fit / evaluate with sample weights, train_on_batch, validation_freq, against Keras 3.15.1
// (torch backend, float64), det(shape, a, b) = 0.5·sin(a·k + b):
//
//   x = det([12, 3], .29, .3); y = det([12, 2], .41, .7); w = 1 + det([12], .8, .1)
//   m = Sequential([Input((3,)), Dense(2)]) with weights det([3, 2], .37, 0), det([2], .48, .1); SGD(0.1), "mse"
//   h = m.fit(x, y, sample_weight=w, batch_size=4, epochs=2, shuffle=False, validation_split=0.25) → fitLoss, fitValLoss, fitKernel
//   fresh m: tobLoss = m.train_on_batch(x[:5], y[:5], sample_weight=w[:5]) → tobKernel;
//   then evalWeighted = m.evaluate(x, y, sample_weight=w, batch_size=5)
// Keras's data adapter hands the sample weights over in float32 (~3e-8 relative): compared at 1e-6.

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("Sample weights in fit and evaluate, train/test/predict on a batch, validationFreq")
struct SampleWeightFitTests {
    func model() throws -> (Sequential, Dense) {
        let d = Dense(2)
        let m = Sequential { d }
        _ = try m.build(inputShape: [3])
        d.weight!.value = det([3, 2], 0.37, 0)
        d.bias!.value = det([2], 0.48, 0.1)
        m.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        return (m, d)
    }
    let x = det([12, 3], 0.29, 0.3), y = det([12, 2], 0.41, 0.7), w = det([12], 0.8, 0.1) + 1

    @Test("fit(sampleWeight:) with validationSplit equals Keras (losses, validation losses, weights)")
    func fitMatchesKeras() throws {
        let (m, d) = try model()
        let h = try m.fit(x, y, batchSize: 4, epochs: 2, validationSplit: 0.25, shuffle: false, sampleWeight: w, verbose: .silent)
        expectNear(h.history["loss"]!, [0.05452137812972069, 0.030603842809796333], rtol: 1e-6, atol: 1e-9)
        expectNear(h.history["val_loss"]!, [0.04035179689526558, 0.030656227841973305], rtol: 1e-6, atol: 1e-9)
        expectNear(d.weight!.value.doubles, [0.00500381886959076, 0.14341794993011567, 0.3393331328093797, 0.4120110601729234, 0.4971321348568918, 0.4493437384295597], rtol: 1e-6, atol: 1e-9)
        #expect(throws: TrainingError.self) { try m.fit(x, y, sampleWeight: Tensor.ones([5], dtype: .float64), verbose: .silent) }
    }

    @Test("trainOnBatch and weighted evaluate equal Keras; testOnBatch and predictOnBatch")
    func onBatch() throws {
        let (m, d) = try model()
        let r = try m.trainOnBatch(x.sliced(axis: 0, start: 0, end: 5), y.sliced(axis: 0, start: 0, end: 5),
                                   sampleWeight: w.sliced(axis: 0, start: 0, end: 5))
        expectNear([r["loss"]!], [0.07991203665733337], rtol: 1e-6, atol: 1e-9)
        expectNear(d.weight!.value.doubles, [0.0016693171113729478, 0.17026567119388197, 0.33862347115425173, 0.43968832926661566, 0.4991065780168893, 0.4755391635972395], rtol: 1e-6, atol: 1e-9)
        expectNear([try m.evaluate(x, y, batchSize: 5, sampleWeight: w)["loss"]!], [0.046695511788129807], rtol: 1e-6, atol: 1e-9)
        let t = try m.testOnBatch(x, y)
        expectNear([t["loss"]!], [try m.evaluate(x, y, batchSize: 12)["loss"]!], rtol: 1e-14, atol: 0)
        #expect(try m.predictOnBatch(x).doubles == m.predict(x).doubles)
        // Class weights multiply the sample weights.
        let (a, _) = try model(), (b, _) = try model()
        let labels = Tensor(shape: [4, 1], scalars: [0.0, 1, 1, 0])
        a.compile(optimizer: SGD(learningRate: 0.1), loss: .binaryCrossentropyFromLogits)
        b.compile(optimizer: SGD(learningRate: 0.1), loss: .binaryCrossentropyFromLogits)
        let one = Sequential { Dense(1) }
        _ = try one.build(inputShape: [3])
        one.compile(optimizer: SGD(learningRate: 0.1), loss: .binaryCrossentropyFromLogits)
        let sw = Tensor(shape: [4], scalars: [2.0, 1, 3, 1])
        let both = try one.testOnBatch(x.sliced(axis: 0, start: 0, end: 4), labels, sampleWeight: sw * Tensor(shape: [4], scalars: [0.5, 4, 4, 0.5]))
        let weights = one.parameters.map(\.value)
        let r2 = try one.trainOnBatch(x.sliced(axis: 0, start: 0, end: 4), labels, sampleWeight: sw, classWeight: [0: 0.5, 1: 4])
        expectNear([r2["loss"]!], [both["loss"]!], rtol: 1e-12, atol: 1e-14)
        #expect(one.parameters[0].value.doubles != weights[0].doubles)
    }

    @Test("validationFreq validates every k-th epoch")
    func validationFrequency() throws {
        let (m, _) = try model()
        let h = try m.fit(x, y, batchSize: 4, epochs: 5, validationData: (x, y), validationFreq: 2, verbose: .silent)
        #expect(h.history["loss"]!.count == 5 && h.history["val_loss"]!.count == 2)
        #expect(throws: TrainingError.self) { try m.fit(x, y, validationFreq: 0, verbose: .silent) }
    }
}
