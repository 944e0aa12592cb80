// 2-D convolution and pooling (NCHW activations, OIHW weights), through the backend's oneDNN kernels.

/// How a convolution or pooling layer pads its input.
public enum Padding: Hashable, Sendable {
    /// No padding.
    case valid
    /// Output size = ceil(input / stride), the extra row/column going to the bottom/right (as Keras/TensorFlow).
    case same
    /// Explicit symmetric padding (PyTorch's `padding=(h, w)`).
    case explicit(Int, Int)

    /// Rows/columns of padding on each side for this input, kernel, stride and dilation.
    public func amounts(input h: Int, _ w: Int, kernel kh: Int, _ kw: Int, stride sh: Int, _ sw: Int,
                 dilation dh: Int = 1, _ dw: Int = 1) -> (top: Int, left: Int, bottom: Int, right: Int) {
        switch self {
        case .valid: return (0, 0, 0, 0)
        case .explicit(let ph, let pw): return (ph, pw, ph, pw)
        case .same:
            let eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1
            let oh = (h + sh - 1) / sh, ow = (w + sw - 1) / sw
            let th = Swift.max((oh - 1) * sh + eh - h, 0), tw = Swift.max((ow - 1) * sw + ew - w, 0)
            return (th / 2, tw / 2, th - th / 2, tw - tw / 2)
        }
    }
}

/// 2-D convolution: x [N, C, H, W], weight [O, C/groups, KH, KW], bias [O].
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                   dilation: (Int, Int) = (1, 1), groups: Int = 1, fuseReLU: Bool = false) -> Tensor {
    precondition(x.rank == 4, "conv2d: input must be [N, C, H, W], got \(shapeString(x.shape))")
    precondition(weight.rank == 4, "conv2d: weight must be [O, C/groups, KH, KW], got \(shapeString(weight.shape))")
    precondition(groups >= 1 && x.shape[1] % groups == 0 && weight.shape[0] % groups == 0,
                 "conv2d: \(groups) groups do not divide input channels \(x.shape[1]) and output channels \(weight.shape[0])")
    precondition(x.shape[1] == weight.shape[1] * groups,
                 "conv2d: input \(shapeString(x.shape)) has \(x.shape[1]) channels but weight \(shapeString(weight.shape)) expects \(weight.shape[1] * groups)")
    if let bias { precondition(bias.shape == [weight.shape[0]], "conv2d: bias \(shapeString(bias.shape)) must be [\(weight.shape[0])]") }
    let pad = padding.amounts(input: x.shape[2], x.shape[3], kernel: weight.shape[2], weight.shape[3], stride: stride.0, stride.1,
                              dilation: dilation.0, dilation.1)
    let p = Conv2DParameters(stride: stride, padding: pad, dilation: dilation, groups: groups)
    let (oh, ow) = p.outputSize(height: x.shape[2], width: x.shape[3], kernelH: weight.shape[2], kernelW: weight.shape[3])
    precondition(oh > 0 && ow > 0, "conv2d: kernel \(shapeString(weight.shape)) is larger than the padded input \(shapeString(x.shape))")
    let xi = x.cast(to: .float32), wi = weight.cast(to: .float32), bi = bias?.cast(to: .float32)
    let backend = x.device.backend
    var y = backend.conv2d(xi, wi, bias: bi, p, fuseReLU: fuseReLU)
    let inputs = bi.map { [xi, wi, $0] } ?? [xi, wi]
    if needsRecord(inputs) {
        let yv = y
        y.record("conv2d", inputs) { g0, need in
            let g = fuseReLU ? backend.unaryBackward(.relu, x: yv, y: yv, gradient: g0) : g0
            let wantWeights = need[1] || (bi != nil && need[2])
            let r = backend.conv2dBackward(g, input: xi, weight: wi, p, data: need[0], weights: wantWeights, bias: bi != nil)
            return bi != nil ? [r.data, r.weight, r.bias] : [r.data, r.weight]
        }
    }
    return x.dtype == .float32 || !x.dtype.isFloatingPoint ? y : y.cast(to: x.dtype)
}

func pool2d(_ x: Tensor, _ p: Pool2DParameters, name: StaticString) -> Tensor {
    precondition(x.rank == 4, "\(name): input must be [N, C, H, W], got \(shapeString(x.shape))")
    let (oh, ow) = p.outputSize(height: x.shape[2], width: x.shape[3])
    precondition(oh > 0 && ow > 0, "\(name): window \(p.kernelH)×\(p.kernelW) is larger than the input \(shapeString(x.shape))")
    let xi = x.cast(to: .float32)
    let backend = x.device.backend
    let training = needsRecord(xi) && GradientMode.isEnabled
    var (y, ws) = backend.pool2d(xi, p, training: training)
    if training {
        let shape = xi.shape
        y.record(name, [xi]) { g, _ in [backend.pool2dBackward(g, inputShape: shape, workspace: ws, p)] }
    }
    return x.dtype == .float32 ? y : y.cast(to: x.dtype)
}

/// Max pooling over `kernel` windows (stride defaults to the kernel).
public func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid) -> Tensor {
    let s = stride ?? kernel
    let pad = padding.amounts(input: x.shape[2], x.shape[3], kernel: kernel.0, kernel.1, stride: s.0, s.1)
    return pool2d(x, Pool2DParameters(kind: .max, kernel: kernel, stride: s, padding: pad), name: "maxPool2d")
}

/// Average pooling; padded cells are excluded from the average (Keras's "same" behaviour).
public func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid,
                      countIncludePadding: Bool = false) -> Tensor {
    let s = stride ?? kernel
    let pad = padding.amounts(input: x.shape[2], x.shape[3], kernel: kernel.0, kernel.1, stride: s.0, s.1)
    return pool2d(x, Pool2DParameters(kind: countIncludePadding ? .averageIncludingPadding : .averageExcludingPadding,
                                      kernel: kernel, stride: s, padding: pad), name: "avgPool2d")
}

/// Mean over H and W: [N, C, H, W] → [N, C].
public func globalAvgPool2d(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "globalAvgPool2d: input must be [N, C, H, W], got \(shapeString(x.shape))")
    return x.mean(alongAxes: [2, 3])
}

/// Max over H and W: [N, C, H, W] → [N, C].
public func globalMaxPool2d(_ x: Tensor) -> Tensor {
    precondition(x.rank == 4, "globalMaxPool2d: input must be [N, C, H, W], got \(shapeString(x.shape))")
    return x.max(alongAxes: [2, 3])
}
