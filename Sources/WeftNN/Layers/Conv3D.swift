import Weft

/// 3-D convolution over [N, C, D, H, W] input (channels-first, like `Conv2D`) with an
/// [O, C/groups, KD, KH, KW] `weight` (PyTorch `Conv3d` layout) and Keras-style arguments.
public final class Conv3D: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int, Int)
    public let strides: (Int, Int, Int)
    public let padding: Padding3D
    public let dilation: (Int, Int, Int)
    public let groups: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
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

    public init(_ filters: Int, kernel: (Int, Int, Int), strides: (Int, Int, Int) = (1, 1, 1), padding: Padding3D = .valid,
                dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1, activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, activityRegularizer: Regularizer? = nil,
                loraRank: Int? = nil, loraAlpha: Double? = nil) {
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha ?? loraRank.map(Double.init)
        precondition(filters > 0 && kernel.0 > 0 && kernel.1 > 0 && kernel.2 > 0, "Conv3D: filters and kernel must be positive")
        self.activityRegularizer = activityRegularizer
        precondition(strides.0 > 0 && strides.1 > 0 && strides.2 > 0 && dilation.0 > 0 && dilation.1 > 0 && dilation.2 > 0 && groups > 0,
                     "Conv3D: strides, dilation and groups must be positive")
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

    public convenience init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding3D = .valid,
                            activation: Activation = .linear, useBias: Bool = true) {
        self.init(filters, kernel: (kernel, kernel, kernel), strides: (strides, strides, strides), padding: padding,
                  activation: activation, useBias: useBias)
    }

    var kernelArray: [Int] { [kernelSize.0, kernelSize.1, kernelSize.2] }

    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count == 4 else {
            throw ShapeError(layer: "Conv3D", "expects per-sample input [channels, depth, height, width], got \(inputShape)")
        }
        let c = inputShape[0]
        guard c % groups == 0, filters % groups == 0 else {
            throw ShapeError(layer: "Conv3D", "\(groups) groups do not divide \(c) input channels and \(filters) filters")
        }
        let wShape = [filters, c / groups] + kernelArray
        if let wt = weight {
            guard wt.value.shape == wShape else {
                throw ShapeError(layer: "Conv3D", "input shape \(inputShape) does not match weight shape \(wt.value.shape) (expected \(wShape))")
            }
        }
        let spatial = Array(inputShape[1...])
        let st = [strides.0, strides.1, strides.2], dl = [dilation.0, dilation.1, dilation.2]
        let pad = padding.amounts(input: spatial, kernel: kernelArray, stride: st, dilation: dl)
        let p = Conv3DParameters(stride: strides, padBefore: pad.before, padAfter: pad.after, dilation: dilation, groups: groups)
        let out = p.outputSize(input: spatial, kernel: kernelArray)
        guard out.allSatisfy({ $0 > 0 }) else {
            throw ShapeError(layer: "Conv3D", "kernel \(kernelSize.0)×\(kernelSize.1)×\(kernelSize.2) does not fit input shape \(inputShape)")
        }
        if weight == nil {
            let rf = kernelArray.reduce(1, *)
            weight = Parameter(kernelInitializer.make(wShape, fanIn: c / groups * rf, fanOut: filters * rf))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: c / groups * rf, fanOut: filters * rf)) }
            if let r = loraRank { try enableLoRA(rank: r, alpha: loraAlpha) }
        }
        return [filters] + out
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 5, "Conv3D: expects [N, C, D, H, W] input, got \(x.shape)")
        if weight == nil { ensureBuilt(self, x) }
        let y = activation.apply(conv3d(x, weight: loraKernelA == nil ? weight!.value : effectiveWeight!, bias: bias?.value, stride: strides, padding: padding, dilation: dilation, groups: groups))
        addActivityLoss(activityRegularizer, y)
        return y
    }
}

/// `c` with its default axes (`nil`: "each output unit's incoming weights") made explicit for a
/// weight layout where that is not Weft's rank-based default.
func constraint(_ c: Constraint?, defaultAxes axes: [Int]) -> Constraint? {
    guard let c else { return nil }
    switch c {
    case .maxNorm(let m, nil): return .maxNorm(m, axes: axes)
    case .unitNorm(nil): return .unitNorm(axes: axes)
    case .minMaxNorm(let lo, let hi, let rate, nil): return .minMaxNorm(min: lo, max: hi, rate: rate, axes: axes)
    default: return c
    }
}

/// Pairs each parameter with its regularizer or constraint, leaving out the unset ones.
func pairs<T>(_ items: [(Parameter?, T?)]) -> [(Parameter, T)] {
    items.compactMap { p, r in p.flatMap { p in r.map { (p, $0) } } }
}

extension Conv3D: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        pairs([(weight, kernelRegularizer), (bias, biasRegularizer), (loraKernelA, kernelRegularizer), (loraKernelB, kernelRegularizer)])
    }
    /// Norm constraints default to each filter's weights (axes 1–4 of [O, C/g, KD, KH, KW]).
    public var parameterConstraints: [(Parameter, Constraint)] {
        pairs([(weight, constraint(kernelConstraint, defaultAxes: [1, 2, 3, 4])), (bias, biasConstraint)])
    }
}
