import Weft

/// Max pooling over NCHW input (stride defaults to the pool size, as Keras).
public final class MaxPool2D: Layer {
    public let poolSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding

    public init(_ poolSize: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
    }
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        self.init((poolSize, poolSize), strides: strides.map { ($0, $0) }, padding: padding)
    }

    public var typeName: String { "MaxPooling2D" }
    public func build(inputShape: Shape) throws -> Shape { try poolOutputShape("MaxPool2D", inputShape, poolSize, strides, padding) }
    public func callAsFunction(_ x: Tensor) -> Tensor { maxPool2d(x, kernel: poolSize, stride: strides, padding: padding) }
}

/// Average pooling over NCHW input.
public final class AvgPool2D: Layer {
    public let poolSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding

    public init(_ poolSize: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
    }
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        self.init((poolSize, poolSize), strides: strides.map { ($0, $0) }, padding: padding)
    }

    public var typeName: String { "AveragePooling2D" }
    public func build(inputShape: Shape) throws -> Shape { try poolOutputShape("AvgPool2D", inputShape, poolSize, strides, padding) }
    public func callAsFunction(_ x: Tensor) -> Tensor { avgPool2d(x, kernel: poolSize, stride: strides, padding: padding) }
}

func poolOutputShape(_ name: String, _ s: Shape, _ k: (Int, Int), _ st: (Int, Int), _ padding: Padding) throws -> Shape {
    guard s.count == 3 else { throw ShapeError(layer: name, "expects per-sample input [channels, height, width], got \(s)") }
    let oh: Int, ow: Int
    switch padding {
    case .same: oh = (s[1] + st.0 - 1) / st.0; ow = (s[2] + st.1 - 1) / st.1
    case .valid: oh = (s[1] - k.0) / st.0 + 1; ow = (s[2] - k.1) / st.1 + 1
    case .explicit(let a, let b): oh = (s[1] + 2 * a - k.0) / st.0 + 1; ow = (s[2] + 2 * b - k.1) / st.1 + 1
    }
    guard oh > 0, ow > 0, s[1] + 0 >= 1 else { throw ShapeError(layer: name, "pool size \(k.0)×\(k.1) does not fit input shape \(s)") }
    if case .valid = padding, s[1] < k.0 || s[2] < k.1 { throw ShapeError(layer: name, "pool size \(k.0)×\(k.1) does not fit input shape \(s)") }
    return [s[0], oh, ow]
}
