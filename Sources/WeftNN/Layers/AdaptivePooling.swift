import Weft

// Keras 3's (and PyTorch's) adaptive pooling layers on channels-first input: a fixed output size
// whatever the input size, windows ⌊i·L/O⌋ ..< ⌈(i+1)·L/O⌉ per axis.

/// The shared part: the spatial rank, the output size, average or max.
public class AdaptivePoolingLayer: Layer {
    public let outputSize: [Int]
    let isMax: Bool
    let name: String

    init(_ outputSize: [Int], spatial: Int, isMax: Bool, name: String) {
        precondition(outputSize.count == spatial && outputSize.allSatisfy { $0 > 0 },
                     "\(name): outputSize needs \(spatial) positive sizes, got \(outputSize)")
        self.outputSize = outputSize
        self.isMax = isMax
        self.name = name
    }

    public var typeName: String { name }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == outputSize.count + 1 else {
            throw ShapeError(layer: name, "expects per-sample input [channels, \(outputSize.count) spatial axes], got \(s)")
        }
        return [s[0]] + outputSize
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        isMax ? adaptiveMaxPool(x, outputSize: outputSize) : adaptiveAvgPool(x, outputSize: outputSize)
    }
}

/// Keras `AdaptiveAveragePooling1D` on [N, C, L] → [N, C, outputSize].
public final class AdaptiveAveragePooling1D: AdaptivePoolingLayer {
    public init(_ outputSize: Int) { super.init([outputSize], spatial: 1, isMax: false, name: "AdaptiveAveragePooling1D") }
}
/// Keras `AdaptiveAveragePooling2D` on [N, C, H, W] → [N, C, h, w].
public final class AdaptiveAveragePooling2D: AdaptivePoolingLayer {
    public init(_ outputSize: (Int, Int)) { super.init([outputSize.0, outputSize.1], spatial: 2, isMax: false, name: "AdaptiveAveragePooling2D") }
    public convenience init(_ outputSize: Int) { self.init((outputSize, outputSize)) }
}
/// Keras `AdaptiveAveragePooling3D` on [N, C, D, H, W] → [N, C, d, h, w].
public final class AdaptiveAveragePooling3D: AdaptivePoolingLayer {
    public init(_ outputSize: (Int, Int, Int)) {
        super.init([outputSize.0, outputSize.1, outputSize.2], spatial: 3, isMax: false, name: "AdaptiveAveragePooling3D")
    }
    public convenience init(_ outputSize: Int) { self.init((outputSize, outputSize, outputSize)) }
}
/// Keras `AdaptiveMaxPooling1D`.
public final class AdaptiveMaxPooling1D: AdaptivePoolingLayer {
    public init(_ outputSize: Int) { super.init([outputSize], spatial: 1, isMax: true, name: "AdaptiveMaxPooling1D") }
}
/// Keras `AdaptiveMaxPooling2D`.
public final class AdaptiveMaxPooling2D: AdaptivePoolingLayer {
    public init(_ outputSize: (Int, Int)) { super.init([outputSize.0, outputSize.1], spatial: 2, isMax: true, name: "AdaptiveMaxPooling2D") }
    public convenience init(_ outputSize: Int) { self.init((outputSize, outputSize)) }
}
/// Keras `AdaptiveMaxPooling3D`.
public final class AdaptiveMaxPooling3D: AdaptivePoolingLayer {
    public init(_ outputSize: (Int, Int, Int)) {
        super.init([outputSize.0, outputSize.1, outputSize.2], spatial: 3, isMax: true, name: "AdaptiveMaxPooling3D")
    }
    public convenience init(_ outputSize: Int) { self.init((outputSize, outputSize, outputSize)) }
}

// Keras's other names for layers Weft has.
public typealias Convolution1D = Conv1D
public typealias Convolution2D = Conv2D
public typealias Convolution3D = Conv3D
public typealias Convolution1DTranspose = Conv1DTranspose
public typealias Convolution2DTranspose = Conv2DTranspose
public typealias Convolution3DTranspose = Conv3DTranspose
public typealias SeparableConvolution1D = SeparableConv1D
public typealias SeparableConvolution2D = SeparableConv2D
public typealias GlobalAvgPool1D = GlobalAveragePooling1D
public typealias GlobalAvgPool2D = GlobalAveragePooling2D
public typealias GlobalAvgPool3D = GlobalAveragePooling3D
public typealias GlobalMaxPool1D = GlobalMaxPooling1D
public typealias GlobalMaxPool2D = GlobalMaxPooling2D
public typealias GlobalMaxPool3D = GlobalMaxPooling3D
public typealias MaxPooling1D = MaxPool1D
public typealias MaxPooling2D = MaxPool2D
public typealias AveragePooling1D = AvgPool1D
public typealias AveragePooling2D = AvgPool2D
