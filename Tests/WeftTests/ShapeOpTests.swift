import Testing
@testable import Weft

// Shape and data-movement ops (forward values, computed by hand on arange-like inputs).

/// 0, 1, 2, … as a float64 tensor of `shape`.
private func iota(_ shape: Shape) -> Tensor { tensor(shape, (0..<shape.elementCount).map(Double.init)) }

@Suite struct ShapeOpTests {
    @Test func reshapeFlattenSqueezeUnsqueeze() {
        let x = iota([2, 3, 4])
        let r = x.reshaped(to: [4, -1])
        expectTensor(r, shape: [4, 6], x.doubles)
        #expect(r.sharesStorage(with: x))
        #expect(x.reshaped(to: [-1]).shape == [24])
        #expect(x.reshaped(to: [2, 3, 4]).sharesStorage(with: x))
        #expect(x.flattened().shape == [24])
        #expect(x.flattened(startAxis: 1).shape == [2, 12])
        #expect(x.flattened(startAxis: 0, endAxis: 1).shape == [6, 4])
        #expect(Tensor(3.0).flattened().shape == [1])
        let s = iota([1, 3, 1, 2])
        #expect(s.squeezed().shape == [3, 2])
        #expect(s.squeezed(axes: [2]).shape == [1, 3, 2])
        #expect(s.squeezed(axes: [-4]).shape == [3, 1, 2])
        #expect(s.squeezed().doubles == s.doubles)
        let v = iota([3])
        #expect(v.unsqueezed(axis: 0).shape == [1, 3])
        #expect(v.unsqueezed(axis: 1).shape == [3, 1])
        #expect(v.unsqueezed(axis: -1).shape == [3, 1])
        #expect(iota([2, 3]).unsqueezed(axis: -2).shape == [2, 1, 3])
        #expect(Tensor(1.0).unsqueezed(axis: 0).shape == [1])
    }

    @Test func permuteAndTranspose() {
        let x = iota([2, 3, 4])   // x[a, b, c] = 12a + 4b + c
        let p = x.permuted([2, 0, 1])   // p[c, a, b]
        var expected: [Double] = []
        for c in 0..<4 { for a in 0..<2 { for b in 0..<3 { expected.append(Double(12 * a + 4 * b + c)) } } }
        expectTensor(p, shape: [4, 2, 3], expected)
        #expect(!p.sharesStorage(with: x))
        // Default transpose swaps the last two dims.
        var t: [Double] = []
        for a in 0..<2 { for c in 0..<4 { for b in 0..<3 { t.append(Double(12 * a + 4 * b + c)) } } }
        expectTensor(x.transposed(), shape: [2, 4, 3], t)
        var t02: [Double] = []
        for c in 0..<4 { for b in 0..<3 { for a in 0..<2 { t02.append(Double(12 * a + 4 * b + c)) } } }
        expectTensor(x.transposed(0, 2), shape: [4, 3, 2], t02)
        expectTensor(x.transposed(-1, 0), shape: [4, 3, 2], t02)
        expectTensor(iota([2, 3]).transposed(), shape: [3, 2], [0, 3, 1, 4, 2, 5])
        expectTensor(x.permuted([0, 1, 2]), shape: [2, 3, 4], x.doubles)
        // A permutation and its inverse give back the input.
        expectTensor(p.permuted([1, 2, 0]), shape: [2, 3, 4], x.doubles)
        // Integer and bool tensors move the same way.
        let i = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Int32]).transposed()
        #expect(i.scalars(as: Int32.self) == [1, 3, 2, 4])
    }

    @Test func expanded() {
        let col = iota([3, 1])
        expectTensor(col.expanded(to: [2, 3, 4]), shape: [2, 3, 4],
                     (0..<2).flatMap { _ in (0..<3).flatMap { b in [Double](repeating: Double(b), count: 4) } })
        expectTensor(iota([3]).expanded(to: [2, 3]), shape: [2, 3], [0, 1, 2, 0, 1, 2])
        expectTensor(Tensor(7.0).expanded(to: [2, 2]), shape: [2, 2], [7, 7, 7, 7])
        expectTensor(iota([2, 1, 2]).expanded(to: [2, 3, 2]), shape: [2, 3, 2], [0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3])
    }

    @Test func slicing() {
        let v = iota([10])
        expectTensor(v.sliced(axis: 0, start: 2, end: 5), shape: [3], [2, 3, 4])
        expectTensor(v.sliced(axis: 0, start: 1, end: 9, step: 3), shape: [3], [1, 4, 7])
        expectTensor(v.sliced(axis: 0, start: 0, step: 4), shape: [3], [0, 4, 8])
        expectTensor(v.sliced(axis: 0, start: -3), shape: [3], [7, 8, 9])
        expectTensor(v.sliced(axis: 0, start: -8, end: -2, step: 2), shape: [3], [2, 4, 6])
        expectTensor(v.sliced(axis: 0, end: -7), shape: [3], [0, 1, 2])
        expectTensor(v.sliced(axis: 0, start: 8, end: 100), shape: [2], [8, 9])         // clamped like Python
        expectTensor(v.sliced(axis: 0, start: -100, end: 2), shape: [2], [0, 1])
        expectTensor(v.sliced(axis: 0, start: 6, end: 3), shape: [0], [])                // empty
        let x = iota([3, 4])   // x[r, c] = 4r + c
        expectTensor(x.sliced(axis: 1, start: 1, end: 3), shape: [3, 2], [1, 2, 5, 6, 9, 10])
        expectTensor(x.sliced(axis: -1, start: -1), shape: [3, 1], [3, 7, 11])
        expectTensor(x.sliced(axis: 1, step: 2), shape: [3, 2], [0, 2, 4, 6, 8, 10])
        expectTensor(x.sliced(axis: 0, start: 2), shape: [1, 4], [8, 9, 10, 11])
        expectTensor(x.sliced(axis: 0, start: 0, end: 3, step: 2).sliced(axis: 1, start: 1, step: 2), shape: [2, 2], [1, 3, 9, 11])
        let y = iota([2, 3, 4])
        expectTensor(y.sliced(axis: 1, start: 1, step: 2), shape: [2, 1, 4], [4, 5, 6, 7, 16, 17, 18, 19])
    }

    @Test func subscripting() {
        let x = iota([3, 2, 2])
        expectTensor(x[0], shape: [2, 2], [0, 1, 2, 3])
        expectTensor(x[2], shape: [2, 2], [8, 9, 10, 11])
        expectTensor(x[-1], shape: [2, 2], [8, 9, 10, 11])
        expectTensor(x[1][1], shape: [2], [6, 7])
        expectTensor(x[1][0][1], shape: [], [5])
    }

    @Test func padding() {
        let x = iota([2, 2]) + 1
        expectTensor(x.padded(before: [1, 0], after: [0, 2]), shape: [3, 4], [0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0])
        expectTensor(x.padded(before: [0, 1], after: [1, 1], value: -1), shape: [3, 4],
                     [-1, 1, 2, -1, -1, 3, 4, -1, -1, -1, -1, -1])
        expectTensor(iota([3]).padded(before: [2], after: [1], value: 9), shape: [6], [9, 9, 0, 1, 2, 9])
        let i = Tensor(shape: [2], scalars: [5, 6] as [Int32]).padded(before: [1], after: [1], value: 7)
        #expect(i.scalars(as: Int32.self) == [7, 5, 6, 7])
    }

    @Test func tiling() {
        let x = iota([2, 3])
        expectTensor(x.tiled([1, 2]), shape: [2, 6], [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
        expectTensor(x.tiled([2, 1]), shape: [4, 3], [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5])
        expectTensor(iota([2]).tiled([3]), shape: [6], [0, 1, 0, 1, 0, 1])
        let t = x.tiled([2, 2])
        #expect(t.shape == [4, 6])
        #expect(t.doubles == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
    }

    @Test func concatenateAndStack() {
        let a = iota([2, 2]), b = iota([2, 3]) + 10
        expectTensor(concatenate([a, b], axis: 1), shape: [2, 5], [0, 1, 10, 11, 12, 2, 3, 13, 14, 15])
        expectTensor(concatenate([a, b.sliced(axis: 1, end: 2), a], axis: 0), shape: [6, 2], [0, 1, 2, 3, 10, 11, 13, 14, 0, 1, 2, 3])
        expectTensor(concatenate([a, a], axis: -1), shape: [2, 4], [0, 1, 0, 1, 2, 3, 2, 3])
        // Mixed dtypes promote.
        let m = concatenate([Tensor(shape: [2], scalars: [1, 2] as [Int32]), tensor32([1], [0.5])])
        #expect(m.dtype == .float32)
        #expect(m.scalars(as: Float.self) == [1, 2, 0.5])
        let p = iota([2, 3]), q = iota([2, 3]) + 6
        expectTensor(stack([p, q]), shape: [2, 2, 3], (0..<12).map(Double.init))
        expectTensor(stack([p, q], axis: 1), shape: [2, 2, 3], [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11])
        expectTensor(stack([p, q], axis: 2), shape: [2, 3, 2], [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11])
        expectTensor(stack([p, q], axis: -1), shape: [2, 3, 2], [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11])
        expectTensor(stack([p, q], axis: -3), shape: [2, 2, 3], (0..<12).map(Double.init))
        expectTensor(stack([Tensor(1.0), Tensor(2.0), Tensor(3.0)]), shape: [3], [1, 2, 3])
    }

    @Test func splitting() {
        let x = iota([2, 5])
        let parts = x.split(sizes: [2, 3], axis: 1)
        #expect(parts.count == 2)
        expectTensor(parts[0], shape: [2, 2], [0, 1, 5, 6])
        expectTensor(parts[1], shape: [2, 3], [2, 3, 4, 7, 8, 9])
        let rows = iota([6, 2]).split(count: 3)
        #expect(rows.map(\.shape) == [[2, 2], [2, 2], [2, 2]])
        expectTensor(rows[2], shape: [2, 2], [8, 9, 10, 11])
        let last = x.split(count: 5, axis: -1)
        expectTensor(last[3], shape: [2, 1], [3, 8])
        // Splitting and concatenating again gives the input.
        expectTensor(concatenate(parts, axis: 1), shape: [2, 5], x.doubles)
    }

    @Test func indexSelect() {
        let x = iota([3, 4])
        expectTensor(x.indexSelect(axis: 0, indices: Tensor(shape: [4], scalars: [2, 0, 2, 1] as [Int64])), shape: [4, 4],
                     [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7])
        expectTensor(x.indexSelect(axis: 1, indices: Tensor(shape: [2], scalars: [3, 1] as [Int32])), shape: [3, 2],
                     [3, 1, 7, 5, 11, 9])
        expectTensor(x.indexSelect(axis: -1, indices: Tensor(shape: [], scalars: [0] as [Int64])), shape: [3, 1], [0, 4, 8])
        let i = Tensor(shape: [3], scalars: [10, 20, 30] as [Int64]).indexSelect(axis: 0, indices: Tensor(shape: [2], scalars: [2, 2] as [Int64]))
        #expect(i.scalars(as: Int64.self) == [30, 30])
    }

    @Test func gathering() {
        // torch.gather(torch.arange(12.).reshape(3, 4), 1, torch.tensor([[3, 0], [1, 1]])) == [[3, 0], [5, 5]]
        let x = iota([3, 4])
        expectTensor(x.gathering(axis: 1, indices: Tensor(shape: [2, 2], scalars: [3, 0, 1, 1] as [Int64])), shape: [2, 2], [3, 0, 5, 5])
        // Along axis 0: out[i][j] = x[idx[i][j]][j]
        expectTensor(x.gathering(axis: 0, indices: Tensor(shape: [2, 3], scalars: [2, 0, 1, 1, 2, 0] as [Int64])), shape: [2, 3],
                     [8, 1, 6, 4, 9, 2])
        // Rank 3, along the middle axis, with indices smaller than the input in the other dims.
        let y = iota([2, 3, 2])   // y[a, b, c] = 6a + 2b + c
        let idx = Tensor(shape: [2, 2, 1], scalars: [2, 0, 1, 1] as [Int32])
        // out[a, j, 0] = y[a, idx[a, j, 0], 0]
        expectTensor(y.gathering(axis: 1, indices: idx), shape: [2, 2, 1], [4, 0, 8, 8])
        #expect(Tensor(shape: [2], scalars: [7, 9] as [Int32]).gathering(axis: 0, indices: Tensor(shape: [3], scalars: [1, 1, 0] as [Int64]))
            .scalars(as: Int32.self) == [9, 9, 7])
    }

    @Test func scatteringAdd() {
        // torch.zeros(3, 5).scatter_add(0, torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]]), torch.ones(2, 5))
        let idx = Tensor(shape: [2, 5], scalars: [0, 1, 2, 0, 0, 2, 0, 0, 1, 2] as [Int64])
        let r = Tensor.zeros([3, 5], dtype: .float64).scatteringAdd(axis: 0, indices: idx, source: Tensor.ones([2, 5], dtype: .float64))
        expectTensor(r, shape: [3, 5], [1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        // Repeated indices accumulate, and the base is kept.
        let base = iota([2, 3])
        let s = base.scatteringAdd(axis: 1, indices: Tensor(shape: [2, 2], scalars: [1, 1, 0, 2] as [Int64]),
                                   source: tensor([2, 2], [10, 20, 30, 40]))
        expectTensor(s, shape: [2, 3], [0, 31, 2, 33, 4, 45])
        // The source is converted to the base dtype.
        let f = Tensor.zeros([3]).scatteringAdd(axis: 0, indices: Tensor(shape: [2], scalars: [2, 2] as [Int64]), source: tensor([2], [1, 2]))
        #expect(f.dtype == .float32)
        #expect(f.scalars(as: Float.self) == [0, 0, 3])
    }

    @Test func oneHotEncoding() {
        let o = oneHot(Tensor(shape: [3], scalars: [2, 0, 1] as [Int64]), depth: 3)
        #expect(o.dtype == .float32)
        expectTensor(o, shape: [3, 3], [0, 0, 1, 1, 0, 0, 0, 1, 0])
        let o2 = oneHot(Tensor(shape: [2, 2], scalars: [0, 3, 1, 1] as [Int32]), depth: 4, dtype: .float64)
        expectTensor(o2, shape: [2, 2, 4], [1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0])
    }

    @Test func creation() {
        expectTensor(Tensor.zeros([2, 2], dtype: .float64), shape: [2, 2], [0, 0, 0, 0])
        expectTensor(Tensor.ones([3]), shape: [3], [1, 1, 1])
        expectTensor(Tensor.full([2], value: 2.5), shape: [2], [2.5, 2.5])
        let ar = Tensor.arange(0, 5)
        #expect(ar.dtype == .int64)
        #expect(ar.scalars(as: Int64.self) == [0, 1, 2, 3, 4])
        expectTensor(Tensor.arange(0, 1, step: 0.25), shape: [4], [0, 0.25, 0.5, 0.75])
        expectTensor(Tensor.linspace(0, 1, count: 5), shape: [5], [0, 0.25, 0.5, 0.75, 1])
        expectTensor(Tensor.eye(2, 3), shape: [2, 3], [1, 0, 0, 0, 1, 0])
        #expect(Tensor.zeros(like: Tensor(shape: [2], scalars: [1, 2] as [Int32])).scalars(as: Int32.self) == [0, 0])
        #expect(Tensor(4.5).item == 4.5)
        #expect(Tensor(2.0, dtype: .int32).scalars(as: Int32.self) == [2])
    }
}
