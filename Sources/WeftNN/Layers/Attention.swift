import Weft

/// Keras 3 `MultiHeadAttention` over sequences [N, T, features], or over any axes of
/// [N, d1, …, dk, features] (`attentionAxes`; the other middle axes are batch-like and must
/// match between query and value).
///
/// Parameters in Keras's layout (its `EinsumDense` kernels), in Keras's build order:
/// `queryKernel` [queryDim, numHeads, keyDim] + `queryBias` [numHeads, keyDim],
/// `keyKernel` [keyInputDim, numHeads, keyDim] + `keyBias`, `valueKernel`
/// [valueInputDim, numHeads, valueDim] + `valueBias` [numHeads, valueDim], `outputKernel`
/// [numHeads, valueDim, output…] + `outputBias` [output…], where `output…` is `outputShape`
/// (one size or several, as Keras's tuple), or the query's feature size when nil.
///
/// The projected query is scaled by 1/√keyDim; scores are `softmax(q·kᵀ)` over the keys, with
/// masked positions set to −1e9 before the softmax and to 0 after it (Keras's `Softmax` with a
/// mask, so a fully masked row gives zeros); dropout acts on the probabilities in training mode
/// only, and the returned scores are the probabilities before dropout.
///
/// As a ``MultiIOLayer`` the inputs are [query, value] or [query, value, key] (key defaults to
/// value), or [x] for self-attention; as a one-input ``Layer`` it is self-attention
/// (query = value = key).
public final class MultiHeadAttention: QueryKeyValueAttention {
    public let numHeads: Int
    public let keyDim: Int
    public let valueDim: Int
    public let dropout: Double
    public let useBias: Bool
    /// The output's trailing shape (Keras's `output_shape`, an int or a tuple); nil projects
    /// back to the query's feature size.
    public let outputShape: [Int]?
    /// The input axes attention runs over (Keras's `attention_axes`, counted with the batch axis
    /// 0; negative from the end); nil: every axis between the batch and the features.
    public let attentionAxes: [Int]?
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
                outputShape: [Int]? = nil, attentionAxes: [Int]? = nil, kernelInitializer: Initializer = .glorotUniform,
                biasInitializer: Initializer = .zeros, generator: RandomGenerator = .global) {
        precondition(numHeads > 0, "MultiHeadAttention: numHeads must be positive, got \(numHeads)")
        precondition(keyDim > 0, "MultiHeadAttention: keyDim must be positive, got \(keyDim)")
        precondition((valueDim ?? keyDim) > 0, "MultiHeadAttention: valueDim must be positive, got \(valueDim ?? keyDim)")
        precondition(dropout >= 0 && dropout < 1, "MultiHeadAttention: dropout must be in [0, 1), got \(dropout)")
        precondition(outputShape.map { !$0.isEmpty && $0.allSatisfy { $0 > 0 } } ?? true,
                     "MultiHeadAttention: outputShape must be positive sizes, got \(outputShape ?? [])")
        precondition(attentionAxes.map { !$0.isEmpty && Set($0).count == $0.count } ?? true,
                     "MultiHeadAttention: attentionAxes must be distinct axes, got \(attentionAxes ?? [])")
        self.numHeads = numHeads
        self.keyDim = keyDim
        self.valueDim = valueDim ?? keyDim
        self.dropout = dropout
        self.useBias = useBias
        self.outputShape = outputShape
        self.attentionAxes = attentionAxes
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.generator = generator
    }

    /// One output size (Keras's int `output_shape`).
    public convenience init(numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Double = 0, useBias: Bool = true,
                            outputShape: Int, attentionAxes: [Int]? = nil, kernelInitializer: Initializer = .glorotUniform,
                            biasInitializer: Initializer = .zeros, generator: RandomGenerator = .global) {
        self.init(numHeads: numHeads, keyDim: keyDim, valueDim: valueDim, dropout: dropout, useBias: useBias, outputShape: [outputShape],
                  attentionAxes: attentionAxes, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, generator: generator)
    }

    // MARK: building

    /// The attention axes among the per-sample axes 0..<rank−1 (the feature axis excluded) of
    /// inputs whose per-sample rank is `rank`, sorted; nil when one is out of range.
    func sampleAttentionAxes(rank: Int) -> [Int]? {
        guard let axes = attentionAxes else { return Array(0..<(rank - 1)) }
        let full = rank + 1                                   // with the batch axis
        let a = axes.map { $0 < 0 ? $0 + full : $0 }
        guard a.allSatisfy({ $0 >= 1 && $0 <= full - 2 }), Set(a).count == a.count else { return nil }
        return a.map { $0 - 1 }.sorted()
    }

    /// Checks per-sample shapes [Sq…, Dq], [Sv…, Dv], [Sk…, Dk] (key may be nil; [T, D] for
    /// sequences), creates the parameters on the first call, and returns the per-sample output
    /// shape [Sq…, output…].
    public func buildShapes(query q: Shape, value v: Shape, key k: Shape?) throws -> Shape {
        let k = k ?? v
        let all = "(query \(q), value \(v), key \(k))"
        for (name, s) in [("query", q), ("value", v), ("key", k)] where s.count < 2 {
            throw ShapeError(layer: "MultiHeadAttention", "\(name) must be [batch, time, features] or [batch, axes…, features], got per-sample shape \(s) \(all)")
        }
        guard v.count == q.count, k.count == q.count else {
            throw ShapeError(layer: "MultiHeadAttention", "query, value and key must have the same rank, got per-sample shapes \(all)")
        }
        for (name, s) in [("query", q), ("value", v), ("key", k)] where s.last! <= 0 {
            throw ShapeError(layer: "MultiHeadAttention", "the \(name) feature size must be known, got per-sample shape \(s)")
        }
        guard let axes = sampleAttentionAxes(rank: q.count) else {
            throw ShapeError(layer: "MultiHeadAttention", "attentionAxes \(attentionAxes ?? []) must be distinct axes between the batch axis and the features of inputs of rank \(q.count + 1)")
        }
        let known = { (a: Int, b: Int) in a == b || a < 0 || b < 0 }  // −1: a length unknown until run time
        for d in 0..<(q.count - 1) {
            guard known(v[d], k[d]) else {
                throw ShapeError(layer: "MultiHeadAttention", "value and key must have the same shape but for the features, got \(all)")
            }
            guard axes.contains(d) || known(q[d], v[d]) else {
                throw ShapeError(layer: "MultiHeadAttention", "query and value must agree on the non-attention axis \(d + 1), got \(all)")
            }
        }
        let sq = Array(q.dropLast())
        let dq = q.last!, dk = k.last!, dv = v.last!
        if let qk = queryKernel, let kk = keyKernel, let vk = valueKernel, let ok = outputKernel {
            guard qk.value.shape[0] == dq, kk.value.shape[0] == dk, vk.value.shape[0] == dv else {
                throw ShapeError(layer: "MultiHeadAttention", "input feature sizes (query \(dq), value \(dv), key \(dk)) do not match the layer built for (query \(qk.value.shape[0]), value \(vk.value.shape[0]), key \(kk.value.shape[0]))")
            }
            return sq + Array(ok.value.shape.dropFirst(2))
        }
        let h = numHeads, out = outputShape ?? [dq]
        // Keras's fans for an EinsumDense kernel [a, b, c…]: fanIn = a·b, fanOut = a·c….
        func kernel(_ shape: Shape) -> Parameter {
            Parameter(kernelInitializer.make(shape, fanIn: shape[0] * shape[1], fanOut: shape[0] * shape.dropFirst(2).reduce(1, *)))
        }
        func bias(_ shape: Shape, fanIn: Int) -> Parameter? {
            useBias ? Parameter(biasInitializer.make(shape, fanIn: fanIn, fanOut: shape.elementCount)) : nil
        }
        queryKernel = kernel([dq, h, keyDim]); queryBias = bias([h, keyDim], fanIn: dq)
        keyKernel = kernel([dk, h, keyDim]); keyBias = bias([h, keyDim], fanIn: dk)
        valueKernel = kernel([dv, h, valueDim]); valueBias = bias([h, valueDim], fanIn: dv)
        outputKernel = kernel([h, valueDim] + out); outputBias = bias(out, fanIn: h * valueDim)
        return sq + out
    }

    // MARK: calling (the rest is QueryKeyValueAttention's)

    public var layerName: String { "MultiHeadAttention" }

    public func attend(query: Tensor, value: Tensor, key: Tensor?, attentionMask: Tensor?, useCausalMask: Bool) -> (output: Tensor, scores: Tensor) {
        let key = key ?? value
        for (name, t) in [("query", query), ("value", value), ("key", key)] {
            precondition(t.rank >= 3, "MultiHeadAttention: \(name) must be [batch, time, features] or [batch, axes…, features], got \(t.shape)")
        }
        precondition(query.shape[0] == value.shape[0] && key.shape[0] == value.shape[0],
                     "MultiHeadAttention: query \(query.shape), value \(value.shape) and key \(key.shape) differ in batch size")
        do { _ = try buildShapes(query: Array(query.shape.dropFirst()), value: Array(value.shape.dropFirst()), key: Array(key.shape.dropFirst())) }
        catch { preconditionFailure("\(error)") }
        let n = query.shape[0], r = query.rank
        // Axes of [N, S…, D]: attention axes A and batch-like axes B among 1...r−2.
        let attn = sampleAttentionAxes(rank: r - 1)!.map { $0 + 1 }
        let other = (1..<(r - 1)).filter { !attn.contains($0) }
        let nb = other.reduce(n) { $0 * query.shape[$1] }
        func size(_ t: Tensor) -> Int { attn.reduce(1) { $0 * t.shape[$1] } }

        let arranged = [0] + other + [r - 1] + attn + [r]                   // [N, S…, H, E] → [N, B…, H, A…, E]
        // [N, S…, D] → [N·B, heads, A, size]
        func project(_ x: Tensor, _ kernel: Parameter, _ bias: Parameter?) -> Tensor {
            let k = kernel.value
            let h = k.shape[1], e = k.shape[2]
            let y = linear(x, weight: k.reshaped(to: [k.shape[0], h * e]), bias: bias?.value.reshaped(to: [h * e]))
                .reshaped(to: Array(x.shape.dropLast()) + [h, e])           // [N, S…, H, E]
            return y.permuted(arranged).reshaped(to: [nb, h, size(x), e])
        }
        let q = project(query, queryKernel!, queryBias) * (1 / Double(keyDim).squareRoot())
        let k = project(key, keyKernel!, keyBias)
        let v = project(value, valueKernel!, valueBias)

        var scores = matmul(q, k.transposed(-2, -1))  // [N·B, heads, Tq, Tv]
        let mask = combinedMask(attentionMask, causal: useCausalMask, query: query, value: value, attention: attn, other: other)
        if let mask {
            scores = `where`(mask, scores, Tensor(-1e9, dtype: scores.dtype))
        }
        var probs = scores.softmax(axis: -1)
        if let mask { probs = `where`(mask, probs, Tensor(0, dtype: probs.dtype)) }
        let dropped = Weft.dropout(probs, rate: dropout, training: LearningPhase.isTraining, generator: generator)

        // [N·B, heads, Tq, valueDim] → [N, B…, H, Aq…, E] → [N, S…, H, E]
        var inverse = [Int](repeating: 0, count: r + 1)
        for (i, a) in arranged.enumerated() { inverse[a] = i }
        var o = matmul(dropped, v)
            .reshaped(to: [n] + other.map { query.shape[$0] } + [numHeads] + attn.map { query.shape[$0] } + [valueDim]).permuted(inverse)
        let lead = Array(query.shape.dropLast())
        o = o.reshaped(to: lead + [numHeads * valueDim])
        let ok = outputKernel!.value
        let outDims = Array(ok.shape.dropFirst(2))
        let out = linear(o, weight: ok.reshaped(to: [numHeads * valueDim, outDims.reduce(1, *)]), bias: outputBias?.value.reshaped(to: [outDims.reduce(1, *)]))
            .reshaped(to: lead + outDims)
        let scoreShape = [n] + other.map { query.shape[$0] } + [numHeads] + attn.map { query.shape[$0] } + attn.map { value.shape[$0] }
        return (out, probs.reshaped(to: scoreShape))
    }

    /// The bool mask [N·B or 1, 1, Tq, Tv] (broadcast over heads) from an explicit mask and the
    /// causal option, or nil when neither is given. For sequences the mask is [N, Tq, Tv]
    /// ([Tq, Tv] and [1, Tq, Tv] broadcast); with attention axes it is Keras's
    /// [N, B…, Aq…, Av…] (or without the batch axis, or with 1 there).
    func combinedMask(_ attentionMask: Tensor?, causal: Bool, query: Tensor, value: Tensor, attention attn: [Int], other: [Int]) -> Tensor? {
        let n = query.shape[0]
        let bs = other.map { query.shape[$0] }, aq = attn.map { query.shape[$0] }, av = attn.map { value.shape[$0] }
        let tq = aq.reduce(1, *), tv = av.reduce(1, *), nb = bs.reduce(n, *)
        var mask: Tensor? = nil
        if let m = attentionMask {
            let full = bs + aq + av
            let ok = Array(m.shape) == full || (m.rank == full.count + 1 && (m.shape[0] == n || m.shape[0] == 1) && Array(m.shape.dropFirst()) == full)
            precondition(ok, "MultiHeadAttention: attentionMask \(m.shape) does not match [batch \(n), \(bs.isEmpty ? "" : "batch-like axes \(bs), ")query positions \(aq), key positions \(av)]")
            let b = m.dtype == .bool ? m : m .!= Tensor(0, dtype: m.dtype)
            let batch = m.rank == full.count ? 1 : m.shape[0]
            // Broadcast to N over the batch axis before folding the batch-like axes into it.
            var expanded = b.reshaped(to: [batch] + full)
            if !bs.isEmpty && batch != n {
                let all = Tensor.ones([n] + [Int](repeating: 1, count: full.count), dtype: .float32) .!= Tensor(0.0, dtype: .float32)
                expanded = logicalAnd(expanded, all)
            }
            mask = bs.isEmpty ? expanded.reshaped(to: [batch, tq, tv]) : expanded.reshaped(to: [nb, tq, tv])
        }
        if causal {
            precondition(attn.count == 1, "MultiHeadAttention: useCausalMask needs one attention axis, got \(attn)")
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


/// What MultiHeadAttention and GroupQueryAttention share: inputs [query, value] or
/// [query, value, key] (key defaults to value) or [x] for self-attention, and Keras's masks.
public protocol QueryKeyValueAttention: MultiIOLayer, MaskConsumingLayer {
    /// The Keras class name, in messages.
    var layerName: String { get }
    /// Checks per-sample query, value and key shapes, creates the parameters on the first call,
    /// and returns the per-sample output shape.
    func buildShapes(query: Shape, value: Shape, key: Shape?) throws -> Shape
    /// The output and the attention probabilities (before dropout).
    func attend(query: Tensor, value: Tensor, key: Tensor?, attentionMask: Tensor?, useCausalMask: Bool) -> (output: Tensor, scores: Tensor)
}

extension QueryKeyValueAttention {
    /// Self-attention on per-sample [T, features].
    public func build(inputShape: Shape) throws -> Shape {
        try buildShapes(query: inputShape, value: inputShape, key: nil)
    }

    /// Inputs [query, value], [query, value, key] or [x] (self-attention); one output.
    public func build(inputShapes: [Shape]) throws -> [Shape] {
        guard (1...3).contains(inputShapes.count) else {
            throw ShapeError(layer: layerName, "needs inputs [query, value], [query, value, key] or [x], got \(inputShapes.count) inputs with shapes \(inputShapes)")
        }
        let s = inputShapes
        return [try buildShapes(query: s[0], value: s.count > 1 ? s[1] : s[0], key: s.count == 3 ? s[2] : nil)]
    }

    /// Self-attention: `self(query: x, value: x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { self(query: x, value: x) }

    /// Inputs [query, value], [query, value, key] or [x] (self-attention); returns [output].
    public func call(_ inputs: [Tensor]) -> [Tensor] {
        precondition((1...3).contains(inputs.count),
                     "\(layerName): needs inputs [query, value], [query, value, key] or [x], got \(inputs.count)")
        return [self(query: inputs[0], value: inputs.count > 1 ? inputs[1] : inputs[0], key: inputs.count == 3 ? inputs[2] : nil)]
    }

    /// Attention of `query` over `value` (keys `key`, default `value`).
    ///
    /// - Parameters:
    ///   - attentionMask: bool or 0/1 [N, Tq, Tv] (or [Tq, Tv], or [1, Tq, Tv]; MultiHeadAttention
    ///     with attention axes: [N, B…, Aq…, Av…]). True (nonzero) lets a query position attend
    ///     to a key position.
    ///   - useCausalMask: also forbids attending to later positions (key index > query index).
    public func callAsFunction(query: Tensor, value: Tensor, key: Tensor? = nil, attentionMask: Tensor? = nil,
                               useCausalMask: Bool = false) -> Tensor {
        attend(query: query, value: value, key: key, attentionMask: attentionMask, useCausalMask: useCausalMask).output
    }

    /// As `callAsFunction(query:value:key:attentionMask:useCausalMask:)`, and also the attention
    /// probabilities (before dropout) when `returnAttentionScores` is true (nil otherwise):
    /// [N, heads, Tq, Tv] (MultiHeadAttention with attention axes: [N, B…, heads, Aq…, Av…]).
    public func callAsFunction(query: Tensor, value: Tensor, key: Tensor? = nil, attentionMask: Tensor? = nil,
                               useCausalMask: Bool = false, returnAttentionScores: Bool) -> (output: Tensor, scores: Tensor?) {
        let r = attend(query: query, value: value, key: key, attentionMask: attentionMask, useCausalMask: useCausalMask)
        return (r.output, returnAttentionScores ? r.scores : nil)
    }

    /// Self-attention of `x` with its Keras mask [N, T] (nonzero = real step) as both the query
    /// and the value mask, as Keras's `mha(x, x)` on a masked `x`: query i attends to key j only
    /// when both are real (a padded query's row of probabilities is all zero).
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        guard let mask else { return self(x) }
        precondition(x.rank == 3 && mask.shape == [x.shape[0], x.shape[1]],
                     "\(layerName): mask \(mask.shape) does not match input \(x.shape) ([batch, time])")
        let m = mask.dtype == .bool ? mask : mask .!= Tensor(0, dtype: mask.dtype)
        let n = x.shape[0], t = x.shape[1]
        return self(query: x, value: x, attentionMask: logicalAnd(m.reshaped(to: [n, t, 1]), m.reshaped(to: [n, 1, t])))
    }
}

