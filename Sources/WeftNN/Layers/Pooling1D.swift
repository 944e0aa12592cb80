import Weft

/// 1-D pooling over [N, C, L] input; the stride defaults to the pool size, as in Keras.
/// Runs as 2-D pooling of the input viewed as [N, C, 1, L].
public class Pooling1D: Layer {
    public let poolSize: Int
    public let strides: Int
    public let padding: Padding
    let isMax: Bool

    init(max: Bool, _ poolSize: Int, strides: Int?, padding: Padding) {
        precondition(poolSize > 0 && (strides ?? 1) > 0, "Pooling1D: pool size and strides must be positive")
        if case .explicit = padding { preconditionFailure("Pooling1D: padding must be .valid or .same") }
        self.isMax = max
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
    }

    public var typeName: String { isMax ? "MaxPooling1D" : "AveragePooling1D" }

    func outputLength(_ length: Int) -> Int {
        switch padding {
        case .same: return (length + strides - 1) / strides
        default: return length < poolSize ? 0 : (length - poolSize) / strides + 1
        }
    }

    public func build(inputShape s: Shape) throws -> Shape {
        let name = isMax ? "MaxPool1D" : "AvgPool1D"
        guard s.count == 2 else { throw ShapeError(layer: name, "expects per-sample input [channels, length], got \(s)") }
        let ol = outputLength(s[1])
        guard ol > 0 else { throw ShapeError(layer: name, "pool size \(poolSize) does not fit input shape \(s)") }
        return [s[0], ol]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "\(typeName): expects [N, C, L] input, got \(x.shape)")
        let n = x.shape[0], c = x.shape[1], length = x.shape[2]
        let x4 = x.reshaped(to: [n, c, 1, length])
        let y = isMax ? maxPool2d(x4, kernel: (1, poolSize), stride: (1, strides), padding: padding)
                      : avgPool2d(x4, kernel: (1, poolSize), stride: (1, strides), padding: padding)
        return y.reshaped(to: [n, c, y.shape[3]])
    }
}

/// Max pooling (Keras `MaxPooling1D`).
public final class MaxPool1D: Pooling1D {
    public init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        super.init(max: true, poolSize, strides: strides, padding: padding)
    }
}

/// Average pooling (Keras `AveragePooling1D`; padded cells are left out of the average).
public final class AvgPool1D: Pooling1D {
    public init(_ poolSize: Int, strides: Int? = nil, padding: Padding = .valid) {
        super.init(max: false, poolSize, strides: strides, padding: padding)
    }
}

