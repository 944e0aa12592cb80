import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Helpers shared by the WeftNN tests. Expected values are always computed in the tests
// themselves from the reference formulas, never by WeftNN.

/// A float64 tensor of `shape` from row-major `values` (or cast to `dtype`).
func nnTensor(_ shape: Shape, _ values: [Double], dtype: DType = .float64) -> Tensor {
    let t = Tensor(shape: shape, scalars: values)
    return dtype == .float64 ? t : t.cast(to: dtype)
}

/// An int64 label tensor.
func nnLabels(_ values: [Int]) -> Tensor { Tensor(shape: [values.count], scalars: values.map { Int64($0) }) }

/// Fixed pseudo-random values in [-1, 1) (SplitMix64), independent of Weft's generator.
/// The deterministic values of the Keras reference scripts: offset + 0.5·sin(a·k + b) for the
/// row-major index k (`det` in their headers).
func kerasDet(_ shape: Shape, _ a: Double, _ b: Double, offset: Double = 0) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { k in offset + 0.5 * Foundation.sin(a * Double(k) + b) })
}

func nnRandom(_ n: Int, seed: UInt64) -> [Double] {
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

/// Element-wise closeness: |a − e| ≤ atol + rtol·|e|.
func nnIsClose(_ actual: [Double], _ expected: [Double], rtol: Double, atol: Double) -> Bool {
    guard actual.count == expected.count else { return false }
    for (a, e) in zip(actual, expected) where !(Swift.abs(a - e) <= atol + rtol * Swift.abs(e)) { return false }
    return true
}

/// Expects `actual` to match `expected` element-wise; reports both arrays on failure.
func expectNear(_ actual: [Double], _ expected: [Double], rtol: Double = 1e-12, atol: Double = 0,
                _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    if nnIsClose(actual, expected, rtol: rtol, atol: atol) { return }
    Issue.record("\(comment.isEmpty ? "" : comment + ": ")values differ (rtol \(rtol), atol \(atol))\n  actual:   \(actual)\n  expected: \(expected)",
                 sourceLocation: sourceLocation)
}

/// Replaces every parameter of `layer` by fixed float64 values (a per-parameter seed), so that
/// tests neither depend on the shared global generator nor on `TensorDefaults.floatType`.
func setFloat64Parameters(_ layer: some Layer, seed: UInt64 = 1, scale: Double = 0.5) {
    for (i, p) in layer.parameters.enumerated() {
        let shape = p.value.shape
        p.value = nnTensor(shape, nnRandom(shape.elementCount, seed: seed &+ UInt64(i) &* 7919).map { $0 * scale })
    }
}

/// Copies parameter values from `source` to `target` (same architecture, built).
func copyParameters(from source: some Layer, to target: some Layer) {
    for (s, t) in zip(source.parameters, target.parameters) { t.value = s.value }
}

/// Expects two multi-line texts to be equal; on failure reports each differing line.
func expectSameText(_ actual: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if actual == expected { return }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    var report: [String] = []
    for i in 0..<Swift.max(a.count, e.count) {
        let la = i < a.count ? String(a[i]) : "<missing>", le = i < e.count ? String(e[i]) : "<missing>"
        if la != le { report.append("line \(i + 1):\n    actual:   \(la)\n    expected: \(le)") }
    }
    let details: String = report.joined(separator: "\n")
    Issue.record("texts differ:\n\(details)", sourceLocation: sourceLocation)
}
