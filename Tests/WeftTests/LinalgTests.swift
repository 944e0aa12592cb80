import Testing
@testable import Weft

// matmul (2-D, batched, batch-broadcast, 1-D operands) and linear, against a naive triple loop.

/// Reference product of row-major [m, k] and [k, n] matrices.
private func naive(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += a[i * k + p] * b[p * n + j] } } }
    return c
}

/// Reference batched product with NumPy batch broadcasting (batch dims given separately).
private func naiveBatched(_ a: [Double], aBatch: Shape, _ b: [Double], bBatch: Shape, m: Int, k: Int, n: Int) -> (Shape, [Double]) {
    let r = Swift.max(aBatch.count, bBatch.count)
    let pa = [Int](repeating: 1, count: r - aBatch.count) + aBatch, pb = [Int](repeating: 1, count: r - bBatch.count) + bBatch
    let batch = zip(pa, pb).map { Swift.max($0, $1) }
    var out: [Double] = []
    for flat in 0..<batch.elementCount {
        var rem = flat, ia = 0, ib = 0, sa = 1, sb = 1
        for d in stride(from: r - 1, through: 0, by: -1) {
            let idx = rem % batch[d]
            rem /= batch[d]
            ia += (pa[d] == 1 ? 0 : idx) * sa
            ib += (pb[d] == 1 ? 0 : idx) * sb
            sa *= pa[d]
            sb *= pb[d]
        }
        out += naive(Array(a[(ia * m * k)..<((ia + 1) * m * k)]), Array(b[(ib * k * n)..<((ib + 1) * k * n)]), m: m, k: k, n: n)
    }
    return (batch, out)
}

@Suite struct LinalgTests {
    @Test func matmul2DByHand() {
        let a = tensor([2, 2], [1, 2, 3, 4]), b = tensor([2, 2], [5, 6, 7, 8])
        expectTensor(matmul(a, b), shape: [2, 2], [19, 22, 43, 50])
        expectTensor(matmul(b, a), shape: [2, 2], [23, 34, 31, 46])
        let r = tensor([2, 3], [1, 0, -1, 2, 1, 0.5]), s = tensor([3, 1], [3, 2, 1])
        expectTensor(matmul(r, s), shape: [2, 1], [2, 8.5])
    }

    @Test(arguments: [DType.float64, .float32])
    func matmul2D(_ dtype: DType) {
        let a = pattern(15, 37, 0), b = pattern(20, 29, 5)
        let y = matmul(tensor([3, 5], a, dtype: dtype), tensor([5, 4], b, dtype: dtype))
        #expect(y.dtype == dtype)
        expectTensor(y, shape: [3, 4], naive(a, b, m: 3, k: 5, n: 4), rtol: 1e-6, atol: 1e-6)
    }

    static let batchCases: [(Shape, Shape)] = [
        ([2, 3, 4], [2, 4, 5]),        // batched 3-D
        ([2, 3, 4], [4, 5]),           // shared right operand
        ([3, 4], [2, 4, 5]),           // shared left operand
        ([2, 3, 4], [1, 4, 5]),        // batch 1 broadcasts
        ([1, 3, 4], [2, 4, 5]),
        ([2, 1, 3, 4], [5, 4, 2]),     // batch dims broadcast both ways: [2, 5]
        ([3, 2, 3], [3, 3, 2]),
    ]

    @Test(arguments: batchCases)
    func batchedAndBroadcastMatmul(_ sa: Shape, _ sb: Shape) {
        let m = sa[sa.count - 2], k = sa[sa.count - 1], n = sb[sb.count - 1]
        let a = pattern(sa.elementCount, 37, 1), b = pattern(sb.elementCount, 29, 4)
        let (batch, expected) = naiveBatched(a, aBatch: Array(sa.dropLast(2)), b, bBatch: Array(sb.dropLast(2)), m: m, k: k, n: n)
        expectTensor(matmul(tensor(sa, a), tensor(sb, b)), shape: batch + [m, n], expected, rtol: 1e-13, atol: 1e-13, "\(sa) × \(sb)")
        expectTensor(matmul(tensor(sa, a, dtype: .float32), tensor(sb, b, dtype: .float32)), shape: batch + [m, n], expected,
                     rtol: 1e-6, atol: 1e-6, "float32 \(sa) × \(sb)")
    }

    @Test func vectorOperands() {
        let v = tensor([3], [1, 2, 3])
        let m = tensor([3, 2], [1, 0, 0, 1, 2, -1])
        expectTensor(matmul(v, m), shape: [2], [7, -1])                                    // [3] · [3, 2] → [2]
        expectTensor(matmul(m.transposed(), v), shape: [2], [7, -1])                       // [2, 3] · [3] → [2]
        let b = tensor([2, 3, 2], [1, 0, 0, 1, 2, -1, 0, 1, 1, 0, 1, 1])
        expectTensor(matmul(v, b), shape: [2, 2], [7, -1, 5, 4])                           // [3] · [2, 3, 2] → [2, 2]
        expectTensor(matmul(b.transposed(), v), shape: [2, 2], [7, -1, 5, 4])              // [2, 2, 3] · [3] → [2, 2]
    }

    @Test func vectorDotVectorGivesAScalar() async {
        // numpy.matmul / torch.matmul of two 1-D tensors is their dot product, a 0-d tensor.
        // Run in a child process: a shape bug here stops the process instead of returning.
        await #expect(processExitsWith: .success) {
            let d = matmul(Tensor(shape: [3], scalars: [1.0, 2, 3]), Tensor(shape: [3], scalars: [4.0, 5, 6]))
            precondition(d.shape == [] && d.item == 32, "got \(d.shape) \(d.doubles)")
        }
    }

    @Test func matmulPromotesAndComputesIntegersInFloat() {
        let i = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Int32])
        let y = matmul(i, i)
        #expect(y.dtype == .float32)
        #expect(y.scalars(as: Float.self) == [7, 10, 15, 22])
        let mixed = matmul(i, tensor([2, 1], [0.5, 0.25]))
        #expect(mixed.dtype == .float64)
        #expect(mixed.doubles == [1, 2.5])
        let h = matmul(tensor([1, 2], [1, 2], dtype: .float16), tensor([2, 1], [3, 4], dtype: .float16))
        #expect(h.dtype == .float16)
        #expect(h.doubles == [11])
    }

    @Test func linearLayer() {
        let x = tensor([2, 3], [1, 2, 3, -1, 0, 1])
        let w = tensor([3, 2], [1, 0, 0, 1, 1, 1])
        let b = tensor([2], [0.5, -0.5])
        expectTensor(linear(x, weight: w), shape: [2, 2], [4, 5, 0, 1])
        expectTensor(linear(x, weight: w, bias: b), shape: [2, 2], [4.5, 4.5, 0.5, 0.5])
        // Leading dims are kept: [2, 2, 3] → [2, 2, 2].
        let x3 = tensor([2, 2, 3], [1, 2, 3, -1, 0, 1, 0, 0, 0, 2, 2, 2])
        expectTensor(linear(x3, weight: w, bias: b), shape: [2, 2, 2], [4.5, 4.5, 0.5, 0.5, 0.5, -0.5, 4.5, 3.5])
        // A 1-D input is one sample.
        expectTensor(linear(tensor([3], [1, 2, 3]), weight: w, bias: b), shape: [2], [4.5, 4.5])
        // Integer inputs are converted to the kernel's dtype.
        let xi = Tensor(shape: [1, 3], scalars: [1, 1, 1] as [Int32])
        let yi = linear(xi, weight: w.cast(to: .float32))
        #expect(yi.dtype == .float32)
        #expect(yi.scalars(as: Float.self) == [2, 2])
    }
}
