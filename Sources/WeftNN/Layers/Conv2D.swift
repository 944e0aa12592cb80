import Weft

/// 2-D convolution over NCHW input with an OIHW `weight` (PyTorch layouts, so that state dicts
/// match), Keras-style arguments and initialisers.
public final class Conv2D: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let dilation: (Int, Int)
    public let groups: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// Penalties added to the training loss (see `regularizationLoss()`).
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    /// Projections applied after each optimizer update (see `applyConstraints()`).
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    /// Keras's `activity_regularizer`: the output's penalty / batch joins the training loss.
    public var activityRegularizer: Regularizer?
    public var weight: Parameter?
    public var bias: Parameter?
    /// Keras's LoRA factors (`enableLoRA(rank:)`): the layer convolves with
    /// weight + (loraAlpha / loraRank)·(B · A), the weight frozen.
    public internal(set) var loraKernelA: Parameter?
    public internal(set) var loraKernelB: Parameter?
    public internal(set) var loraRank: Int?
    public internal(set) var loraAlpha: Double?

    public init(_ filters: Int, kernel: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                dilation: (Int, Int) = (1, 1), groups: Int = 1, activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, activityRegularizer: Regularizer? = nil,
                loraRank: Int? = nil, loraAlpha: Double? = nil) {
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha ?? loraRank.map(Double.init)
        precondition(filters > 0 && kernel.0 > 0 && kernel.1 > 0, "Conv2D: filters and kernel must be positive")
        self.activityRegularizer = activityRegularizer
        self.filters = filters
        self.kernelSize = kernel
        self.strides = strides
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
    }

    public convenience init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding = .valid,
                            activation: Activation = .linear, useBias: Bool = true) {
        self.init(filters, kernel: (kernel, kernel), strides: (strides, strides), padding: padding, activation: activation, useBias: useBias)
    }

    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count == 3 else {
            throw ShapeError(layer: "Conv2D", "expects per-sample input [channels, height, width], got \(inputShape)")
        }
        let c = inputShape[0], h = inputShape[1], w = inputShape[2]
        guard c % groups == 0, filters % groups == 0 else {
            throw ShapeError(layer: "Conv2D", "\(groups) groups do not divide \(c) input channels and \(filters) filters")
        }
        let wShape = [filters, c / groups, kernelSize.0, kernelSize.1]
        if let wt = weight {
            guard wt.value.shape == wShape else {
                throw ShapeError(layer: "Conv2D", "input shape \(inputShape) does not match weight shape \(wt.value.shape) (expected \(wShape))")
            }
        }
        let pad = padding.amounts(input: h, w, kernel: kernelSize.0, kernelSize.1, stride: strides.0, strides.1,
                                  dilation: dilation.0, dilation.1)
        let p = Conv2DParameters(stride: strides, padding: pad, dilation: dilation, groups: groups)
        let (oh, ow) = p.outputSize(height: h, width: w, kernelH: kernelSize.0, kernelW: kernelSize.1)
        guard oh > 0, ow > 0 else {
            throw ShapeError(layer: "Conv2D", "kernel \(kernelSize.0)×\(kernelSize.1) does not fit input shape \(inputShape)")
        }
        if weight == nil {
            let rf = kernelSize.0 * kernelSize.1
            weight = Parameter(kernelInitializer.make(wShape, fanIn: c / groups * rf, fanOut: filters * rf))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: c / groups * rf, fanOut: filters * rf)) }
            if let r = loraRank { try enableLoRA(rank: r, alpha: loraAlpha) }
        }
        return [filters, oh, ow]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if weight == nil { ensureBuilt(self, x) }
        let fuse = activation == .relu
        let y = conv2d(x, weight: loraKernelA == nil ? weight!.value : effectiveWeight!, bias: bias?.value, stride: strides, padding: padding, dilation: dilation,
                       groups: groups, fuseReLU: fuse)
        let out = fuse ? y : activation.apply(y)
        addActivityLoss(activityRegularizer, out)
        return out
    }
}
