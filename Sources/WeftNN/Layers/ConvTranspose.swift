import Weft

/// Transposed 2-D convolution (Keras `Conv2DTranspose`) over NCHW input, with a
/// [C_in, filters, KH, KW] `weight` (PyTorch `ConvTranspose2d` layout). Output sizes follow Keras:
/// `.same` gives input·stride, `.valid` input·stride + max(kernel − stride, 0); with
/// `outputPadding`, (input − 1)·stride + kernel − 2·pad + outputPadding (pad = kernel/2 for
/// `.same`, 0 for `.valid`). `.explicit(ph, pw)` is PyTorch's `padding`.
public final class Conv2DTranspose: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let outputPadding: (Int, Int)?
    public let dilation: (Int, Int)
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    public var weight: Parameter?
    public var bias: Parameter?

    public init(_ filters: Int, kernel: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                outputPadding: (Int, Int)? = nil, dilation: (Int, Int) = (1, 1), activation: Activation = .linear,
                useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil) {
        precondition(filters > 0 && kernel.0 > 0 && kernel.1 > 0, "Conv2DTranspose: filters and kernel must be positive")
        precondition(strides.0 > 0 && strides.1 > 0 && dilation.0 > 0 && dilation.1 > 0, "Conv2DTranspose: strides and dilation must be positive")
        if let op = outputPadding {
            precondition(op.0 >= 0 && op.1 >= 0 && op.0 < strides.0 && op.1 < strides.1,
                         "Conv2DTranspose: output padding \(op) must be >= 0 and smaller than the strides \(strides)")
        }
        self.filters = filters
        self.kernelSize = kernel
        self.strides = strides
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
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
            throw ShapeError(layer: "Conv2DTranspose", "expects per-sample input [channels, height, width], got \(inputShape)")
        }
        let c = inputShape[0], h = inputShape[1], w = inputShape[2]
        let wShape = [c, filters, kernelSize.0, kernelSize.1]
        if let wt = weight {
            guard wt.value.shape == wShape else {
                throw ShapeError(layer: "Conv2DTranspose", "input shape \(inputShape) does not match weight shape \(wt.value.shape) (expected \(wShape))")
            }
        }
        let g = convTranspose2dGeometry(input: h, w, kernel: kernelSize.0, kernelSize.1, stride: strides, padding: padding,
                                        outputPadding: outputPadding, dilation: dilation)
        let back = g.parameters.outputSize(height: max(g.height, 0), width: max(g.width, 0), kernelH: kernelSize.0, kernelW: kernelSize.1)
        guard g.height > 0, g.width > 0, back == (h, w) else {
            throw ShapeError(layer: "Conv2DTranspose", "kernel \(kernelSize.0)×\(kernelSize.1), strides \(strides), padding \(padding) "
                             + "and output padding \(outputPadding.map { "\($0)" } ?? "none") do not fit input shape \(inputShape)")
        }
        if weight == nil {
            // Keras's kernel is (KH, KW, filters, C): fan-in filters·KH·KW, fan-out C·KH·KW.
            let rf = kernelSize.0 * kernelSize.1
            weight = Parameter(kernelInitializer.make(wShape, fanIn: filters * rf, fanOut: c * rf))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: filters * rf, fanOut: c * rf)) }
        }
        return [filters, g.height, g.width]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "Conv2DTranspose: expects NCHW input, got \(x.shape)")
        if weight == nil { ensureBuilt(self, x) }
        let y = convTranspose2d(x, weight: weight!.value, bias: bias?.value, stride: strides, padding: padding,
                                outputPadding: outputPadding, dilation: dilation)
        return activation.apply(y)
    }
}

extension Conv2DTranspose: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(weight, kernelRegularizer), (bias, biasRegularizer)]) }
    /// Norm constraints default to each output channel's weights (axes 0, 2, 3 of [C_in, filters, KH, KW]).
    public var parameterConstraints: [(Parameter, Constraint)] {
        pairs([(weight, constraint(kernelConstraint, defaultAxes: [0, 2, 3])), (bias, biasConstraint)])
    }
}

/// Transposed 1-D convolution (Keras `Conv1DTranspose`) over [N, C, L] input with a
/// [C_in, filters, K] `weight` (PyTorch `ConvTranspose1d` layout). Runs as the 2-D transposed
/// convolution of the input viewed as [N, C, 1, L]; output lengths as `Conv2DTranspose`'s:
/// `.same` gives length·stride, `.valid` length·stride + max(kernel − stride, 0).
public final class Conv1DTranspose: Layer {
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: Padding1D
    public let outputPadding: Int?
    public let dilation: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    public var weight: Parameter?
    public var bias: Parameter?

    public init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding1D = .valid, outputPadding: Int? = nil,
                dilation: Int = 1, activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil) {
        precondition(filters > 0 && kernel > 0 && strides > 0 && dilation > 0, "Conv1DTranspose: filters, kernel, strides and dilation must be positive")
        precondition(padding != .causal, "Conv1DTranspose: padding must be .valid or .same (Keras has no causal transposed convolution)")
        if let op = outputPadding {
            precondition(op >= 0 && op < strides, "Conv1DTranspose: output padding \(op) must be >= 0 and smaller than the stride \(strides)")
        }
        self.filters = filters
        self.kernelSize = kernel
        self.strides = strides
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
    }

    var padding2D: Padding { padding == .same ? .same : .valid }

    public func build(inputShape: Shape) throws -> Shape {
        guard inputShape.count == 2 else {
            throw ShapeError(layer: "Conv1DTranspose", "expects per-sample input [channels, length], got \(inputShape)")
        }
        let c = inputShape[0], l = inputShape[1]
        let wShape = [c, filters, kernelSize]
        if let wt = weight, wt.value.shape != wShape {
            throw ShapeError(layer: "Conv1DTranspose", "input shape \(inputShape) does not match weight shape \(wt.value.shape) (expected \(wShape))")
        }
        let g = convTranspose2dGeometry(input: 1, l, kernel: 1, kernelSize, stride: (1, strides), padding: padding2D,
                                        outputPadding: outputPadding.map { (0, $0) }, dilation: (1, dilation))
        guard g.width > 0, g.parameters.outputSize(height: 1, width: g.width, kernelH: 1, kernelW: kernelSize).1 == l else {
            throw ShapeError(layer: "Conv1DTranspose", "kernel \(kernelSize), strides \(strides), padding \(padding) and output padding "
                             + "\(outputPadding.map { "\($0)" } ?? "none") do not fit input shape \(inputShape)")
        }
        if weight == nil {
            // Keras's kernel is (K, filters, C): fan-in filters·K, fan-out C·K.
            weight = Parameter(kernelInitializer.make(wShape, fanIn: filters * kernelSize, fanOut: c * kernelSize))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: filters * kernelSize, fanOut: c * kernelSize)) }
        }
        return [filters, g.width]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "Conv1DTranspose: expects [N, C, L] input, got \(x.shape)")
        if weight == nil { ensureBuilt(self, x) }
        let w = weight!.value
        let y = convTranspose2d(x.reshaped(to: [x.shape[0], x.shape[1], 1, x.shape[2]]), weight: w.reshaped(to: [w.shape[0], w.shape[1], 1, w.shape[2]]),
                                bias: bias?.value, stride: (1, strides), padding: padding2D,
                                outputPadding: outputPadding.map { (0, $0) }, dilation: (1, dilation))
        return activation.apply(y.reshaped(to: [y.shape[0], y.shape[1], y.shape[3]]))
    }
}

extension Conv1DTranspose: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(weight, kernelRegularizer), (bias, biasRegularizer)]) }
    public var parameterConstraints: [(Parameter, Constraint)] { pairs([(weight, kernelConstraint), (bias, biasConstraint)]) }
}

/// Transposed 3-D convolution (Keras `Conv3DTranspose`) over [N, C, D, H, W] input with a
/// [C_in, filters, KD, KH, KW] `weight` (PyTorch `ConvTranspose3d` layout). Output sizes as
/// `Conv2DTranspose`'s, per dimension: `.same` gives input·stride, `.valid` input·stride +
/// max(kernel − stride, 0); `.explicit(pd, ph, pw)` is PyTorch's `padding`.
public final class Conv3DTranspose: Layer {
    public let filters: Int
    public let kernelSize: (Int, Int, Int)
    public let strides: (Int, Int, Int)
    public let padding: Padding3D
    public let outputPadding: (Int, Int, Int)?
    public let dilation: (Int, Int, Int)
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    public var weight: Parameter?
    public var bias: Parameter?

    public init(_ filters: Int, kernel: (Int, Int, Int), strides: (Int, Int, Int) = (1, 1, 1), padding: Padding3D = .valid,
                outputPadding: (Int, Int, Int)? = nil, dilation: (Int, Int, Int) = (1, 1, 1), activation: Activation = .linear,
                useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil) {
        precondition(filters > 0 && kernel.0 > 0 && kernel.1 > 0 && kernel.2 > 0, "Conv3DTranspose: filters and kernel must be positive")
        precondition(strides.0 > 0 && strides.1 > 0 && strides.2 > 0 && dilation.0 > 0 && dilation.1 > 0 && dilation.2 > 0,
                     "Conv3DTranspose: strides and dilation must be positive")
        if let op = outputPadding {
            precondition(op.0 >= 0 && op.1 >= 0 && op.2 >= 0 && op.0 < strides.0 && op.1 < strides.1 && op.2 < strides.2,
                         "Conv3DTranspose: output padding \(op) must be >= 0 and smaller than the strides \(strides)")
        }
        self.filters = filters
        self.kernelSize = kernel
        self.strides = strides
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
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
            throw ShapeError(layer: "Conv3DTranspose", "expects per-sample input [channels, depth, height, width], got \(inputShape)")
        }
        let c = inputShape[0], spatial = Array(inputShape[1...])
        let wShape = [c, filters] + kernelArray
        if let wt = weight, wt.value.shape != wShape {
            throw ShapeError(layer: "Conv3DTranspose", "input shape \(inputShape) does not match weight shape \(wt.value.shape) (expected \(wShape))")
        }
        let g = convTranspose3dGeometry(input: spatial, kernel: kernelArray, stride: strides, padding: padding,
                                        outputPadding: outputPadding, dilation: dilation)
        guard g.size.allSatisfy({ $0 > 0 }), g.parameters.outputSize(input: g.size, kernel: kernelArray) == spatial else {
            throw ShapeError(layer: "Conv3DTranspose", "kernel \(kernelSize.0)×\(kernelSize.1)×\(kernelSize.2), strides \(strides), "
                             + "padding \(padding) and output padding \(outputPadding.map { "\($0)" } ?? "none") do not fit input shape \(inputShape)")
        }
        if weight == nil {
            // Keras's kernel is (KD, KH, KW, filters, C): fan-in filters·KD·KH·KW, fan-out C·KD·KH·KW.
            let rf = kernelArray.reduce(1, *)
            weight = Parameter(kernelInitializer.make(wShape, fanIn: filters * rf, fanOut: c * rf))
            if useBias { bias = Parameter(biasInitializer.make([filters], fanIn: filters * rf, fanOut: c * rf)) }
        }
        return [filters] + g.size
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 5, "Conv3DTranspose: expects [N, C, D, H, W] input, got \(x.shape)")
        if weight == nil { ensureBuilt(self, x) }
        let y = convTranspose3d(x, weight: weight!.value, bias: bias?.value, stride: strides, padding: padding,
                                outputPadding: outputPadding, dilation: dilation)
        return activation.apply(y)
    }
}

extension Conv3DTranspose: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(weight, kernelRegularizer), (bias, biasRegularizer)]) }
    /// Norm constraints default to each output channel's weights (axes 0, 2, 3, 4 of [C_in, filters, KD, KH, KW]).
    public var parameterConstraints: [(Parameter, Constraint)] {
        pairs([(weight, constraint(kernelConstraint, defaultAxes: [0, 2, 3, 4])), (bias, biasConstraint)])
    }
}
