import Testing
@testable import Weft
@testable import WeftNN
#if canImport(Glibc)
import Glibc
#endif

/// Keras 3 learning-rate schedules, against values worked out by hand.
@Suite struct ScheduleTests {
    func expectSchedule(_ s: some LearningRateSchedule, _ cases: [(Int, Double)], _ name: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        for (step, lr) in cases {
            expectNear([s(step)], [lr], rtol: 1e-14, atol: 1e-18, "\(name) at step \(step)", sourceLocation: sourceLocation)
        }
    }

    @Test func constant() {
        expectSchedule(ConstantSchedule(0.3), [(0, 0.3), (1000, 0.3)], "constant")
    }

    @Test func exponentialDecay() {
        let s = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5)
        expectSchedule(s, [(0, 0.1), (5, 0.1 / 2.0.squareRoot()), (10, 0.05), (20, 0.025), (15, 0.1 / pow(2, 1.5))], "exponential")
        let st = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true)
        expectSchedule(st, [(0, 0.1), (9, 0.1), (10, 0.05), (15, 0.05), (29, 0.025)], "exponential staircase")
    }

    @Test func piecewiseConstant() {
        let s = PiecewiseConstantDecay(boundaries: [10, 20], values: [1, 0.5, 0.1])
        expectSchedule(s, [(0, 1), (10, 1), (11, 0.5), (20, 0.5), (21, 0.1), (100, 0.1)], "piecewise")
    }

    @Test func cosineDecay() {
        let s = CosineDecay(initialLearningRate: 0.1, decaySteps: 100)
        // 0.1·½(1 + cos(π/4)) at step 25.
        expectSchedule(s, [(0, 0.1), (25, 0.05 * (1 + 0.5.squareRoot())), (50, 0.05), (100, 0), (200, 0)], "cosine")
        let a = CosineDecay(initialLearningRate: 0.1, decaySteps: 100, alpha: 0.1)
        // 0.1·(0.9·½ + 0.1) at step 50; floor 0.1·0.1.
        expectSchedule(a, [(0, 0.1), (50, 0.055), (100, 0.01), (150, 0.01)], "cosine alpha")
    }

    @Test func cosineDecayWithWarmup() {
        let s = CosineDecay(initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.1, warmupSteps: 10)
        // Linear 0 → 0.1 over 10 steps, then cosine from 0.1 over the next 100.
        expectSchedule(s, [(0, 0), (5, 0.05), (9, 0.09), (10, 0.1), (60, 0.05), (110, 0), (500, 0)], "cosine warm-up")
        let s2 = CosineDecay(initialLearningRate: 0.01, decaySteps: 10, alpha: 0.5, warmupTarget: 0.05, warmupSteps: 4)
        // Warm-up 0.01 + 0.04·s/4; then 0.05·(0.5·½(1 + cos(π·(s−4)/10)) + 0.5).
        expectSchedule(s2, [(0, 0.01), (2, 0.03), (4, 0.05), (9, 0.05 * (0.25 + 0.5)), (14, 0.025), (20, 0.025)],
                       "cosine warm-up alpha")
    }

    @Test func polynomialDecay() {
        let s = PolynomialDecay(initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 2)
        // (0.1 − 0.01)(1 − s/10)² + 0.01.
        expectSchedule(s, [(0, 0.1), (5, 0.0325), (10, 0.01), (20, 0.01)], "polynomial")
        let c = PolynomialDecay(initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 2, cycle: true)
        // Cycle: decay steps 10·⌈s/10⌉ → step 15 over 20: 0.09·0.25² + 0.01; step 20 over 20 → end.
        expectSchedule(c, [(0, 0.1), (5, 0.0325), (10, 0.01), (15, 0.015625), (20, 0.01)], "polynomial cycle")
        let d = PolynomialDecay(initialLearningRate: 0.1, decaySteps: 10)   // Keras defaults: end 1e-4, power 1
        expectSchedule(d, [(5, 0.05005), (10, 0.0001)], "polynomial defaults")
    }

    @Test func inverseTimeDecay() {
        let s = InverseTimeDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5)
        expectSchedule(s, [(0, 0.1), (5, 0.08), (10, 0.1 / 1.5), (15, 0.1 / 1.75)], "inverse time")
        let st = InverseTimeDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true)
        expectSchedule(st, [(5, 0.1), (15, 0.1 / 1.5), (20, 0.05)], "inverse time staircase")
    }

    /// The schedule sets the step size: step k (k = 0, 1, 2, the iterations before the update)
    /// uses schedule(k).
    @Test func scheduleDrivesUpdate() {
        let w0 = OptimizerTests.w0, grads = OptimizerTests.grads
        let p = Parameter(nnTensor([4], w0))
        let opt = SGD(learningRate: 123).scheduled(PiecewiseConstantDecay(boundaries: [1], values: [0.1, 0.01]))
        for g in grads { opt.update([p], gradients: [nnTensor([4], g)]) }
        let expected = w0.indices.map { w0[$0] - 0.1 * grads[0][$0] - 0.1 * grads[1][$0] - 0.01 * grads[2][$0] }
        expectNear(p.value.doubles, expected, rtol: 1e-14)
        #expect(opt.iterations == 3 && opt.learningRate == 0.01)

        // Adam with exponential decay = Adam's rule with η changing per step.
        let sched = ExponentialDecay(initialLearningRate: 0.01, decaySteps: 1, decayRate: 0.5)
        let q = Parameter(nnTensor([4], w0))
        let adam = Adam().scheduled(sched)
        for g in grads { adam.update([q], gradients: [nnTensor([4], g)]) }
        var w = w0, m = [Double](repeating: 0, count: 4), v = m
        for (k, g) in grads.enumerated() {
            let t = Double(k + 1), lr = 0.01 * pow(0.5, Double(k))
            let alpha = lr * (1 - pow(0.999, t)).squareRoot() / (1 - pow(0.9, t))
            for i in 0..<4 {
                m[i] += (g[i] - m[i]) * 0.1
                v[i] += (g[i] * g[i] - v[i]) * 0.001
                w[i] -= alpha * m[i] / (v[i].squareRoot() + 1e-7)
            }
        }
        expectNear(q.value.doubles, w, rtol: 1e-13)
        // With weight decay, the decay uses the scheduled rate too.
        let r = Parameter(nnTensor([4], w0))
        let sgd = SGD(learningRate: 9).scheduled(ConstantSchedule(0.1)).weightDecayed(0.5)
        sgd.update([r], gradients: [nnTensor([4], grads[0])])
        expectNear(r.value.doubles, w0.indices.map { w0[$0] * (1 - 0.05) - 0.1 * grads[0][$0] }, rtol: 1e-14)
    }
}
