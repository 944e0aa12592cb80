import Testing
@testable import Weft

// Reverse-mode gradients of every differentiable op against central finite differences in float64
// (checkGradient / checkGradients in TestSupport.swift: h = 1e-6, 1e-6 relative tolerance).
// Inputs keep away from kinks (|x| ≥ 0.2 for abs/relu/…; no ties for max/min/maximum).

/// A single-input case: name, input, function.
struct GradCase: Sendable, CustomTestStringConvertible {
    var name: String
    var x: Tensor
    var f: @Sendable (Tensor) -> Tensor
    var testDescription: String { name }
}

/// A multi-input case.
struct GradCaseN: Sendable, CustomTestStringConvertible {
    var name: String
    var xs: [Tensor]
    var f: @Sendable ([Tensor]) -> Tensor
    var testDescription: String { name }
}

private func rnd(_ shape: Shape, seed: UInt64, scale: Double = 1.5) -> Tensor {
    tensor(shape, fixedRandom(shape.elementCount, seed: seed).map { $0 * scale })
}
private func away(_ shape: Shape, seed: UInt64, low: Double = 0.2, high: Double = 1.5) -> Tensor {
    tensor(shape, awayFromZero(shape.elementCount, seed: seed, low: low, high: high))
}
private func positive(_ shape: Shape, seed: UInt64, low: Double = 0.3, high: Double = 2.5) -> Tensor {
    tensor(shape, fixedRandom(shape.elementCount, seed: seed).map { low + ($0 + 1) / 2 * (high - low) })
}
/// Distinct values (a shuffled arithmetic sequence plus noise): no ties for max/min.
private func distinct(_ shape: Shape, seed: UInt64) -> Tensor {
    let n = shape.elementCount
    let noise = fixedRandom(n, seed: seed)
    let order = (0..<n).sorted { noise[$0] < noise[$1] }
    var v = [Double](repeating: 0, count: n)
    for (rank, i) in order.enumerated() { v[i] = Double(rank) * 0.37 - Double(n) * 0.15 + noise[i] * 0.05 }
    return tensor(shape, v)
}

private let s23: Shape = [2, 3]

private let unaryCases: [GradCase] = [
    GradCase(name: "neg", x: rnd(s23, seed: 1), f: { -$0 }),
    GradCase(name: "exp", x: rnd(s23, seed: 2), f: { exp($0) }),
    GradCase(name: "log", x: positive(s23, seed: 3), f: { log($0) }),
    GradCase(name: "log1p", x: positive(s23, seed: 4, low: -0.7, high: 2), f: { log1p($0) }),
    GradCase(name: "expm1", x: rnd(s23, seed: 5), f: { expm1($0) }),
    GradCase(name: "sqrt", x: positive(s23, seed: 6), f: { sqrt($0) }),
    GradCase(name: "rsqrt", x: positive(s23, seed: 7), f: { rsqrt($0) }),
    GradCase(name: "abs", x: away(s23, seed: 8), f: { abs($0) }),
    GradCase(name: "sign", x: away(s23, seed: 9), f: { sign($0) }),
    GradCase(name: "square", x: rnd(s23, seed: 10), f: { square($0) }),
    GradCase(name: "reciprocal", x: away(s23, seed: 11, low: 0.4), f: { reciprocal($0) }),
    GradCase(name: "sin", x: rnd(s23, seed: 12, scale: 3), f: { sin($0) }),
    GradCase(name: "cos", x: rnd(s23, seed: 13, scale: 3), f: { cos($0) }),
    GradCase(name: "relu", x: away(s23, seed: 14), f: { relu($0) }),
    GradCase(name: "sigmoid", x: rnd(s23, seed: 15, scale: 4), f: { sigmoid($0) }),
    GradCase(name: "tanh", x: rnd(s23, seed: 16, scale: 2), f: { tanh($0) }),
    GradCase(name: "softplus", x: rnd(s23, seed: 17, scale: 4), f: { softplus($0) }),
    GradCase(name: "silu", x: rnd(s23, seed: 18, scale: 4), f: { silu($0) }),
    GradCase(name: "gelu", x: rnd(s23, seed: 19, scale: 3), f: { gelu($0) }),
    GradCase(name: "gelu tanh", x: rnd(s23, seed: 20, scale: 3), f: { gelu($0, approximate: true) }),
    GradCase(name: "selu", x: away(s23, seed: 21), f: { selu($0) }),
    GradCase(name: "elu 0.7", x: away(s23, seed: 22), f: { elu($0, alpha: 0.7) }),
    GradCase(name: "leakyRelu 0.1", x: away(s23, seed: 23), f: { leakyRelu($0, alpha: 0.1) }),
    GradCase(name: "hardSigmoid", x: tensor(s23, [-4, -2.5, -0.7, 0.4, 2.9, 3.6]), f: { hardSigmoid($0) }),
    GradCase(name: "clamp", x: tensor(s23, [-1.2, -0.3, 0.1, 0.5, 0.9, 2]), f: { clamp($0, min: -0.5, max: 0.8) }),
    GradCase(name: "clamp min only", x: tensor(s23, [-1.2, -0.3, 0.1, 0.5, 0.9, 2]), f: { clamp($0, min: 0) }),
    GradCase(name: "pow 2", x: rnd(s23, seed: 24), f: { pow($0, 2) }),
    GradCase(name: "pow 3", x: rnd(s23, seed: 25), f: { pow($0, 3) }),
    GradCase(name: "pow 0.5", x: positive(s23, seed: 26), f: { pow($0, 0.5) }),
    GradCase(name: "pow -1.5", x: positive(s23, seed: 27), f: { pow($0, -1.5) }),
    GradCase(name: "composite", x: rnd(s23, seed: 28), f: { tanh(exp($0) * sin($0) + square($0)) / (1 + sigmoid($0)) }),
    GradCase(name: "cast float64 → float64", x: rnd(s23, seed: 29), f: { $0.cast(to: .float64) * 3 }),
]

private let a23 = rnd([2, 3], seed: 101), b23 = away([2, 3], seed: 102, low: 0.5)
private let b3 = away([3], seed: 103, low: 0.5), a213 = rnd([2, 1, 3], seed: 104), b41 = away([4, 1], seed: 105, low: 0.5)
private let pa23 = positive([2, 3], seed: 106), pa213 = positive([2, 1, 3], seed: 107)
private let s0 = tensor([], [0.7])

private let binaryCases: [GradCaseN] = [
    GradCaseN(name: "add [2,3]+[2,3]", xs: [a23, b23], f: { $0[0] + $0[1] }),
    GradCaseN(name: "add [2,3]+[3]", xs: [a23, b3], f: { $0[0] + $0[1] }),
    GradCaseN(name: "add [2,1,3]+[4,1]", xs: [a213, b41], f: { $0[0] + $0[1] }),
    GradCaseN(name: "add [2,3]+scalar tensor", xs: [a23, s0], f: { $0[0] + $0[1] }),
    GradCaseN(name: "sub [2,3]-[2,3]", xs: [a23, b23], f: { $0[0] - $0[1] }),
    GradCaseN(name: "sub [3]-[2,3]", xs: [b3, a23], f: { $0[0] - $0[1] }),
    GradCaseN(name: "sub [2,1,3]-[4,1]", xs: [a213, b41], f: { $0[0] - $0[1] }),
    GradCaseN(name: "mul [2,3]*[2,3]", xs: [a23, b23], f: { $0[0] * $0[1] }),
    GradCaseN(name: "mul [2,3]*[3]", xs: [a23, b3], f: { $0[0] * $0[1] }),
    GradCaseN(name: "mul [4,1]*[2,1,3]", xs: [b41, a213], f: { $0[0] * $0[1] }),
    GradCaseN(name: "mul scalar tensor*[2,3]", xs: [s0, a23], f: { $0[0] * $0[1] }),
    GradCaseN(name: "div [2,3]/[2,3]", xs: [a23, b23], f: { $0[0] / $0[1] }),
    GradCaseN(name: "div [2,3]/[3]", xs: [a23, b3], f: { $0[0] / $0[1] }),
    GradCaseN(name: "div [2,1,3]/[4,1]", xs: [a213, b41], f: { $0[0] / $0[1] }),
    GradCaseN(name: "div scalar tensor/[3]", xs: [s0, b3], f: { $0[0] / $0[1] }),
    GradCaseN(name: "pow [2,3]^[2,3]", xs: [pa23, a23], f: { pow($0[0], $0[1]) }),
    GradCaseN(name: "pow [2,3]^[3]", xs: [pa23, b3], f: { pow($0[0], $0[1]) }),
    GradCaseN(name: "pow [2,1,3]^[4,1]", xs: [pa213, b41], f: { pow($0[0], $0[1]) }),
    GradCaseN(name: "maximum [2,3],[2,3]", xs: [a23, rnd([2, 3], seed: 108)], f: { maximum($0[0], $0[1]) }),
    GradCaseN(name: "maximum [2,3],[3]", xs: [a23, rnd([3], seed: 109)], f: { maximum($0[0], $0[1]) }),
    GradCaseN(name: "minimum [2,1,3],[4,1]", xs: [a213, rnd([4, 1], seed: 110)], f: { minimum($0[0], $0[1]) }),
    GradCaseN(name: "minimum [2,3],[3]", xs: [a23, rnd([3], seed: 111)], f: { minimum($0[0], $0[1]) }),
    GradCaseN(name: "tensor ∘ Double scalars", xs: [b23], f: { x in
        let a: Tensor = (2 - x[0]) * 3, b: Tensor = 1 / x[0], c: Tensor = x[0] / 4, d: Tensor = x[0] + 0.5
        return a + b - c + d
    }),
    GradCaseN(name: "where (both branches, broadcast)", xs: [a23, b3],
              f: { `where`(Tensor(shape: [2, 3], scalars: [true, false, false, true, true, false]), $0[0], $0[1]) }),
    GradCaseN(name: "where with a comparison condition", xs: [a23],
              f: { `where`($0[0] .> 0, $0[0] * $0[0], -$0[0]) }),
]

private let x234 = distinct([2, 3, 4], seed: 201)
private let reductionCases: [GradCase] = [
    GradCase(name: "sum all", x: x234, f: { $0.sum() }),
    GradCase(name: "sum [1]", x: x234, f: { $0.sum(alongAxes: [1]) }),
    GradCase(name: "sum [0, 2] keepingDims", x: x234, f: { $0.sum(alongAxes: [0, 2], keepingDims: true) }),
    GradCase(name: "mean all", x: x234, f: { $0.mean() }),
    GradCase(name: "mean [-1]", x: x234, f: { $0.mean(alongAxis: -1) }),
    GradCase(name: "mean [0, 2]", x: x234, f: { $0.mean(alongAxes: [0, 2]) }),
    GradCase(name: "max all", x: x234, f: { $0.max() }),
    GradCase(name: "max [1]", x: x234, f: { $0.max(alongAxes: [1]) }),
    GradCase(name: "max [0, 2] keepingDims", x: x234, f: { $0.max(alongAxes: [0, 2], keepingDims: true) }),
    GradCase(name: "min [2]", x: x234, f: { $0.min(alongAxes: [2]) }),
    GradCase(name: "min [0, 2]", x: x234, f: { $0.min(alongAxes: [0, 2]) }),
    GradCase(name: "product all", x: away([2, 3], seed: 202, low: 0.5), f: { $0.product() }),
    GradCase(name: "product [1]", x: away([2, 3, 4], seed: 203, low: 0.5), f: { $0.product(alongAxes: [1]) }),
    GradCase(name: "product [0, 2]", x: away([2, 3, 4], seed: 204, low: 0.5), f: { $0.product(alongAxes: [0, 2]) }),
    GradCase(name: "variance all", x: x234, f: { $0.variance() }),
    GradCase(name: "variance [1] unbiased", x: x234, f: { $0.variance(alongAxes: [1], correction: 1) }),
    GradCase(name: "variance [0, 2] keepingDims", x: x234, f: { $0.variance(alongAxes: [0, 2], keepingDims: true) }),
    GradCase(name: "logSumExp all", x: x234, f: { $0.logSumExp() }),
    GradCase(name: "logSumExp [1]", x: x234, f: { $0.logSumExp(alongAxes: [1]) }),
    GradCase(name: "logSumExp [0, 2] keepingDims", x: x234, f: { $0.logSumExp(alongAxes: [0, 2], keepingDims: true) }),
    GradCase(name: "softmax axis 0", x: x234, f: { $0.softmax(axis: 0) }),
    GradCase(name: "softmax axis 1", x: x234, f: { $0.softmax(axis: 1) }),
    GradCase(name: "softmax axis -1", x: x234, f: { $0.softmax(axis: -1) }),
    GradCase(name: "logSoftmax axis 0", x: x234, f: { $0.logSoftmax(axis: 0) }),
    GradCase(name: "logSoftmax axis 1", x: x234, f: { $0.logSoftmax(axis: 1) }),
    GradCase(name: "logSoftmax axis -1", x: x234, f: { $0.logSoftmax(axis: -1) }),
    GradCase(name: "softmaxCrossEntropy", x: rnd([4, 5], seed: 205, scale: 3),
             f: { softmaxCrossEntropy(logits: $0, labels: Tensor(shape: [4], scalars: [1, 0, 4, 4] as [Int64])) }),
    GradCase(name: "globalAvgPool2d", x: rnd([2, 3, 2, 2], seed: 206), f: { globalAvgPool2d($0) }),
    GradCase(name: "globalMaxPool2d", x: distinct([2, 3, 2, 2], seed: 207), f: { globalMaxPool2d($0) }),
]

private let y234 = rnd([2, 3, 4], seed: 301)
private let shapeCases: [GradCase] = [
    GradCase(name: "reshape", x: y234, f: { $0.reshaped(to: [4, -1]) }),
    GradCase(name: "flatten", x: y234, f: { $0.flattened(startAxis: 1) }),
    GradCase(name: "squeeze/unsqueeze", x: rnd([2, 1, 3], seed: 302), f: { $0.squeezed().unsqueezed(axis: 0) }),
    GradCase(name: "permute", x: y234, f: { $0.permuted([2, 0, 1]) }),
    GradCase(name: "transposed", x: y234, f: { $0.transposed() }),
    GradCase(name: "transposed(0, 2)", x: y234, f: { $0.transposed(0, 2) }),
    GradCase(name: "expanded [3,1]→[2,3,4]", x: rnd([3, 1], seed: 303), f: { $0.expanded(to: [2, 3, 4]) }),
    GradCase(name: "expanded [3]→[2,3]", x: rnd([3], seed: 304), f: { $0.expanded(to: [2, 3]) }),
    GradCase(name: "sliced step 1", x: y234, f: { $0.sliced(axis: 2, start: 1, end: 3) }),
    GradCase(name: "sliced step 2", x: y234, f: { $0.sliced(axis: 2, start: 0, step: 2) }),
    GradCase(name: "sliced negative bounds, step 2", x: rnd([9, 2], seed: 305), f: { $0.sliced(axis: 0, start: -8, end: -1, step: 3) }),
    GradCase(name: "sliced twice", x: y234, f: { $0.sliced(axis: 1, start: 1).sliced(axis: 2, start: 1, step: 2) }),
    GradCase(name: "subscript", x: y234, f: { $0[1][-1] }),
    GradCase(name: "padded", x: rnd([2, 3], seed: 306), f: { $0.padded(before: [1, 0], after: [2, 1], value: 0.5) }),
    GradCase(name: "tiled", x: rnd([2, 3], seed: 307), f: { $0.tiled([2, 3]) }),
    GradCase(name: "split", x: rnd([2, 5], seed: 308), f: { x in
        let p = x.split(sizes: [2, 3], axis: 1)
        return concatenate([p[1], p[0] * 3], axis: 1)
    }),
    GradCase(name: "split(count:)", x: rnd([6, 2], seed: 309), f: { x in
        let p = x.split(count: 3)
        return p[0] * p[2] + p[1]
    }),
    GradCase(name: "indexSelect with repeats", x: rnd([4, 3], seed: 310),
             f: { $0.indexSelect(axis: 0, indices: Tensor(shape: [5], scalars: [3, 0, 3, 1, 3] as [Int64])) }),
    GradCase(name: "indexSelect axis 1", x: rnd([2, 4], seed: 311),
             f: { $0.indexSelect(axis: 1, indices: Tensor(shape: [3], scalars: [2, 2, 0] as [Int32])) }),
    GradCase(name: "gathering with repeats", x: rnd([3, 4], seed: 312),
             f: { $0.gathering(axis: 1, indices: Tensor(shape: [3, 3], scalars: [0, 0, 3, 2, 1, 2, 3, 3, 3] as [Int64])) }),
    GradCase(name: "gathering axis 0, fewer columns", x: rnd([3, 4], seed: 313),
             f: { $0.gathering(axis: 0, indices: Tensor(shape: [2, 3], scalars: [2, 0, 1, 2, 2, 0] as [Int64])) }),
    GradCase(name: "oneHot weighting", x: rnd([3], seed: 314),
             f: { $0.unsqueezed(axis: 1) * oneHot(Tensor(shape: [3], scalars: [2, 0, 1] as [Int64]), depth: 3, dtype: .float64) }),
]

private let multiShapeCases: [GradCaseN] = [
    GradCaseN(name: "concatenate axis 0", xs: [rnd([1, 3], seed: 401), rnd([2, 3], seed: 402), rnd([3, 3], seed: 403)],
              f: { concatenate($0, axis: 0) }),
    GradCaseN(name: "concatenate axis -1", xs: [rnd([2, 1], seed: 404), rnd([2, 3], seed: 405)], f: { concatenate($0, axis: -1) }),
    GradCaseN(name: "stack axis 0", xs: [rnd([2, 3], seed: 406), rnd([2, 3], seed: 407)], f: { stack($0) }),
    GradCaseN(name: "stack axis -1", xs: [rnd([2, 3], seed: 408), rnd([2, 3], seed: 409), rnd([2, 3], seed: 410)],
              f: { stack($0, axis: -1) }),
    GradCaseN(name: "scatteringAdd (self and source)", xs: [rnd([3, 4], seed: 411), rnd([2, 4], seed: 412)],
              f: { $0[0].scatteringAdd(axis: 0, indices: Tensor(shape: [2, 4], scalars: [0, 2, 2, 1, 0, 2, 0, 1] as [Int64]), source: $0[1]) }),
    GradCaseN(name: "scatteringAdd axis 1", xs: [rnd([2, 3], seed: 413), rnd([2, 2], seed: 414)],
              f: { $0[0].scatteringAdd(axis: 1, indices: Tensor(shape: [2, 2], scalars: [1, 1, 0, 2] as [Int64]), source: $0[1]) }),
    GradCaseN(name: "matmul [3,4]·[4,2]", xs: [rnd([3, 4], seed: 420), rnd([4, 2], seed: 421)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [2,3,4]·[2,4,5]", xs: [rnd([2, 3, 4], seed: 422), rnd([2, 4, 5], seed: 423)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [2,3,4]·[4,5]", xs: [rnd([2, 3, 4], seed: 424), rnd([4, 5], seed: 425)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [3,4]·[2,4,5]", xs: [rnd([3, 4], seed: 426), rnd([2, 4, 5], seed: 427)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [2,3,4]·[1,4,2]", xs: [rnd([2, 3, 4], seed: 428), rnd([1, 4, 2], seed: 429)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [2,1,3,4]·[3,4,2]", xs: [rnd([2, 1, 3, 4], seed: 430), rnd([3, 4, 2], seed: 431)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [4]·[4,3]", xs: [rnd([4], seed: 432), rnd([4, 3], seed: 433)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [3,4]·[4]", xs: [rnd([3, 4], seed: 434), rnd([4], seed: 435)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul [4]·[2,4,3]", xs: [rnd([4], seed: 436), rnd([2, 4, 3], seed: 437)], f: { matmul($0[0], $0[1]) }),
    GradCaseN(name: "matmul chain A·Bᵀ", xs: [rnd([3, 4], seed: 438), rnd([2, 4], seed: 439)], f: { matmul($0[0], $0[1].transposed()) }),
    GradCaseN(name: "linear with bias", xs: [rnd([3, 4], seed: 440), rnd([4, 2], seed: 441), rnd([2], seed: 442)],
              f: { linear($0[0], weight: $0[1], bias: $0[2]) }),
    GradCaseN(name: "linear 3-D input", xs: [rnd([2, 3, 4], seed: 443), rnd([4, 2], seed: 444), rnd([2], seed: 445)],
              f: { linear($0[0], weight: $0[1], bias: $0[2]) }),
    GradCaseN(name: "linear without bias", xs: [rnd([3, 4], seed: 446), rnd([4, 2], seed: 447)], f: { linear($0[0], weight: $0[1]) }),
    GradCaseN(name: "two-layer network", xs: [rnd([3, 4], seed: 448), rnd([4, 5], seed: 449), rnd([5, 2], seed: 450)],
              f: { matmul(tanh(matmul($0[0], $0[1])), $0[2]).logSoftmax(axis: 1) }),
]

@Suite struct GradientCheckTests {
    @Test(arguments: unaryCases)
    func unary(_ c: GradCase) { checkGradient(c.f, at: c.x, "\(c.name)") }

    @Test(arguments: binaryCases)
    func binary(_ c: GradCaseN) { checkGradients(c.f, at: c.xs, "\(c.name)") }

    @Test(arguments: reductionCases)
    func reductionsAndSoftmax(_ c: GradCase) { checkGradient(c.f, at: c.x, "\(c.name)") }

    @Test(arguments: shapeCases)
    func shapeOps(_ c: GradCase) { checkGradient(c.f, at: c.x, "\(c.name)") }

    @Test(arguments: multiShapeCases)
    func multiInputOps(_ c: GradCaseN) { checkGradients(c.f, at: c.xs, "\(c.name)") }

    @Test func castThroughFloat32() {
        // float64 → float32 → float64: the gradient passes through (rounded to float32), in float64.
        let x = rnd([2, 3], seed: 501)
        let w = upstreamWeights([2, 3], dtype: .float64)
        let (_, g) = valueWithGradient(at: x) { ($0.cast(to: .float32).cast(to: .float64) * w).sum() }
        #expect(g.dtype == .float64)
        expectClose(g.doubles, w.doubles, rtol: 1e-7)
        let (_, gh) = valueWithGradient(at: x) { ($0.cast(to: .float16) * 2).cast(to: .float64).sum() }
        #expect(gh.dtype == .float64)
        #expect(gh.doubles == [Double](repeating: 2, count: 6))
    }

    @Test func broadcastGradientsAreSummedToTheOperandShape() {
        // d/db sum(a + b) for b [3] against a [2, 3] is 2 for each element; for b [4, 1] against [2, 1, 3] it is 6.
        let (_, g1) = valueWithGradient(at: tensor([2, 3], [1, 2, 3, 4, 5, 6]), tensor([3], [1, 1, 1])) { ($0 + $1).sum() }
        expectTensor(g1.1, shape: [3], [2, 2, 2])
        let (_, g2) = valueWithGradient(at: tensor([2, 1, 3], [1, 2, 3, 4, 5, 6]), tensor([4, 1], [1, 1, 1, 1])) { ($0 * $1).sum() }
        expectTensor(g2.0, shape: [2, 1, 3], [4, 4, 4, 4, 4, 4])
        expectTensor(g2.1, shape: [4, 1], [21, 21, 21, 21])
    }

    @Test func maxSplitsTheGradientAmongTies() {
        // As torch.amax: tied maxima share the gradient equally.
        let (_, g) = valueWithGradient(at: tensor([2, 3], [1, 3, 3, 5, 2, 5])) { $0.max(alongAxes: [1]).sum() }
        expectTensor(g, shape: [2, 3], [0, 0.5, 0.5, 0.5, 0, 0.5])
        let (_, gm) = valueWithGradient(at: tensor([4], [2, 0, 0, 1])) { $0.min() }
        expectTensor(gm, shape: [4], [0, 0.5, 0.5, 0])
    }

    @Test func productGradientWithAZero() {
        // torch.tensor([2., 0., 3.], requires_grad=True).prod().backward() gives grad [0., 6., 0.]:
        // the product of the other elements, also where an element is 0.
        let (v, g) = valueWithGradient(at: tensor([3], [2, 0, 3])) { $0.product() }
        #expect(v.item == 0)
        expectTensor(g, shape: [3], [0, 6, 0])
    }

    @Test func geluDerivativesMatchPyTorch() {
        // Analytic derivatives against torch.autograd (TorchReferences.swift), at the same inputs.
        let x = tensor([8], [-2.5, -1.25, -0.5, -0.125, 0.25, 0.75, 1.5, 3.0])
        expectClose(gradient(at: x) { gelu($0).sum() }.doubles, TorchRef.geluGrad, rtol: 1e-13, atol: 1e-15)
        expectClose(gradient(at: x) { gelu($0, approximate: true).sum() }.doubles, TorchRef.geluTanhGrad, rtol: 1e-13, atol: 1e-15)
    }

    @Test func float32GradientsAgreeWithFloat64() {
        // The float32 kernels compute the same derivatives (to float32 precision).
        let x64 = rnd([2, 3], seed: 601)
        let x32 = x64.cast(to: .float32)
        let f: (Tensor) -> Tensor = { (tanh($0) * sigmoid($0) + exp($0 * 0.5)).softmax(axis: 1).sum(alongAxes: [0]) * Tensor(shape: [3], scalars: [1.0, -2, 0.5]).cast(to: $0.dtype) }
        let g64 = gradient(at: x64) { f($0).sum() }, g32 = gradient(at: x32) { f($0).sum() }
        #expect(g32.dtype == .float32)
        expectClose(g32.doubles, g64.doubles, rtol: 1e-5, atol: 1e-6)
    }
}
