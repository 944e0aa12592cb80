import Weft

// Keras's convolutional LSTMs, channels-first: ConvLSTM2D over [N, T, C, H, W] and ConvLSTM1D
// over [N, T, C, L]. Each step's gates are convolutions instead of matmuls (Keras 3's
// ConvLSTMCell): i, f, c̃, o = split(conv(x_t, kernel, strides, padding, dilation) + bias
// + conv(h, recurrent_kernel, stride 1, "same")), c = f·c + i·act(c̃), h = o·act(c). The input
// convolution runs once for all steps (N·T images); the recurrent one per step.

/// The settings and the step loop shared by ConvLSTM1D and ConvLSTM2D (the 1-D layer runs as
/// 2-D maps of height 1).
struct ConvLSTMCore: Sendable {
    var filters: Int
    var kernel: (Int, Int)
    var strides: (Int, Int)
    var padding: Padding
    var dilation: (Int, Int)
    var activation: Activation
    var recurrentActivation: Activation
    var returnSequences: Bool
    var returnState: Bool
    var goBackwards: Bool
    var dropout: Double
    var recurrentDropout: Double
    var generator: RandomGenerator

    /// The maps' size after the input convolution, or nil when the kernel does not fit.
    func outputSize(height h: Int, width w: Int) -> (Int, Int)? {
        let pad = padding.amounts(input: h, w, kernel: kernel.0, kernel.1, stride: strides.0, strides.1, dilation: dilation.0, dilation.1)
        let p = Conv2DParameters(stride: strides, padding: pad, dilation: dilation)
        let (oh, ow) = p.outputSize(height: h, width: w, kernelH: kernel.0, kernelW: kernel.1)
        return oh > 0 && ow > 0 ? (oh, ow) : nil
    }

    /// Runs the sequence x [N, T, C, H, W]: the output (every step's h [N, T, F, H', W'] or the
    /// last [N, F, H', W']) and the final states h and c.
    func run(_ x: Tensor, kernel w: Tensor, recurrentKernel u: Tensor, bias: Tensor?, initialStates: [Tensor]) -> (output: Tensor, h: Tensor, c: Tensor) {
        let n = x.shape[0], t = x.shape[1], c = x.shape[2], f = filters
        let images = x.reshaped(to: [n * t, c, x.shape[3], x.shape[4]])
        let training = LearningPhase.isTraining
        func masks(_ shape: Shape, _ rate: Double) -> [Tensor]? {
            guard training, rate > 0 else { return nil }
            return withoutGradient {
                let m = Weft.dropout(Tensor.ones([4] + shape, dtype: x.dtype), rate: rate, training: true, generator: generator)
                return (0..<4).map { m.sliced(axis: 0, start: $0, end: $0 + 1).reshaped(to: shape) }
            }
        }
        func gate(_ k: Tensor, _ g: Int) -> Tensor { k.sliced(axis: 0, start: g * f, end: (g + 1) * f) }
        // Input convolutions of every step at once: [N·T, 4F, H', W'].
        let xw: Tensor
        if let im = masks([n, 1, c, x.shape[3], x.shape[4]], dropout) {
            xw = concatenate((0..<4).map { g in
                conv2d((x * im[g]).reshaped(to: images.shape), weight: gate(w, g), bias: bias.map { gate($0, g) },
                       stride: strides, padding: padding, dilation: dilation)
            }, axis: 1)
        } else {
            xw = conv2d(images, weight: w, bias: bias, stride: strides, padding: padding, dilation: dilation)
        }
        let oh = xw.shape[2], ow = xw.shape[3]
        let steps = xw.reshaped(to: [n, t, 4 * f, oh, ow])
        let recurrentMasks = masks([n, f, oh, ow], recurrentDropout)
        var h = initialStates.first ?? Tensor.zeros([n, f, oh, ow], dtype: xw.dtype)
        var cell = initialStates.count > 1 ? initialStates[1] : Tensor.zeros([n, f, oh, ow], dtype: xw.dtype)
        var outputs = [Tensor?](repeating: nil, count: t)
        for step in (goBackwards ? Array((0..<t).reversed()) : Array(0..<t)) {
            let xt = steps.sliced(axis: 1, start: step, end: step + 1).reshaped(to: [n, 4 * f, oh, ow])
            let hu: Tensor
            if let rm = recurrentMasks {
                hu = concatenate((0..<4).map { conv2d(h * rm[$0], weight: gate(u, $0), padding: .same) }, axis: 1)
            } else {
                hu = conv2d(h, weight: u, padding: .same)
            }
            let z = (xt + hu).split(count: 4, axis: 1)
            cell = recurrentActivation.apply(z[1]) * cell + recurrentActivation.apply(z[0]) * activation.apply(z[2])
            h = recurrentActivation.apply(z[3]) * activation.apply(cell)
            outputs[step] = h
        }
        guard returnSequences else { return (h, h, cell) }
        // Keras's go_backwards returns the sequence in processing order (last step first).
        let order = goBackwards ? Array((0..<t).reversed()) : Array(0..<t)
        return (stack(order.map { outputs[$0]! }, axis: 1), h, cell)
    }
}

/// What ConvLSTM1D and ConvLSTM2D share: parameters, building, the call.
protocol ConvLSTMLayer: MultiIOLayer, RegularizedLayer {
    var core: ConvLSTMCore { get }
    var useBias: Bool { get }
    var unitForgetBias: Bool { get }
    var kernelInitializer: Initializer { get }
    var recurrentInitializer: Initializer { get }
    var biasInitializer: Initializer { get }
    var kernelRegularizer: Regularizer? { get }
    var recurrentRegularizer: Regularizer? { get }
    var biasRegularizer: Regularizer? { get }
    var kernel: Parameter? { get set }
    var recurrentKernel: Parameter? { get set }
    var bias: Parameter? { get set }
    /// Per-sample input [T, C, spatial…] as (T, C, H, W) of the 2-D maps the core runs on.
    func maps(_ inputShape: Shape) throws -> (t: Int, c: Int, h: Int, w: Int)
    /// A state or output map [F, H', W'] in this layer's per-sample layout.
    func layerShape(filters: Int, height: Int, width: Int) -> Shape
    /// The layer's parameter shape for a 2-D one [O, I, KH, KW].
    func parameterShape(_ shape2D: Shape) -> Shape
}

extension ConvLSTMLayer {
    public func build(inputShapes: [Shape]) throws -> [Shape] {
        guard let s = inputShapes.first else { throw ShapeError(layer: typeName, "needs an input") }
        let (t, c, h, w) = try maps(s)
        let f = core.filters, k = core.kernel
        guard let (oh, ow) = core.outputSize(height: h, width: w) else {
            throw ShapeError(layer: typeName, "kernel \(k.0)×\(k.1) with padding \(core.padding) does not fit input shape \(s)")
        }
        let state = layerShape(filters: f, height: oh, width: ow)
        guard inputShapes.count == 1 || inputShapes.count == 3 else {
            throw ShapeError(layer: typeName, "takes the input and 2 initial states, got \(inputShapes.count) inputs")
        }
        for st in inputShapes.dropFirst() where st != state {
            throw ShapeError(layer: typeName, "initial states must be \(state), got \(st)")
        }
        let kShape = parameterShape([4 * f, c, k.0, k.1])
        if let kp = kernel {
            guard kp.value.shape == kShape else {
                throw ShapeError(layer: typeName, "input shape \(s) does not match kernel shape \(kp.value.shape) (expected \(kShape))")
            }
        } else {
            // Keras's kernels are (KH, KW, C, 4F) and (KH, KW, F, 4F); the orthogonal initializer
            // flattens the OIHW recurrent kernel as Keras flattens its HWIO one.
            let rf = k.0 * k.1
            kernel = Parameter(kernelInitializer.make([4 * f, c, k.0, k.1], fanIn: c * rf, fanOut: 4 * f * rf).reshaped(to: kShape))
            recurrentKernel = Parameter(recurrentInitializer.make([4 * f, f, k.0, k.1], fanIn: f * rf, fanOut: 4 * f * rf)
                .reshaped(to: parameterShape([4 * f, f, k.0, k.1])))
            if useBias {
                var b = biasInitializer.make([4 * f], fanIn: c * rf, fanOut: 4 * f * rf)
                if unitForgetBias {
                    b = concatenate([b.sliced(axis: 0, start: 0, end: f), .ones([f], dtype: b.dtype), b.sliced(axis: 0, start: 2 * f, end: 4 * f)])
                }
                bias = Parameter(b)
            }
        }
        let out = core.returnSequences ? [t] + state : state
        return core.returnState ? [out, state, state] : [out]
    }

    public func build(inputShape: Shape) throws -> Shape { try build(inputShapes: [inputShape])[0] }

    public func call(_ inputs: [Tensor]) -> [Tensor] {
        let x = inputs[0]
        if kernel == nil { ensureBuilt(self, x) }
        let (_, c, h, w) = try! maps(Array(x.shape.dropFirst()))
        let n = x.shape[0], t = x.shape[1]
        let k = kernel!.value, u = recurrentKernel!.value
        let f = core.filters, kh = core.kernel.0, kw = core.kernel.1
        let (oh, ow) = core.outputSize(height: h, width: w)!
        let states = inputs.dropFirst().map { $0.reshaped(to: [n, f, oh, ow]) }
        let r = core.run(x.reshaped(to: [n, t, c, h, w]), kernel: k.reshaped(to: [4 * f, c, kh, kw]),
                         recurrentKernel: u.reshaped(to: [4 * f, f, kh, kw]), bias: bias?.value, initialStates: Array(states))
        func back(_ y: Tensor) -> Tensor {
            let lead = Array(y.shape.prefix(y.rank - 3))
            return y.reshaped(to: lead + layerShape(filters: f, height: y.shape[y.rank - 2], width: y.shape[y.rank - 1]))
        }
        return core.returnState ? [back(r.output), back(r.h), back(r.c)] : [back(r.output)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { call([x])[0] }

    public var parameterRegularizers: [(Parameter, Regularizer)] {
        pairs([(kernel, kernelRegularizer), (recurrentKernel, recurrentRegularizer), (bias, biasRegularizer)])
    }
    public var parameterConstraints: [(Parameter, Constraint)] { [] }
}

/// Keras `ConvLSTM2D`, channels-first: input [N, T, C, H, W], output [N, T, filters, H', W']
/// (`returnSequences`) or the last step's [N, filters, H', W']; with `returnState` also the final
/// h and c. `kernel` [4·filters, C, KH, KW] and `recurrentKernel` [4·filters, filters, KH, KW]
/// (OIHW, gates i, f, c̃, o along O), `bias` [4·filters]. Initial states, when given, are the
/// second and third inputs ([filters, H', W'] each).
public final class ConvLSTM2D: ConvLSTMLayer {
    let core: ConvLSTMCore
    public let useBias: Bool
    public let unitForgetBias: Bool
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    public let biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var recurrentRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?

    public var filters: Int { core.filters }
    public var kernelSize: (Int, Int) { core.kernel }

    public init(_ filters: Int, kernel: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                dilation: (Int, Int) = (1, 1), activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
                useBias: Bool = true, unitForgetBias: Bool = true, returnSequences: Bool = false, returnState: Bool = false,
                goBackwards: Bool = false, dropout: Double = 0, recurrentDropout: Double = 0,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal(),
                biasInitializer: Initializer = .zeros, kernelRegularizer: Regularizer? = nil,
                recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, generator: RandomGenerator = .global) {
        precondition(filters > 0 && kernel.0 > 0 && kernel.1 > 0, "ConvLSTM2D: filters and kernel must be positive")
        precondition(strides.0 > 0 && strides.1 > 0 && dilation.0 > 0 && dilation.1 > 0, "ConvLSTM2D: strides and dilation must be positive")
        precondition(dropout >= 0 && dropout < 1 && recurrentDropout >= 0 && recurrentDropout < 1,
                     "ConvLSTM2D: dropout and recurrentDropout must be in [0, 1), got \(dropout), \(recurrentDropout)")
        core = ConvLSTMCore(filters: filters, kernel: kernel, strides: strides, padding: padding, dilation: dilation, activation: activation,
                            recurrentActivation: recurrentActivation, returnSequences: returnSequences, returnState: returnState,
                            goBackwards: goBackwards, dropout: dropout, recurrentDropout: recurrentDropout, generator: generator)
        self.useBias = useBias
        self.unitForgetBias = unitForgetBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.recurrentRegularizer = recurrentRegularizer
        self.biasRegularizer = biasRegularizer
    }

    public convenience init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding = .valid,
                            returnSequences: Bool = false, returnState: Bool = false) {
        self.init(filters, kernel: (kernel, kernel), strides: (strides, strides), padding: padding,
                  returnSequences: returnSequences, returnState: returnState)
    }

    func maps(_ s: Shape) throws -> (t: Int, c: Int, h: Int, w: Int) {
        guard s.count == 4 else { throw ShapeError(layer: "ConvLSTM2D", "expects per-sample input [time, channels, height, width], got \(s)") }
        return (s[0], s[1], s[2], s[3])
    }
    func layerShape(filters: Int, height: Int, width: Int) -> Shape { [filters, height, width] }
    func parameterShape(_ shape2D: Shape) -> Shape { shape2D }
}

/// Keras `ConvLSTM1D`, channels-first: input [N, T, C, L], output [N, T, filters, L'] or
/// [N, filters, L']; `kernel` [4·filters, C, K], `recurrentKernel` [4·filters, filters, K]. Runs as
/// ConvLSTM2D on maps of height 1.
public final class ConvLSTM1D: ConvLSTMLayer {
    let core: ConvLSTMCore
    public let useBias: Bool
    public let unitForgetBias: Bool
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    public let biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var recurrentRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernel: Parameter?
    public var recurrentKernel: Parameter?
    public var bias: Parameter?

    public var filters: Int { core.filters }
    public var kernelSize: Int { core.kernel.1 }

    public init(_ filters: Int, kernel: Int, strides: Int = 1, padding: Padding1D = .valid, dilation: Int = 1,
                activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid, useBias: Bool = true,
                unitForgetBias: Bool = true, returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                dropout: Double = 0, recurrentDropout: Double = 0, kernelInitializer: Initializer = .glorotUniform,
                recurrentInitializer: Initializer = .orthogonal(), biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, recurrentRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                generator: RandomGenerator = .global) {
        precondition(filters > 0 && kernel > 0 && strides > 0 && dilation > 0, "ConvLSTM1D: filters, kernel, strides and dilation must be positive")
        precondition(padding != .causal, "ConvLSTM1D: padding must be .valid or .same, as Keras's")
        precondition(dropout >= 0 && dropout < 1 && recurrentDropout >= 0 && recurrentDropout < 1,
                     "ConvLSTM1D: dropout and recurrentDropout must be in [0, 1), got \(dropout), \(recurrentDropout)")
        core = ConvLSTMCore(filters: filters, kernel: (1, kernel), strides: (1, strides), padding: padding == .same ? .same : .valid,
                            dilation: (1, dilation), activation: activation, recurrentActivation: recurrentActivation,
                            returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards, dropout: dropout,
                            recurrentDropout: recurrentDropout, generator: generator)
        self.useBias = useBias
        self.unitForgetBias = unitForgetBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.recurrentRegularizer = recurrentRegularizer
        self.biasRegularizer = biasRegularizer
    }

    func maps(_ s: Shape) throws -> (t: Int, c: Int, h: Int, w: Int) {
        guard s.count == 3 else { throw ShapeError(layer: "ConvLSTM1D", "expects per-sample input [time, channels, length], got \(s)") }
        return (s[0], s[1], 1, s[2])
    }
    func layerShape(filters: Int, height: Int, width: Int) -> Shape { [filters, width] }
    func parameterShape(_ shape2D: Shape) -> Shape { [shape2D[0], shape2D[1], shape2D[3]] }
}
