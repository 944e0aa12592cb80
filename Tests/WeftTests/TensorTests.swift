import Testing
@testable import Weft

// The Tensor value type: construction, typed access, copy-on-write storage.

@Suite struct TensorTests {
    @Test func constructionAndAccess() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float])
        #expect(t.shape == [2, 3] && t.rank == 2 && t.count == 6 && t.dtype == .float32 && t.device == .cpu)
        #expect(t.byteCount == 24)
        #expect(t.scalars(as: Float.self) == [1, 2, 3, 4, 5, 6])
        #expect(t.doubles == [1, 2, 3, 4, 5, 6])
        #expect(t.floats == [1, 2, 3, 4, 5, 6])
        let v = Tensor([1, 2, 3] as [Int64])
        #expect(v.shape == [3] && v.dtype == .int64)
        let s = Tensor(Double(2.5))
        #expect(s.shape == [] && s.rank == 0 && s.count == 1 && s.item == 2.5)
        let e = Tensor.zeros([0, 3])
        #expect(e.count == 0 && e.doubles == [])
        let h = Tensor(shape: [2], scalars: [Float16(0.5), Float16(-2)])
        #expect(h.dtype == .float16 && h.doubles == [0.5, -2])
        let b = Tensor(shape: [2], scalars: [BFloat16(Float(1.5)), BFloat16(Float(-3))])
        #expect(b.dtype == .bfloat16 && b.doubles == [1.5, -3])
    }

    @Test func copyOnWrite() {
        let x = tensor32([4], [1, 2, 3, 4])
        var y = x
        #expect(y.sharesStorage(with: x))
        y.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 99 }
        #expect(!y.sharesStorage(with: x))
        #expect(x.floats == [1, 2, 3, 4])
        #expect(y.floats == [99, 2, 3, 4])
        // A reshaped view shares storage until written.
        var r = x.reshaped(to: [2, 2])
        #expect(r.sharesStorage(with: x))
        r.withUnsafeMutableBufferPointer(as: Float.self) { $0[3] = -1 }
        #expect(x.floats == [1, 2, 3, 4])
        #expect(r.floats == [1, 2, 3, -1])
        // A uniquely referenced tensor is written in place.
        var u = tensor32([2], [5, 6])
        let before = ObjectIdentifier(u.storage)   // no extra reference
        u.withUnsafeMutableBufferPointer(as: Float.self) { $0[1] = 7 }
        #expect(ObjectIdentifier(u.storage) == before)
        #expect(u.floats == [5, 7])
        let sum = x.withUnsafeBufferPointer(as: Float.self) { $0.reduce(0, +) }
        #expect(sum == 10)
    }

    @Test func opsNeverModifyTheirInputs() {
        let x = tensor([2, 3], [1, -2, 3, -4, 5, -6])
        let snapshot = x.doubles
        _ = relu(x); _ = x + 1; _ = x.transposed(); _ = x.sliced(axis: 1, start: 1); _ = x.softmax()
        _ = x.sum(alongAxes: [0]); _ = x.padded(before: [1, 0], after: [0, 0]); _ = x.reshaped(to: [6]) * 2
        _ = valueWithGradient(at: x) { ($0 * $0).sum() }
        #expect(x.doubles == snapshot)
    }
}
