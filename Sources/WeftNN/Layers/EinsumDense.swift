import Weft

/// Keras `EinsumDense`: `activation(einsum(equation, x, kernel) + bias)`, a dense layer over any
/// axes. The equation is `"<input>,<kernel>-><output>"` with the batch axis in the input and
/// output specs (`"ab,bc->ac"`, `"abc,cde->abde"`), or with `...` for leading axes
/// (`"...b,bc->...c"`) or trailing axes (`"ab...,bc->ac..."`) passed through. `outputShape`
/// gives the output's per-sample sizes for the axes the input does not fix (nil where it does);
/// the kernel's shape follows from the equation, and `biasAxes` (output labels) name the bias's
/// axes, as Keras.
public final class EinsumDense: Layer {
    public let equation: String
    public let outputShape: [Int?]
    public let activation: Activation
    public let biasAxes: String?
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    /// Keras's `activity_regularizer`: the output's penalty / batch joins the training loss.
    public var activityRegularizer: Regularizer?
    public var kernel: Parameter?
    public var bias: Parameter?
    /// Keras's LoRA factors (`enableLoRA(rank:)`, as Dense's).
    public internal(set) var loraKernelA: Parameter?
    public internal(set) var loraKernelB: Parameter?
    public internal(set) var loraRank: Int?
    public internal(set) var loraAlpha: Double?

    public init(_ equation: String, outputShape: [Int?], activation: Activation = .linear, biasAxes: String? = nil,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, activityRegularizer: Regularizer? = nil,
                loraRank: Int? = nil, loraAlpha: Double? = nil) {
        self.activityRegularizer = activityRegularizer
        self.equation = equation.filter { !$0.isWhitespace }
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha ?? loraRank.map(Double.init)
        self.outputShape = outputShape
        self.activation = activation
        self.biasAxes = biasAxes
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
    }

    public convenience init(_ equation: String, outputShape: Int, activation: Activation = .linear, biasAxes: String? = nil,
                            kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros) {
        self.init(equation, outputShape: [outputShape], activation: activation, biasAxes: biasAxes,
                  kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
    }

    /// The three specs and where the elided axes are (Keras's three equation forms).
    func specs() throws -> (input: [Character], kernel: [Character], output: [Character], leftElided: Bool, elided: Bool) {
        let fail = ShapeError(layer: "EinsumDense", "equation \"\(equation)\" is not of the form \"ab,bc->ac\", \"...b,bc->...c\" or \"ab...,bc->ac...\"")
        let sides = equation.split(separator: ">", omittingEmptySubsequences: false)
        guard sides.count == 2, sides[0].hasSuffix("-") else { throw fail }
        let ops = sides[0].dropLast().split(separator: ",", omittingEmptySubsequences: false)
        guard ops.count == 2 else { throw fail }
        var input = String(ops[0]), output = String(sides[1])
        let kernel = String(ops[1])
        var left = false, elided = false
        if input.hasPrefix("...") && output.hasPrefix("...") {
            input.removeFirst(3); output.removeFirst(3); left = true; elided = true
        } else if input.hasSuffix("...") && output.hasSuffix("...") {
            input.removeLast(3); output.removeLast(3); elided = true
        }
        for s in [input, kernel, output] where s.isEmpty || !s.allSatisfy({ $0.isASCII && $0.isLetter }) { throw fail }
        return (Array(input), Array(kernel), Array(output), left, elided)
    }

    /// Keras's `_analyze_split_string`: kernel shape, bias shape and full output shape for a
    /// full input shape (the batch size −1 when unknown).
    func analyze(_ inputShape: Shape) throws -> (kernel: Shape, bias: Shape?, output: Shape) {
        let (inSpec, wSpec, outSpec, left, hasEllipsis) = try specs()
        let elided = inputShape.count - inSpec.count
        guard hasEllipsis ? elided >= 0 : elided == 0 else {
            throw ShapeError(layer: "EinsumDense", "input of rank \(inputShape.count - 1) does not fit equation \"\(equation)\"")
        }
        var out: [Int?] = [inputShape[0]] + outputShape
        if elided > 0 && left {
            out.insert(contentsOf: inputShape[1..<elided].map { Optional($0) }, at: 1)
        } else if elided > 0 {
            for i in (inputShape.count - elided)..<inputShape.count { out.append(inputShape[i]) }
        }
        let inMap = Dictionary(uniqueKeysWithValues: inSpec.enumerated().map { ($0.element, left ? $0.offset + elided : $0.offset) })
        let outMap = Dictionary(uniqueKeysWithValues: outSpec.enumerated().map { ($0.element, left ? $0.offset + elided : $0.offset) })
        guard out.count == outSpec.count + elided else {
            throw ShapeError(layer: "EinsumDense", "outputShape \(outputShape) has \(outputShape.count) sizes; equation \"\(equation)\" "
                             + "has \(outSpec.count + elided - out.count + outputShape.count) per-sample output axes")
        }
        for c in inSpec {
            if let o = outMap[c], let size = out[o], size != inputShape[inMap[c]!] {
                throw ShapeError(layer: "EinsumDense", "input axis \"\(c)\" has size \(inputShape[inMap[c]!]) but outputShape gives \(size)")
            }
            if let o = outMap[c], out[o] == nil { out[o] = inputShape[inMap[c]!] }
        }
        for c in outSpec where !inSpec.contains(c) && !wSpec.contains(c) {
            throw ShapeError(layer: "EinsumDense", "output label \"\(c)\" is neither in the input nor in the kernel of \"\(equation)\"")
        }
        var kernel: Shape = []
        for c in wSpec {
            if let i = inMap[c] { kernel.append(inputShape[i]) }
            else if let o = outMap[c], let size = out[o] { kernel.append(size) }
            else { throw ShapeError(layer: "EinsumDense", "kernel label \"\(c)\" has no size: it is in neither the input nor outputShape") }
        }
        for (i, s) in out.enumerated() where s == nil && i != 0 {
            throw ShapeError(layer: "EinsumDense", "output axis \(i) has no size: give it in outputShape")
        }
        var bias: Shape? = nil
        if let axes = biasAxes {
            for c in axes where !outSpec.contains(c) {
                throw ShapeError(layer: "EinsumDense", "bias axis \"\(c)\" is not an output label of \"\(equation)\"")
            }
            let first = axes.compactMap { outSpec.firstIndex(of: $0) }.min()!
            let offset = left ? elided : 0
            bias = outSpec[first...].map { axes.contains($0) ? out[outSpec.firstIndex(of: $0)! + offset]! : 1 }
            if !left { bias! += [Int](repeating: 1, count: elided) }
        }
        return (kernel, bias, out.map { $0 ?? -1 })
    }

    public func build(inputShape s: Shape) throws -> Shape {
        let (k, b, out) = try analyze([-1] + s)
        if let w = kernel {
            guard w.value.shape == k else {
                throw ShapeError(layer: "EinsumDense", "input shape \(s) needs kernel shape \(k), the kernel is \(w.value.shape)")
            }
        } else {
            // Keras's fans: the last two axes times the receptive field of the others.
            let rf = k.count > 2 ? Array(k.dropLast(2)).elementCount : 1
            let fanIn = k.count >= 2 ? k[k.count - 2] * rf : k[0], fanOut = k.count >= 2 ? k[k.count - 1] * rf : k[0]
            kernel = Parameter(kernelInitializer.make(k, fanIn: fanIn, fanOut: fanOut))
            if let b { bias = Parameter(biasInitializer.make(b, fanIn: fanIn, fanOut: fanOut)) }
            if let r = loraRank { try enableLoRA(rank: r, alpha: loraAlpha) }
        }
        return Array(out.dropFirst())
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if kernel == nil { ensureBuilt(self, x) }
        var y = einsum(equation, x, (loraKernelA == nil ? kernel!.value : effectiveKernel!).cast(to: x.dtype.floatingResult))
        if let b = bias { y = y + b.value.cast(to: y.dtype) }
        y = activation.apply(y)
        addActivityLoss(activityRegularizer, y)
        return y
    }
}

extension EinsumDense: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] {
        [(kernel, kernelRegularizer), (bias, biasRegularizer), (loraKernelA, kernelRegularizer), (loraKernelB, kernelRegularizer)]
            .compactMap { p, r in p.flatMap { p in r.map { (p, $0) } } }
    }
    public var parameterConstraints: [(Parameter, Constraint)] {
        [(kernel, kernelConstraint), (bias, biasConstraint)].compactMap { p, c in p.flatMap { p in c.map { (p, $0) } } }
    }
}
