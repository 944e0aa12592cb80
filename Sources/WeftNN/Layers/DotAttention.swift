import Weft

/// Keras `Attention` (Luong-style dot-product attention) and `AdditiveAttention`
/// (Bahdanau-style): query [N, Tq, D] over value [N, Tv, Dv] with keys [N, Tv, D] (default the
/// value); scores [N, Tq, Tv], softmax over the keys, output = weights · value [N, Tq, Dv].
///
/// Masks as Keras: `valueMask` [N, Tv] (nonzero = a real key) subtracts 1e9 from the scores of
/// padded keys before the softmax; `useCausalMask` also hides later keys (j > i); `queryMask`
/// [N, Tq] zeroes the outputs of padded queries. Dropout acts on the weights in training only;
/// the returned scores are the weights before dropout.
public final class Attention: QueryValueAttention {
    public enum ScoreMode: Hashable, Sendable {
        /// scores = q · kᵀ (times `scale` with `useScale`).
        case dot
        /// scores = concatScoreWeight · Σ tanh(scale·(q_i + k_j)) over the features.
        case concat
    }
    public let useScale: Bool
    public let scoreMode: ScoreMode
    public let dropout: Double
    public let generator: RandomGenerator
    /// A learned scalar (ones at start), with `useScale`.
    public var scale: Parameter?
    /// A learned scalar (ones at start), for `.concat` scores.
    public var concatScoreWeight: Parameter?

    public init(useScale: Bool = false, scoreMode: ScoreMode = .dot, dropout: Double = 0, generator: RandomGenerator = .global) {
        precondition(dropout >= 0 && dropout < 1, "Attention: dropout must be in [0, 1), got \(dropout)")
        self.useScale = useScale
        self.scoreMode = scoreMode
        self.dropout = dropout
        self.generator = generator
    }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        let (out, _) = try attentionShapes(typeName, inputShapes)
        if scale == nil && useScale { scale = Parameter(.ones([], dtype: TensorDefaults.floatType)) }
        if concatScoreWeight == nil && scoreMode == .concat { concatScoreWeight = Parameter(.ones([], dtype: TensorDefaults.floatType)) }
        return [out]
    }

    /// The output and the attention weights [N, Tq, Tv] (before dropout).
    public func attend(query: Tensor, value: Tensor, key: Tensor? = nil, queryMask: Tensor? = nil, valueMask: Tensor? = nil,
                       useCausalMask: Bool = false) -> (output: Tensor, scores: Tensor) {
        let key = key ?? value
        do { _ = try build(inputShapes: [query, value, key].map { Array($0.shape.dropFirst()) }) } catch { preconditionFailure("\(error)") }
        let scores: Tensor
        switch scoreMode {
        case .dot:
            let s = matmul(query, key.transposed(-2, -1))
            scores = scale.map { s * $0.value.cast(to: s.dtype) } ?? s
        case .concat:
            let sum = query.unsqueezed(axis: 2) + key.unsqueezed(axis: 1)       // [N, Tq, Tv, D]
            let t = tanh(scale.map { sum * $0.value.cast(to: sum.dtype) } ?? sum).sum(alongAxes: [3])
            scores = t * concatScoreWeight!.value.cast(to: t.dtype)
        }
        return applyScores(typeName, scores, value: value, queryMask: queryMask, valueMask: valueMask, causal: useCausalMask,
                           dropout: dropout, generator: generator)
    }
}

/// Keras `AdditiveAttention`: scores = Σ_d scale_d · tanh(q_i,d + k_j,d) (`scale` [D], glorot
/// uniform at start, with `useScale`; otherwise the plain sum). Masks and dropout as ``Attention``.
public final class AdditiveAttention: QueryValueAttention {
    public let useScale: Bool
    public let dropout: Double
    public let generator: RandomGenerator
    public var scale: Parameter?

    public init(useScale: Bool = true, dropout: Double = 0, generator: RandomGenerator = .global) {
        precondition(dropout >= 0 && dropout < 1, "AdditiveAttention: dropout must be in [0, 1), got \(dropout)")
        self.useScale = useScale
        self.dropout = dropout
        self.generator = generator
    }

    public func build(inputShapes: [Shape]) throws -> [Shape] {
        let (out, dim) = try attentionShapes(typeName, inputShapes)
        if let s = scale {
            guard s.value.shape == [dim] else {
                throw ShapeError(layer: typeName, "feature size \(dim) does not match the layer built for \(s.value.shape[0])")
            }
        } else if useScale {
            scale = Parameter(Initializer.glorotUniform.make([dim], fanIn: dim, fanOut: dim))
        }
        return [out]
    }

    /// The output and the attention weights [N, Tq, Tv] (before dropout).
    public func attend(query: Tensor, value: Tensor, key: Tensor? = nil, queryMask: Tensor? = nil, valueMask: Tensor? = nil,
                       useCausalMask: Bool = false) -> (output: Tensor, scores: Tensor) {
        let key = key ?? value
        do { _ = try build(inputShapes: [query, value, key].map { Array($0.shape.dropFirst()) }) } catch { preconditionFailure("\(error)") }
        let t = tanh(query.unsqueezed(axis: 2) + key.unsqueezed(axis: 1))       // [N, Tq, Tv, D]
        let scores = (scale.map { t * $0.value.cast(to: t.dtype) } ?? t).sum(alongAxes: [3])
        return applyScores(typeName, scores, value: value, queryMask: queryMask, valueMask: valueMask, causal: useCausalMask,
                           dropout: dropout, generator: generator)
    }
}

/// What Attention and AdditiveAttention share: inputs [query, value] or [query, value, key].
public protocol QueryValueAttention: MultiIOLayer {
    /// The output [N, Tq, Dv] and the attention weights [N, Tq, Tv] (before dropout).
    func attend(query: Tensor, value: Tensor, key: Tensor?, queryMask: Tensor?, valueMask: Tensor?,
                useCausalMask: Bool) -> (output: Tensor, scores: Tensor)
}

extension QueryValueAttention {
    public func build(inputShape: Shape) throws -> Shape {
        throw ShapeError(layer: typeName, "needs inputs [query, value] or [query, value, key], got one input of shape \(inputShape)")
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        preconditionFailure("\(typeName): needs inputs [query, value] or [query, value, key] (call(_:)); got one tensor of shape \(x.shape)")
    }

    public func call(_ inputs: [Tensor]) -> [Tensor] {
        precondition(inputs.count == 2 || inputs.count == 3, "\(typeName): needs inputs [query, value] or [query, value, key], got \(inputs.count)")
        return [self(query: inputs[0], value: inputs[1], key: inputs.count == 3 ? inputs[2] : nil)]
    }

    public func callAsFunction(query: Tensor, value: Tensor, key: Tensor? = nil, queryMask: Tensor? = nil, valueMask: Tensor? = nil,
                               useCausalMask: Bool = false) -> Tensor {
        attend(query: query, value: value, key: key, queryMask: queryMask, valueMask: valueMask, useCausalMask: useCausalMask).output
    }
}

/// Checks [query, value] or [query, value, key] per-sample shapes [Tq, D], [Tv, Dv], [Tv, D];
/// returns the output shape [Tq, Dv] and D.
func attentionShapes(_ layer: String, _ s: [Shape]) throws -> (Shape, Int) {
    guard s.count == 2 || s.count == 3 else {
        throw ShapeError(layer: layer, "needs inputs [query, value] or [query, value, key], got \(s.count) inputs with shapes \(s)")
    }
    let q = s[0], v = s[1], k = s.count == 3 ? s[2] : s[1]
    guard q.count == 2, v.count == 2, k.count == 2 else {
        throw ShapeError(layer: layer, "query, value and key must be [batch, time, features], got per-sample shapes \(s)")
    }
    guard q[1] == k[1] else { throw ShapeError(layer: layer, "query and key must have the same feature size, got query \(q) and key \(k)") }
    guard v[0] == k[0] || v[0] < 0 || k[0] < 0 else {
        throw ShapeError(layer: layer, "value and key must have the same length, got value \(v) and key \(k)")
    }
    return ([q[0], v[1]], q[1])
}

/// Keras's `_apply_scores` with its masks: padded keys (and later keys, `causal`) get −1e9
/// before the softmax, padded queries a zero output.
func applyScores(_ layer: String, _ scores: Tensor, value: Tensor, queryMask: Tensor?, valueMask: Tensor?, causal: Bool,
                 dropout: Double, generator: RandomGenerator) -> (output: Tensor, scores: Tensor) {
    let n = scores.shape[0], tq = scores.shape[1], tv = scores.shape[2]
    var mask: Tensor? = nil
    if let vm = valueMask {
        precondition(vm.shape == [n, tv], "\(layer): valueMask \(vm.shape) must be [\(n), \(tv)]")
        mask = (vm.dtype == .bool ? vm : vm .!= Tensor(0, dtype: vm.dtype)).reshaped(to: [n, 1, tv])
    }
    if causal {
        let c = causalMask(tq, tv)
        mask = mask.map { logicalAnd($0, c) } ?? c
    }
    var s = scores
    if let mask { s = s - logicalNot(mask).cast(to: s.dtype) * 1e9 }
    let weights = s.softmax(axis: -1)
    let dropped = Weft.dropout(weights, rate: dropout, training: LearningPhase.isTraining, generator: generator)
    var out = matmul(dropped, value)
    if let qm = queryMask {
        precondition(qm.shape == [n, tq], "\(layer): queryMask \(qm.shape) must be [\(n), \(tq)]")
        out = out * (qm.dtype == .bool ? qm : qm .!= Tensor(0, dtype: qm.dtype)).cast(to: out.dtype).reshaped(to: [n, tq, 1])
    }
    return (out, weights)
}
