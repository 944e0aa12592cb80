import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Lamb, Ftrl and Adafactor against Keras 3.15.1 (torch backend, float64 variables); references in
// KerasOptimizerReference.swift, from three apply_gradients steps on variables
// w2 = det((3,4), .37, .1), w1 = det((4,), .53, .2), w3 = det((2,2,3), .41, .3) with gradients
// det((3,4), .29 + .1·step, .3), det((4,), .31 + .1·step, .2), det((2,2,3), .23 + .1·step, .4):
//   Lamb(learning_rate=0.01); Ftrl(learning_rate=0.1, l1=0.01, l2=0.02, l2_shrinkage=0.03, beta=0.1);
//   Adafactor(learning_rate=0.1); Adafactor(learning_rate=0.05, relative_step=False, clip_threshold=0.5)
// where det(shape, a, b) = (0.5 * np.sin(a * np.arange(np.prod(shape)) + b)).reshape(shape).

private func det(_ shape: Shape, _ a: Double, _ b: Double, dtype: DType = .float64) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { 0.5 * Foundation.sin(a * Double($0) + b) }, dtype: dtype)
}

private func run(_ opt: any Optimizer, dtype: DType = .float64) -> [[Double]] {
    let ps = [Parameter(det([3, 4], 0.37, 0.1, dtype: dtype)), Parameter(det([4], 0.53, 0.2, dtype: dtype)),
              Parameter(det([2, 2, 3], 0.41, 0.3, dtype: dtype))]
    for step in 0..<3 {
        let s = 0.1 * Double(step)
        opt.update(ps, gradients: [det([3, 4], 0.29 + s, 0.3, dtype: dtype), det([4], 0.31 + s, 0.2, dtype: dtype),
                                   det([2, 2, 3], 0.23 + s, 0.4, dtype: dtype)])
    }
    #expect(opt.iterations == 3)
    return ps.map(\.value.doubles)
}

@Suite("Lamb, Ftrl and Adafactor against Keras 3")
struct FactoredOptimizerTests {
    @Test func lamb() {
        let r = KerasOptimizerReference.self
        let w = run(Lamb(learningRate: 0.01))
        for (got, ref) in zip(w, [r.lamb2, r.lamb1, r.lamb3]) { expectNear(got, ref, rtol: 1e-12, atol: 1e-14) }
        let w32 = run(Lamb(learningRate: 0.01), dtype: .float32)
        for (got, ref) in zip(w32, [r.lamb2, r.lamb1, r.lamb3]) { expectNear(got, ref, rtol: 1e-5, atol: 1e-6) }
    }

    @Test func ftrl() {
        let r = KerasOptimizerReference.self
        let opt = Ftrl(learningRate: 0.1, l1RegularizationStrength: 0.01, l2RegularizationStrength: 0.02,
                       l2ShrinkageRegularizationStrength: 0.03, beta: 0.1)
        let w = run(opt)
        for (got, ref) in zip(w, [r.ftrl2, r.ftrl1, r.ftrl3]) { expectNear(got, ref, rtol: 1e-12, atol: 1e-14) }
    }

    @Test func adafactor() {
        let r = KerasOptimizerReference.self
        // Keras keeps the learning rate in a float32 variable (0.1 → 0.10000000149), which the
        // Adafactor step uses directly: agreement to ~1e-8, hence 1e-7.
        let w = run(Adafactor(learningRate: 0.1))
        for (got, ref) in zip(w, [r.adafactor2, r.adafactor1, r.adafactor3]) { expectNear(got, ref, rtol: 1e-7, atol: 1e-8) }
        let a = run(Adafactor(learningRate: 0.05, clipThreshold: 0.5, relativeStep: false))
        for (got, ref) in zip(a, [r.adafactorAbsolute2, r.adafactorAbsolute1, r.adafactorAbsolute3]) { expectNear(got, ref, rtol: 1e-7, atol: 1e-8) }
        // The two settings differ by more than that.
        #expect(!nnIsClose(w[0], a[0], rtol: 1e-3, atol: 1e-4))
        // The factored second moment: r [3], c [4] for a [3, 4] parameter, and its state by name.
        let opt = Adafactor()
        let m = Sequential { Dense(4) }
        _ = try? m.build(inputShape: [3])
        let (_, g) = valueWithGradient(at: m) { $0(nnTensor([2, 3], nnRandom(6, seed: 1), dtype: .float32)).sum() }
        opt.update(m, along: g)
        let state = opt.stateDict(for: m)
        #expect(state["0.weight"]?.map(\.shape) == [[3], [4], [3, 4]])
        #expect(state["0.bias"]?.map(\.shape) == [[], [], [4]])
    }
}
