import Weft

// Keras's recurrent cells and the generic `RNN` layer: a cell computes one time step, `RNN`
// runs any cell (Weft's or a custom one) over a sequence, and `StackedRNNCells` chains cells.
// The built-in cells compute with the same op as SimpleRNN / LSTM / GRU (a sequence of one step),
// so `RNN(LSTMCell(h))` and `LSTM(h)` with the same weights give the same results.

/// One step of a recurrent computation (Keras's RNN cell API).
public protocol RecurrentCell: Layer {
    /// The size of each state (an LSTM has two: h and c).
    var stateSizes: [Int] { get }
    /// The size of the step's output.
    var outputSize: Int { get }
    /// Creates the parameters for steps of `features` input features.
    func build(features: Int) throws
    /// One step: x [N, C] and the states ([N, stateSize] each) → the output [N, outputSize] and
    /// the new states.
    func step(_ x: Tensor, states: [Tensor]) -> (output: Tensor, states: [Tensor])
    /// A cell with the same settings and fresh (unbuilt) parameters, for ``Bidirectional``'s
    /// backward copy; nil (the default) where the cell cannot make one.
    func freshCopy() -> (any RecurrentCell)?
}

extension RecurrentCell {
    public func freshCopy() -> (any RecurrentCell)? { nil }

    /// A cell as a plain layer: one step from zero states on [C] input.
    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count == 1 else {
            throw ShapeError(layer: typeName, "a cell takes one step [features], got per-sample shape \(inputShape)")
        }
        try build(features: inputShape[0])
        return [outputSize]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        step(x, states: stateSizes.map { Tensor.zeros([x.shape[0], $0], dtype: x.dtype) }).output
    }
}

/// The built-in cells: the parameters of a SimpleRNN / LSTM / GRU layer (`layer`, which computes
/// the step) kept as the cell's own `kernel`, `recurrentKernel`, `bias`.
protocol BuiltinCell: RecurrentCell {
    var layer: any RecurrentLayer { get }
    init(wrapping layer: any RecurrentLayer)
    var kernel: Parameter? { get set }
    var recurrentKernel: Parameter? { get set }
    var bias: Parameter? { get set }
}

extension BuiltinCell {
    public var units: Int { layer.units }
    public var stateSizes: [Int] { [Int](repeating: layer.units, count: layer.stateCount) }
    public var outputSize: Int { layer.units }
    /// The layer's copy runs the other way, which a single step does not see.
    public func freshCopy() -> (any RecurrentCell)? { Self(wrapping: layer.reversedCopy()) }
    /// The wrapped layer is not a child: its parameters are this cell's.
    public var namedChildren: [(String, any Layer)] { [] }

    /// Hands the cell's parameters (possibly replaced by the user) to the layer.
    /// Keras's cells keep one dropout mask per sequence; these run one step per call, so dropout
    /// and statefulness belong to the SimpleRNN / LSTM / GRU layers.
    static func checked(_ o: RecurrentOptions, _ name: String) -> RecurrentOptions {
        precondition(o.dropout == 0 && o.recurrentDropout == 0 && !o.stateful,
                     "\(name): dropout, recurrentDropout and stateful are options of the SimpleRNN / LSTM / GRU layers, not of cells")
        return o
    }

    func sync() {
        layer.kernel = kernel
        layer.recurrentKernel = recurrentKernel
        layer.bias = bias
    }

    public func build(features: Int) throws {
        sync()
        _ = try layer.build(inputShape: [1, features])
        kernel = layer.kernel
        recurrentKernel = layer.recurrentKernel
        bias = layer.bias
    }

    public func step(_ x: Tensor, states: [Tensor]) -> (output: Tensor, states: [Tensor]) {
        precondition(x.rank == 2, "\(typeName): a step's input must be [N, features], got \(x.shape)")
        do { try build(features: x.shape[1]) } catch { preconditionFailure("\(error)") }
        precondition(states.count == layer.stateCount, "\(typeName): needs \(layer.stateCount) state(s), got \(states.count)")
        let r = layer.run(x.unsqueezed(axis: 1), initialStates: states, mask: nil, reverse: false)
        return (r.states[0], r.states)
    }
}

/// Keras `SimpleRNNCell`.
public final class SimpleRNNCell: BuiltinCell {
    let layer: any RecurrentLayer
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?
    init(wrapping layer: any RecurrentLayer) { self.layer = layer }
    public init(_ units: Int, activation: Activation = .tanh, useBias: Bool = true, options: RecurrentOptions = RecurrentOptions()) {
        layer = SimpleRNN(units, activation: activation, useBias: useBias, options: Self.checked(options, "SimpleRNNCell"))
    }
}

/// Keras `LSTMCell` (states [h, c]).
public final class LSTMCell: BuiltinCell {
    let layer: any RecurrentLayer
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?
    init(wrapping layer: any RecurrentLayer) { self.layer = layer }
    public init(_ units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid, useBias: Bool = true,
                unitForgetBias: Bool = true, options: RecurrentOptions = RecurrentOptions()) {
        layer = LSTM(units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                     unitForgetBias: unitForgetBias, options: Self.checked(options, "LSTMCell"))
    }
}

/// Keras `GRUCell` (`resetAfter` as `GRU`'s).
public final class GRUCell: BuiltinCell {
    let layer: any RecurrentLayer
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?
    init(wrapping layer: any RecurrentLayer) { self.layer = layer }
    public init(_ units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid, useBias: Bool = true,
                resetAfter: Bool = true, options: RecurrentOptions = RecurrentOptions()) {
        layer = GRU(units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                    resetAfter: resetAfter, options: Self.checked(options, "GRUCell"))
    }
}

/// Keras `StackedRNNCells`: the cells one after the other within each step; the states are
/// every cell's states in order, the output the last cell's.
public final class StackedRNNCells: RecurrentCell {
    public let cells: [any RecurrentCell]
    public init(_ cells: [any RecurrentCell]) {
        precondition(!cells.isEmpty, "StackedRNNCells: needs at least one cell")
        self.cells = cells
    }
    public var stateSizes: [Int] { cells.flatMap(\.stateSizes) }
    public func freshCopy() -> (any RecurrentCell)? {
        let copies = cells.compactMap { $0.freshCopy() }
        return copies.count == cells.count ? StackedRNNCells(copies) : nil
    }
    public var outputSize: Int { cells.last!.outputSize }
    public var namedChildren: [(String, any Layer)] { cells.enumerated().map { ("\($0.offset)", $0.element) } }

    public func build(features: Int) throws {
        var f = features
        for c in cells {
            try c.build(features: f)
            f = c.outputSize
        }
    }

    public func step(_ x: Tensor, states: [Tensor]) -> (output: Tensor, states: [Tensor]) {
        var h = x, rest = states[...], out: [Tensor] = []
        for c in cells {
            let k = c.stateSizes.count
            let r = c.step(h, states: Array(rest.prefix(k)))
            rest = rest.dropFirst(k)
            h = r.output
            out += r.states
        }
        return (h, out)
    }
}

/// Keras `RNN`: runs `cell` over [N, T, C] step by step (Python-loop speed, any cell; the fused
/// SimpleRNN / LSTM / GRU layers are the fast path for the built-in cells). Outputs the last step's
/// output [N, H] or every step's [N, T, H] (`returnSequences`), then the final states
/// (`returnState`); initial states may follow the input. With a Keras mask, masked steps carry
/// the states over and repeat the previous output.
public final class RNN: BidirectionalWrappable {
    public let cell: any RecurrentCell
    public let returnSequences: Bool
    public let returnState: Bool
    public let goBackwards: Bool

    public init(_ cell: any RecurrentCell, returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false) {
        self.cell = cell
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
    }

    /// Keras's `RNN([cell1, cell2, …])`: the cells stacked.
    public convenience init(_ cells: [any RecurrentCell], returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false) {
        self.init(StackedRNNCells(cells), returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards)
    }

    public var namedChildren: [(String, any Layer)] { [("cell", cell)] }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        guard let s = inputShapes.first, s.count == 2 else {
            throw ShapeError(layer: "RNN", "expects per-sample input [time, features], got \(inputShapes.first.map { "\($0)" } ?? "nothing")")
        }
        let sizes = cell.stateSizes
        guard inputShapes.count == 1 || inputShapes.count == 1 + sizes.count else {
            throw ShapeError(layer: "RNN", "takes the input and \(sizes.count) initial state(s), got \(inputShapes.count) inputs")
        }
        for (st, size) in zip(inputShapes.dropFirst(), sizes) where st != [size] {
            throw ShapeError(layer: "RNN", "initial states must be \(sizes.map { [$0] }), got \(Array(inputShapes.dropFirst()))")
        }
        try cell.build(features: s[1])
        let out: Shape = returnSequences ? [s[0], cell.outputSize] : [cell.outputSize]
        return returnState ? [out] + sizes.map { [$0] } : [out]
    }

    public func build(inputShape: Shape) throws -> Shape { try build(inputShapes: [inputShape])[0] }

    public func call(_ inputs: [Tensor]) -> [Tensor] { call(inputs, mask: nil) }

    func call(_ inputs: [Tensor], mask: Tensor?) -> [Tensor] {
        let x = inputs[0]
        precondition(x.rank == 3, "RNN: input must be [N, T, C], got \(x.shape)")
        do { _ = try build(inputShapes: inputs.map { Array($0.shape.dropFirst()) }) } catch { preconditionFailure("\(error)") }
        let n = x.shape[0], t = x.shape[1]
        var states = inputs.count > 1 ? Array(inputs.dropFirst()) : cell.stateSizes.map { Tensor.zeros([n, $0], dtype: x.dtype) }
        let keep: Tensor? = mask.map { ($0.cast(to: x.dtype) .!= Tensor(0.0, dtype: x.dtype)).reshaped(to: [n, t, 1]) }
        var previous = Tensor.zeros([n, cell.outputSize], dtype: x.dtype)
        var outputs: [Tensor] = []
        for step in (goBackwards ? Array((0..<t).reversed()) : Array(0..<t)) {
            let r = cell.step(x.sliced(axis: 1, start: step, end: step + 1).reshaped(to: [n, x.shape[2]]), states: states)
            if let keep {
                let k = keep.sliced(axis: 1, start: step, end: step + 1).reshaped(to: [n, 1])
                states = zip(r.states, states).map { `where`(k, $0, $1) }
                previous = `where`(k, r.output, previous)
            } else {
                states = r.states
                previous = r.output
            }
            outputs.append(previous)
        }
        // As Keras: the sequence in processing order (reversed for goBackwards).
        let out = returnSequences ? stack(outputs, axis: 1) : previous
        return returnState ? [out] + states : [out]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { call([x], mask: nil)[0] }
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor { call([x], mask: mask)[0] }
    public func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor? { returnSequences ? inputMask : nil }

    public var directionStateCount: Int { cell.stateSizes.count }
    public var returnsSequences: Bool { returnSequences }
    public var returnsState: Bool { returnState }
    public func runDirection(_ x: Tensor, initialStates: [Tensor], mask: Tensor?) -> (output: Tensor, states: [Tensor]) {
        let r = call([x] + initialStates, mask: mask)
        return (r[0], returnState ? Array(r.dropFirst()) : [])
    }
    public func oppositeCopy() -> (any BidirectionalWrappable)? {
        cell.freshCopy().map { RNN($0, returnSequences: returnSequences, returnState: returnState, goBackwards: !goBackwards) }
    }
}
