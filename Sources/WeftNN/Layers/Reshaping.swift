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
    /// Keras's `noise_shape`: the mask's shape (batch axis included), broadcast over the input;
    /// nil entries take the input's size (`[nil, 1, nil]` drops whole features of [N, T, F] for
    /// every step).
    public let noiseShape: [Int?]?
    public let generator: RandomGenerator

    public init(_ rate: Double, noiseShape: [Int?]? = nil, generator: RandomGenerator = .global) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.noiseShape = noiseShape
        self.generator = generator
    }
    public func build(inputShape: Shape) throws -> Shape {
        if let ns = noiseShape {
            guard ns.count == inputShape.count + 1,
                  zip(ns.dropFirst(), inputShape).allSatisfy({ $0.0 == nil || $0.0 == 1 || $0.0 == $0.1 }) else {
                throw ShapeError(layer: "Dropout", "noise shape \(ns.map { $0.map(String.init) ?? "nil" }) does not broadcast to input shape \(inputShape)")
            }
        }
        return inputShape
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard let ns = noiseShape else { return dropout(x, rate: rate, training: LearningPhase.isTraining, generator: generator) }
        guard LearningPhase.isTraining, rate > 0 else { return x }
        precondition(ns.count == x.rank, "Dropout: noise shape of rank \(ns.count) for input \(x.shape)")
        let shape = zip(ns, x.shape).map { $0 ?? $1 }
        let mask = withoutGradient { dropout(Tensor.ones(shape, dtype: x.dtype), rate: rate, training: true, generator: generator) }
        return x * mask
    }
}
