import Weft

/// A lookup table (Keras `Embedding`): integer ids [N, T] → vectors [N, T, outputDim].
/// `maskZero` is stored for mask-aware layers; it does not change the output.
public final class Embedding: Layer {
    public let inputDim: Int
    public let outputDim: Int
    public let maskZero: Bool
    public let initializer: Initializer
    public var embeddings: Parameter?

    public init(inputDim: Int, outputDim: Int, initializer: Initializer = .randomUniform(low: -0.05, high: 0.05),
                maskZero: Bool = false) {
        precondition(inputDim > 0 && outputDim > 0, "Embedding: inputDim and outputDim must be positive, got \(inputDim), \(outputDim)")
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.maskZero = maskZero
        self.initializer = initializer
    }

    public func build(inputShape s: Shape) throws -> Shape {
        if embeddings == nil {
            embeddings = Parameter(initializer.make([inputDim, outputDim], fanIn: inputDim, fanOut: outputDim))
        }
        return s + [outputDim]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if embeddings == nil { ensureBuilt(self, x) }
        precondition(x.dtype == .int32 || x.dtype == .int64, "Embedding: ids must be int32 or int64, got \(x.dtype)")
        let ids = x.reshaped(to: [x.count])
        return embeddings!.value.indexSelect(axis: 0, indices: ids).reshaped(to: x.shape + [outputDim])
    }
}
