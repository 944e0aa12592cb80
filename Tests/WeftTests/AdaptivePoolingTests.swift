import Testing
@testable import Weft

// Adaptive average / max pooling against PyTorch's F.adaptive_{avg,max}_pool{1,2,3}d
// (TorchAdaptivePoolReference.swift, float64; x = pattern(shape, 5, 3), gradients of
// (y · pattern(y.shape, 7, 2)).sum()):
//
//   y = F.adaptive_avg_pool2d(x, out); w = pattern(list(y.shape), 7, 2); (y * w).sum().backward()
//
// Cases: 1-D 7 → 3; 2-D 5×7 → 3×2; 3-D 4×5×3 → 2×3×2; and 3×3 → 5×4 (more outputs than inputs:
// windows overlap), each average and max (the pattern repeats, so max windows hold ties: the
// first maximum wins, as PyTorch).

@Suite("Adaptive pooling")
struct AdaptivePoolingTests {
    @Test("Values and gradients equal PyTorch's", arguments: 0..<TorchAdaptivePoolReference.cases.count)
    func matchesTorch(_ k: Int) {
        let (kind, shape, out, ref, grad) = TorchAdaptivePoolReference.cases[k]
        let x = patterned(shape, 5, 3)
        let f: (Tensor) -> Tensor = { kind == "avg" ? adaptiveAvgPool($0, outputSize: out) : adaptiveMaxPool($0, outputSize: out) }
        let y = f(x)
        #expect(y.shape == Array(shape.prefix(2)) + out)
        expectClose(y.doubles, ref, rtol: 1e-12, atol: 1e-12, "\(kind) \(shape) → \(out)")
        let w = patterned(y.shape, 7, 2)
        let (_, g) = valueWithGradient(at: x) { (f($0) * w).sum() }
        expectClose(g.doubles, grad, rtol: 1e-12, atol: 1e-12, "\(kind) gradient")
        #expect(f(x.cast(to: .float32)).dtype == .float32)
    }

    @Test("Average gradients against central differences; the global case is the mean")
    func gradients() {
        let x = tensor([2, 3, 5, 4], fixedRandom(120, seed: 3))
        checkGradient({ adaptiveAvgPool($0, outputSize: [2, 3]) }, at: x)
        expectClose(adaptiveAvgPool(x, outputSize: [1, 1]).doubles, x.mean(alongAxes: [2, 3]).doubles, rtol: 1e-12, atol: 1e-14)
        expectClose(adaptiveMaxPool(x, outputSize: [1, 1]).doubles, x.max(alongAxes: [2, 3]).doubles, rtol: 0, atol: 0)
        // Equal windows: the same as plain 2×2 pooling.
        let even = tensor([1, 2, 4, 6], fixedRandom(48, seed: 5))
        expectClose(adaptiveMaxPool(even, outputSize: [2, 3]).doubles, maxPool2d(even, kernel: (2, 2), stride: (2, 2)).doubles, rtol: 1e-6, atol: 1e-7)
    }
}
