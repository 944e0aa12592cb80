// 3-D convolution and pooling (NCDHW activations, OIDHW weights), through the backend's oneDNN kernels.

/// How a 3-D convolution or pooling pads its input.
public enum Padding3D: Hashable, Sendable {
    /// No padding.
    case valid
    /// Output size = ceil(input / stride), the extra plane/row/column going to the end (as Keras/TensorFlow).
    case same
    /// Explicit symmetric padding (PyTorch's `padding=(d, h, w)`).
    case explicit(Int, Int, Int)

    /// Padding (before, after) of each spatial dimension for this input, kernel, stride and dilation.
    public func amounts(input: [Int], kernel: [Int], stride: [Int], dilation: [Int] = [1, 1, 1]) -> (before: [Int], after: [Int]) {
        switch self {
        case .valid: return ([0, 0, 0], [0, 0, 0])
        case .explicit(let d, let h, let w): return ([d, h, w], [d, h, w])
        case .same:
            var b = [Int](), a = [Int]()
            for i in input.indices {
                let (l, r) = samePadding(input: input[i], kernel: kernel[i], stride: stride[i], dilation: dilation[i])
                b.append(l); a.append(r)
            }
            return (b, a)
        }
    }
}

/// Keras/TensorFlow "same" padding of one dimension: output ceil(input / stride), the odd
/// element of the total going after.
public func samePadding(input: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (before: Int, after: Int) {
    let ek = dilation * (kernel - 1) + 1
    let out = (input + stride - 1) / stride
    let total = Swift.max((out - 1) * stride + ek - input, 0)
    return (total / 2, total - total / 2)
}

/// Geometry of a 3-D convolution over NCDHW input with OIDHW weights (PyTorch layouts).
public struct Conv3DParameters: Hashable, Sendable {
    public var stride: [Int]
    public var padBefore: [Int], padAfter: [Int]
    public var dilation: [Int]
    public var groups: Int

    public init(stride: (Int, Int, Int) = (1, 1, 1), padBefore: [Int] = [0, 0, 0], padAfter: [Int] = [0, 0, 0],
                dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1) {
        self.stride = [stride.0, stride.1, stride.2]
        self.padBefore = padBefore
        self.padAfter = padAfter
        self.dilation = [dilation.0, dilation.1, dilation.2]
        self.groups = groups
    }

    /// Output (D, H, W) for an input of `input` (D, H, W) and a `kernel` (KD, KH, KW); 0 where the kernel does not fit.
    public func outputSize(input: [Int], kernel: [Int]) -> [Int] {
        (0..<3).map { i in
            let span = input[i] + padBefore[i] + padAfter[i] - dilation[i] * (kernel[i] - 1) - 1
            return span < 0 ? 0 : span / stride[i] + 1
        }
    }
}

/// Geometry of 3-D pooling over NCDHW input.
public struct Pool3DParameters: Hashable, Sendable {
    public var kind: Pool2DParameters.Kind
    public var kernel: [Int]
    public var stride: [Int]
    public var padBefore: [Int], padAfter: [Int]

    public init(kind: Pool2DParameters.Kind, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                padBefore: [Int] = [0, 0, 0], padAfter: [Int] = [0, 0, 0]) {
        self.kind = kind
        self.kernel = [kernel.0, kernel.1, kernel.2]
        let s = stride ?? kernel
        self.stride = [s.0, s.1, s.2]
        self.padBefore = padBefore
        self.padAfter = padAfter
    }

    public func outputSize(input: [Int]) -> [Int] {
        (0..<3).map { i in
            let span = input[i] + padBefore[i] + padAfter[i] - kernel[i]
            return span < 0 ? 0 : span / stride[i] + 1
        }
    }
}

/// 3-D convolution: x [N, C, D, H, W], weight [O, C/groups, KD, KH, KW], bias [O] (PyTorch `conv3d`).
public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int) = (1, 1, 1),
                   padding: Padding3D = .valid, dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1) -> Tensor {
    precondition(x.rank == 5, "conv3d: input must be [N, C, D, H, W], got \(shapeString(x.shape))")
    precondition(weight.rank == 5, "conv3d: weight must be [O, C/groups, KD, KH, KW], got \(shapeString(weight.shape))")
    precondition(groups >= 1 && x.shape[1] % groups == 0 && weight.shape[0] % groups == 0,
                 "conv3d: \(groups) groups do not divide input channels \(x.shape[1]) and output channels \(weight.shape[0])")
    precondition(x.shape[1] == weight.shape[1] * groups,
                 "conv3d: input \(shapeString(x.shape)) has \(x.shape[1]) channels but weight \(shapeString(weight.shape)) expects \(weight.shape[1] * groups)")
    precondition(stride.0 >= 1 && stride.1 >= 1 && stride.2 >= 1 && dilation.0 >= 1 && dilation.1 >= 1 && dilation.2 >= 1,
                 "conv3d: strides and dilations must be >= 1, got \(stride), \(dilation)")
    if let bias { precondition(bias.shape == [weight.shape[0]], "conv3d: bias \(shapeString(bias.shape)) must be [\(weight.shape[0])]") }
    let spatial = Array(x.shape[2...]), kernel = Array(weight.shape[2...])
    let pad = padding.amounts(input: spatial, kernel: kernel, stride: [stride.0, stride.1, stride.2],
                              dilation: [dilation.0, dilation.1, dilation.2])
    let p = Conv3DParameters(stride: stride, padBefore: pad.before, padAfter: pad.after, dilation: dilation, groups: groups)
    let out = p.outputSize(input: spatial, kernel: kernel)
    precondition(out.allSatisfy { $0 > 0 }, "conv3d: kernel \(shapeString(weight.shape)) is larger than the padded input \(shapeString(x.shape))")
    let xi = x.cast(to: .float32), wi = weight.cast(to: .float32), bi = bias?.cast(to: .float32)
    let backend = x.device.backend
    var y = backend.conv3d(xi, wi, bias: bi, p)
    let inputs = bi.map { [xi, wi, $0] } ?? [xi, wi]
    if needsRecord(inputs) {
        y.record("conv3d", inputs) { g, need in
            let wantWeights = need[1] || (bi != nil && need[2])
            let r = backend.conv3dBackward(g, input: xi, weight: wi, p, data: need[0], weights: wantWeights, bias: bi != nil)
            return bi != nil ? [r.data, r.weight, r.bias] : [r.data, r.weight]
        }
    }
    return x.dtype == .float32 || !x.dtype.isFloatingPoint ? y : y.cast(to: x.dtype)
}

func pool3d(_ x: Tensor, _ p: Pool3DParameters, name: StaticString) -> Tensor {
    precondition(x.rank == 5, "\(name): input must be [N, C, D, H, W], got \(shapeString(x.shape))")
    let out = p.outputSize(input: Array(x.shape[2...]))
    precondition(out.allSatisfy { $0 > 0 }, "\(name): window \(p.kernel) is larger than the input \(shapeString(x.shape))")
    precondition((0..<3).allSatisfy { p.padBefore[$0] < p.kernel[$0] && p.padAfter[$0] < p.kernel[$0] },
                 "\(name): padding \(p.padBefore)/\(p.padAfter) must be smaller than the window \(p.kernel)")
    let xi = x.cast(to: .float32)
    let backend = x.device.backend
    let training = needsRecord(xi) && GradientMode.isEnabled
    var (y, ws) = backend.pool3d(xi, p, training: training)
    if training {
        let shape = xi.shape
        y.record(name, [xi]) { g, _ in [backend.pool3dBackward(g, inputShape: shape, workspace: ws, p)] }
    }
    return x.dtype == .float32 ? y : y.cast(to: x.dtype)
}

/// 3-D max pooling over `kernel` windows of [N, C, D, H, W] input (stride defaults to the kernel).
public func maxPool3d(_ x: Tensor, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: Padding3D = .valid) -> Tensor {
    precondition(x.rank == 5, "maxPool3d: input must be [N, C, D, H, W], got \(shapeString(x.shape))")
    let s = stride ?? kernel
    let pad = padding.amounts(input: Array(x.shape[2...]), kernel: [kernel.0, kernel.1, kernel.2], stride: [s.0, s.1, s.2])
    return pool3d(x, Pool3DParameters(kind: .max, kernel: kernel, stride: s, padBefore: pad.before, padAfter: pad.after),
                  name: "maxPool3d")
}

/// 3-D average pooling; by default padded cells are excluded from the average (Keras's "same"
/// behaviour; PyTorch's `count_include_pad=False`).
public func avgPool3d(_ x: Tensor, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: Padding3D = .valid,
                      countIncludePadding: Bool = false) -> Tensor {
    precondition(x.rank == 5, "avgPool3d: input must be [N, C, D, H, W], got \(shapeString(x.shape))")
    let s = stride ?? kernel
    let pad = padding.amounts(input: Array(x.shape[2...]), kernel: [kernel.0, kernel.1, kernel.2], stride: [s.0, s.1, s.2])
    return pool3d(x, Pool3DParameters(kind: countIncludePadding ? .averageIncludingPadding : .averageExcludingPadding,
                                      kernel: kernel, stride: s, padBefore: pad.before, padAfter: pad.after),
                  name: "avgPool3d")
}

/// Mean over D, H and W: [N, C, D, H, W] → [N, C].
public func globalAvgPool3d(_ x: Tensor) -> Tensor {
    precondition(x.rank == 5, "globalAvgPool3d: input must be [N, C, D, H, W], got \(shapeString(x.shape))")
    return x.mean(alongAxes: [2, 3, 4])
}

/// Max over D, H and W: [N, C, D, H, W] → [N, C].
public func globalMaxPool3d(_ x: Tensor) -> Tensor {
    precondition(x.rank == 5, "globalMaxPool3d: input must be [N, C, D, H, W], got \(shapeString(x.shape))")
    return x.max(alongAxes: [2, 3, 4])
}
