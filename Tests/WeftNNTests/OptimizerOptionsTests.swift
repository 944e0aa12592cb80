import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Gradient accumulation and the weights' moving average (Keras's gradient_accumulation_steps,
// use_ema) against Keras 3.15.1 (torch backend, float64): w = det((5,), .37, .1), call k's
// gradient det((5,), .29 + .1·k, .3), det(shape, a, b) = (0.5 * np.sin(a * np.arange(n) + b));
//   SGD(0.1, gradient_accumulation_steps=2) after 3 and 4 calls;
//   SGD(0.1, momentum=0.9, gradient_accumulation_steps=3) after 6 calls;
//   SGD(0.1, use_ema=True, ema_momentum=0.9) after 3 calls, before and after finalize_variable_values;
//   SGD(0.1, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=2) after 3 calls.

private func det(_ n: Int, _ a: Double, _ b: Double) -> Tensor {
    nnTensor([n], (0..<n).map { 0.5 * Foundation.sin(a * Double($0) + b) })
}

private func run(_ opt: ConfiguredOptimizer, calls: Int) -> Parameter {
    let w = Parameter(det(5, 0.37, 0.1))
    for k in 0..<calls { opt.update([w], gradients: [det(5, 0.29 + 0.1 * Double(k), 0.3)]) }
    return w
}

@Suite("Optimizer options: gradient accumulation and weight averaging (Keras)")
struct OptimizerOptionsTests {
    @Test func gradientAccumulation() {
        let r = KerasOptimizerOptionsReference.self
        expectNear(run(SGD(learningRate: 0.1).accumulatingGradients(steps: 2), calls: 3).value.doubles, r.sgdAccumulate3, rtol: 1e-12, atol: 1e-15)
        let opt = SGD(learningRate: 0.1).accumulatingGradients(steps: 2)
        expectNear(run(opt, calls: 4).value.doubles, r.sgdAccumulate4, rtol: 1e-12, atol: 1e-15)
        #expect(opt.iterations == 4 && opt.base.iterations == 2)
        let m = SGD(learningRate: 0.1, momentum: 0.9).accumulatingGradients(steps: 3)
        expectNear(run(m, calls: 6).value.doubles, r.sgdMomentumAccumulate6, rtol: 1e-12, atol: 1e-15)
        // One call of an accumulating optimizer changes nothing.
        #expect(run(SGD(learningRate: 0.1).accumulatingGradients(steps: 2), calls: 1).value.doubles == det(5, 0.37, 0.1).doubles)
    }

    @Test func movingAverage() {
        let r = KerasOptimizerOptionsReference.self
        let opt = SGD(learningRate: 0.1).averaged(momentum: 0.9)
        let w = run(opt, calls: 3)
        expectNear(w.value.doubles, r.sgdEmaBeforeFinalize, rtol: 1e-12, atol: 1e-15)
        opt.finalizeVariableValues([w])
        expectNear(w.value.doubles, r.sgdEmaFinalized, rtol: 1e-12, atol: 1e-15)
        let o2 = SGD(learningRate: 0.1).averaged(momentum: 0.8, overwriteFrequency: 2)
        expectNear(run(o2, calls: 3).value.doubles, r.sgdEmaOverwrite2, rtol: 1e-12, atol: 1e-15)
    }

    @Test func fitEndsWithTheAveragedWeights() throws {
        let d = FitTests.separable(32, seed: 5)
        let m = try FitTests.seededClassifier(2)
        let opt = Adam(learningRate: 0.05).averaged(momentum: 0.5)
        m.compile(optimizer: opt, loss: .softmaxCrossEntropy)
        var last: [[Double]] = []
        let probe = LambdaCallback(onEpochEnd: { _, _ in last = m.parameters.map { opt.average(of: $0)!.doubles } })
        _ = try m.fit(d.x, d.y, batchSize: 8, epochs: 2, verbose: .silent, callbacks: [probe])
        #expect(!last.isEmpty)
        for (p, a) in zip(m.parameters, last) { #expect(p.value.doubles == a) }
    }

    /// Keras 3.15.1 (torch backend, float64), w = det((5,), .37, .1), call k's gradient
    /// det((5,), .29 + .1·k, .3)·(3 if k is even else 0.2), 5 calls: Adam(0.1, beta_2=0.5,
    /// amsgrad=True), the same without amsgrad, AdamW(0.05, weight_decay=0.1, beta_2=0.6, amsgrad=True).
    @Test func amsgrad() {
        func run(_ opt: any Optimizer) -> [Double] {
            let w = Parameter(det(5, 0.37, 0.1))
            for k in 0..<5 { opt.update([w], gradients: [det(5, 0.29 + 0.1 * Double(k), 0.3) * (k % 2 == 0 ? 3.0 : 0.2)]) }
            return w.value.doubles
        }
        let ams = run(Adam(learningRate: 0.1, beta2: 0.5, amsgrad: true))
        expectNear(ams, [-0.33253354675125507, -0.1406648815841432, 0.0007961795543449945, 0.09467476582040711, 0.14837565734072078],
                   rtol: 1e-12, atol: 1e-15, "Adam amsgrad")
        expectNear(run(Adam(learningRate: 0.1, beta2: 0.5)), [-0.3834313061116507, -0.19027096446520725, -0.04896000963397891,
                                                             0.028516016054788193, 0.029452765155300806], rtol: 1e-12, atol: 1e-15, "Adam")
        expectNear(run(AdamW(learningRate: 0.05, weightDecay: 0.1, beta2: 0.6, amsgrad: true)),
                   [-0.14403727745848244, 0.03427258805205685, 0.17470599077383187, 0.2670956927742055, 0.3059488631839488],
                   rtol: 1e-12, atol: 1e-15, "AdamW amsgrad")
        // The third slot is v̂, the running maximum of v.
        let opt = Adam(learningRate: 0.1, beta2: 0.5, amsgrad: true), w = Parameter(det(5, 0.37, 0.1))
        for k in 0..<2 { opt.update([w], gradients: [det(5, 0.29 + 0.1 * Double(k), 0.3) * (k % 2 == 0 ? 3.0 : 0.2)]) }
        let state = opt.slots.named([("w", w)])["w"]!
        #expect(state.count == 3)
        #expect(zip(state[2].doubles, state[1].doubles).allSatisfy { $0 >= $1 } && state[2].doubles != state[1].doubles)
    }
}
