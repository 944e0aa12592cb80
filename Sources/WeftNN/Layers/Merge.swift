import Weft

// Keras's merge layers: several inputs, one output. Axes count the batch dimension, as in
// Keras (`Concatenate(axis: -1)`, `Dot(axes: 1)`); shape checks happen at build time (when the
// layer is called on symbolic tensors) and name the layer and the shapes.

/// Keras's shape text for a per-sample shape: `(None, 4)`.
private func batchShapes(_ shapes: [Shape]) -> String { "[" + shapes.map(kerasShapeString).joined(separator: ", ") + "]" }

/// The shared part of the element-wise merge layers (Keras's `Merge` base class): inputs of equal
/// shapes, or shapes that broadcast where one of two dimensions is 1 (Keras 3's rule, trailing
/// dimensions aligned); an input of lower rank gets size-1 dimensions inserted after the batch
/// dimension, as Keras does.
public class ElementwiseMerge: MultiIOLayer {
    /// At least this many inputs (2 for `Subtract`, exactly).
    let exactCount: Int?

    init(exactCount: Int? = nil) { self.exactCount = exactCount }

    public var typeName: String { String(describing: type(of: self)) }
    public var namedChildren: [(String, any Layer)] { [] }

    func merge(_ inputs: [Tensor]) -> Tensor { preconditionFailure("abstract") }

    public func build(inputShape: Shape) throws -> Shape {
        throw ShapeError(layer: typeName, "a merge layer should be called on a list of inputs; got one input of shape \(inputShape)")
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        preconditionFailure("\(typeName): a merge layer should be called on a list of inputs (call(_:)); got one tensor of shape \(x.shape)")
    }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        if let n = exactCount, inputShapes.count != n {
            throw ShapeError(layer: typeName, "a `\(typeName)` layer should be called on exactly \(n) inputs; got \(inputShapes.count) with shapes \(batchShapes(inputShapes))")
        }
        guard !inputShapes.isEmpty else { throw ShapeError(layer: typeName, "a merge layer should be called on a list of at least 1 input") }
        var out = inputShapes[0]
        for s in inputShapes.dropFirst() {
            guard let r = broadcastMergeShape(out, s) else {
                throw ShapeError(layer: typeName, "inputs have incompatible shapes; received shapes \(batchShapes(inputShapes))")
            }
            out = r
        }
        return [out]
    }

    public func call(_ inputs: [Tensor]) -> [Tensor] {
        precondition(!inputs.isEmpty && (exactCount == nil || inputs.count == exactCount!),
                     "\(typeName): needs \(exactCount.map { "exactly \($0)" } ?? "at least 1") inputs, got \(inputs.count)")
        let maxRank = inputs.map(\.rank).max()!
        let xs = inputs.map { x -> Tensor in
            var x = x
            while x.rank < maxRank { x = x.unsqueezed(axis: 1) }
            return x
        }
        return [merge(xs)]
    }
}

/// Keras's `_compute_elemwise_op_output_shape` on per-sample shapes: trailing dimensions
/// aligned, equal or one of them 1; nil when incompatible.
func broadcastMergeShape(_ a: Shape, _ b: Shape) -> Shape? {
    if a.count < b.count { return broadcastMergeShape(b, a) }
    if b.isEmpty { return a }
    var out = Array(a.prefix(a.count - b.count))
    for (i, j) in zip(a.suffix(b.count), b) {
        if i == -1 || j == -1 { out.append(-1) }
        else if i == 1 { out.append(j) }
        else if j == 1 { out.append(i) }
        else if i != j { return nil }
        else { out.append(i) }
    }
    return out
}

/// The sum of the inputs (Keras `Add`).
public final class Add: ElementwiseMerge {
    public init() { super.init() }
    override func merge(_ xs: [Tensor]) -> Tensor { xs.dropFirst().reduce(xs[0]) { $0 + $1 } }
}

/// The first input minus the second (Keras `Subtract`; exactly two inputs).
public final class Subtract: ElementwiseMerge {
    public init() { super.init(exactCount: 2) }
    override func merge(_ xs: [Tensor]) -> Tensor { xs[0] - xs[1] }
}

/// The element-wise product of the inputs (Keras `Multiply`).
public final class Multiply: ElementwiseMerge {
    public init() { super.init() }
    override func merge(_ xs: [Tensor]) -> Tensor { xs.dropFirst().reduce(xs[0]) { $0 * $1 } }
}

/// The mean of the inputs (Keras `Average`).
public final class Average: ElementwiseMerge {
    public init() { super.init() }
    override func merge(_ xs: [Tensor]) -> Tensor {
        let sum = xs.dropFirst().reduce(xs[0]) { $0 + $1 }
        return sum / Double(xs.count)
    }
}

/// The element-wise maximum of the inputs (Keras `Maximum`).
public final class Maximum: ElementwiseMerge {
    public init() { super.init() }
    override func merge(_ xs: [Tensor]) -> Tensor { xs.dropFirst().reduce(xs[0]) { Weft.maximum($0, $1) } }
}

/// The element-wise minimum of the inputs (Keras `Minimum`).
public final class Minimum: ElementwiseMerge {
    public init() { super.init() }
    override func merge(_ xs: [Tensor]) -> Tensor { xs.dropFirst().reduce(xs[0]) { Weft.minimum($0, $1) } }
}

/// Joins the inputs along `axis` (Keras `Concatenate`; the axis counts the batch dimension, so
/// the default -1 is the last feature axis, and 0, the batch, is not allowed). The inputs must
/// have equal ranks and equal sizes except along `axis`.
public final class Concatenate: MultiIOLayer {
    public let axis: Int

    public init(axis: Int = -1) {
        precondition(axis != 0, "Concatenate: cannot concatenate along the batch axis 0")
        self.axis = axis
    }

    public var namedChildren: [(String, any Layer)] { [] }

    /// The per-sample axis for inputs of per-sample rank `rank`.
    func sampleAxis(_ rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank + 1 : axis
        return a >= 1 && a <= rank ? a - 1 : nil
    }

    public func build(inputShape: Shape) throws -> Shape {
        throw ShapeError(layer: "Concatenate", "a `Concatenate` layer should be called on a list of inputs; got one input of shape \(inputShape)")
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        preconditionFailure("Concatenate: should be called on a list of inputs (call(_:)); got one tensor of shape \(x.shape)")
    }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        guard let first = inputShapes.first else {
            throw ShapeError(layer: "Concatenate", "a `Concatenate` layer should be called on a list of at least 1 input")
        }
        let mismatch = ShapeError(layer: "Concatenate", "a `Concatenate` layer requires inputs with matching shapes except for the concatenation axis (\(axis)); received shapes \(batchShapes(inputShapes))")
        guard inputShapes.allSatisfy({ $0.count == first.count }) else { throw mismatch }
        guard let a = sampleAxis(first.count) else {
            throw ShapeError(layer: "Concatenate", "axis \(axis) is out of range for inputs of shapes \(batchShapes(inputShapes))")
        }
        var out = first
        for s in inputShapes.dropFirst() {
            for d in s.indices where d != a && s[d] != first[d] && s[d] != -1 && first[d] != -1 { throw mismatch }
            out[a] = out[a] == -1 || s[a] == -1 ? -1 : out[a] + s[a]
        }
        return [out]
    }

    public func call(_ inputs: [Tensor]) -> [Tensor] {
        precondition(!inputs.isEmpty, "Concatenate: needs at least 1 input")
        let rank = inputs[0].rank
        precondition(inputs.allSatisfy { $0.rank == rank }, "Concatenate: inputs have different ranks: \(inputs.map(\.shape))")
        let a = axis < 0 ? axis + rank : axis
        let dt = inputs.dropFirst().reduce(inputs[0].dtype) { DType.promote($0, $1.dtype) }
        return [concatenate(inputs.map { $0.dtype == dt ? $0 : $0.cast(to: dt) }, axis: a)]
    }
}

/// The batch-wise dot product of two inputs along `axes` (Keras `Dot`, i.e. `batch_dot`):
/// [N, d]·[N, d] → [N, 1]; [N, a, d]·[N, b, d] with `axes: 2` → [N, a, b]. The output shape is
/// the first input's shape without its axis, then the second's without its batch and axis
/// (a single remaining dimension gets a trailing 1). Axes count the batch dimension and may be
/// negative; the batch axis 0 cannot be contracted. `normalize`: each input is first
/// L2-normalised along its axis (Keras: x·min(1/‖x‖, 1e7)), so the result is the cosine
/// similarity.
public final class Dot: MultiIOLayer {
    public let axes: (Int, Int)
    public let normalize: Bool

    public convenience init(axes: Int, normalize: Bool = false) { self.init(axes: (axes, axes), normalize: normalize) }

    public init(axes: (Int, Int), normalize: Bool = false) {
        precondition(axes.0 != 0 && axes.1 != 0, "Dot: cannot take the dot product over the batch axis 0; got axes \(axes)")
        self.axes = axes
        self.normalize = normalize
    }

    public var namedChildren: [(String, any Layer)] { [] }

    /// The axes (with the batch dimension) for inputs of full ranks r1, r2.
    func resolved(_ r1: Int, _ r2: Int) -> (Int, Int) {
        ((axes.0 % r1 + r1) % r1, (axes.1 % r2 + r2) % r2)
    }

    public func build(inputShape: Shape) throws -> Shape {
        throw ShapeError(layer: "Dot", "a `Dot` layer should be called on a list of 2 inputs; got one input of shape \(inputShape)")
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        preconditionFailure("Dot: should be called on a list of 2 inputs (call(_:)); got one tensor of shape \(x.shape)")
    }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        guard inputShapes.count == 2 else {
            throw ShapeError(layer: "Dot", "a `Dot` layer should be called on a list of 2 inputs; got \(inputShapes.count) with shapes \(batchShapes(inputShapes))")
        }
        let s1 = [-1] + inputShapes[0], s2 = [-1] + inputShapes[1]
        guard s1.count >= 2 && s2.count >= 2 else {
            throw ShapeError(layer: "Dot", "cannot do batch_dot on inputs with rank < 2; received shapes \(batchShapes(inputShapes))")
        }
        let (a1, a2) = resolved(s1.count, s2.count)
        guard a1 != 0 && a2 != 0 else {
            throw ShapeError(layer: "Dot", "axes \(axes) resolve to the batch axis for inputs of shapes \(batchShapes(inputShapes))")
        }
        guard s1[a1] == s2[a2] || s1[a1] == -1 || s2[a2] == -1 else {
            throw ShapeError(layer: "Dot", "incompatible input shapes: axis values \(s1[a1]) (at axis \(a1)) != \(s2[a2]) (at axis \(a2)); full input shapes \(batchShapes(inputShapes))")
        }
        var r1 = inputShapes[0], r2 = inputShapes[1]
        r1.remove(at: a1 - 1)
        r2.remove(at: a2 - 1)
        let out = r1 + r2
        return [out.isEmpty ? [1] : out]
    }

    public func call(_ inputs: [Tensor]) -> [Tensor] {
        precondition(inputs.count == 2, "Dot: needs exactly 2 inputs, got \(inputs.count)")
        var x = inputs[0], y = inputs[1]
        precondition(x.rank >= 2 && y.rank >= 2, "Dot: inputs need rank ≥ 2 (with the batch), got \(x.shape) and \(y.shape)")
        let (a1, a2) = resolved(x.rank, y.rank)
        precondition(x.shape[a1] == y.shape[a2], "Dot: x.shape[\(a1)] != y.shape[\(a2)] (\(x.shape[a1]) != \(y.shape[a2])) for shapes \(x.shape) and \(y.shape)")
        if normalize {
            x = l2Normalized(x, axis: a1)
            y = l2Normalized(y, axis: a2)
        }
        let n = x.shape[0], k = x.shape[a1]
        // x → [N, rest₁, k], y → [N, k, rest₂], one batched matrix product.
        let p1 = [0] + (1..<x.rank).filter { $0 != a1 } + [a1]
        let p2 = [0, a2] + (1..<y.rank).filter { $0 != a2 }
        let rest1 = p1.dropFirst().dropLast().map { x.shape[$0] }, rest2 = p2.dropFirst(2).map { y.shape[$0] }
        let xm = x.permuted(p1).reshaped(to: [n, rest1.elementCount, k])
        let ym = y.permuted(p2).reshaped(to: [n, k, rest2.elementCount])
        let out = matmul(xm, ym)
        let shape = rest1 + rest2
        return [out.reshaped(to: [n] + (shape.isEmpty ? [1] : shape))]
    }
}

/// Keras's `ops.normalize(x, axis, order: 2)`: x · min(rsqrt(Σx²), 1/ε) with ε = 1e-7.
func l2Normalized(_ x: Tensor, axis: Int) -> Tensor {
    x * clamp(rsqrt((x * x).sum(alongAxis: axis, keepingDims: true)), max: 1e7)
}
