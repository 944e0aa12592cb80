import Weft

// Keras's recurrent layers on the fused `rnn` op (oneDNN's RNN primitives for float32 without
// a mask): SimpleRNN, LSTM, GRU (reset_after or not), and the Bidirectional wrapper.

/// A layer whose output carries a mask [N, T] (nonzero = a real time step), as Keras's
/// `Embedding(mask_zero=True)` and `Masking`.
public protocol MaskingLayer: Layer {
    /// The mask of this layer's output for `input` (whose own mask is `inputMask`).
    func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor?
}

/// A layer that uses the mask of its input (the recurrent layers).
public protocol MaskConsumingLayer: Layer {
    func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor
}

extension Embedding: MaskingLayer {
    /// With `maskZero`, id 0 marks padding: the mask is `ids != 0`.
    public func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor? {
        guard maskZero else { return inputMask }
        return input .!= Tensor(0.0, dtype: input.dtype)
    }
}

/// Keras `Masking(mask_value)`: marks the time steps whose features all equal `maskValue` as
/// padding (and zeroes them, as Keras does).
public final class Masking: MaskingLayer {
    public let maskValue: Double
    public init(maskValue: Double = 0) { self.maskValue = maskValue }
    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count >= 2 else { throw ShapeError(layer: "Masking", "expects per-sample input [time, features…], got \(inputShape)") }
        return inputShape
    }
    func keep(_ x: Tensor) -> Tensor {
        let axes = Array(2..<x.rank)
        let differs = (x .!= Tensor(maskValue, dtype: x.dtype)).cast(to: .float32)
        return axes.isEmpty ? differs : differs.max(alongAxes: axes).reshaped(to: [x.shape[0], x.shape[1]])
    }
    public func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor? { keep(input) .!= Tensor(0.0, dtype: .float32) }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let k = keep(x).cast(to: x.dtype)
        return x * k.reshaped(to: [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2))
    }
}

/// The settings every recurrent layer shares (Keras's argument names).
public struct RecurrentOptions: Sendable {
    public var returnSequences = false
    public var returnState = false
    /// Processes the sequence from the last step to the first; the returned sequence is then in
    /// reverse order, as Keras's `go_backwards`.
    public var goBackwards = false
    public var useBias = true
    public var kernelInitializer: Initializer = .glorotUniform
    public var recurrentInitializer: Initializer = .orthogonal()
    public var biasInitializer: Initializer = .zeros
    public var kernelRegularizer: Regularizer? = nil
    public var recurrentRegularizer: Regularizer? = nil
    public var biasRegularizer: Regularizer? = nil
    /// Keras's `kernel_constraint`, `recurrent_constraint`, `bias_constraint`: applied after each
    /// optimizer update.
    public var kernelConstraint: Constraint? = nil
    public var recurrentConstraint: Constraint? = nil
    public var biasConstraint: Constraint? = nil
    /// Keras's `zero_output_for_mask`: with `returnSequences` and a mask, masked steps output
    /// zeros (otherwise they repeat the last unmasked step's output).
    public var zeroOutputForMask = false
    /// Keras's `dropout`: the fraction of input features dropped in training, one mask per
    /// sequence (the same for every step).
    public var dropout: Double = 0
    /// Keras's `recurrent_dropout`: the fraction of the previous state dropped before the
    /// recurrent matmul in training. As in Keras, it gives each gate its own masks (also for
    /// `dropout`) and runs the cell step by step instead of the fused kernel.
    public var recurrentDropout: Double = 0
    /// Draws the dropout masks.
    public var generator: RandomGenerator = .global
    /// Keras's `stateful`: each call starts from the final states of the previous call (sample i
    /// of a batch continues sample i of the previous batch) until `resetStates()`. The batch size
    /// must stay the same.
    public var stateful = false
    public init() {}

    /// These options with the arguments every recurrent layer's initialiser takes.
    func with(layer: String, returnSequences: Bool, returnState: Bool, goBackwards: Bool, useBias: Bool,
              dropout: Double?, recurrentDropout: Double?, stateful: Bool?) -> RecurrentOptions {
        var o = self
        o.returnSequences = returnSequences; o.returnState = returnState; o.goBackwards = goBackwards; o.useBias = useBias
        if let stateful { o.stateful = stateful }
        if let dropout { o.dropout = dropout }
        if let recurrentDropout { o.recurrentDropout = recurrentDropout }
        precondition(o.dropout >= 0 && o.dropout < 1, "\(layer): dropout must be in [0, 1), got \(o.dropout)")
        precondition(o.recurrentDropout >= 0 && o.recurrentDropout < 1, "\(layer): recurrentDropout must be in [0, 1), got \(o.recurrentDropout)")
        return o
    }
}

/// What SimpleRNN, LSTM and GRU have in common; implemented once in the extension below.
public protocol RecurrentLayer: BidirectionalWrappable {
    var units: Int { get }
    var cell: RNNCell { get }
    var options: RecurrentOptions { get }
    /// Keras's kernel [C, G·H], recurrent kernel [H, G·H] and bias ([G·H]; GRU with
    /// `resetAfter` [2, 3·H]).
    var kernel: Parameter? { get set }
    var recurrentKernel: Parameter? { get set }
    var bias: Parameter? { get set }
    /// The final states of the last call, kept by a `stateful` layer (detached from the tape).
    var carriedStates: [Tensor]? { get set }
    /// Keras's `activation` (tanh by default) and, for the LSTM and GRU, `recurrent_activation`
    /// (sigmoid by default).
    var activation: Activation { get }
    var recurrentActivation: Activation { get }
    /// A layer with the same settings and fresh parameters, running the other way
    /// (for ``Bidirectional``).
    func reversedCopy() -> any RecurrentLayer
}

extension RecurrentLayer {
    var stateCount: Int { cell == .lstm ? 2 : 1 }

    /// The op's activations: nil (the fused kernel) for the cell's own ones.
    var opActivations: RNNActivations? {
        let a = activation, r = recurrentActivation
        switch cell {
        case .vanillaTanh where a == .tanh, .vanillaReLU where a == .relu: return nil
        case .lstm, .gru, .gruResetBefore: if a == .tanh && r == .sigmoid { return nil }
        default: break
        }
        return RNNActivations(activation: { a.apply($0) }, recurrentActivation: { r.apply($0) })
    }

    /// Forgets the states a `stateful` layer carries (Keras's `reset_states`).
    public func resetStates() { carriedStates = nil }
    var biasShape: Shape { cell == .gru ? [2, 3 * units] : [cell.gates * units] }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        guard let s = inputShapes.first, s.count == 2 else {
            throw ShapeError(layer: typeName, "expects per-sample input [time, features], got \(inputShapes.first.map { "\($0)" } ?? "nothing")")
        }
        let features = s[1], g = cell.gates
        guard inputShapes.count == 1 || inputShapes.count == 1 + stateCount else {
            throw ShapeError(layer: typeName, "takes the input and \(stateCount) initial state(s), got \(inputShapes.count) inputs")
        }
        for st in inputShapes.dropFirst() where st != [units] {
            throw ShapeError(layer: typeName, "initial states must be [\(units)], got \(st)")
        }
        if let k = kernel {
            guard k.value.shape == [features, g * units] else {
                throw ShapeError(layer: typeName, "input shape \(s) does not match kernel shape \(k.value.shape) (expected \(k.value.shape[0]) features, got \(features))")
            }
        } else {
            kernel = Parameter(options.kernelInitializer.make([features, g * units], fanIn: features, fanOut: g * units))
            recurrentKernel = Parameter(options.recurrentInitializer.make([units, g * units], fanIn: units, fanOut: g * units))
            if options.useBias {
                var b = options.biasInitializer.make(biasShape, fanIn: features, fanOut: g * units)
                if let lstm = self as? LSTM, lstm.unitForgetBias {
                    // Keras's unit_forget_bias: the forget gate's bias starts at 1.
                    b = concatenate([b.sliced(axis: 0, start: 0, end: units), .ones([units], dtype: b.dtype),
                                     b.sliced(axis: 0, start: 2 * units, end: 4 * units)])
                }
                bias = Parameter(b)
            }
        }
        let out: Shape = options.returnSequences ? [s[0], units] : [units]
        return options.returnState ? [out] + [Shape](repeating: [units], count: stateCount) : [out]
    }

    public func build(inputShape: Shape) throws -> Shape { try build(inputShapes: [inputShape])[0] }

    /// The op's bias from the layer's (zeros without one; the GRU's four vectors from Keras's two rows).
    func opBias(dtype: DType) -> Tensor {
        guard let b = bias?.value else { return .zeros([cell.biasGates * units], dtype: dtype) }
        guard cell == .gru else { return b }
        let h = units
        let input = b.sliced(axis: 0, start: 0, end: 1).reshaped(to: [3 * h])
        let recurrent = b.sliced(axis: 0, start: 1, end: 2).reshaped(to: [3 * h])
        return concatenate([input.sliced(axis: 0, start: 0, end: 2 * h) + recurrent.sliced(axis: 0, start: 0, end: 2 * h),
                            input.sliced(axis: 0, start: 2 * h, end: 3 * h), recurrent.sliced(axis: 0, start: 2 * h, end: 3 * h)])
    }

    /// Runs the layer: the sequence output (all steps or the last), and the final states.
    func run(_ x: Tensor, initialStates: [Tensor], mask: Tensor?, reverse: Bool) -> (output: Tensor, states: [Tensor]) {
        if kernel == nil { ensureBuilt(self, x) }
        precondition(x.rank == 3, "\(typeName): input must be [N, T, C], got \(x.shape)")
        let (x, gateMasks) = applyDropout(x)
        var initialStates = initialStates
        if options.stateful, initialStates.isEmpty, let carried = carriedStates {
            precondition(carried[0].shape[0] == x.shape[0], "\(typeName): a stateful layer keeps its batch size: its states are for "
                         + "\(carried[0].shape[0]) samples, the input has \(x.shape[0]) (call resetStates() first)")
            initialStates = carried
        }
        let r = Weft.rnn(x, cell: cell, weightsLayer: kernel!.value, weightsIter: recurrentKernel!.value,
                         bias: opBias(dtype: kernel!.value.dtype), initialHidden: initialStates.first,
                         initialCell: initialStates.count > 1 ? initialStates[1] : nil, reverse: reverse, mask: mask, gateMasks: gateMasks,
                         activations: opActivations)
        let states = [r.hidden] + (r.cell.map { [$0] } ?? [])
        if options.stateful { carriedStates = states.map { $0.detached() } }
        guard options.returnSequences else { return (r.hidden, states) }
        if options.zeroOutputForMask, let mask {
            // The op's output is in input-step order (a backwards run is flipped later), as the mask.
            return (r.output * (mask.cast(to: r.output.dtype) .!= Tensor(0.0, dtype: r.output.dtype)).cast(to: r.output.dtype).unsqueezed(axis: 2), states)
        }
        return (r.output, states)
    }

    /// Keras's dropout in training: with `recurrentDropout`, per-gate masks for the op's composed
    /// path; with `dropout` alone, one [N, 1, C] mask on the input, and the fused kernel.
    func applyDropout(_ x: Tensor) -> (Tensor, RNNGateMasks?) {
        let o = options
        guard LearningPhase.isTraining, o.dropout > 0 || o.recurrentDropout > 0 else { return (x, nil) }
        let n = x.shape[0], c = x.shape[2], g = cell.gates
        func mask(_ shape: Shape, _ rate: Double) -> Tensor {
            withoutGradient { Weft.dropout(Tensor.ones(shape, dtype: x.dtype), rate: rate, training: true, generator: o.generator) }
        }
        guard o.recurrentDropout > 0 else { return (x * mask([n, 1, c], o.dropout), nil) }
        return (x, RNNGateMasks(input: o.dropout > 0 ? mask([g, n, c], o.dropout) : nil, recurrent: mask([g, n, units], o.recurrentDropout)))
    }

    /// Keras's `go_backwards` returns the sequence in processing order (last step first).
    func keras(_ out: Tensor) -> Tensor {
        guard options.goBackwards && options.returnSequences else { return out }
        let t = out.shape[1]
        return out.indexSelect(axis: 1, indices: Tensor(shape: [t], scalars: (0..<t).reversed().map { Int32($0) }))
    }

    public func call(_ inputs: [Tensor]) -> [Tensor] { call(inputs, mask: nil) }

    func call(_ inputs: [Tensor], mask: Tensor?) -> [Tensor] {
        let (out, states) = run(inputs[0], initialStates: Array(inputs.dropFirst()), mask: mask, reverse: options.goBackwards)
        return options.returnState ? [keras(out)] + states : [keras(out)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { call([x], mask: nil)[0] }
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor { call([x], mask: mask)[0] }

    /// The mask goes on with the sequence (`returnSequences`), and stops at a last state.
    public func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor? { options.returnSequences ? inputMask : nil }

    /// Kernel, recurrent-kernel and bias penalties (Keras's regularisers).
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        var out: [(Parameter, Regularizer)] = []
        if let r = options.kernelRegularizer, let k = kernel { out.append((k, r)) }
        if let r = options.recurrentRegularizer, let k = recurrentKernel { out.append((k, r)) }
        if let r = options.biasRegularizer, let b = bias { out.append((b, r)) }
        return out
    }
    public var parameterConstraints: [(Parameter, Constraint)] {
        var out: [(Parameter, Constraint)] = []
        if let c = options.kernelConstraint, let k = kernel { out.append((k, c)) }
        if let c = options.recurrentConstraint, let k = recurrentKernel { out.append((k, c)) }
        if let c = options.biasConstraint, let b = bias { out.append((b, c)) }
        return out
    }
}

extension SimpleRNN: RegularizedLayer {}
extension LSTM: RegularizedLayer {}
extension GRU: RegularizedLayer {}

/// Keras `SimpleRNN`: h = activation(x·kernel + h·recurrent_kernel + bias). tanh and relu run on
/// the fused kernel, any other activation composed step by step.
public final class SimpleRNN: RecurrentLayer {
    public let units: Int
    public let cell: RNNCell
    public let activation: Activation
    public var recurrentActivation: Activation { .sigmoid }
    public var options: RecurrentOptions
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?
    public var carriedStates: [Tensor]?

    public init(_ units: Int, activation: Activation = .tanh, returnSequences: Bool = false, returnState: Bool = false,
                goBackwards: Bool = false, useBias: Bool = true, dropout: Double? = nil, recurrentDropout: Double? = nil,
                stateful: Bool? = nil, options: RecurrentOptions = RecurrentOptions()) {
        precondition(units > 0, "SimpleRNN: units must be positive, got \(units)")
        self.units = units
        self.activation = activation
        self.cell = activation == .relu ? .vanillaReLU : .vanillaTanh
        self.options = options.with(layer: "SimpleRNN", returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                                    useBias: useBias, dropout: dropout, recurrentDropout: recurrentDropout, stateful: stateful)
    }

    public func reversedCopy() -> any RecurrentLayer {
        var o = options
        o.goBackwards.toggle()
        return SimpleRNN(units, activation: activation, returnSequences: o.returnSequences,
                         returnState: o.returnState, goBackwards: o.goBackwards, useBias: o.useBias, options: o)
    }
}

/// Keras `LSTM` (gates i, f, c̃, o; `unitForgetBias` starts the forget bias at 1). The default
/// activations (tanh, sigmoid for the gates) run on the fused kernel, others composed.
public final class LSTM: RecurrentLayer {
    public let units: Int
    public let cell: RNNCell = .lstm
    public let activation: Activation
    public let recurrentActivation: Activation
    public let unitForgetBias: Bool
    public var options: RecurrentOptions
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?
    public var carriedStates: [Tensor]?

    public init(_ units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
                returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                useBias: Bool = true, unitForgetBias: Bool = true, dropout: Double? = nil, recurrentDropout: Double? = nil,
                stateful: Bool? = nil, options: RecurrentOptions = RecurrentOptions()) {
        precondition(units > 0, "LSTM: units must be positive, got \(units)")
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.unitForgetBias = unitForgetBias
        self.options = options.with(layer: "LSTM", returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                                    useBias: useBias, dropout: dropout, recurrentDropout: recurrentDropout, stateful: stateful)
    }

    public func reversedCopy() -> any RecurrentLayer {
        var o = options
        o.goBackwards.toggle()
        return LSTM(units, activation: activation, recurrentActivation: recurrentActivation, returnSequences: o.returnSequences,
                    returnState: o.returnState, goBackwards: o.goBackwards,
                    useBias: o.useBias, unitForgetBias: unitForgetBias, options: o)
    }
}

/// Keras 3 `GRU`, gates z, r, h̃. With `resetAfter` (the Keras 3 default, the cuDNN / PyTorch
/// formulation) the bias is [2, 3·units] (input row, recurrent row); without it (Keras 2's
/// default) the reset gate scales the previous state before the recurrent matmul and the bias is
/// [3·units].
public final class GRU: RecurrentLayer {
    public let units: Int
    public let cell: RNNCell
    public let activation: Activation
    public let recurrentActivation: Activation
    public var options: RecurrentOptions
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?
    public var carriedStates: [Tensor]?

    public var resetAfter: Bool { cell == .gru }

    public init(_ units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
                returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                useBias: Bool = true, resetAfter: Bool = true, dropout: Double? = nil, recurrentDropout: Double? = nil,
                stateful: Bool? = nil, options: RecurrentOptions = RecurrentOptions()) {
        precondition(units > 0, "GRU: units must be positive, got \(units)")
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.cell = resetAfter ? .gru : .gruResetBefore
        self.options = options.with(layer: "GRU", returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                                    useBias: useBias, dropout: dropout, recurrentDropout: recurrentDropout, stateful: stateful)
    }

    public func reversedCopy() -> any RecurrentLayer {
        var o = options
        o.goBackwards.toggle()
        return GRU(units, activation: activation, recurrentActivation: recurrentActivation, returnSequences: o.returnSequences,
                    returnState: o.returnState, goBackwards: o.goBackwards,
                   useBias: o.useBias, resetAfter: resetAfter, options: o)
    }
}

/// A recurrent layer that ``Bidirectional`` can run both ways: SimpleRNN / LSTM / GRU (fused) and
/// the generic ``RNN`` over any cell.
public protocol BidirectionalWrappable: MultiIOLayer, MaskConsumingLayer, MaskingLayer {
    /// How many states one direction has (an LSTM two).
    var directionStateCount: Int { get }
    var returnsSequences: Bool { get }
    var returnsState: Bool { get }
    /// Runs over [N, T, C]: the output (every step in processing order with `returnsSequences`,
    /// else the last) and the final states, as the layer's own call.
    func runDirection(_ x: Tensor, initialStates: [Tensor], mask: Tensor?) -> (output: Tensor, states: [Tensor])
    /// A layer with the same settings and fresh parameters running the other way, or nil where
    /// it cannot be made (an `RNN` over a custom cell without `freshCopy()`).
    func oppositeCopy() -> (any BidirectionalWrappable)?
}

extension RecurrentLayer {
    public var directionStateCount: Int { stateCount }
    public var returnsSequences: Bool { options.returnSequences }
    public var returnsState: Bool { options.returnState }
    public func runDirection(_ x: Tensor, initialStates: [Tensor], mask: Tensor?) -> (output: Tensor, states: [Tensor]) {
        let (out, states) = run(x, initialStates: initialStates, mask: mask, reverse: options.goBackwards)
        return (keras(out), states)
    }
    public func oppositeCopy() -> (any BidirectionalWrappable)? { reversedCopy() }
}

/// Keras `Bidirectional`: the wrapped layer forward and a copy of it backward over the same
/// sequence, outputs merged (`concat` by default); the backward sequence is flipped back so that
/// both align with the input steps. With `returnState`, the outputs are
/// [merged, forward states…, backward states…]. Wraps SimpleRNN / LSTM / GRU or a generic
/// `RNN(cell)`; for an `RNN` over a custom cell pass `backwardLayer` (or give the cell
/// `freshCopy()`).
public final class Bidirectional: MultiIOLayer, MaskConsumingLayer, MaskingLayer {
    public enum MergeMode: Hashable, Sendable { case concat, sum, mul, ave }
    public let forwardLayer: any BidirectionalWrappable
    public let backwardLayer: any BidirectionalWrappable
    public let mergeMode: MergeMode

    public init(_ layer: any BidirectionalWrappable, mergeMode: MergeMode = .concat, backwardLayer: (any BidirectionalWrappable)? = nil) {
        guard let backward = backwardLayer ?? layer.oppositeCopy() else {
            preconditionFailure("Bidirectional: cannot copy \(layer.typeName)'s cell for the backward direction; "
                                + "pass backwardLayer: (an RNN with goBackwards: true) or give the cell freshCopy()")
        }
        self.forwardLayer = layer
        self.backwardLayer = backward
        self.mergeMode = mergeMode
        precondition(backward.returnsSequences == layer.returnsSequences && backward.returnsState == layer.returnsState
                     && backward.directionStateCount == layer.directionStateCount,
                     "Bidirectional: the forward and backward layers must agree on returnSequences, returnState and their states")
    }

    public var typeName: String { "Bidirectional" }

    func merge(_ a: Tensor, _ b: Tensor) -> Tensor {
        switch mergeMode {
        case .concat: return concatenate([a, b], axis: -1)
        case .sum: return a + b
        case .mul: return a * b
        case .ave: return (a + b) * 0.5
        }
    }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        let n = forwardLayer.directionStateCount
        guard inputShapes.count == 1 || inputShapes.count == 1 + 2 * n else {
            throw ShapeError(layer: "Bidirectional", "takes the input and \(2 * n) initial states, got \(inputShapes.count) inputs")
        }
        let f = try forwardLayer.build(inputShapes: [inputShapes[0]] + Array(inputShapes.dropFirst().prefix(n)))
        let b = try backwardLayer.build(inputShapes: [inputShapes[0]] + Array(inputShapes.dropFirst(1 + n)))
        var out = f[0]
        if mergeMode == .concat { out[out.count - 1] += b[0].last! }
        return forwardLayer.returnsState ? [out] + Array(f.dropFirst()) + Array(b.dropFirst()) : [out]
    }

    public func build(inputShape: Shape) throws -> Shape { try build(inputShapes: [inputShape])[0] }

    func call(_ inputs: [Tensor], mask: Tensor?) -> [Tensor] {
        let n = forwardLayer.directionStateCount
        let x = inputs[0]
        let fInit = Array(inputs.dropFirst().prefix(n)), bInit = Array(inputs.dropFirst(1 + n))
        let f = forwardLayer.runDirection(x, initialStates: fInit, mask: mask)
        var b = backwardLayer.runDirection(x, initialStates: bInit, mask: mask)
        if backwardLayer.returnsSequences {
            // As Keras: the backward sequence (in its processing order) flipped back.
            let t = b.output.shape[1]
            b.output = b.output.indexSelect(axis: 1, indices: Tensor(shape: [t], scalars: (0..<t).reversed().map { Int32($0) }))
        }
        var merged = merge(f.output, b.output)
        if let mask, forwardLayer.returnsSequences {
            // Keras's Bidirectional sets zero_output_for_mask: masked steps output zeros.
            merged = merged * (mask.cast(to: x.dtype) .!= Tensor(0.0, dtype: x.dtype)).cast(to: x.dtype).unsqueezed(axis: 2)
        }
        return forwardLayer.returnsState ? [merged] + f.states + b.states : [merged]
    }

    public func call(_ inputs: [Tensor]) -> [Tensor] { call(inputs, mask: nil) }
    public func callAsFunction(_ x: Tensor) -> Tensor { call([x], mask: nil)[0] }
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor { call([x], mask: mask)[0] }
    public func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor? { forwardLayer.returnsSequences ? inputMask : nil }
}
