import Weft

/// A lookup table (Keras `Embedding`): integer ids [N, T] → vectors [N, T, outputDim].
/// `maskZero` is stored for mask-aware layers; it does not change the output.
public final class Embedding: Layer {
    public let inputDim: Int
    public let outputDim: Int
    public let maskZero: Bool
    public let initializer: Initializer
    public var embeddings: Parameter?
    /// Keras's `embeddings_regularizer` and `embeddings_constraint`.
    public var embeddingsRegularizer: Regularizer?
    public var embeddingsConstraint: Constraint?
    /// Keras's LoRA factors (`enableLoRA(rank:)`): lookups in embeddings + (loraAlpha / loraRank)·A·B.
    public internal(set) var loraEmbeddingsA: Parameter?
    public internal(set) var loraEmbeddingsB: Parameter?
    public internal(set) var loraRank: Int?
    public internal(set) var loraAlpha: Double?

    public init(inputDim: Int, outputDim: Int, initializer: Initializer = .randomUniform(low: -0.05, high: 0.05),
                maskZero: Bool = false, embeddingsRegularizer: Regularizer? = nil, embeddingsConstraint: Constraint? = nil,
                loraRank: Int? = nil, loraAlpha: Double? = nil) {
        precondition(inputDim > 0 && outputDim > 0, "Embedding: inputDim and outputDim must be positive, got \(inputDim), \(outputDim)")
        self.embeddingsRegularizer = embeddingsRegularizer
        self.embeddingsConstraint = embeddingsConstraint
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha ?? loraRank.map(Double.init)
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.maskZero = maskZero
        self.initializer = initializer
    }

    public func build(inputShape s: Shape) throws -> Shape {
        if embeddings == nil {
            embeddings = Parameter(initializer.make([inputDim, outputDim], fanIn: inputDim, fanOut: outputDim))
            if let r = loraRank { try enableLoRA(rank: r, alpha: loraAlpha) }
        }
        return s + [outputDim]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if embeddings == nil { ensureBuilt(self, x) }
        precondition(x.dtype == .int32 || x.dtype == .int64, "Embedding: ids must be int32 or int64, got \(x.dtype)")
        let ids = x.reshaped(to: [x.count])
        var rows = embeddings!.value.indexSelect(axis: 0, indices: ids)
        if let a = loraEmbeddingsA, let b = loraEmbeddingsB {
            // The merged table's rows without building it: E[ids] + s·A[ids]·B.
            let scale = (loraAlpha ?? 1) / Double(loraRank ?? 1)
            rows = rows + (matmul(a.value.indexSelect(axis: 0, indices: ids), b.value) * scale).cast(to: rows.dtype)
        }
        return rows.reshaped(to: x.shape + [outputDim])
    }
}

/// Keras `ReversibleEmbedding`: an Embedding that also maps hidden states back to logits over
/// the vocabulary — `reverse(h)` = h · embeddingsᵀ with `tieWeights` (the language-model head
/// sharing the input table), or h · `reverseEmbeddings` [outputDim, inputDim] without; with
/// `logitSoftCap` c the logits become c·tanh(logits / c).
public final class ReversibleEmbedding: Layer {
    public let embedding: Embedding
    public let tieWeights: Bool
    public let logitSoftCap: Double?
    public var reverseEmbeddings: Parameter?

    public init(inputDim: Int, outputDim: Int, tieWeights: Bool = true, initializer: Initializer = .randomUniform(low: -0.05, high: 0.05),
                maskZero: Bool = false, logitSoftCap: Double? = nil) {
        precondition(logitSoftCap.map { $0 > 0 } ?? true, "ReversibleEmbedding: logitSoftCap must be positive")
        embedding = Embedding(inputDim: inputDim, outputDim: outputDim, initializer: initializer, maskZero: maskZero)
        self.tieWeights = tieWeights
        self.logitSoftCap = logitSoftCap
    }

    public var embeddings: Parameter? { embedding.embeddings }

    public func build(inputShape s: Shape) throws -> Shape {
        let out = try embedding.build(inputShape: s)
        if !tieWeights && reverseEmbeddings == nil {
            let (i, o) = (embedding.inputDim, embedding.outputDim)
            reverseEmbeddings = Parameter(embedding.initializer.make([o, i], fanIn: o, fanOut: i))
        }
        return out
    }

    /// Ids → vectors, as `Embedding`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if embedding.embeddings == nil { ensureBuilt(self, x) }
        return embedding(x)
    }

    /// Hidden states [..., outputDim] → logits [..., inputDim].
    public func reverse(_ h: Tensor) -> Tensor {
        precondition(embedding.embeddings != nil, "ReversibleEmbedding: build the layer before reverse(_:)")
        precondition(h.shape.last == embedding.outputDim, "ReversibleEmbedding: reverse needs [..., \(embedding.outputDim)], got \(h.shape)")
        let kernel = tieWeights ? embedding.effectiveEmbeddings!.transposed() : reverseEmbeddings!.value
        let lead = Array(h.shape.dropLast())
        var logits = matmul(h.reshaped(to: [lead.elementCount, embedding.outputDim]), kernel.cast(to: h.dtype.floatingResult))
            .reshaped(to: lead + [embedding.inputDim])
        if let c = logitSoftCap { logits = tanh(logits / c) * c }
        return logits
    }
}

extension ReversibleEmbedding: MaskingLayer {
    public func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor? { embedding.computeMask(input, inputMask: inputMask) }
}

extension Embedding: RegularizedLayer {
    /// The table's penalty (and, with LoRA, the factors', as Keras).
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        pairs([(embeddings, embeddingsRegularizer), (loraEmbeddingsA, embeddingsRegularizer), (loraEmbeddingsB, embeddingsRegularizer)])
    }
    public var parameterConstraints: [(Parameter, Constraint)] { pairs([(embeddings, embeddingsConstraint)]) }
}
