import Testing
@testable import Weft

// Reductions over single, multiple and non-contiguous axes, with and without kept dims.
// x = pattern(24, 37, 0) as [2, 3, 4]; references from PyTorch (TorchReferences.swift) or by hand.

@Suite struct ReductionTests {
    let x = patterned([2, 3, 4], 37, 0)

    /// (axes, dropped shape, kept shape, sum, mean, max, min, prod, var, unbiased var)
    static let axisCases: [([Int], Shape, Shape)] = [([1], [2, 4], [2, 1, 4]), ([0, 2], [3], [1, 3, 1]), ([-1], [2, 3], [2, 3, 1])]

    func refs(_ axes: [Int]) -> (sum: [Double], mean: [Double], max: [Double], min: [Double], prod: [Double], v: [Double], vu: [Double]) {
        switch axes {
        case [1]: return (TorchRef.sumAxis1, TorchRef.meanAxis1, TorchRef.maxAxis1, TorchRef.minAxis1, TorchRef.prodAxis1, TorchRef.varAxis1, TorchRef.varUnbiasedAxis1)
        case [0, 2]: return (TorchRef.sumAxes02, TorchRef.meanAxes02, TorchRef.maxAxes02, TorchRef.minAxes02, TorchRef.prodAxes02, TorchRef.varAxes02, TorchRef.varUnbiasedAxes02)
        default: return (TorchRef.sumAxisLast, TorchRef.meanAxisLast, TorchRef.maxAxisLast, TorchRef.minAxisLast, TorchRef.prodAxisLast, TorchRef.varAxisLast, TorchRef.varUnbiasedAxisLast)
        }
    }

    @Test(arguments: 0..<axisCases.count)
    func reductionsMatchPyTorch(_ k: Int) {
        let (axes, dropped, kept) = Self.axisCases[k]
        let r = refs(axes)
        for keep in [false, true] {
            let shape = keep ? kept : dropped
            expectTensor(x.sum(alongAxes: axes, keepingDims: keep), shape: shape, r.sum, "sum \(axes)")
            expectTensor(x.mean(alongAxes: axes, keepingDims: keep), shape: shape, r.mean, "mean \(axes)")
            expectTensor(x.max(alongAxes: axes, keepingDims: keep), shape: shape, r.max, "max \(axes)")
            expectTensor(x.min(alongAxes: axes, keepingDims: keep), shape: shape, r.min, "min \(axes)")
            expectTensor(x.product(alongAxes: axes, keepingDims: keep), shape: shape, r.prod, "product \(axes)")
            expectTensor(x.variance(alongAxes: axes, keepingDims: keep), shape: shape, r.v, rtol: 1e-14, "variance \(axes)")
            expectTensor(x.variance(alongAxes: axes, keepingDims: keep, correction: 1), shape: shape, r.vu, rtol: 1e-14, "unbiased variance \(axes)")
        }
    }

    @Test func singleAxisConveniences() {
        expectTensor(x.sum(alongAxis: 1), shape: [2, 4], TorchRef.sumAxis1)
        expectTensor(x.mean(alongAxis: -1, keepingDims: true), shape: [2, 3, 1], TorchRef.meanAxisLast)
        expectTensor(x.max(alongAxis: 1), shape: [2, 4], TorchRef.maxAxis1)
        expectTensor(x.min(alongAxis: 2), shape: [2, 3], TorchRef.minAxisLast)
    }

    @Test func fullReductions() {
        // x = pattern(24, 37, 0): 23 distinct values -11/8 ... 11/8 plus a second -11/8.
        let all = pattern(24, 37, 0)
        expectTensor(x.sum(), shape: [], [all.reduce(0, +)])
        expectTensor(x.sum(), shape: [], [-11.0 / 8])
        expectTensor(x.mean(), shape: [], [-11.0 / 8 / 24])
        expectTensor(x.max(), shape: [], [11.0 / 8])
        expectTensor(x.min(), shape: [], [-11.0 / 8])
        expectTensor(x.sum(alongAxes: [0, 1, 2], keepingDims: true), shape: [1, 1, 1], [-11.0 / 8])
        expectTensor(x.max(alongAxes: nil, keepingDims: true), shape: [1, 1, 1], [11.0 / 8])
        let small = tensor([2, 2], [1, 2, 3, 4])
        expectTensor(small.product(), shape: [], [24])
        expectTensor(small.variance(), shape: [], [1.25])
        expectTensor(small.variance(correction: 1), shape: [], [5.0 / 3])
    }

    @Test func nonContiguousAxesOfRank4() {
        // y[a, b, c, d] = a*1000 + b*100 + c*10 + d over [2, 3, 2, 2]; reduce axes 0 and 2.
        var v: [Double] = []
        for a in 0..<2 { for b in 0..<3 { for c in 0..<2 { for d in 0..<2 { v.append(Double(a * 1000 + b * 100 + c * 10 + d)) } } } }
        let y = tensor([2, 3, 2, 2], v)
        // sum over a∈{0,1}, c∈{0,1}: 4·(100b + d) + 2·1000 + 2·10 = 400b + 4d + 2020
        var expected: [Double] = []
        for b in 0..<3 { for d in 0..<2 { expected.append(Double(400 * b + 4 * d + 2020)) } }
        expectTensor(y.sum(alongAxes: [0, 2]), shape: [3, 2], expected)
        expectTensor(y.sum(alongAxes: [2, 0], keepingDims: true), shape: [1, 3, 1, 2], expected)
        expectTensor(y.max(alongAxes: [-4, -2]), shape: [3, 2], (0..<3).flatMap { b in (0..<2).map { d in Double(1010 + 100 * b + d) } })
        expectTensor(y.min(alongAxes: [0, 2]), shape: [3, 2], (0..<3).flatMap { b in (0..<2).map { d in Double(100 * b + d) } })
        expectTensor(y.mean(alongAxes: [1, 3]), shape: [2, 2], [100.5, 110.5, 1100.5, 1110.5])
    }

    @Test func logSumExpMatchesPyTorch() {
        let a = pattern(24, 37, 0), b = pattern(24, 5, 2)
        let s = tensor([2, 3, 4], zip(a, b).map { $0 * $1 + $0 })
        expectTensor(s.logSumExp(alongAxes: [1]), shape: [2, 4], TorchRef.logSumExpAxis1, rtol: 1e-14)
        expectTensor(s.logSumExp(alongAxes: [0, 2]), shape: [3], TorchRef.logSumExpAxes02, rtol: 1e-14)
        expectTensor(s.logSumExp(), shape: [], TorchRef.logSumExpAll, rtol: 1e-14)
        expectTensor(s.logSumExp(alongAxes: [0, 2], keepingDims: true), shape: [1, 3, 1], TorchRef.logSumExpAxes02, rtol: 1e-14)
    }

    @Test func logSumExpIsStable() {
        let big = tensor([1, 3], [1000, 1000, 1000])
        expectTensor(big.logSumExp(alongAxes: [1]), shape: [1], [1000 + 1.0986122886681098], rtol: 1e-15)
        let small = tensor([2], [-1000, -1000])
        expectTensor(small.logSumExp(), shape: [], [-1000 + 0.6931471805599453], rtol: 1e-15)
        expectTensor(tensor([3], [.infinity, 0, 1]).logSumExp(), shape: [], [.infinity])
        expectTensor(tensor([2], [-.infinity, 0]).logSumExp(), shape: [], [0])
    }

    @Test func logSumExpOfAllNegativeInfinityIsNegativeInfinity() {
        // torch.logsumexp(torch.tensor([-inf, -inf]), 0) == -inf (a fully masked row); not NaN.
        expectTensor(tensor([2], [-.infinity, -.infinity]).logSumExp(), shape: [], [-.infinity])
    }

    @Test func argmaxArgminMatchPyTorch() {
        let refs: [(Int, [Double], [Double], Shape)] = [
            (0, TorchRef.argmaxAxis0, TorchRef.argminAxis0, [3, 4]),
            (1, TorchRef.argmaxAxis1, TorchRef.argminAxis1, [2, 4]),
            (2, TorchRef.argmaxAxis2, TorchRef.argminAxis2, [2, 3]),
        ]
        for (axis, amax, amin, shape) in refs {
            let im = x.argmax(alongAxis: axis)
            #expect(im.dtype == .int64)
            expectTensor(im, shape: shape, amax, "argmax \(axis)")
            expectTensor(x.argmin(alongAxis: axis), shape: shape, amin, "argmin \(axis)")
            expectTensor(x.argmin(alongAxis: axis - 3), shape: shape, amin, "argmin \(axis - 3)")
            var kept = shape
            kept.insert(1, at: axis)
            expectTensor(x.argmax(alongAxis: axis, keepingDims: true), shape: kept, amax, "argmax keepingDims \(axis)")
        }
        // Flat index when no axis is given; the first occurrence wins on ties (x[0] and x[23] are both -11/8).
        expectTensor(x.argmax(), shape: [], [Double(pattern(24, 37, 0).firstIndex(of: 11.0 / 8)!)])
        expectTensor(x.argmin(), shape: [], [0])
        let ties = tensor([2, 3], [5, 1, 5, 2, 2, 0])
        expectTensor(ties.argmax(alongAxis: 1), shape: [2], [0, 0])
        expectTensor(ties.argmin(alongAxis: 0), shape: [3], [1, 0, 1])
        // NaN counts as the maximum, like PyTorch.
        expectTensor(tensor([4], [1, .nan, 3, .nan]).argmax(), shape: [], [1])
    }

    @Test func integerAndBoolReductions() {
        let i = Tensor(shape: [2, 3], scalars: [1, -2, 3, 4, 5, -6] as [Int32])
        #expect(i.max(alongAxes: [1]).scalars(as: Int32.self) == [3, 5])
        #expect(i.min(alongAxes: [0]).scalars(as: Int32.self) == [1, -2, -6])
        #expect(i.product(alongAxes: [1]).scalars(as: Int32.self) == [-6, -120])
        #expect(i.argmax(alongAxis: 1).scalars(as: Int64.self) == [2, 1])
        let m = i.mean(alongAxes: [1])
        #expect(m.dtype == .float32)
        #expect(m.scalars(as: Float.self) == [2.0 / 3.0, 1])
        let b = Tensor(shape: [2, 2], scalars: [true, true, false, true])
        let bs = b.sum(alongAxes: [1])
        #expect(bs.dtype == .int64)
        #expect(bs.scalars(as: Int64.self) == [2, 1])
        #expect(b.sum().scalars(as: Int64.self) == [3])
        #expect(b.argmax(alongAxis: 1).scalars(as: Int64.self) == [0, 1])
    }

    @Test func halfPrecisionReductionsKeepTheirDtype() {
        let h = tensor([2, 2], [1, 2, 3, 4], dtype: .float16)
        let s = h.sum(alongAxes: [1])
        #expect(s.dtype == .float16)
        #expect(s.doubles == [3, 7])
        let m = h.mean()
        #expect(m.dtype == .float16)
        #expect(m.doubles == [2.5])
        #expect(h.max(alongAxes: [0]).doubles == [3, 4])
    }
}
