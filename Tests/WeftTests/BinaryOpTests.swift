import Testing
@testable import Weft

// Forward values of the binary ops with NumPy broadcasting, comparisons, logical ops and `where`
// (expected values computed by hand).

@Suite struct BinaryOpTests {
    let a = tensor([2, 3], [1, 2, 3, 4, 5, 6])
    let row = tensor([3], [10, 20, 30])

    @Test func arithmeticSameShape() {
        let b = tensor([2, 3], [2, 4, 0.5, -1, 5, 3])
        expectTensor(a + b, shape: [2, 3], [3, 6, 3.5, 3, 10, 9])
        expectTensor(a - b, shape: [2, 3], [-1, -2, 2.5, 5, 0, 3])
        expectTensor(a * b, shape: [2, 3], [2, 8, 1.5, -4, 25, 18])
        expectTensor(a / b, shape: [2, 3], [0.5, 0.5, 6, -4, 1, 2])
        expectTensor(pow(a, b), shape: [2, 3], [1, 16, 1.7320508075688772, 0.25, 3125, 216], rtol: 1e-15)
        expectTensor(maximum(a, b), shape: [2, 3], [2, 4, 3, 4, 5, 6])
        expectTensor(minimum(a, b), shape: [2, 3], [1, 2, 0.5, -1, 5, 3])
    }

    @Test func broadcastRowVector() {
        // [2, 3] op [3]
        expectTensor(a + row, shape: [2, 3], [11, 22, 33, 14, 25, 36])
        expectTensor(row + a, shape: [2, 3], [11, 22, 33, 14, 25, 36])
        expectTensor(a - row, shape: [2, 3], [-9, -18, -27, -6, -15, -24])
        expectTensor(row - a, shape: [2, 3], [9, 18, 27, 6, 15, 24])
        expectTensor(a * row, shape: [2, 3], [10, 40, 90, 40, 100, 180])
        expectTensor(row / a, shape: [2, 3], [10, 10, 10, 2.5, 4, 5])
        expectTensor(pow(tensor([3], [1, 2, 3]), a), shape: [2, 3], [1, 4, 27, 1, 32, 729])
        expectTensor(maximum(a, tensor([3], [2, 2, 7])), shape: [2, 3], [2, 2, 7, 4, 5, 7])
        expectTensor(minimum(tensor([3], [2, 2, 7]), a), shape: [2, 3], [1, 2, 3, 2, 2, 6])
    }

    @Test func broadcastColumnVector() {
        let col = tensor([2, 1], [100, 200])
        expectTensor(a + col, shape: [2, 3], [101, 102, 103, 204, 205, 206])
        expectTensor(col - a, shape: [2, 3], [99, 98, 97, 196, 195, 194])
    }

    @Test func broadcastBothSides() {
        // [2, 1, 3] + [4, 1] → [2, 4, 3]: out[i, j, k] = x[i, 0, k] + y[j, 0]
        let x = tensor([2, 1, 3], [1, 2, 3, 4, 5, 6])
        let y = tensor([4, 1], [0, 10, 20, 30])
        var expected: [Double] = []
        for i in 0..<2 { for j in 0..<4 { for k in 0..<3 { expected.append(Double(i * 3 + k + 1) + Double(j * 10)) } } }
        expectTensor(x + y, shape: [2, 4, 3], expected)
        expectTensor(y + x, shape: [2, 4, 3], expected)
        var prod: [Double] = []
        for i in 0..<2 { for j in 0..<4 { for k in 0..<3 { prod.append(Double(i * 3 + k + 1) * Double(j * 10)) } } }
        expectTensor(x * y, shape: [2, 4, 3], prod)
        // [3, 1, 2] - [1, 4, 1] → [3, 4, 2]
        let p = tensor([3, 1, 2], [1, 2, 3, 4, 5, 6]), q = tensor([1, 4, 1], [1, 2, 3, 4])
        var diff: [Double] = []
        for i in 0..<3 { for j in 0..<4 { for k in 0..<2 { diff.append(Double(i * 2 + k + 1) - Double(j + 1)) } } }
        expectTensor(p - q, shape: [3, 4, 2], diff)
    }

    @Test func scalars() {
        expectTensor(a + 1, shape: [2, 3], [2, 3, 4, 5, 6, 7])
        expectTensor(1 - a, shape: [2, 3], [0, -1, -2, -3, -4, -5])
        expectTensor(a * 0.5, shape: [2, 3], [0.5, 1, 1.5, 2, 2.5, 3])
        expectTensor(3 / a, shape: [2, 3], [3, 1.5, 1, 0.75, 0.6, 0.5])
        expectTensor(a / 4, shape: [2, 3], [0.25, 0.5, 0.75, 1, 1.25, 1.5])
        expectTensor(2 * a - 1, shape: [2, 3], [1, 3, 5, 7, 9, 11])
        // A 0-d tensor broadcasts like a scalar.
        let s = Tensor(2.0)
        #expect(s.shape == [])
        expectTensor(a * s, shape: [2, 3], [2, 4, 6, 8, 10, 12])
        expectTensor(s - a, shape: [2, 3], [1, 0, -1, -2, -3, -4])
        expectTensor(pow(a, s), shape: [2, 3], [1, 4, 9, 16, 25, 36])
        expectTensor(s + s, shape: [], [4])
        // A scalar keeps the tensor's dtype (PyTorch's rule for Python scalars).
        #expect((tensor32([2], [1, 2]) * 3).dtype == .float32)
        #expect((tensor([2], [1, 2], dtype: .float16) + 1).dtype == .float16)
    }

    @Test func compoundAssignment() {
        var x = tensor([3], [1, 2, 3])
        x += tensor([3], [1, 1, 1])
        x *= tensor([1], [2])
        x -= tensor([3], [0, 1, 2])
        x /= tensor([3], [4, 5, 6])
        expectTensor(x, shape: [3], [1, 1, 1])
    }

    @Test func valueSemantics() {
        let x = tensor([3], [1, 2, 3])
        var y = x
        y += tensor([3], [1, 1, 1])
        expectTensor(x, shape: [3], [1, 2, 3])
        expectTensor(y, shape: [3], [2, 3, 4])
    }

    @Test func nanPropagatesThroughMaximumAndMinimum() {
        // torch.maximum/minimum propagate NaN from either side.
        let x = tensor([3], [.nan, 1, 2]), y = tensor([3], [1, .nan, 3])
        expectTensor(maximum(x, y), shape: [3], [.nan, .nan, 3])
        expectTensor(minimum(x, y), shape: [3], [.nan, .nan, 2])
    }

    @Test func integerArithmetic() {
        let x = Tensor(shape: [4], scalars: [7, -7, 3, 100] as [Int32])
        let y = Tensor(shape: [4], scalars: [2, 2, -4, 3] as [Int32])
        #expect((x + y).scalars(as: Int32.self) == [9, -5, -1, 103])
        #expect((x - y).scalars(as: Int32.self) == [5, -9, 7, 97])
        #expect((x * y).scalars(as: Int32.self) == [14, -14, -12, 300])
        #expect(maximum(x, y).scalars(as: Int32.self) == [7, 2, 3, 100])
        #expect(minimum(x, y).scalars(as: Int32.self) == [2, -7, -4, 3])
        #expect((x * 2).dtype == .int32)
        #expect((x * 2).scalars(as: Int32.self) == [14, -14, 6, 200])
        // int / int is true division in the default float type (torch.div).
        let q = x / y
        #expect(q.dtype == .float32)
        #expect(q.scalars(as: Float.self) == [3.5, -3.5, -0.75, 100.0 / 3.0])
        // A fractional scalar turns an integer tensor into the default float type.
        let h = x + 0.5
        #expect(h.dtype == .float32)
        #expect(h.scalars(as: Float.self) == [7.5, -6.5, 3.5, 100.5])
        // uint8 wraps like C.
        let u = Tensor(shape: [2], scalars: [250, 3] as [UInt8])
        #expect((u + Tensor(shape: [2], scalars: [10, 4] as [UInt8])).scalars(as: UInt8.self) == [4, 7])
    }

    @Test func comparisons() {
        let x = tensor([2, 3], [1, 2, 3, 4, 5, 6])
        let y = tensor([3], [2, 2, 7])
        let cases: [(Tensor, [Bool])] = [
            (x .== y, [false, true, false, false, false, false]),
            (x .!= y, [true, false, true, true, true, true]),
            (x .< y, [true, false, true, false, false, true]),
            (x .<= y, [true, true, true, false, false, true]),
            (x .> y, [false, false, false, true, true, false]),
            (x .>= y, [false, true, false, true, true, false]),
            (x .== 4, [false, false, false, true, false, false]),
            (x .< 3, [true, true, false, false, false, false]),
            (x .<= 3, [true, true, true, false, false, false]),
            (x .> 3, [false, false, false, true, true, true]),
            (x .>= 3, [false, false, true, true, true, true]),
        ]
        for (c, expected) in cases {
            #expect(c.dtype == .bool)
            #expect(c.shape == [2, 3])
            #expect(c.scalars(as: Bool.self) == expected)
        }
        // Mixed dtypes compare after promotion; NaN compares unequal to everything.
        let i = Tensor(shape: [3], scalars: [1, 2, 3] as [Int32])
        #expect((i .< tensor32([3], [1.5, 1.5, 3])).scalars(as: Bool.self) == [true, false, false])
        #expect((tensor([2], [.nan, 1]) .== tensor([2], [.nan, 1])).scalars(as: Bool.self) == [false, true])
        #expect((tensor([2], [.nan, 1]) .!= tensor([2], [.nan, 1])).scalars(as: Bool.self) == [true, false])
        // Half precision comparisons give bool too.
        let h = tensor([2], [0.5, 2], dtype: .float16)
        #expect((h .> 1).dtype == .bool)
        #expect((h .> 1).scalars(as: Bool.self) == [false, true])
    }

    @Test func logicalOps() {
        let p = Tensor(shape: [4], scalars: [true, true, false, false])
        let q = Tensor(shape: [4], scalars: [true, false, true, false])
        #expect(logicalAnd(p, q).scalars(as: Bool.self) == [true, false, false, false])
        #expect(logicalOr(p, q).scalars(as: Bool.self) == [true, true, true, false])
        #expect(logicalXor(p, q).scalars(as: Bool.self) == [false, true, true, false])
        #expect(logicalNot(p).scalars(as: Bool.self) == [false, false, true, true])
        // Non-bool inputs count as "nonzero is true"; broadcasting applies.
        let n = Tensor(shape: [2, 2], scalars: [0, 2, -1, 0] as [Int32])
        let r = logicalAnd(n, Tensor(shape: [2], scalars: [true, true]))
        #expect(r.dtype == .bool && r.shape == [2, 2])
        #expect(r.scalars(as: Bool.self) == [false, true, true, false])
        #expect(logicalNot(tensor32([3], [0, 0.5, -2])).scalars(as: Bool.self) == [true, false, false])
        #expect(logicalOr(tensor32([2, 1], [0, 1]), tensor32([2], [0, 0])).scalars(as: Bool.self) == [false, false, true, true])
        // Bool equality.
        #expect((p .== q).scalars(as: Bool.self) == [true, false, false, true])
    }

    @Test func whereSelects() {
        let c = Tensor(shape: [2, 3], scalars: [true, false, true, false, false, true])
        let x = tensor([2, 3], [1, 2, 3, 4, 5, 6]), y = tensor([2, 3], [-1, -2, -3, -4, -5, -6])
        expectTensor(`where`(c, x, y), shape: [2, 3], [1, -2, 3, -4, -5, 6])
        // Broadcast condition [2, 1], value [3] and a scalar.
        let c2 = Tensor(shape: [2, 1], scalars: [true, false])
        expectTensor(`where`(c2, tensor([3], [7, 8, 9]), Tensor(0.0)), shape: [2, 3], [7, 8, 9, 0, 0, 0])
        // Condition from a comparison; mixed dtypes promote.
        let v = tensor32([4], [-2, 3, -1, 5])
        let r = `where`(v .> 0, v, Tensor(shape: [1], scalars: [0] as [Int32]))
        #expect(r.dtype == .float32)
        #expect(r.scalars(as: Float.self) == [0, 3, 0, 5])
        // A non-bool condition counts nonzero as true.
        let ci = Tensor(shape: [3], scalars: [0, 1, 5] as [Int64])
        #expect(`where`(ci, tensor32([3], [1, 2, 3]), tensor32([3], [9, 9, 9])).scalars(as: Float.self) == [9, 2, 3])
        // Integer payloads.
        let ii = `where`(Tensor(shape: [2], scalars: [false, true]), Tensor(shape: [2], scalars: [1, 2] as [Int64]),
                         Tensor(shape: [2], scalars: [3, 4] as [Int64]))
        #expect(ii.scalars(as: Int64.self) == [3, 2])
    }
}
