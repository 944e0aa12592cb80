import Weft

/// Depthwise 2-D convolution (Keras `DepthwiseConv2D`): each input channel is convolved with its
/// own `depthMultiplier` filters, a `conv2d` with groups = channels. `weight` is
/// [C·depthMultiplier, 1, KH, KW] (PyTorch `Conv2d(C, C·m, k, groups=C)`), output channel
/// c·m + j being filter j of input channel c (Keras's order).
public final class DepthwiseConv2D: Layer {
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilation: (Int, Int)
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public var depthwiseRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var depthwiseConstraint: Constraint?
    public var biasConstraint: Constraint?
    public var weight: Parameter?
    public var bias: Parameter?

    public init(kernel: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid, depthMultiplier: Int = 1,
                dilation: (Int, Int) = (1, 1), activation: Activation = .linear, useBias: Bool = true,
                depthwiseInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                depthwiseRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                depthwiseConstraint: Constraint? = nil, biasConstraint: Constraint? = nil) {
        precondition(kernel.0 > 0 && kernel.1 > 0 && depthMultiplier > 0, "DepthwiseConv2D: kernel and depth multiplier must be positive")
        precondition(strides.0 > 0 && strides.1 > 0 && dilation.0 > 0 && dilation.1 > 0, "DepthwiseConv2D: strides and dilation must be positive")
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
        self.depthwiseConstraint = depthwiseConstraint
        self.biasConstraint = biasConstraint
    }

    public convenience init(kernel: Int, strides: Int = 1, padding: Padding = .valid, depthMultiplier: Int = 1,
                            activation: Activation = .linear, useBias: Bool = true) {
        self.init(kernel: (kernel, kernel), strides: (strides, strides), padding: padding, depthMultiplier: depthMultiplier,
                  activation: activation, useBias: useBias)
    }

    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count == 3 else {
            throw ShapeError(layer: "DepthwiseConv2D", "expects per-sample input [channels, height, width], got \(inputShape)")
        }
        let c = inputShape[0]
        let wShape = [c * depthMultiplier, 1, kernelSize.0, kernelSize.1]
        if let wt = weight {
            guard wt.value.shape == wShape else {
                throw ShapeError(layer: "DepthwiseConv2D", "input shape \(inputShape) does not match weight shape \(wt.value.shape) (expected \(wShape))")
            }
        }
        guard let (oh, ow) = conv2dOutputSize(inputShape, kernel: kernelSize, strides: strides, padding: padding, dilation: dilation) else {
            throw ShapeError(layer: "DepthwiseConv2D", "kernel \(kernelSize.0)×\(kernelSize.1) does not fit input shape \(inputShape)")
        }
        if weight == nil {
            // Keras's kernel is (KH, KW, C, m): fan-in C·KH·KW, fan-out m·KH·KW.
            let rf = kernelSize.0 * kernelSize.1
            weight = Parameter(depthwiseInitializer.make(wShape, fanIn: c * rf, fanOut: depthMultiplier * rf))
            if useBias { bias = Parameter(biasInitializer.make([c * depthMultiplier], fanIn: c * rf, fanOut: depthMultiplier * rf)) }
        }
        return [c * depthMultiplier, oh, ow]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "DepthwiseConv2D: expects NCHW input, got \(x.shape)")
        if weight == nil { ensureBuilt(self, x) }
        let fuse = activation == .relu
        let y = conv2d(x, weight: weight!.value, bias: bias?.value, stride: strides, padding: padding, dilation: dilation,
                       groups: x.shape[1], fuseReLU: fuse)
        return fuse ? y : activation.apply(y)
    }
}

/// Output (height, width) of a 2-D convolution of per-sample input [C, H, W]; nil when the kernel does not fit.
func conv2dOutputSize(_ s: Shape, kernel: (Int, Int), strides: (Int, Int), padding: Padding, dilation: (Int, Int)) -> (Int, Int)? {
    let pad = padding.amounts(input: s[1], s[2], kernel: kernel.0, kernel.1, stride: strides.0, strides.1,
                              dilation: dilation.0, dilation.1)
    let p = Conv2DParameters(stride: strides, padding: pad, dilation: dilation)
    let (oh, ow) = p.outputSize(height: s[1], width: s[2], kernelH: kernel.0, kernelW: kernel.1)
    return oh > 0 && ow > 0 ? (oh, ow) : nil
}

/// Depthwise-separable 2-D convolution (Keras `SeparableConv2D`): a depthwise convolution
/// (`depthwise_kernel` [C·depthMultiplier, 1, KH, KW], no bias) followed by a pointwise 1×1
/// convolution (`pointwise_kernel` [filters, C·depthMultiplier, 1, 1]) and the bias [filters].
/// The parameters keep Keras's names.
public final class SeparableConv2D: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilation: (Int, Int)
    public let activation: Activation
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let pointwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public var depthwiseRegularizer: Regularizer?
    public var pointwiseRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var depthwiseConstraint: Constraint?
    public var pointwiseConstraint: Constraint?
    public var biasConstraint: Constraint?
    public var depthwise_kernel: Parameter?
    public var pointwise_kernel: Parameter?
    public var bias: Parameter?

    public init(_ filters: Int, kernel: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                depthMultiplier: Int = 1, dilation: (Int, Int) = (1, 1), activation: Activation = .linear, useBias: Bool = true,
                depthwiseInitializer: Initializer = .glorotUniform, pointwiseInitializer: Initializer = .glorotUniform,
                biasInitializer: Initializer = .zeros, depthwiseRegularizer: Regularizer? = nil,
                pointwiseRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                depthwiseConstraint: Constraint? = nil, pointwiseConstraint: Constraint? = nil, biasConstraint: Constraint? = nil) {
        precondition(filters > 0 && kernel.0 > 0 && kernel.1 > 0 && depthMultiplier > 0,
                     "SeparableConv2D: filters, kernel and depth multiplier must be positive")
        precondition(strides.0 > 0 && strides.1 > 0 && dilation.0 > 0 && dilation.1 > 0, "SeparableConv2D: strides and dilation must be positive")
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
        self.depthwiseConstraint = depthwiseConstraint
        self.pointwiseConstraint = pointwiseConstraint
        self.biasConstraint = biasConstraint
    }

    public convenience init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding = .valid, depthMultiplier: Int = 1,
                            activation: Activation = .linear, useBias: Bool = true) {
        self.init(filters, kernel: (kernel, kernel), strides: (strides, strides), padding: padding, depthMultiplier: depthMultiplier,
                  activation: activation, useBias: useBias)
    }

    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count == 3 else {
            throw ShapeError(layer: "SeparableConv2D", "expects per-sample input [channels, height, width], got \(inputShape)")
        }
        let c = inputShape[0], cm = c * depthMultiplier
        let dShape = [cm, 1, kernelSize.0, kernelSize.1], pShape = [filters, cm, 1, 1]
        if let d = depthwise_kernel, let p = pointwise_kernel {
            guard d.value.shape == dShape, p.value.shape == pShape else {
                throw ShapeError(layer: "SeparableConv2D", "input shape \(inputShape) does not match kernel shapes \(d.value.shape) "
                                 + "and \(p.value.shape) (expected \(dShape) and \(pShape))")
            }
        }
        guard let (oh, ow) = conv2dOutputSize(inputShape, kernel: kernelSize, strides: strides, padding: padding, dilation: dilation) else {
            throw ShapeError(layer: "SeparableConv2D", "kernel \(kernelSize.0)×\(kernelSize.1) does not fit input shape \(inputShape)")
        }
        if depthwise_kernel == nil {
            // Keras: depthwise (KH, KW, C, m), pointwise (1, 1, C·m, filters).
            let rf = kernelSize.0 * kernelSize.1
            depthwise_kernel = Parameter(depthwiseInitializer.make(dShape, fanIn: c * rf, fanOut: depthMultiplier * rf))
            pointwise_kernel = Parameter(pointwiseInitializer.make(pShape, fanIn: cm, fanOut: filters))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: cm, fanOut: filters)) }
        }
        return [filters, oh, ow]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "SeparableConv2D: expects NCHW input, got \(x.shape)")
        if depthwise_kernel == nil { ensureBuilt(self, x) }
        let d = conv2d(x, weight: depthwise_kernel!.value, stride: strides, padding: padding, dilation: dilation, groups: x.shape[1])
        let fuse = activation == .relu
        let y = conv2d(d, weight: pointwise_kernel!.value, bias: bias?.value, fuseReLU: fuse)
        return fuse ? y : activation.apply(y)
    }
}

extension DepthwiseConv2D: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(weight, depthwiseRegularizer), (bias, biasRegularizer)]) }
    public var parameterConstraints: [(Parameter, Constraint)] { pairs([(weight, depthwiseConstraint), (bias, biasConstraint)]) }
}

extension SeparableConv2D: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        pairs([(depthwise_kernel, depthwiseRegularizer), (pointwise_kernel, pointwiseRegularizer), (bias, biasRegularizer)])
    }
    public var parameterConstraints: [(Parameter, Constraint)] {
        pairs([(depthwise_kernel, depthwiseConstraint), (pointwise_kernel, pointwiseConstraint), (bias, biasConstraint)])
    }
}
