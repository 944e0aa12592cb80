// Recurrent layers as one op: a whole sequence through a vanilla RNN, LSTM or GRU cell.
//
// float32 without a mask runs fused (the backend's `rnnForward`/`rnnBackward`: oneDNN's RNN
// primitives on the CPU). Other dtypes (float64 for gradient checks) and masked sequences run
// the same math composed of differentiable ops, one step at a time.

/// The recurrent cells.
public enum RNNCell: Hashable, Sendable {
    /// h = tanh(x·Wx + h·Wh + b) (Keras `SimpleRNN`).
    case vanillaTanh
    /// h = relu(x·Wx + h·Wh + b).
    case vanillaReLU
    /// LSTM with gates in Keras's (and oneDNN's) order i, f, c̃, o; σ for the gates, tanh for
    /// the cell input and output.
    case lstm
    /// GRU with the reset gate applied after the recurrent matmul (Keras 3 `reset_after=True`,
    /// PyTorch `nn.GRU`, cuDNN; oneDNN's linear-before-reset GRU). Gates in Keras's order
    /// z (update), r (reset), h̃.
    case gru
    /// GRU with the reset gate applied to the previous state before the recurrent matmul
    /// (Keras `reset_after=False`, the Keras 2 default; oneDNN's vanilla GRU):
    /// h̃ = tanh(x·W_h + (r ⊙ h)·U_h + b_h). One bias vector per gate.
    case gruResetBefore

    /// Gates per cell (the G of the [C, G·H] kernels).
    public var gates: Int {
        switch self {
        case .vanillaTanh, .vanillaReLU: 1
        case .lstm: 4
        case .gru, .gruResetBefore: 3
        }
    }

    /// Bias vectors per cell: the GRU has one more (the recurrent h̃ bias, inside r ⊙ (…)).
    public var biasGates: Int { self == .gru ? 4 : gates }
}

/// One fused recurrent call's geometry (the cache key of the backend's primitives).
public struct RNNConfiguration: Hashable, Sendable, CustomStringConvertible {
    public var cell: RNNCell
    /// Runs from the last step to the first (outputs stay aligned with their inputs).
    public var reverse: Bool
    /// Activations are [N, T, C] (otherwise [T, N, C]).
    public var batchFirst: Bool
    public var steps, batch, inputSize, hiddenSize: Int

    public init(cell: RNNCell, reverse: Bool, batchFirst: Bool, steps: Int, batch: Int, inputSize: Int, hiddenSize: Int) {
        self.cell = cell
        self.reverse = reverse
        self.batchFirst = batchFirst
        self.steps = steps
        self.batch = batch
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
    }

    public var gates: Int { cell.gates }
    public var biasGates: Int { cell.biasGates }

    /// Elements of the packed result: the output sequence, then the last hidden state, then
    /// (LSTM) the last cell state.
    public var packedCount: Int { steps * batch * hiddenSize + batch * hiddenSize * (cell == .lstm ? 2 : 1) }

    public var description: String {
        "RNN(\(cell), \(reverse ? "reverse" : "forward"), \(batchFirst ? "NTC" : "TNC"), T \(steps), N \(batch), C \(inputSize), H \(hiddenSize))"
    }
}

/// Gradients of a fused recurrent call.
public struct RNNGradients: Sendable {
    public var input: Tensor
    public var initialHidden: Tensor
    public var initialCell: Tensor?
    public var weightsLayer: Tensor
    public var weightsIter: Tensor
    public var bias: Tensor

    public init(input: Tensor, initialHidden: Tensor, initialCell: Tensor?, weightsLayer: Tensor, weightsIter: Tensor, bias: Tensor) {
        self.input = input
        self.initialHidden = initialHidden
        self.initialCell = initialCell
        self.weightsLayer = weightsLayer
        self.weightsIter = weightsIter
        self.bias = bias
    }
}

/// Per-gate dropout masks of a recurrent call, fixed for the whole sequence (Keras's `dropout`
/// with `recurrent_dropout`, its `implementation=1` cells). Each holds 0 or 1/(1−rate).
public struct RNNGateMasks: Sendable {
    /// [G, N, C]: multiplies the input before each gate's input matmul.
    public var input: Tensor?
    /// [G, N, H]: multiplies the previous hidden state before each gate's recurrent matmul (the
    /// state carried to the next step is not masked).
    public var recurrent: Tensor?

    public init(input: Tensor? = nil, recurrent: Tensor? = nil) {
        self.input = input
        self.recurrent = recurrent
    }
}

/// A cell's activations other than its defaults (Keras's `activation`, default tanh — relu for
/// ``RNNCell/vanillaReLU`` — and `recurrent_activation`, default sigmoid, for the LSTM's and
/// GRU's gates). Calls with them run composed.
public struct RNNActivations: Sendable {
    /// The candidate / output activation (the vanilla cell's only one).
    public var activation: @Sendable (Tensor) -> Tensor
    /// The gates' activation (LSTM i, f, o; GRU z, r).
    public var recurrentActivation: @Sendable (Tensor) -> Tensor

    public init(activation: @escaping @Sendable (Tensor) -> Tensor = { tanh($0) },
                recurrentActivation: @escaping @Sendable (Tensor) -> Tensor = { sigmoid($0) }) {
        self.activation = activation
        self.recurrentActivation = recurrentActivation
    }
}

/// What a recurrent op returns.
public struct RNNResult: Sendable {
    /// Every step's hidden state: [N, T, H] (batch-first) or [T, N, H].
    public var output: Tensor
    /// The last hidden state [N, H] (for a reverse run: the state after the first step).
    public var hidden: Tensor
    /// The LSTM's last cell state [N, H].
    public var cell: Tensor?
}

/// Runs a recurrent cell over a whole sequence.
///
/// - `x`: [N, T, C] when `batchFirst`, else [T, N, C].
/// - `weightsLayer` [C, G·H] and `weightsIter` [H, G·H]: Keras's `kernel` and
///   `recurrent_kernel`, gates side by side in the cell's order (see ``RNNCell``).
/// - `bias` [G'·H]: LSTM and vanilla: Keras's bias. GRU: [b_z, b_r, b_h̃(input), b_h̃(recurrent)],
///   where b_z and b_r are the sums of Keras's input and recurrent biases.
/// - `initialHidden`/`initialCell` [N, H]: zeros when nil.
/// - `mask` [N, T] (nonzero = a real step): at a masked step the states are carried over and
///   the output repeats the previous output (zeros before the first real step), as Keras.
/// - `gateMasks`: per-gate dropout masks (see ``RNNGateMasks``); they take the composed path.
/// - `activations`: other activations than the cell's (see ``RNNActivations``); composed path.
public func rnn(_ x: Tensor, cell: RNNCell, weightsLayer: Tensor, weightsIter: Tensor, bias: Tensor,
                initialHidden: Tensor? = nil, initialCell: Tensor? = nil, reverse: Bool = false,
                batchFirst: Bool = true, mask: Tensor? = nil, gateMasks: RNNGateMasks? = nil,
                activations: RNNActivations? = nil) -> RNNResult {
    precondition(x.rank == 3, "rnn: input must be \(batchFirst ? "[N, T, C]" : "[T, N, C]"), got \(shapeString(x.shape))")
    let n = batchFirst ? x.shape[0] : x.shape[1], t = batchFirst ? x.shape[1] : x.shape[0], c = x.shape[2]
    let g = cell.gates
    precondition(weightsLayer.rank == 2 && weightsLayer.shape[0] == c && weightsLayer.shape[1] % g == 0,
                 "rnn: weightsLayer \(shapeString(weightsLayer.shape)) must be [\(c), \(g)·H] for input \(shapeString(x.shape))")
    let h = weightsLayer.shape[1] / g
    precondition(weightsIter.shape == [h, g * h], "rnn: weightsIter \(shapeString(weightsIter.shape)) must be [\(h), \(g * h)]")
    precondition(bias.shape == [cell.biasGates * h], "rnn: bias \(shapeString(bias.shape)) must be [\(cell.biasGates * h)]")
    if let s = initialHidden { precondition(s.shape == [n, h], "rnn: initialHidden \(shapeString(s.shape)) must be [\(n), \(h)]") }
    if let s = initialCell {
        precondition(cell == .lstm, "rnn: only the LSTM has a cell state")
        precondition(s.shape == [n, h], "rnn: initialCell \(shapeString(s.shape)) must be [\(n), \(h)]")
    }
    if let m = mask { precondition(m.shape == [n, t], "rnn: mask \(shapeString(m.shape)) must be [\(n), \(t)]") }
    if let m = gateMasks?.input { precondition(m.shape == [g, n, c], "rnn: input gate masks \(shapeString(m.shape)) must be [\(g), \(n), \(c)]") }
    if let m = gateMasks?.recurrent { precondition(m.shape == [g, n, h], "rnn: recurrent gate masks \(shapeString(m.shape)) must be [\(g), \(n), \(h)]") }
    precondition(t > 0 && n > 0, "rnn: empty input \(shapeString(x.shape))")

    let dt = DType.promote(x.dtype, weightsLayer.dtype).floatingResult
    let masks = gateMasks.map { RNNGateMasks(input: $0.input?.cast(to: dt), recurrent: $0.recurrent?.cast(to: dt)) }
    if dt == .float32 && mask == nil && masks?.input == nil && masks?.recurrent == nil && activations == nil {
        let cfg = RNNConfiguration(cell: cell, reverse: reverse, batchFirst: batchFirst, steps: t, batch: n, inputSize: c, hiddenSize: h)
        return fusedRNN(cfg, x.cast(to: dt), weightsLayer.cast(to: dt), weightsIter.cast(to: dt), bias.cast(to: dt),
                        initialHidden?.cast(to: dt), initialCell?.cast(to: dt))
    }
    if dt == .float16 || dt == .bfloat16 {
        let r = rnn(x.cast(to: .float32), cell: cell, weightsLayer: weightsLayer.cast(to: .float32), weightsIter: weightsIter.cast(to: .float32),
                    bias: bias.cast(to: .float32), initialHidden: initialHidden?.cast(to: .float32), initialCell: initialCell?.cast(to: .float32),
                    reverse: reverse, batchFirst: batchFirst, mask: mask,
                    gateMasks: gateMasks.map { RNNGateMasks(input: $0.input?.cast(to: .float32), recurrent: $0.recurrent?.cast(to: .float32)) },
                    activations: activations)
        return RNNResult(output: r.output.cast(to: dt), hidden: r.hidden.cast(to: dt), cell: r.cell?.cast(to: dt))
    }
    return composedRNN(x.cast(to: dt), cell: cell, weightsLayer.cast(to: dt), weightsIter.cast(to: dt), bias.cast(to: dt),
                       initialHidden?.cast(to: dt), initialCell?.cast(to: dt), reverse: reverse, batchFirst: batchFirst, mask: mask,
                       gateMasks: masks, activations: activations)
}

/// The fused path: one backend call forward, one backward; the three results are slices of one
/// packed tensor, so that the backward runs once whichever of them are used.
func fusedRNN(_ cfg: RNNConfiguration, _ x: Tensor, _ wl: Tensor, _ wi: Tensor, _ b: Tensor, _ h0: Tensor?, _ c0: Tensor?) -> RNNResult {
    let n = cfg.batch, h = cfg.hiddenSize, t = cfg.steps
    let hz = h0 ?? Tensor.zeros([n, h], dtype: .float32)
    let cz: Tensor? = cfg.cell == .lstm ? (c0 ?? Tensor.zeros([n, h], dtype: .float32)) : nil
    var inputs = [x, hz, wl, wi, b]
    if let cz { inputs.append(cz) }
    let record = needsRecord(inputs) && GradientMode.isEnabled
    let backend = x.device.backend
    var (packed, ws) = backend.rnnForward(cfg, input: x, initialHidden: hz, initialCell: cz, weightsLayer: wl, weightsIter: wi,
                                          bias: b, training: record)
    if record, let ws {
        let values = packed
        packed.record("rnn", inputs) { g, _ in
            let r = backend.rnnBackward(cfg, gradient: g, packed: values, workspace: ws, input: x, initialHidden: hz, initialCell: cz,
                                        weightsLayer: wl, weightsIter: wi, bias: b)
            var out: [Tensor?] = [r.input, r.initialHidden, r.weightsLayer, r.weightsIter, r.bias]
            if cz != nil { out.append(r.initialCell) }
            return out
        }
    }
    let seq = t * n * h
    let output = packed.sliced(axis: 0, start: 0, end: seq).reshaped(to: cfg.batchFirst ? [n, t, h] : [t, n, h])
    let hidden = packed.sliced(axis: 0, start: seq, end: seq + n * h).reshaped(to: [n, h])
    let cell = cfg.cell == .lstm ? packed.sliced(axis: 0, start: seq + n * h, end: seq + 2 * n * h).reshaped(to: [n, h]) : nil
    return RNNResult(output: output, hidden: hidden, cell: cell)
}

/// The same math from differentiable ops, one step at a time (any float dtype, masks).
func composedRNN(_ x: Tensor, cell: RNNCell, _ wl: Tensor, _ wi: Tensor, _ b: Tensor, _ h0: Tensor?, _ c0: Tensor?,
                 reverse: Bool, batchFirst: Bool, mask: Tensor?, gateMasks: RNNGateMasks? = nil,
                 activations: RNNActivations? = nil) -> RNNResult {
    let chosen: RNNActivations
    if let activations {
        chosen = activations
    } else if cell == .vanillaReLU {
        chosen = RNNActivations(activation: { (v: Tensor) -> Tensor in relu(v) })
    } else {
        chosen = RNNActivations()
    }
    let act = chosen.activation, gate = chosen.recurrentActivation
    let xs = batchFirst ? x : x.permuted([1, 0, 2])          // [N, T, C]
    let n = xs.shape[0], t = xs.shape[1], c = xs.shape[2], hsz = wi.shape[0], dt = x.dtype, g = cell.gates
    let inputBias: Tensor = cell == .gru ? b.sliced(axis: 0, start: 0, end: 3 * hsz) : b
    func gateColumns(_ w: Tensor, _ gate: Int) -> Tensor { w.sliced(axis: w.rank - 1, start: gate * hsz, end: (gate + 1) * hsz) }
    let xw: Tensor                                             // [N, T, G·H]
    if let im = gateMasks?.input {
        xw = concatenate((0..<g).map { gate in
            linear(xs * im.sliced(axis: 0, start: gate, end: gate + 1).reshaped(to: [n, 1, c]),
                   weight: gateColumns(wl, gate), bias: gateColumns(inputBias, gate))
        }, axis: 2)
    } else {
        xw = linear(xs, weight: wl, bias: inputBias)
    }
    let recurrentMasks: [Tensor]? = gateMasks?.recurrent.map { m in
        (0..<g).map { m.sliced(axis: 0, start: $0, end: $0 + 1).reshaped(to: [n, hsz]) }
    }
    /// The previous state's contribution to gates `gates` (each masked by its dropout mask).
    func recurrent(_ state: Tensor, _ gates: Range<Int>) -> Tensor {
        guard let rm = recurrentMasks else {
            return gates.count == g ? matmul(state, wi) : matmul(state, wi.sliced(axis: 1, start: gates.lowerBound * hsz, end: gates.upperBound * hsz))
        }
        return concatenate(gates.map { matmul(state * rm[$0], gateColumns(wi, $0)) }, axis: 1)
    }
    var hState = h0 ?? Tensor.zeros([n, hsz], dtype: dt)
    var cState = c0 ?? Tensor.zeros([n, hsz], dtype: dt)
    var previous = Tensor.zeros([n, hsz], dtype: dt)
    let keep: Tensor? = mask.map { ($0.cast(to: dt) .!= Tensor(0.0, dtype: dt)).reshaped(to: [n, t, 1]) }
    var outputs = [Tensor?](repeating: nil, count: t)
    for step in (reverse ? Array((0..<t).reversed()) : Array(0..<t)) {
        let xt = xw.sliced(axis: 1, start: step, end: step + 1).reshaped(to: [n, cell.gates * hsz])
        let hw = recurrent(hState, 0..<(cell == .gruResetBefore ? 2 : g))
        var newH: Tensor, newC: Tensor? = nil
        switch cell {
        case .vanillaTanh, .vanillaReLU: newH = act(xt + hw)
        case .lstm:
            let z = (xt + hw).split(count: 4, axis: 1)
            let c = gate(z[1]) * cState + gate(z[0]) * act(z[2])
            newH = gate(z[3]) * act(c)
            newC = c
        case .gru:
            let xg = xt.split(count: 3, axis: 1)
            let hg = hw.split(count: 3, axis: 1)
            let z = gate(xg[0] + hg[0])
            let r = gate(xg[1] + hg[1])
            let cand = act(xg[2] + r * (hg[2] + b.sliced(axis: 0, start: 3 * hsz, end: 4 * hsz)))
            newH = cand + z * (hState - cand)
        case .gruResetBefore:
            let xg = xt.split(count: 3, axis: 1)
            let hg = hw.split(count: 2, axis: 1)
            let z = gate(xg[0] + hg[0])
            let r = gate(xg[1] + hg[1])
            let cand = act(xg[2] + recurrent(r * hState, 2..<3))
            newH = cand + z * (hState - cand)
        }
        if let keep {
            let k = keep.sliced(axis: 1, start: step, end: step + 1).reshaped(to: [n, 1])
            hState = `where`(k, newH, hState)
            if let c = newC { cState = `where`(k, c, cState) }
            previous = `where`(k, newH, previous)
            outputs[step] = previous
        } else {
            hState = newH
            if let c = newC { cState = c }
            outputs[step] = newH
        }
    }
    let seq = stack(outputs.map { $0! }, axis: 1)               // [N, T, H]
    return RNNResult(output: batchFirst ? seq : seq.permuted([1, 0, 2]), hidden: hState, cell: cell == .lstm ? cState : nil)
}
