import Weft

/// Keras's global pooling over the spatial axes of channels-first input [N, C, spatial…]:
/// the mean or maximum per channel, [N, C] (with `keepDims`, [N, C, 1, …]).
public class GlobalPoolingLayer: Layer {
    public let keepDims: Bool
    let spatialRank: Int
    let isMax: Bool
    let expected: String

    init(keepDims: Bool, spatialRank: Int, isMax: Bool, expected: String) {
        self.keepDims = keepDims
        self.spatialRank = spatialRank
        self.isMax = isMax
        self.expected = expected
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == spatialRank + 1 else { throw ShapeError(layer: typeName, "expects per-sample input \(expected), got \(s)") }
        return [s[0]] + (keepDims ? [Int](repeating: 1, count: spatialRank) : [])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == spatialRank + 2, "\(typeName): expects input [N] + \(expected), got \(x.shape)")
        let axes = Array(2..<(2 + spatialRank))
        return isMax ? x.max(alongAxes: axes, keepingDims: keepDims) : x.mean(alongAxes: axes, keepingDims: keepDims)
    }
}

/// Keras `GlobalAveragePooling1D` (channels-first): [N, C, L] → [N, C].
public final class GlobalAveragePooling1D: GlobalPoolingLayer {
    public init(keepDims: Bool = false) { super.init(keepDims: keepDims, spatialRank: 1, isMax: false, expected: "[channels, length]") }
}

/// Keras `GlobalMaxPooling1D` (channels-first): [N, C, L] → [N, C].
public final class GlobalMaxPooling1D: GlobalPoolingLayer {
    public init(keepDims: Bool = false) { super.init(keepDims: keepDims, spatialRank: 1, isMax: true, expected: "[channels, length]") }
}

/// Keras `GlobalAveragePooling2D`: [N, C, H, W] → [N, C].
public final class GlobalAveragePooling2D: GlobalPoolingLayer {
    public init(keepDims: Bool = false) { super.init(keepDims: keepDims, spatialRank: 2, isMax: false, expected: "[channels, height, width]") }
}

/// Keras `GlobalMaxPooling2D`: [N, C, H, W] → [N, C].
public final class GlobalMaxPooling2D: GlobalPoolingLayer {
    public init(keepDims: Bool = false) { super.init(keepDims: keepDims, spatialRank: 2, isMax: true, expected: "[channels, height, width]") }
}

/// Keras `GlobalAveragePooling3D` (channels-first): [N, C, D, H, W] → [N, C].
public final class GlobalAveragePooling3D: GlobalPoolingLayer {
    public init(keepDims: Bool = false) {
        super.init(keepDims: keepDims, spatialRank: 3, isMax: false, expected: "[channels, depth, height, width]")
    }
}

/// Keras `GlobalMaxPooling3D` (channels-first): [N, C, D, H, W] → [N, C].
public final class GlobalMaxPooling3D: GlobalPoolingLayer {
    public init(keepDims: Bool = false) {
        super.init(keepDims: keepDims, spatialRank: 3, isMax: true, expected: "[channels, depth, height, width]")
    }
}
