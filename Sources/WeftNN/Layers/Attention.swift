import Weft

/// Keras 3 `MultiHeadAttention` over sequences [N, T, features].
///
/// Parameters in Keras's layout (its `EinsumDense` kernels), in Keras's build order:
/// `queryKernel` [queryDim, numHeads, keyDim] + `queryBias` [numHeads, keyDim],
/// `keyKernel` [keyInputDim, numHeads, keyDim] + `keyBias`, `valueKernel`
/// [valueInputDim, numHeads, valueDim] + `valueBias` [numHeads, valueDim], `outputKernel`
/// [numHeads, valueDim, outputDim] + `outputBias` [outputDim], where `outputDim` is
/// `outputShape`, or the query's feature size when nil.
///
/// The projected query is scaled by 1/√keyDim; scores are `softmax(q·kᵀ)` over the keys, with
/// masked positions set to −1e9 before the softmax and to 0 after it (Keras's `Softmax` with a
/// mask, so a fully masked row gives zeros); dropout acts on the probabilities in training mode
/// only, and the returned scores are the probabilities before dropout.
///
/// As a ``MultiIOLayer`` the inputs are [query, value] or [query, value, key] (key defaults to
/// value), or [x] for self-attention; as a one-input ``Layer`` it is self-attention
/// (query = value = key).
public final class MultiHeadAttention: MultiIOLayer {
    public let numHeads: Int
    public let keyDim: Int
    public let valueDim: Int
    public let dropout: Double
    public let useBias: Bool
    /// The output feature size; nil projects back to the query's feature size.
    public let outputShape: Int?
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// Draws the attention-dropout masks.
    public let generator: RandomGenerator

    public var queryKernel: Parameter?
    public var queryBias: Parameter?
    public var keyKernel: Parameter?
    public var keyBias: Parameter?
    public var valueKernel: Parameter?
    public var valueBias: Parameter?
    public var outputKernel: Parameter?
    public var outputBias: Parameter?

    public init(numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Double = 0, useBias: Bool = true,
                outputShape: Int? = nil, kernelInitializer: Initializer = .glorotUniform,
                biasInitializer: Initializer = .zeros, generator: RandomGenerator = .global) {
        precondition(numHeads > 0, "MultiHeadAttention: numHeads must be positive, got \(numHeads)")
        precondition(keyDim > 0, "MultiHeadAttention: keyDim must be positive, got \(keyDim)")
        precondition((valueDim ?? keyDim) > 0, "MultiHeadAttention: valueDim must be positive, got \(valueDim ?? keyDim)")
        precondition(dropout >= 0 && dropout < 1, "MultiHeadAttention: dropout must be in [0, 1), got \(dropout)")
        precondition((outputShape ?? 1) > 0, "MultiHeadAttention: outputShape must be positive, got \(outputShape ?? 0)")
        self.numHeads = numHeads
        self.keyDim = keyDim
        self.valueDim = valueDim ?? keyDim
        self.dropout = dropout
        self.useBias = useBias
        self.outputShape = outputShape
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.generator = generator
    }

    // MARK: building

    /// Checks per-sample shapes [Tq, Dq], [Tv, Dv], [Tk, Dk] (key may be nil), creates the
    /// parameters on the first call, and returns the per-sample output shape [Tq, outputDim].
    func buildShapes(query q: Shape, value v: Shape, key k: Shape?) throws -> Shape {
        let k = k ?? v
        for (name, s) in [("query", q), ("value", v), ("key", k)] where s.count != 2 {
            throw ShapeError(layer: "MultiHeadAttention", "\(name) must be [batch, time, features], got per-sample shape \(s) (query \(q), value \(v), key \(k))")
        }
        for (name, s) in [("query", q), ("value", v), ("key", k)] where s[1] <= 0 {
            throw ShapeError(layer: "MultiHeadAttention", "the \(name) feature size must be known, got per-sample shape \(s)")
        }
        guard v[0] == k[0] || v[0] < 0 || k[0] < 0 else {  // −1: a length unknown until run time
            throw ShapeError(layer: "MultiHeadAttention", "value and key must have the same length, got value \(v) and key \(k)")
        }
        if let qk = queryKernel, let kk = keyKernel, let vk = valueKernel, let ok = outputKernel {
            guard qk.value.shape[0] == q[1], kk.value.shape[0] == k[1], vk.value.shape[0] == v[1] else {
                throw ShapeError(layer: "MultiHeadAttention", "input feature sizes (query \(q[1]), value \(v[1]), key \(k[1])) do not match the layer built for (query \(qk.value.shape[0]), value \(vk.value.shape[0]), key \(kk.value.shape[0]))")
            }
            return [q[0], ok.value.shape[2]]
        }
        let h = numHeads, out = outputShape ?? q[1]
        // Keras's fans for a rank-3 kernel [a, b, c]: fanIn = a·b, fanOut = a·c.
        func kernel(_ shape: Shape) -> Parameter {
            Parameter(kernelInitializer.make(shape, fanIn: shape[0] * shape[1], fanOut: shape[0] * shape[2]))
        }
        func bias(_ shape: Shape, fanIn: Int) -> Parameter? {
            useBias ? Parameter(biasInitializer.make(shape, fanIn: fanIn, fanOut: shape.elementCount)) : nil
        }
        queryKernel = kernel([q[1], h, keyDim]); queryBias = bias([h, keyDim], fanIn: q[1])
        keyKernel = kernel([k[1], h, keyDim]); keyBias = bias([h, keyDim], fanIn: k[1])
        valueKernel = kernel([v[1], h, valueDim]); valueBias = bias([h, valueDim], fanIn: v[1])
        outputKernel = kernel([h, valueDim, out]); outputBias = bias([out], fanIn: h * valueDim)
        return [q[0], out]
    }

    /// Self-attention on [T, features].
    public func build(inputShape: Shape) throws -> Shape {
        try buildShapes(query: inputShape, value: inputShape, key: nil)
    }

    /// Inputs [query, value], [query, value, key] or [x] (self-attention); one output.
    public func build(inputShapes: [Shape]) throws -> [Shape] {
        guard (1...3).contains(inputShapes.count) else {
            throw ShapeError(layer: "MultiHeadAttention", "needs inputs [query, value], [query, value, key] or [x], got \(inputShapes.count) inputs with shapes \(inputShapes)")
        }
        let s = inputShapes
        return [try buildShapes(query: s[0], value: s.count > 1 ? s[1] : s[0], key: s.count == 3 ? s[2] : nil)]
    }

    // MARK: calling

    /// Self-attention: `self(query: x, value: x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { self(query: x, value: x) }

    /// Inputs [query, value], [query, value, key] or [x] (self-attention); returns [output].
    public func call(_ inputs: [Tensor]) -> [Tensor] {
        precondition((1...3).contains(inputs.count),
                     "MultiHeadAttention: needs inputs [query, value], [query, value, key] or [x], got \(inputs.count)")
        return [self(query: inputs[0], value: inputs.count > 1 ? inputs[1] : inputs[0], key: inputs.count == 3 ? inputs[2] : nil)]
    }

    /// Attention of `query` [N, Tq, Dq] over `value` [N, Tv, Dv] (keys `key` [N, Tv, Dk],
    /// default `value`), giving [N, Tq, outputDim].
    ///
    /// - Parameters:
    ///   - attentionMask: bool or 0/1 [N, Tq, Tv] (or [Tq, Tv], or [1, Tq, Tv]); true (nonzero)
    ///     lets a query position attend to a key position.
    ///   - useCausalMask: also forbids attending to later positions (key index > query index).
    public func callAsFunction(query: Tensor, value: Tensor, key: Tensor? = nil, attentionMask: Tensor? = nil,
                               useCausalMask: Bool = false) -> Tensor {
        attend(query: query, value: value, key: key, attentionMask: attentionMask, useCausalMask: useCausalMask).output
    }

    /// As `callAsFunction(query:value:key:attentionMask:useCausalMask:)`, and also returns the
    /// attention probabilities [N, numHeads, Tq, Tv] (before dropout) when
    /// `returnAttentionScores` is true (nil otherwise).
    public func callAsFunction(query: Tensor, value: Tensor, key: Tensor? = nil, attentionMask: Tensor? = nil,
                               useCausalMask: Bool = false, returnAttentionScores: Bool) -> (output: Tensor, scores: Tensor?) {
        let r = attend(query: query, value: value, key: key, attentionMask: attentionMask, useCausalMask: useCausalMask)
        return (r.output, returnAttentionScores ? r.scores : nil)
    }

    func attend(query: Tensor, value: Tensor, key: Tensor?, attentionMask: Tensor?, useCausalMask: Bool) -> (output: Tensor, scores: Tensor) {
        let key = key ?? value
        for (name, t) in [("query", query), ("value", value), ("key", key)] {
            precondition(t.rank == 3, "MultiHeadAttention: \(name) must be [batch, time, features], got \(t.shape)")
        }
        precondition(query.shape[0] == value.shape[0] && key.shape[0] == value.shape[0],
                     "MultiHeadAttention: query \(query.shape), value \(value.shape) and key \(key.shape) differ in batch size")
        do { _ = try buildShapes(query: Array(query.shape.dropFirst()), value: Array(value.shape.dropFirst()), key: Array(key.shape.dropFirst())) }
        catch { preconditionFailure("\(error)") }
        let n = query.shape[0], tq = query.shape[1], tv = value.shape[1]

        // [N, T, D] → [N, heads, T, size]
        func project(_ x: Tensor, _ kernel: Parameter, _ bias: Parameter?) -> Tensor {
            let k = kernel.value
            let h = k.shape[1], e = k.shape[2]
            let y = linear(x, weight: k.reshaped(to: [k.shape[0], h * e]), bias: bias?.value.reshaped(to: [h * e]))
            return y.reshaped(to: [n, x.shape[1], h, e]).permuted([0, 2, 1, 3])
        }
        let q = project(query, queryKernel!, queryBias) * (1 / Double(keyDim).squareRoot())
        let k = project(key, keyKernel!, keyBias)
        let v = project(value, valueKernel!, valueBias)

        var scores = matmul(q, k.transposed(-2, -1))  // [N, heads, Tq, Tv]
        let mask = combinedMask(attentionMask, causal: useCausalMask, batch: n, tq: tq, tv: tv)
        if let mask {
            scores = `where`(mask, scores, Tensor(-1e9, dtype: scores.dtype))
        }
        var probs = scores.softmax(axis: -1)
        if let mask { probs = `where`(mask, probs, Tensor(0, dtype: probs.dtype)) }
        let dropped = Weft.dropout(probs, rate: dropout, training: LearningPhase.isTraining, generator: generator)

        let o = matmul(dropped, v)  // [N, heads, Tq, valueDim]
            .permuted([0, 2, 1, 3]).reshaped(to: [n, tq, numHeads * valueDim])
        let ok = outputKernel!.value
        let out = linear(o, weight: ok.reshaped(to: [numHeads * valueDim, ok.shape[2]]), bias: outputBias?.value)
        return (out, probs)
    }

    /// The bool mask [N or 1, 1, Tq, Tv] (broadcast over heads) from an explicit mask and the
    /// causal option, or nil when neither is given.
    func combinedMask(_ attentionMask: Tensor?, causal: Bool, batch n: Int, tq: Int, tv: Int) -> Tensor? {
        var mask: Tensor? = nil
        if let m = attentionMask {
            let ok = (m.rank == 2 && m.shape == [tq, tv]) || (m.rank == 3 && (m.shape[0] == n || m.shape[0] == 1) && Array(m.shape.dropFirst()) == [tq, tv])
            precondition(ok, "MultiHeadAttention: attentionMask \(m.shape) does not match [batch \(n), query length \(tq), key length \(tv)]")
            let b = m.dtype == .bool ? m : m .!= Tensor(0, dtype: m.dtype)
            mask = m.rank == 2 ? b.reshaped(to: [1, tq, tv]) : b
        }
        if causal {
            let c = causalMask(tq, tv)
            mask = mask.map { logicalAnd($0, c) } ?? c
        }
        return mask.map { $0.unsqueezed(axis: 1) }
    }
}

/// Keras's causal mask [1, Tq, Tk]: query i may attend to key j when i ≥ j.
func causalMask(_ tq: Int, _ tk: Int) -> Tensor {
    let rows = Tensor.arange(0, Double(tq), dtype: .int64).reshaped(to: [1, tq, 1])
    let cols = Tensor.arange(0, Double(tk), dtype: .int64).reshaped(to: [1, 1, tk])
    return rows .>= cols
}

extension MultiHeadAttention: MaskConsumingLayer {
    /// Self-attention of `x` with its Keras mask [N, T] (nonzero = real step) as both the query
    /// and the value mask, as Keras's `mha(x, x)` on a masked `x`: query i attends to key j only
    /// when both are real (a padded query's row of probabilities is all zero).
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        guard let mask else { return self(x) }
        precondition(x.rank == 3 && mask.shape == [x.shape[0], x.shape[1]],
                     "MultiHeadAttention: mask \(mask.shape) does not match input \(x.shape) ([batch, time])")
        let m = mask.dtype == .bool ? mask : mask .!= Tensor(0, dtype: mask.dtype)
        let n = x.shape[0], t = x.shape[1]
        return self(query: x, value: x, attentionMask: logicalAnd(m.reshaped(to: [n, t, 1]), m.reshaped(to: [n, 1, t])))
    }
}
