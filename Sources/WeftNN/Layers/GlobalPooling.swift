import Weft

/// Mean over height and width of NCHW input: [N, C, H, W] → [N, C] (Keras `GlobalAveragePooling2D`).
public final class GlobalAveragePooling2D: Layer {
    public init() {}
    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3 else { throw ShapeError(layer: "GlobalAveragePooling2D", "expects per-sample input [channels, height, width], got \(s)") }
        return [s[0]]
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "GlobalAveragePooling2D: expects NCHW input, got \(x.shape)")
        return x.mean(alongAxes: [2, 3])
    }
}

/// Maximum over height and width of NCHW input: [N, C, H, W] → [N, C] (Keras `GlobalMaxPooling2D`).
public final class GlobalMaxPooling2D: Layer {
    public init() {}
    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3 else { throw ShapeError(layer: "GlobalMaxPooling2D", "expects per-sample input [channels, height, width], got \(s)") }
        return [s[0]]
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "GlobalMaxPooling2D: expects NCHW input, got \(x.shape)")
        return x.max(alongAxes: [2, 3])
    }
}
