import Weft

/// A Transformer encoder block as KerasHub's `TransformerEncoder` (Vaswani et al., 2017), on
/// [N, T, modelDim]:
///
///     post-norm (default):  x = LN₁(x + Dropout(MHA(x, x)))
///                           x = LN₂(x + Dropout(Dense(modelDim)(Dense(intermediateDim, activation)(x))))
///     normalizeFirst:       x = x + Dropout(MHA(LN₁(x), LN₁(x)))
///                           x = x + Dropout(Dense(modelDim)(Dense(intermediateDim, activation)(LN₂(x))))
///
/// The attention has `numHeads` heads of size `modelDim / numHeads` and the same `dropout`
/// on its probabilities. Sub-layers are created by `build` (they depend on `modelDim`) and are
/// named as KerasHub's: `selfAttentionLayer`, `selfAttentionLayerNorm`,
/// `feedforwardLayerNorm`, `feedforwardIntermediateDense`, `feedforwardOutputDense`.
public final class TransformerEncoder: Layer {
    public let intermediateDim: Int
    public let numHeads: Int
    public let dropout: Double
    public let activation: Activation
    public let layerNormEpsilon: Double
    public let normalizeFirst: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let generator: RandomGenerator

    public private(set) var selfAttentionLayer: MultiHeadAttention?
    public private(set) var selfAttentionLayerNorm: LayerNormalization?
    public private(set) var selfAttentionDropout: Dropout?
    public private(set) var feedforwardLayerNorm: LayerNormalization?
    public private(set) var feedforwardIntermediateDense: Dense?
    public private(set) var feedforwardOutputDense: Dense?
    public private(set) var feedforwardDropout: Dropout?

    public init(intermediateDim: Int, numHeads: Int, dropout: Double = 0, activation: Activation = .relu,
                layerNormEpsilon: Double = 1e-5, normalizeFirst: Bool = false,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                generator: RandomGenerator = .global) {
        precondition(intermediateDim > 0, "TransformerEncoder: intermediateDim must be positive, got \(intermediateDim)")
        precondition(numHeads > 0, "TransformerEncoder: numHeads must be positive, got \(numHeads)")
        precondition(dropout >= 0 && dropout < 1, "TransformerEncoder: dropout must be in [0, 1), got \(dropout)")
        self.intermediateDim = intermediateDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.normalizeFirst = normalizeFirst
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.generator = generator
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 2 else {
            throw ShapeError(layer: "TransformerEncoder", "needs input [batch, time, features], got per-sample shape \(s)")
        }
        let d = s[1]
        if let attn = selfAttentionLayer {
            _ = try attn.build(inputShape: s)
            _ = try selfAttentionLayerNorm!.build(inputShape: s)
            return s
        }
        guard d / numHeads > 0 else {
            throw ShapeError(layer: "TransformerEncoder", "the feature size \(d) of input \(s) must be at least numHeads \(numHeads) (head size = features / numHeads)")
        }
        let attn = MultiHeadAttention(numHeads: numHeads, keyDim: d / numHeads, dropout: dropout,
                                      kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, generator: generator)
        _ = try attn.build(inputShape: s)
        let ln1 = LayerNormalization(epsilon: layerNormEpsilon), ln2 = LayerNormalization(epsilon: layerNormEpsilon)
        _ = try ln1.build(inputShape: s)
        _ = try ln2.build(inputShape: s)
        let ff1 = Dense(intermediateDim, activation: activation, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
        let ff2 = Dense(d, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
        _ = try ff2.build(inputShape: try ff1.build(inputShape: s))
        selfAttentionLayer = attn
        selfAttentionLayerNorm = ln1
        selfAttentionDropout = Dropout(dropout, generator: generator)
        feedforwardLayerNorm = ln2
        feedforwardIntermediateDense = ff1
        feedforwardOutputDense = ff2
        feedforwardDropout = Dropout(dropout, generator: generator)
        return s
    }

    /// Sub-layers in KerasHub's build order (so parameters follow Keras's weight order).
    public var namedChildren: [(String, any Layer)] {
        let all: [(String, (any Layer)?)] = [
            ("selfAttentionLayer", selfAttentionLayer), ("selfAttentionLayerNorm", selfAttentionLayerNorm),
            ("selfAttentionDropout", selfAttentionDropout), ("feedforwardLayerNorm", feedforwardLayerNorm),
            ("feedforwardIntermediateDense", feedforwardIntermediateDense),
            ("feedforwardOutputDense", feedforwardOutputDense), ("feedforwardDropout", feedforwardDropout),
        ]
        return all.compactMap { name, l in l.map { (name, $0) } }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { self(x, paddingMask: nil) }

    /// Encodes `x` [N, T, modelDim].
    ///
    /// - Parameters:
    ///   - paddingMask: bool or 0/1 [N, T]; true marks real tokens (padding is never attended to).
    ///   - attentionMask: bool or 0/1 [N, T, T]; true lets query i attend to key j.
    ///   - useCausalMask: also forbids attending to later positions.
    public func callAsFunction(_ x: Tensor, paddingMask: Tensor? = nil, attentionMask: Tensor? = nil,
                               useCausalMask: Bool = false) -> Tensor {
        precondition(x.rank == 3, "TransformerEncoder: input must be [batch, time, features], got \(x.shape)")
        do { _ = try build(inputShape: Array(x.shape.dropFirst())) } catch { preconditionFailure("\(error)") }
        let n = x.shape[0], t = x.shape[1]
        var mask = attentionMask
        if let p = paddingMask {
            precondition(p.shape == [n, t], "TransformerEncoder: paddingMask \(p.shape) does not match [batch \(n), time \(t)]")
            let keys = (p.dtype == .bool ? p : p .!= Tensor(0, dtype: p.dtype)).reshaped(to: [n, 1, t])
            if let m = mask {
                precondition(m.shape == [n, t, t], "TransformerEncoder: attentionMask \(m.shape) does not match [batch \(n), time \(t), time \(t)]")
                mask = logicalAnd(m.dtype == .bool ? m : m .!= Tensor(0, dtype: m.dtype), keys)
            } else {
                mask = keys.expanded(to: [n, t, t])
            }
        }
        let attn = selfAttentionLayer!, ln1 = selfAttentionLayerNorm!, ln2 = feedforwardLayerNorm!
        var residual = x
        var h = normalizeFirst ? ln1(x) : x
        h = attn(query: h, value: h, attentionMask: mask, useCausalMask: useCausalMask)
        h = selfAttentionDropout!(h) + residual
        if !normalizeFirst { h = ln1(h) }
        residual = h
        if normalizeFirst { h = ln2(h) }
        h = feedforwardOutputDense!(feedforwardIntermediateDense!(h))
        h = feedforwardDropout!(h) + residual
        if !normalizeFirst { h = ln2(h) }
        return h
    }
}

extension TransformerEncoder: MaskConsumingLayer {
    /// Uses the input's Keras mask [N, T] (from `Embedding(maskZero:)` or `Masking`): as in
    /// KerasHub, padding is never attended to, and, because Keras also hands the mask to the
    /// attention as its query and value masks, a padded position attends to nothing (its
    /// attention output is the output bias). Outputs at real positions equal
    /// `self(x, paddingMask: mask)`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        guard let mask else { return self(x) }
        precondition(x.rank == 3 && mask.shape == [x.shape[0], x.shape[1]],
                     "TransformerEncoder: mask \(mask.shape) does not match input \(x.shape) ([batch, time])")
        let m = mask.dtype == .bool ? mask : mask .!= Tensor(0, dtype: mask.dtype)
        let n = x.shape[0], t = x.shape[1]
        return self(x, attentionMask: logicalAnd(m.reshaped(to: [n, t, 1]), m.reshaped(to: [n, 1, t])))
    }
}
