import Weft

/// Activation functions by their Keras names.
public enum Activation: Hashable, Sendable {
    case linear, relu, sigmoid, tanh, softmax, logSoftmax, elu, selu, gelu, geluTanh, silu, softplus, hardSigmoid
    case leakyRelu(Double)

    public func apply(_ x: Tensor) -> Tensor {
        switch self {
        case .linear: return x
        case .relu: return Weft.relu(x)
        case .sigmoid: return Weft.sigmoid(x)
        case .tanh: return Weft.tanh(x)
        case .softmax: return x.softmax(axis: -1)
        case .logSoftmax: return x.logSoftmax(axis: -1)
        case .elu: return Weft.elu(x)
        case .selu: return Weft.selu(x)
        case .gelu: return Weft.gelu(x)
        case .geluTanh: return Weft.gelu(x, approximate: true)
        case .silu: return Weft.silu(x)
        case .softplus: return Weft.softplus(x)
        case .hardSigmoid: return Weft.hardSigmoid(x)
        case .leakyRelu(let a): return Weft.leakyRelu(x, alpha: a)
        }
    }
}

/// A layer applying an activation function.
public final class ActivationLayer: Layer {
    public let activation: Activation
    public init(_ activation: Activation) { self.activation = activation }
    public func callAsFunction(_ x: Tensor) -> Tensor { activation.apply(x) }
    public func build(inputShape: Shape) throws -> Shape { inputShape }
    public var typeName: String { "Activation" }
}
