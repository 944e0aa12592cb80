import Weft

// Keras's 1-D depthwise and depthwise-separable convolutions over [N, C, L] (channels-first,
// like Conv1D), run as the 2-D convolutions of the input viewed as [N, C, 1, L].

/// Checks a [C, L] per-sample input of a 1-D layer; returns C and the output length.
func conv1dGeometry(_ layer: String, _ s: Shape, kernel: Int, strides: Int, padding: Padding1D, dilation: Int) throws -> (Int, Int) {
    guard s.count == 2 else { throw ShapeError(layer: layer, "expects per-sample input [channels, length], got \(s)") }
    guard let (_, ow) = conv2dOutputSize([s[0], 1, s[1]], kernel: (1, kernel), strides: (1, strides), padding: padding == .same ? .same : .valid,
                                         dilation: (1, dilation)) else {
        throw ShapeError(layer: layer, "kernel \(kernel) does not fit input shape \(s)")
    }
    return (s[0], ow)
}

/// Keras `DepthwiseConv1D`: each input channel convolved with its own `depthMultiplier`
/// filters; `weight` [C·m, 1, K] (output channel c·m + j is filter j of channel c), bias [C·m].
public final class DepthwiseConv1D: Layer {
    public let kernelSize: Int
    public let strides: Int
    public let padding: Padding1D
    public let depthMultiplier: Int
    public let dilation: Int
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public var depthwiseRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var weight: Parameter?
    public var bias: Parameter?

    public init(kernel: Int, strides: Int = 1, padding: Padding1D = .valid, depthMultiplier: Int = 1, dilation: Int = 1,
                activation: Activation = .linear, useBias: Bool = true, depthwiseInitializer: Initializer = .glorotUniform,
                biasInitializer: Initializer = .zeros, depthwiseRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil) {
        precondition(kernel > 0 && strides > 0 && dilation > 0 && depthMultiplier > 0,
                     "DepthwiseConv1D: kernel, strides, dilation and depth multiplier must be positive")
        precondition(padding != .causal, "DepthwiseConv1D: padding must be .valid or .same, as Keras's")
        self.kernelSize = kernel
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilation = dilation
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.biasInitializer = biasInitializer
        self.depthwiseRegularizer = depthwiseRegularizer
        self.biasRegularizer = biasRegularizer
    }

    public func build(inputShape: Shape) throws -> Shape {
        let (c, length) = try conv1dGeometry("DepthwiseConv1D", inputShape, kernel: kernelSize, strides: strides, padding: padding, dilation: dilation)
        let wShape = [c * depthMultiplier, 1, kernelSize]
        if let w = weight, w.value.shape != wShape {
            throw ShapeError(layer: "DepthwiseConv1D", "input shape \(inputShape) does not match weight shape \(w.value.shape) (expected \(wShape))")
        }
        if weight == nil {
            // Keras's kernel is (K, C, m): fan-in C·K, fan-out m·K.
            weight = Parameter(depthwiseInitializer.make(wShape, fanIn: c * kernelSize, fanOut: depthMultiplier * kernelSize))
            if useBias { bias = Parameter(biasInitializer.make([c * depthMultiplier], fanIn: c * kernelSize, fanOut: depthMultiplier * kernelSize)) }
        }
        return [c * depthMultiplier, length]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "DepthwiseConv1D: expects [N, C, L] input, got \(x.shape)")
        if weight == nil { ensureBuilt(self, x) }
        let w = weight!.value
        let y = conv2d(x.reshaped(to: [x.shape[0], x.shape[1], 1, x.shape[2]]), weight: w.reshaped(to: [w.shape[0], 1, 1, w.shape[2]]),
                       bias: bias?.value, stride: (1, strides), padding: padding == .same ? .same : .valid, dilation: (1, dilation),
                       groups: x.shape[1])
        return activation.apply(y.reshaped(to: [y.shape[0], y.shape[1], y.shape[3]]))
    }
}

/// Keras `SeparableConv1D`: a depthwise convolution (`depthwise_kernel` [C·m, 1, K], no bias),
/// then a pointwise one (`pointwise_kernel` [filters, C·m, 1]) and the bias [filters].
public final class SeparableConv1D: Layer {
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: Padding1D
    public let depthMultiplier: Int
    public let dilation: Int
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let pointwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public var depthwiseRegularizer: Regularizer?
    public var pointwiseRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var depthwise_kernel: Parameter?
    public var pointwise_kernel: Parameter?
    public var bias: Parameter?

    public init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding1D = .valid, depthMultiplier: Int = 1, dilation: Int = 1,
                activation: Activation = .linear, useBias: Bool = true, depthwiseInitializer: Initializer = .glorotUniform,
                pointwiseInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                depthwiseRegularizer: Regularizer? = nil, pointwiseRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil) {
        precondition(filters > 0 && kernel > 0 && strides > 0 && dilation > 0 && depthMultiplier > 0,
                     "SeparableConv1D: filters, kernel, strides, dilation and depth multiplier must be positive")
        precondition(padding != .causal, "SeparableConv1D: padding must be .valid or .same, as Keras's")
        self.filters = filters
        self.kernelSize = kernel
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilation = dilation
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.pointwiseInitializer = pointwiseInitializer
        self.biasInitializer = biasInitializer
        self.depthwiseRegularizer = depthwiseRegularizer
        self.pointwiseRegularizer = pointwiseRegularizer
        self.biasRegularizer = biasRegularizer
    }

    public func build(inputShape: Shape) throws -> Shape {
        let (c, length) = try conv1dGeometry("SeparableConv1D", inputShape, kernel: kernelSize, strides: strides, padding: padding, dilation: dilation)
        let cm = c * depthMultiplier
        let dShape = [cm, 1, kernelSize], pShape = [filters, cm, 1]
        if let d = depthwise_kernel, let p = pointwise_kernel, d.value.shape != dShape || p.value.shape != pShape {
            throw ShapeError(layer: "SeparableConv1D", "input shape \(inputShape) does not match kernel shapes \(d.value.shape) "
                             + "and \(p.value.shape) (expected \(dShape) and \(pShape))")
        }
        if depthwise_kernel == nil {
            // Keras: depthwise (K, C, m), pointwise (1, C·m, filters).
            depthwise_kernel = Parameter(depthwiseInitializer.make(dShape, fanIn: c * kernelSize, fanOut: depthMultiplier * kernelSize))
            pointwise_kernel = Parameter(pointwiseInitializer.make(pShape, fanIn: cm, fanOut: filters))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: cm, fanOut: filters)) }
        }
        return [filters, length]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "SeparableConv1D: expects [N, C, L] input, got \(x.shape)")
        if depthwise_kernel == nil { ensureBuilt(self, x) }
        let d = depthwise_kernel!.value, p = pointwise_kernel!.value
        let x4 = x.reshaped(to: [x.shape[0], x.shape[1], 1, x.shape[2]])
        let h = conv2d(x4, weight: d.reshaped(to: [d.shape[0], 1, 1, d.shape[2]]), stride: (1, strides),
                       padding: padding == .same ? .same : .valid, dilation: (1, dilation), groups: x.shape[1])
        let y = conv2d(h, weight: p.reshaped(to: [p.shape[0], p.shape[1], 1, 1]), bias: bias?.value)
        return activation.apply(y.reshaped(to: [y.shape[0], y.shape[1], y.shape[3]]))
    }
}

extension DepthwiseConv1D: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(weight, depthwiseRegularizer), (bias, biasRegularizer)]) }
    public var parameterConstraints: [(Parameter, Constraint)] { [] }
}

extension SeparableConv1D: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        pairs([(depthwise_kernel, depthwiseRegularizer), (pointwise_kernel, pointwiseRegularizer), (bias, biasRegularizer)])
    }
    public var parameterConstraints: [(Parameter, Constraint)] { [] }
}
