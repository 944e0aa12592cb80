import Weft

/// How `Conv1D` pads its input along the length axis (Keras `padding`).
public enum Padding1D: Hashable, Sendable {
    /// No padding.
    case valid
    /// Output length = ceil(length / stride); the extra element goes to the right (Keras/TensorFlow).
    case same
    /// Left padding of `dilation·(kernel − 1)` zeros, so that output t sees only inputs ≤ t (Keras `"causal"`).
    case causal
}

/// 1-D convolution over [N, C, L] input (channels-first, like `Conv2D`) with a [O, C/groups, K]
/// `weight` (PyTorch `Conv1d` layout) and Keras-style arguments. Runs as a 2-D convolution of
/// the input viewed as [N, C, 1, L].
public final class Conv1D: Layer {
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: Padding1D
    public let dilation: Int
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

    public init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding1D = .valid, dilation: Int = 1,
                groups: Int = 1, activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, activityRegularizer: Regularizer? = nil,
                loraRank: Int? = nil, loraAlpha: Double? = nil) {
        precondition(filters > 0 && kernel > 0, "Conv1D: filters and kernel must be positive")
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha ?? loraRank.map(Double.init)
        self.activityRegularizer = activityRegularizer
        precondition(strides > 0 && dilation > 0 && groups > 0, "Conv1D: strides, dilation and groups must be positive")
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

    /// (left, right) padding for an input of `length`.
    func paddingAmounts(length: Int) -> (Int, Int) {
        switch padding {
        case .valid: return (0, 0)
        case .causal: return (dilation * (kernelSize - 1), 0)
        case .same:
            let p = Padding.same.amounts(input: 1, length, kernel: 1, kernelSize, stride: 1, strides, dilation: 1, dilation)
            return (p.left, p.right)
        }
    }

    /// Output length for an input of `length` (≤ 0 when the kernel does not fit).
    func outputLength(_ length: Int) -> Int {
        let (l, r) = paddingAmounts(length: length)
        let span = dilation * (kernelSize - 1) + 1
        let padded = length + l + r
        return padded < span ? 0 : (padded - span) / strides + 1
    }

    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count == 2 else {
            throw ShapeError(layer: "Conv1D", "expects per-sample input [channels, length], got \(inputShape)")
        }
        let c = inputShape[0], length = inputShape[1]
        guard c % groups == 0, filters % groups == 0 else {
            throw ShapeError(layer: "Conv1D", "\(groups) groups do not divide \(c) input channels and \(filters) filters")
        }
        let wShape = [filters, c / groups, kernelSize]
        if let wt = weight {
            guard wt.value.shape == wShape else {
                throw ShapeError(layer: "Conv1D", "input shape \(inputShape) does not match weight shape \(wt.value.shape) (expected \(wShape))")
            }
        }
        let ol = outputLength(length)
        guard ol > 0 else {
            throw ShapeError(layer: "Conv1D", "kernel \(kernelSize) (dilation \(dilation)) does not fit input shape \(inputShape)")
        }
        if weight == nil {
            weight = Parameter(kernelInitializer.make(wShape, fanIn: c / groups * kernelSize, fanOut: filters * kernelSize))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: c / groups * kernelSize, fanOut: filters * kernelSize)) }
            if let r = loraRank { try enableLoRA(rank: r, alpha: loraAlpha) }
        }
        return [filters, ol]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "Conv1D: expects [N, C, L] input, got \(x.shape)")
        if weight == nil { ensureBuilt(self, x) }
        let n = x.shape[0], c = x.shape[1], length = x.shape[2]
        var x4 = x.reshaped(to: [n, c, 1, length])
        let (l, r) = paddingAmounts(length: length)
        if l != 0 || r != 0 { x4 = x4.padded(before: [0, 0, 0, l], after: [0, 0, 0, r]) }
        let w = loraKernelA == nil ? weight!.value : effectiveWeight!
        let w4 = w.reshaped(to: [w.shape[0], w.shape[1], 1, w.shape[2]])
        let fuse = activation == .relu
        let y = conv2d(x4, weight: w4, bias: bias?.value, stride: (1, strides), padding: .valid, dilation: (1, dilation),
                       groups: groups, fuseReLU: fuse)
        let y3 = y.reshaped(to: [n, y.shape[1], y.shape[3]])
        let out = fuse ? y3 : activation.apply(y3)
        addActivityLoss(activityRegularizer, out)
        return out
    }
}

extension Conv1D: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        pairs([(weight, kernelRegularizer), (bias, biasRegularizer), (loraKernelA, kernelRegularizer), (loraKernelB, kernelRegularizer)])
    }
    public var parameterConstraints: [(Parameter, Constraint)] { pairs([(weight, kernelConstraint), (bias, biasConstraint)]) }
}
