import Weft

/// Flattens each sample to one dimension (NCHW order, as PyTorch's `nn.Flatten`).
public final class Flatten: Layer {
    public init() {}
    public func build(inputShape: Shape) throws -> Shape { [inputShape.reduce(1, *)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.rank <= 2 ? x : x.flattened(startAxis: 1) }
}

/// Inverted dropout, active only in training mode.
public final class Dropout: Layer {
    public let rate: Double
    public let generator: RandomGenerator

    public init(_ rate: Double, generator: RandomGenerator = .global) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = generator
    }
    public func build(inputShape: Shape) throws -> Shape { inputShape }
    public func callAsFunction(_ x: Tensor) -> Tensor { dropout(x, rate: rate, training: LearningPhase.isTraining, generator: generator) }
}
