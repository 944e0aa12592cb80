/// Shape utilities. Tensors are contiguous and row-major (see Tensor.swift for why).
public typealias Shape = [Int]

extension Array where Element == Int {
    /// Number of elements (1 for a scalar shape `[]`).
    @inlinable public var elementCount: Int {
        var n = 1
        for d in self { n &*= d }
        return n
    }
    /// Row-major strides in elements.
    @inlinable public var contiguousStrides: [Int] {
        var s = [Int](repeating: 1, count: count)
        var acc = 1
        var i = count - 1
        while i >= 0 { s[i] = acc; acc &*= self[i]; i -= 1 }
        return s
    }
}

/// `[2, 3]` style, as PyTorch prints `torch.Size`.
@inlinable func shapeString(_ s: Shape) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

/// NumPy broadcasting of two shapes; stops with a message naming the op and both shapes.
@inlinable func broadcastShapes(_ a: Shape, _ b: Shape, op: StaticString) -> Shape {
    if a == b { return a }
    let n = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da }
        else if da == 1 { out[i] = db }
        else { preconditionFailure("\(op): shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast together (dimension \(i): \(da) vs \(db))") }
    }
    return out
}

/// Normalises a possibly negative axis; stops with a message naming the op.
@inlinable func normalizeAxis(_ axis: Int, rank: Int, op: StaticString) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < Swift.max(rank, 1), "\(op): axis \(axis) is out of range for a tensor of rank \(rank)")
    return a
}
