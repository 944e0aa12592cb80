import Testing
@testable import Weft

// Helpers shared by the core tests: deterministic inputs, tolerant comparisons and a
// finite-difference gradient checker.

/// The deterministic input pattern the PyTorch references (TorchReferences.swift) were made from:
/// `Double((i*a + b) % 23 - 11) / 8` — multiples of 1/8 in [-1.375, 1.375], exact in every float type.
func pattern(_ n: Int, _ a: Int, _ b: Int) -> [Double] {
    (0..<n).map { Double(($0 * a + b) % 23 - 11) / 8 }
}

/// A float64 tensor (or `dtype`) of `shape` from row-major `values`.
func tensor(_ shape: Shape, _ values: [Double], dtype: DType = .float64) -> Tensor {
    let t = Tensor(shape: shape, scalars: values)
    return dtype == .float64 ? t : t.cast(to: dtype)
}

/// A float32 tensor of `shape` from row-major `values`.
func tensor32(_ shape: Shape, _ values: [Float]) -> Tensor { Tensor(shape: shape, scalars: values) }

/// `pattern(count, a, b)` as a tensor of `shape`.
func patterned(_ shape: Shape, _ a: Int, _ b: Int, dtype: DType = .float64) -> Tensor {
    tensor(shape, pattern(shape.elementCount, a, b), dtype: dtype)
}

/// Fixed pseudo-random values in [-1, 1) (SplitMix64), independent of Weft's generator.
func fixedRandom(_ n: Int, seed: UInt64) -> [Double] {
    var s = seed
    return (0..<n).map { _ in
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-53 * 2 - 1
    }
}

/// Fixed pseudo-random values in ±[low, high] (magnitudes away from 0, for ops with a kink at 0).
func awayFromZero(_ n: Int, seed: UInt64, low: Double = 0.2, high: Double = 1.5) -> [Double] {
    fixedRandom(n, seed: seed).map { r in (r < 0 ? -1 : 1) * (low + Swift.abs(r) * (high - low)) }
}

/// True when every element is within `atol + rtol·|expected|`; NaNs must match NaNs, infinities must be equal.
func isClose(_ actual: [Double], _ expected: [Double], rtol: Double, atol: Double) -> Bool {
    guard actual.count == expected.count else { return false }
    for (a, e) in zip(actual, expected) {
        if e.isNaN { if !a.isNaN { return false } else { continue } }
        if e.isInfinite { if a != e { return false } else { continue } }
        if !(Swift.abs(a - e) <= atol + rtol * Swift.abs(e)) { return false }
    }
    return true
}

/// Expects `actual` to match `expected` element-wise (reports the worst element on failure).
func expectClose(_ actual: [Double], _ expected: [Double], rtol: Double = 1e-12, atol: Double = 1e-12,
                 _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "count \(actual.count) vs expected \(expected.count)", sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    if isClose(actual, expected, rtol: rtol, atol: atol) { return }
    var worst = 0, worstErr = -1.0
    for i in 0..<actual.count {
        let err = Swift.abs(actual[i] - expected[i])
        if err.isNaN || err > worstErr { worst = i; worstErr = err.isNaN ? .infinity : err }
    }
    Issue.record("\(comment.map { "\($0): " } ?? "")mismatch at [\(worst)]: got \(actual[worst]), expected \(expected[worst]) (rtol \(rtol), atol \(atol))\n  actual:   \(actual)\n  expected: \(expected)",
                 sourceLocation: sourceLocation)
}

/// Expects a tensor's shape, and its values to match `expected`.
func expectTensor(_ t: Tensor, shape: Shape, _ expected: [Double], rtol: Double = 1e-12, atol: Double = 1e-12,
                  _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(t.shape == shape, "shape \(t.shape) vs expected \(shape)", sourceLocation: sourceLocation)
    expectClose(t.doubles, expected, rtol: rtol, atol: atol, comment, sourceLocation: sourceLocation)
}

/// The upstream weighting used by the gradient checks: fixed random values of `shape` and `dtype`.
func upstreamWeights(_ shape: Shape, dtype: DType, seed: UInt64 = 0xC0FFEE) -> Tensor {
    tensor(shape, fixedRandom(shape.elementCount, seed: seed), dtype: dtype)
}

/// Central finite differences of `L(x) = sum(f(x) · w)` at `x`, one element at a time.
/// The step actually taken is measured in x's dtype (float32 rounds `x ± h`).
func numericGradient(_ f: (Tensor) -> Tensor, at x: Tensor, weights w: Tensor, h: Double) -> [Double] {
    let base = x.doubles
    var out = [Double](repeating: 0, count: base.count)
    withoutGradient {
        for i in 0..<base.count {
            var p = base, m = base
            p[i] += h
            m[i] -= h
            let xp = tensor(x.shape, p, dtype: x.dtype), xm = tensor(x.shape, m, dtype: x.dtype)
            let lp = (f(xp).cast(to: .float64) * w.cast(to: .float64)).sum().item
            let lm = (f(xm).cast(to: .float64) * w.cast(to: .float64)).sum().item
            out[i] = (lp - lm) / (xp.doubles[i] - xm.doubles[i])
        }
    }
    return out
}

/// Checks the reverse-mode gradient of `f` at `x` against central finite differences.
///
/// The output is reduced with a fixed random upstream weighting, `L = sum(f(x) · w)`, so that
/// errors a plain sum would hide (softmax's gradient of a sum is zero) show up. The analytic
/// gradient comes from `valueWithGradient(at:in:)`; float64 inputs use `h = 1e-6` and a 1e-6
/// relative tolerance.
func checkGradient(_ f: (Tensor) -> Tensor, at x: Tensor, h: Double = 1e-6, rtol: Double = 1e-6, atol: Double = 1e-6,
                   _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    let y = withoutGradient { f(x) }
    let w = upstreamWeights(y.shape, dtype: y.dtype)
    let (value, g) = valueWithGradient(at: x) { xv in (f(xv) * w).sum() }
    #expect(value.shape == [], sourceLocation: sourceLocation)
    #expect(g.shape == x.shape, "gradient shape \(g.shape) vs input \(x.shape)", sourceLocation: sourceLocation)
    #expect(g.dtype == x.dtype, "gradient dtype \(g.dtype) vs input \(x.dtype)", sourceLocation: sourceLocation)
    guard g.shape == x.shape else { return }
    let numeric = numericGradient(f, at: x, weights: w, h: h)
    expectClose(g.doubles, numeric, rtol: rtol, atol: atol, comment, sourceLocation: sourceLocation)
}

/// The same check for a function of several tensors; each input is differentiated in turn.
func checkGradients(_ f: ([Tensor]) -> Tensor, at xs: [Tensor], h: Double = 1e-6, rtol: Double = 1e-6, atol: Double = 1e-6,
                    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    let y = withoutGradient { f(xs) }
    let w = upstreamWeights(y.shape, dtype: y.dtype)
    let (_, gs) = valueWithGradient(at: xs) { v in (f(v) * w).sum() }
    #expect(gs.count == xs.count, sourceLocation: sourceLocation)
    for (k, x) in xs.enumerated() where k < gs.count {
        #expect(gs[k].shape == x.shape, "input \(k): gradient shape \(gs[k].shape) vs input \(x.shape)", sourceLocation: sourceLocation)
        guard gs[k].shape == x.shape else { continue }
        let numeric = numericGradient({ xk in
            var v = xs
            v[k] = xk
            return f(v)
        }, at: x, weights: w, h: h)
        expectClose(gs[k].doubles, numeric, rtol: rtol, atol: atol, "\(comment.map { "\($0), " } ?? "")input \(k)",
                    sourceLocation: sourceLocation)
    }
}
