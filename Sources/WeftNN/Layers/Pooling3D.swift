import Weft

/// 3-D pooling over [N, C, D, H, W] input; the stride defaults to the pool size, as in Keras.
public class Pooling3D: Layer {
    public let poolSize: (Int, Int, Int)
    public let strides: (Int, Int, Int)
    public let padding: Padding3D
    let isMax: Bool

    init(max: Bool, _ poolSize: (Int, Int, Int), strides: (Int, Int, Int)?, padding: Padding3D) {
        let s = strides ?? poolSize
        precondition(poolSize.0 > 0 && poolSize.1 > 0 && poolSize.2 > 0 && s.0 > 0 && s.1 > 0 && s.2 > 0,
                     "Pooling3D: pool size and strides must be positive")
        self.isMax = max
        self.poolSize = poolSize
        self.strides = s
        self.padding = padding
    }

    public var typeName: String { isMax ? "MaxPooling3D" : "AveragePooling3D" }

    public func build(inputShape s: Shape) throws -> Shape {
        let name = isMax ? "MaxPool3D" : "AvgPool3D"
        guard s.count == 4 else { throw ShapeError(layer: name, "expects per-sample input [channels, depth, height, width], got \(s)") }
        let k = [poolSize.0, poolSize.1, poolSize.2]
        let spatial = Array(s[1...])
        let pad = padding.amounts(input: spatial, kernel: k, stride: [strides.0, strides.1, strides.2])
        guard (0..<3).allSatisfy({ pad.before[$0] < k[$0] && pad.after[$0] < k[$0] }) else {
            throw ShapeError(layer: name, "padding \(padding) must be smaller than the pool size \(poolSize) (input shape \(s))")
        }
        let p = Pool3DParameters(kind: .max, kernel: poolSize, stride: strides, padBefore: pad.before, padAfter: pad.after)
        let out = p.outputSize(input: spatial)
        guard out.allSatisfy({ $0 > 0 }) else {
            throw ShapeError(layer: name, "pool size \(poolSize.0)×\(poolSize.1)×\(poolSize.2) does not fit input shape \(s)")
        }
        return [s[0]] + out
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        isMax ? maxPool3d(x, kernel: poolSize, stride: strides, padding: padding)
              : avgPool3d(x, kernel: poolSize, stride: strides, padding: padding)
    }
}

/// Max pooling (Keras `MaxPooling3D`).
public final class MaxPool3D: Pooling3D {
    public init(_ poolSize: (Int, Int, Int) = (2, 2, 2), strides: (Int, Int, Int)? = nil, padding: Padding3D = .valid) {
        super.init(max: true, poolSize, strides: strides, padding: padding)
    }
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding3D = .valid) {
        self.init((poolSize, poolSize, poolSize), strides: strides.map { ($0, $0, $0) }, padding: padding)
    }
}

/// Average pooling (Keras `AveragePooling3D`; padded cells are left out of the average).
public final class AvgPool3D: Pooling3D {
    public init(_ poolSize: (Int, Int, Int) = (2, 2, 2), strides: (Int, Int, Int)? = nil, padding: Padding3D = .valid) {
        super.init(max: false, poolSize, strides: strides, padding: padding)
    }
    public convenience init(_ poolSize: Int, strides: Int? = nil, padding: Padding3D = .valid) {
        self.init((poolSize, poolSize, poolSize), strides: strides.map { ($0, $0, $0) }, padding: padding)
    }
}

/// Keras's name for `MaxPool3D`.
public typealias MaxPooling3D = MaxPool3D
/// Keras's name for `AvgPool3D`.
public typealias AveragePooling3D = AvgPool3D

