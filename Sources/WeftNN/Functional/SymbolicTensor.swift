import Synchronization
import Weft

/// Numbers the symbolic calls of layers, so that a functional model can name its layers in the
/// order they were first used (Keras names them in creation order) and number a shared layer's
/// calls (`dense[1][0]` in `summary()`).
private let nodeSerials = Atomic<Int>(0)

/// One call of a layer on symbolic tensors (Keras's `Node`): the layer, the tensors it was called
/// on and the per-sample shapes it returned.
final class Node {
    let layer: any Layer
    let inputs: [SymbolicTensor]
    let outputShapes: [Shape]
    /// Whether the layer runs through `MultiIOLayer.call(_:)` (else `callAsFunction(_:)`).
    let multi: Bool
    let serial: Int

    init(layer: any Layer, inputs: [SymbolicTensor], outputShapes: [Shape], multi: Bool) {
        self.layer = layer
        self.inputs = inputs
        self.outputShapes = outputShapes
        self.multi = multi
        serial = nodeSerials.add(1, ordering: .relaxed).newValue
    }

    var isInput: Bool { layer is InputLayer }
}

/// A placeholder for a batch of tensors in a functional model (Keras's `KerasTensor`): its
/// per-sample shape (no batch dimension; -1 for a dimension of any size), its dtype and the
/// layer call that produced it. Made by ``Input(shape:dtype:name:)`` and by calling layers on
/// other symbolic tensors; no data flows until the model built from them runs.
public final class SymbolicTensor: CustomStringConvertible {
    /// The per-sample shape (the batch dimension is left out).
    public let shape: Shape
    /// The dtype: an input's declared dtype; for a layer's output, the dtype of the layer's
    /// parameters (the first input's dtype for layers without parameters).
    public let dtype: DType
    let node: Node
    /// Which of the producing layer call's outputs this is.
    public let outputIndex: Int

    init(shape: Shape, dtype: DType, node: Node, outputIndex: Int) {
        self.shape = shape
        self.dtype = dtype
        self.node = node
        self.outputIndex = outputIndex
    }

    /// The layer that produced this tensor (an ``InputLayer`` for a model input).
    public var layer: any Layer { node.layer }

    public var description: String {
        "SymbolicTensor(shape=\(kerasShapeString(shape)), dtype=\(dtype), from \(node.layer.typeName))"
    }
}

/// The layer behind ``Input(shape:dtype:name:)`` (Keras's `InputLayer`): the identity on a
/// batch with the declared per-sample shape.
public final class InputLayer: Layer {
    public let shape: Shape
    public let dtype: DType
    /// The name given to `Input`, used by `summary()` instead of `input_layer`.
    public let name: String?

    public init(shape: Shape, dtype: DType = .float32, name: String? = nil) {
        precondition(shape.allSatisfy { $0 > 0 || $0 == -1 }, "Input: dimensions must be positive (or -1 for any size), got \(shape)")
        self.shape = shape
        self.dtype = dtype
        self.name = name
    }

    public func build(inputShape: Shape) throws -> Shape {
        guard shapeMatches(inputShape, shape) else {
            throw ShapeError(layer: "InputLayer", "expected per-sample shape \(shape), got \(inputShape)")
        }
        return shape
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x }
}

/// A symbolic model input with the per-sample `shape` (no batch dimension; -1 for a dimension
/// of any size), as Keras's `keras.Input`. Inputs are fed as given (no cast): declare
/// `dtype: .int64` for token ids, `.float64` for float64 data.
public func Input(shape: Shape, dtype: DType = .float32, name: String? = nil) -> SymbolicTensor {
    let layer = InputLayer(shape: shape, dtype: dtype, name: name)
    let node = Node(layer: layer, inputs: [], outputShapes: [shape], multi: false)
    return SymbolicTensor(shape: shape, dtype: dtype, node: node, outputIndex: 0)
}

/// Whether a concrete per-sample shape fits a declared one (-1 matches any size).
func shapeMatches(_ actual: Shape, _ declared: Shape) -> Bool {
    actual.count == declared.count && zip(actual, declared).allSatisfy { $1 == -1 || $0 == $1 }
}

/// Keras's shape text with the batch dimension: `(None, 32, 26, 26)`; -1 prints as None.
func kerasShapeString(_ s: Shape) -> String {
    "(None" + s.map { $0 == -1 ? ", None" : ", \($0)" }.joined() + ")"
}

extension Layer {
    /// Calls the layer on a symbolic tensor (Keras `layer(x)` in a functional model): builds the
    /// layer for the input's per-sample shape (creating its parameters the first time; a
    /// `ShapeError` propagates) and returns the symbolic output. Calling the same layer object
    /// again reuses its parameters (a shared layer).
    public func callAsFunction(_ x: SymbolicTensor) throws -> SymbolicTensor {
        let outs = try outputs([x])
        guard outs.count == 1 else {
            throw ShapeError(layer: typeName, "returns \(outs.count) outputs; use outputs(_:) to get all of them")
        }
        return outs[0]
    }

    /// Calls the layer on symbolic tensors and returns all its outputs: a ``MultiIOLayer`` gets
    /// the list (e.g. `try lstm.outputs([x, h0, c0])` → `[sequence, h, c]`); any other layer
    /// takes exactly one input and gives one output.
    public func outputs(_ inputs: [SymbolicTensor]) throws -> [SymbolicTensor] {
        guard !inputs.isEmpty else { throw ShapeError(layer: typeName, "called on an empty list of inputs") }
        let shapes = inputs.map(\.shape)
        let outShapes: [Shape]
        let multi: Bool
        if let m = self as? any MultiIOLayer {
            outShapes = try m.build(inputShapes: shapes)
            multi = true
        } else {
            guard inputs.count == 1 else {
                throw ShapeError(layer: typeName, "takes one input, got \(inputs.count) with shapes \(shapes)")
            }
            outShapes = [try build(inputShape: shapes[0])]
            multi = false
        }
        let node = Node(layer: self, inputs: inputs, outputShapes: outShapes, multi: multi)
        let graphDTypes = (self as? Model)?.graph?.outputs.map(\.dtype)
        let dtype = parameters.first?.value.dtype ?? inputs[0].dtype
        return outShapes.indices.map { k in
            let dt = graphDTypes.map { $0[k] } ?? dtype
            return SymbolicTensor(shape: outShapes[k], dtype: dt, node: node, outputIndex: k)
        }
    }
}

extension MultiIOLayer {
    /// Calls a layer with several inputs and one output on symbolic tensors (merge layers:
    /// `try Concatenate()([a, b])`).
    public func callAsFunction(_ inputs: [SymbolicTensor]) throws -> SymbolicTensor {
        let outs = try outputs(inputs)
        guard outs.count == 1 else {
            throw ShapeError(layer: typeName, "returns \(outs.count) outputs; use outputs(_:) to get all of them")
        }
        return outs[0]
    }
}
