import Weft

/// Applies `layer` to every time step of [N, T, ...] (Keras `TimeDistributed`): the time axis is
/// folded into the batch ([N·T, ...]), the layer runs once, and the result is unfolded to
/// [N, T, ...]. The wrapped layer (one set of parameters shared by all steps) is the child
/// `layer`.
public final class TimeDistributed: Layer {
    public let layer: any Layer

    public init(_ layer: any Layer) {
        self.layer = layer
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count >= 2 else {
            throw ShapeError(layer: "TimeDistributed", "needs input [batch, time, ...] with at least one axis after time, got per-sample shape \(s)")
        }
        return [s[0]] + (try layer.build(inputShape: Array(s.dropFirst())))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 3, "TimeDistributed: input must be [batch, time, ...], got \(x.shape)")
        let n = x.shape[0], t = x.shape[1]
        let y = layer(x.reshaped(to: [n * t] + Array(x.shape.dropFirst(2))))
        precondition(y.rank >= 1 && y.shape[0] == n * t,
                     "TimeDistributed: the wrapped \(layer.typeName) changed the batch size from \(n * t) to \(y.shape.first ?? 0)")
        return y.reshaped(to: [n, t] + Array(y.shape.dropFirst()))
    }
}
