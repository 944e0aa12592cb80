import Weft

/// 2-D pooling over NCHW input; the stride defaults to the pool size, as in Keras.
public class Pooling2D: Layer {
    public let poolSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    let isMax: Bool

    init(max: Bool, _ poolSize: (Int, Int), strides: (Int, Int)?, padding: Padding) {
        self.isMax = max
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
    }

    public var typeName: String { isMax ? "MaxPooling2D" : "AveragePooling2D" }

    public func build(inputShape s: Shape) throws -> Shape {
        let name = isMax ? "MaxPool2D" : "AvgPool2D"
        guard s.count == 3 else { throw ShapeError(layer: name, "expects per-sample input [channels, height, width], got \(s)") }
        let pad = padding.amounts(input: s[1], s[2], kernel: poolSize.0, poolSize.1, stride: strides.0, strides.1)
        let p = Pool2DParameters(kind: .max, kernel: poolSize, stride: strides, padding: pad)
        let (oh, ow) = p.outputSize(height: s[1], width: s[2])
        guard oh > 0, ow > 0 else { throw ShapeError(layer: name, "pool size \(poolSize.0)×\(poolSize.1) does not fit input shape \(s)") }
        return [s[0], oh, ow]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        isMax ? maxPool2d(x, kernel: poolSize, stride: strides, padding: padding)
              : avgPool2d(x, kernel: poolSize, stride: strides, padding: padding)
    }
}

/// Max pooling (Keras `MaxPooling2D`).
public final class MaxPool2D: Pooling2D {
    public init(_ poolSize: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) {
        super.init(max: true, poolSize, strides: strides, padding: padding)
    }
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        self.init((poolSize, poolSize), strides: strides.map { ($0, $0) }, padding: padding)
    }
}

/// Average pooling (Keras `AveragePooling2D`; padded cells are left out of the average).
public final class AvgPool2D: Pooling2D {
    public init(_ poolSize: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) {
        super.init(max: false, poolSize, strides: strides, padding: padding)
    }
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        self.init((poolSize, poolSize), strides: strides.map { ($0, $0) }, padding: padding)
    }
}
