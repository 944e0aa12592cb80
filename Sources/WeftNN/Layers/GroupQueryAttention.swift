import Foundation
import Weft

/// Keras 3 `GroupQueryAttention` (`GroupedQueryAttention` in its sources) (GQA, Ainslie et al.) over sequences [N, T, features]:
/// `numQueryHeads` query heads share `numKeyValueHeads` key/value heads (query head u uses
/// key/value head u / (numQueryHeads / numKeyValueHeads)); multi-query attention with one
/// key/value head, multi-head attention with as many as query heads.
///
/// Parameters in Keras's layout and build order: `queryKernel` [Dq, Hq, headDim] + `queryBias`
/// [Hq, headDim], `keyKernel` [Dk, Hkv, headDim] + `keyBias`, (`useGate`: `gateKernel` [Dq, Hq,
/// headDim] + `gateBias`, a sigmoid gate on the attention output before the output projection),
/// `valueKernel` [Dv, Hkv, headDim] + `valueBias`, `outputKernel` [Hq, headDim, Dq] +
/// `outputBias` [Dq]. Scores are softmax(q·kᵀ / √headDim) over the keys; `attentionMask` [N, Tq,
/// Tv] (or [Tq, Tv]), `useCausalMask` and `slidingWindow` (key j within window − 1 of query i)
/// combine; masked scores are −1e9 before the softmax and 0 after it. Dropout acts on the
/// probabilities in training.
public final class GroupQueryAttention: QueryKeyValueAttention {
    public let headDim: Int
    public let numQueryHeads: Int
    public let numKeyValueHeads: Int
    public let dropout: Double
    public let useBias: Bool
    public let useGate: Bool
    public let slidingWindow: Int?
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let generator: RandomGenerator

    public var queryKernel: Parameter?
    public var queryBias: Parameter?
    public var keyKernel: Parameter?
    public var keyBias: Parameter?
    public var gateKernel: Parameter?
    public var gateBias: Parameter?
    public var valueKernel: Parameter?
    public var valueBias: Parameter?
    public var outputKernel: Parameter?
    public var outputBias: Parameter?

    public init(headDim: Int, numQueryHeads: Int, numKeyValueHeads: Int, dropout: Double = 0, useBias: Bool = true,
                slidingWindow: Int? = nil, useGate: Bool = false, kernelInitializer: Initializer = .glorotUniform,
                biasInitializer: Initializer = .zeros, generator: RandomGenerator = .global) {
        precondition(headDim > 0 && numQueryHeads > 0 && numKeyValueHeads > 0, "GroupQueryAttention: sizes must be positive")
        precondition(numQueryHeads % numKeyValueHeads == 0,
                     "GroupQueryAttention: numQueryHeads (\(numQueryHeads)) must be divisible by numKeyValueHeads (\(numKeyValueHeads))")
        precondition(dropout >= 0 && dropout < 1, "GroupQueryAttention: dropout must be in [0, 1), got \(dropout)")
        precondition(slidingWindow.map { $0 > 0 } ?? true, "GroupQueryAttention: slidingWindow must be positive")
        self.headDim = headDim
        self.numQueryHeads = numQueryHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.dropout = dropout
        self.useBias = useBias
        self.useGate = useGate
        self.slidingWindow = slidingWindow
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.generator = generator
    }

    /// Checks per-sample [Tq, Dq], [Tv, Dv], [Tv, Dk]; creates the parameters on the first call.
    public func buildShapes(query q: Shape, value v: Shape, key k: Shape?) throws -> Shape {
        let k = k ?? v
        for (name, s) in [("query", q), ("value", v), ("key", k)] where s.count != 2 {
            throw ShapeError(layer: "GroupQueryAttention", "\(name) must be [batch, time, features], got per-sample shape \(s)")
        }
        guard v[0] == k[0] || v[0] < 0 || k[0] < 0 else {
            throw ShapeError(layer: "GroupQueryAttention", "value \(v) and key \(k) must have the same length")
        }
        let dq = q[1], dk = k[1], dv = v[1]
        if let qk = queryKernel, let kk = keyKernel, let vk = valueKernel {
            guard qk.value.shape[0] == dq, kk.value.shape[0] == dk, vk.value.shape[0] == dv else {
                throw ShapeError(layer: "GroupQueryAttention", "input feature sizes (query \(dq), value \(dv), key \(dk)) do not match the layer built for (query \(qk.value.shape[0]), value \(vk.value.shape[0]), key \(kk.value.shape[0]))")
            }
            return q
        }
        func kernel(_ shape: Shape) -> Parameter {
            Parameter(kernelInitializer.make(shape, fanIn: shape[0] * shape[1], fanOut: shape[0] * shape[2]))
        }
        func bias(_ shape: Shape, fanIn: Int) -> Parameter? {
            useBias ? Parameter(biasInitializer.make(shape, fanIn: fanIn, fanOut: shape.elementCount)) : nil
        }
        queryKernel = kernel([dq, numQueryHeads, headDim]); queryBias = bias([numQueryHeads, headDim], fanIn: dq)
        keyKernel = kernel([dk, numKeyValueHeads, headDim]); keyBias = bias([numKeyValueHeads, headDim], fanIn: dk)
        if useGate { gateKernel = kernel([dq, numQueryHeads, headDim]); gateBias = bias([numQueryHeads, headDim], fanIn: dq) }
        valueKernel = kernel([dv, numKeyValueHeads, headDim]); valueBias = bias([numKeyValueHeads, headDim], fanIn: dv)
        outputKernel = kernel([numQueryHeads, headDim, dq]); outputBias = bias([dq], fanIn: numQueryHeads * headDim)
        return q
    }

    public var layerName: String { "GroupQueryAttention" }

    public func attend(query: Tensor, value: Tensor, key: Tensor?, attentionMask: Tensor?, useCausalMask: Bool) -> (output: Tensor, scores: Tensor) {
        let key = key ?? value
        for (name, t) in [("query", query), ("value", value), ("key", key)] {
            precondition(t.rank == 3, "GroupQueryAttention: \(name) must be [batch, time, features], got \(t.shape)")
        }
        precondition(query.shape[0] == value.shape[0] && key.shape[0] == value.shape[0],
                     "GroupQueryAttention: query \(query.shape), value \(value.shape) and key \(key.shape) differ in batch size")
        do { _ = try buildShapes(query: Array(query.shape.dropFirst()), value: Array(value.shape.dropFirst()), key: Array(key.shape.dropFirst())) }
        catch { preconditionFailure("\(error)") }
        let dt = query.dtype.floatingResult
        func project(_ x: Tensor, _ k: Parameter, _ b: Parameter?) -> Tensor {
            let y = einsum("bqm,muh->bquh", x, k.value.cast(to: dt))
            return b.map { y + $0.value.cast(to: dt) } ?? y
        }
        let n = query.shape[0], tq = query.shape[1], tv = value.shape[1], r = numQueryHeads / numKeyValueHeads
        // Key / value heads repeated r times each (Keras's ops.repeat on the head axis).
        func repeated(_ t: Tensor) -> Tensor {
            guard r > 1 else { return t }
            return t.unsqueezed(axis: 3).expanded(to: [n, tv, numKeyValueHeads, r, headDim]).reshaped(to: [n, tv, numQueryHeads, headDim])
        }
        let q = project(query, queryKernel!, queryBias) * (1 / Double(headDim).squareRoot())
        let k = repeated(project(key, keyKernel!, keyBias)), v = repeated(project(value, valueKernel!, valueBias))
        var scores = einsum("bquh,bkuh->buqk", q, k)
        let mask = combinedMask(attentionMask, causal: useCausalMask, n: n, tq: tq, tv: tv)
        if let mask { scores = `where`(mask, scores, Tensor(-1e9, dtype: scores.dtype)) }
        var probs = scores.softmax(axis: -1)
        if let mask { probs = `where`(mask, probs, Tensor(0, dtype: probs.dtype)) }
        let dropped = Weft.dropout(probs, rate: dropout, training: LearningPhase.isTraining, generator: generator)
        var o = einsum("buqk,bkuh->bquh", dropped, v)
        if useGate { o = o * sigmoid(project(query, gateKernel!, gateBias)) }
        var out = einsum("bquh,uhm->bqm", o, outputKernel!.value.cast(to: dt))
        if let b = outputBias { out = out + b.value.cast(to: dt) }
        return (out, probs)
    }

    /// The bool mask [N or 1, 1, Tq, Tv] from the explicit mask, causality and the sliding window.
    func combinedMask(_ attentionMask: Tensor?, causal: Bool, n: Int, tq: Int, tv: Int) -> Tensor? {
        var mask: Tensor? = nil
        if let m = attentionMask {
            precondition(Array(m.shape.suffix(2)) == [tq, tv] && (m.rank == 2 || (m.rank == 3 && (m.shape[0] == n || m.shape[0] == 1))),
                         "GroupQueryAttention: attentionMask \(m.shape) does not match [batch \(n), \(tq), \(tv)]")
            let b = m.dtype == .bool ? m : m .!= Tensor(0, dtype: m.dtype)
            mask = b.rank == 2 ? b.unsqueezed(axis: 0) : b
        }
        if causal {
            let c = causalMask(tq, tv)
            mask = mask.map { logicalAnd($0, c) } ?? c
        }
        if let w = slidingWindow {
            let rows = Tensor.arange(0, Double(tq), dtype: .int64).reshaped(to: [1, tq, 1])
            let cols = Tensor.arange(0, Double(tv), dtype: .int64).reshaped(to: [1, 1, tv])
            let d = rows - cols
            let band = logicalAnd(d .< Tensor(Double(w), dtype: .int64), d .> Tensor(Double(-w), dtype: .int64))
            mask = mask.map { logicalAnd($0, band) } ?? band
        }
        return mask.map { $0.unsqueezed(axis: 1) }
    }
}
