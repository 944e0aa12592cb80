// 2-D and 3-D transposed convolutions (PyTorch `conv_transpose2d` / `conv_transpose3d`), each the
// adjoint of a convolution: its forward is the convolution's backward-data, its input gradient the convolution's forward, and its
// weight gradient the convolution's backward-weights with the roles of input and output swapped.

/// Output length of one dimension of a transposed convolution and the (before, after) padding
/// of the equivalent convolution running from that output back to the input.
///
/// `.valid` / `.same` follow Keras (`deconv_output_length`, TensorFlow's padding of the output);
/// `.explicit(p)` follows PyTorch: `(L − 1)·s − 2p + d·(k − 1) + outputPadding + 1`.
func convTransposeGeometry(input l: Int, kernel k: Int, stride s: Int, dilation d: Int, padding: Int?, same: Bool,
                           outputPadding op: Int?) -> (length: Int, before: Int, after: Int) {
    let ek = d * (k - 1) + 1
    if let p = padding { return ((l - 1) * s - 2 * p + ek + (op ?? 0), p, p) }
    if same {
        let length = op.map { (l - 1) * s + ek - 2 * (ek / 2) + $0 } ?? l * s
        let pad = samePadding(input: length, kernel: k, stride: s, dilation: d)
        return (length, pad.before, pad.after)
    }
    let length = op.map { (l - 1) * s + ek + $0 } ?? l * s + Swift.max(ek - s, 0)
    return (length, 0, 0)
}

/// Output spatial size (height, width) of `convTranspose2d`, and the convolution parameters of its adjoint.
public func convTranspose2dGeometry(input h: Int, _ w: Int, kernel kh: Int, _ kw: Int, stride: (Int, Int) = (1, 1),
                                    padding: Padding = .valid, outputPadding: (Int, Int)? = nil, dilation: (Int, Int) = (1, 1),
                                    groups: Int = 1) -> (height: Int, width: Int, parameters: Conv2DParameters) {
    var ph: Int? = nil, pw: Int? = nil
    if case .explicit(let a, let b) = padding { ph = a; pw = b }
    let same = padding == .same
    let gh = convTransposeGeometry(input: h, kernel: kh, stride: stride.0, dilation: dilation.0, padding: ph, same: same,
                                   outputPadding: outputPadding?.0)
    let gw = convTransposeGeometry(input: w, kernel: kw, stride: stride.1, dilation: dilation.1, padding: pw, same: same,
                                   outputPadding: outputPadding?.1)
    let p = Conv2DParameters(stride: stride, padding: (gh.before, gw.before, gh.after, gw.after), dilation: dilation, groups: groups)
    return (gh.length, gw.length, p)
}

/// 2-D transposed convolution: x [N, Cin, H, W], weight [Cin, Cout/groups, KH, KW] (PyTorch
/// `ConvTranspose2d` layout), bias [Cout]. `padding: .explicit(ph, pw)` with `outputPadding`
/// is PyTorch's `conv_transpose2d`; `.valid` / `.same` give Keras's `Conv2DTranspose` output sizes.
/// `outputPadding` must be smaller than the stride.
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                            outputPadding: (Int, Int)? = nil, dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    precondition(x.rank == 4, "convTranspose2d: input must be [N, C, H, W], got \(shapeString(x.shape))")
    precondition(weight.rank == 4, "convTranspose2d: weight must be [Cin, Cout/groups, KH, KW], got \(shapeString(weight.shape))")
    precondition(groups >= 1 && x.shape[1] % groups == 0, "convTranspose2d: \(groups) groups do not divide input channels \(x.shape[1])")
    precondition(x.shape[1] == weight.shape[0],
                 "convTranspose2d: input \(shapeString(x.shape)) has \(x.shape[1]) channels but weight \(shapeString(weight.shape)) expects \(weight.shape[0])")
    precondition(stride.0 >= 1 && stride.1 >= 1 && dilation.0 >= 1 && dilation.1 >= 1,
                 "convTranspose2d: strides and dilations must be >= 1, got \(stride), \(dilation)")
    if let op = outputPadding {
        precondition(op.0 >= 0 && op.1 >= 0 && op.0 < stride.0 && op.1 < stride.1,
                     "convTranspose2d: output padding \(op) must be >= 0 and smaller than the stride \(stride)")
    }
    let cout = weight.shape[1] * groups
    if let bias { precondition(bias.shape == [cout], "convTranspose2d: bias \(shapeString(bias.shape)) must be [\(cout)]") }
    let (h, w) = (x.shape[2], x.shape[3])
    let (oh, ow, p) = convTranspose2dGeometry(input: h, w, kernel: weight.shape[2], weight.shape[3], stride: stride, padding: padding,
                                              outputPadding: outputPadding, dilation: dilation, groups: groups)
    precondition(oh > 0 && ow > 0, "convTranspose2d: input \(shapeString(x.shape)) with weight \(shapeString(weight.shape)) gives an empty output [\(oh), \(ow)]")
    let back = p.outputSize(height: oh, width: ow, kernelH: weight.shape[2], kernelW: weight.shape[3])
    precondition(back == (h, w), "convTranspose2d: output [\(oh), \(ow)] does not map back to the input [\(h), \(w)] (padding \(padding))")
    let outShape = [x.shape[0], cout, oh, ow]
    let xi = x.cast(to: .float32), wi = weight.cast(to: .float32)
    let backend = x.device.backend
    var y = backend.conv2dBackwardData(xi, inputShape: outShape, weight: wi, p)
    if needsRecord(xi, wi) {
        y.record("convTranspose2d", [xi, wi]) { g, need in
            let gx = need[0] ? backend.conv2d(g, wi, bias: nil, p, fuseReLU: false) : nil
            let gw = need[1] ? backend.conv2dBackward(xi, input: g, weight: wi, p, data: false, weights: true, bias: false).weight : nil
            return [gx, gw]
        }
    }
    if let bias { y = y + bias.cast(to: .float32).reshaped(to: [1, cout, 1, 1]) }
    return x.dtype == .float32 || !x.dtype.isFloatingPoint ? y : y.cast(to: x.dtype)
}

/// Output spatial size (D, H, W) of `convTranspose3d` for an input of `input` (D, H, W) and a
/// `kernel` (KD, KH, KW), and the convolution parameters of its adjoint.
public func convTranspose3dGeometry(input: [Int], kernel: [Int], stride: (Int, Int, Int) = (1, 1, 1), padding: Padding3D = .valid,
                                    outputPadding: (Int, Int, Int)? = nil, dilation: (Int, Int, Int) = (1, 1, 1),
                                    groups: Int = 1) -> (size: [Int], parameters: Conv3DParameters) {
    precondition(input.count == 3 && kernel.count == 3, "convTranspose3dGeometry: input and kernel must have 3 sizes (D, H, W)")
    let s = [stride.0, stride.1, stride.2], d = [dilation.0, dilation.1, dilation.2]
    let op = outputPadding.map { [$0.0, $0.1, $0.2] }
    var explicit: [Int]? = nil
    if case .explicit(let pd, let ph, let pw) = padding { explicit = [pd, ph, pw] }
    let dims = (0..<3).map { i in
        convTransposeGeometry(input: input[i], kernel: kernel[i], stride: s[i], dilation: d[i], padding: explicit?[i],
                              same: padding == .same, outputPadding: op?[i])
    }
    let p = Conv3DParameters(stride: stride, padBefore: dims.map(\.before), padAfter: dims.map(\.after), dilation: dilation, groups: groups)
    return (dims.map(\.length), p)
}

/// 3-D transposed convolution: x [N, Cin, D, H, W], weight [Cin, Cout/groups, KD, KH, KW]
/// (PyTorch `ConvTranspose3d` layout), bias [Cout]. `padding: .explicit(pd, ph, pw)` with
/// `outputPadding` is PyTorch's `conv_transpose3d`; `.valid` / `.same` give Keras's
/// `Conv3DTranspose` output sizes. `outputPadding` must be smaller than the stride.
public func convTranspose3d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int) = (1, 1, 1),
                            padding: Padding3D = .valid, outputPadding: (Int, Int, Int)? = nil,
                            dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1) -> Tensor {
    precondition(x.rank == 5, "convTranspose3d: input must be [N, C, D, H, W], got \(shapeString(x.shape))")
    precondition(weight.rank == 5, "convTranspose3d: weight must be [Cin, Cout/groups, KD, KH, KW], got \(shapeString(weight.shape))")
    precondition(groups >= 1 && x.shape[1] % groups == 0, "convTranspose3d: \(groups) groups do not divide input channels \(x.shape[1])")
    precondition(x.shape[1] == weight.shape[0],
                 "convTranspose3d: input \(shapeString(x.shape)) has \(x.shape[1]) channels but weight \(shapeString(weight.shape)) expects \(weight.shape[0])")
    let s = [stride.0, stride.1, stride.2], d = [dilation.0, dilation.1, dilation.2]
    precondition(s.allSatisfy { $0 >= 1 } && d.allSatisfy { $0 >= 1 }, "convTranspose3d: strides and dilations must be >= 1, got \(stride), \(dilation)")
    if let op = outputPadding {
        precondition(zip([op.0, op.1, op.2], s).allSatisfy { $0 >= 0 && $0 < $1 },
                     "convTranspose3d: output padding \(op) must be >= 0 and smaller than the stride \(stride)")
    }
    let cout = weight.shape[1] * groups
    if let bias { precondition(bias.shape == [cout], "convTranspose3d: bias \(shapeString(bias.shape)) must be [\(cout)]") }
    let spatial = Array(x.shape[2...]), kernel = Array(weight.shape[2...])
    let (out, p) = convTranspose3dGeometry(input: spatial, kernel: kernel, stride: stride, padding: padding,
                                           outputPadding: outputPadding, dilation: dilation, groups: groups)
    precondition(out.allSatisfy { $0 > 0 }, "convTranspose3d: input \(shapeString(x.shape)) with weight \(shapeString(weight.shape)) gives an empty output \(out)")
    precondition(p.outputSize(input: out, kernel: kernel) == spatial,
                 "convTranspose3d: output \(out) does not map back to the input \(spatial) (padding \(padding))")
    let outShape = [x.shape[0], cout] + out
    let xi = x.cast(to: .float32), wi = weight.cast(to: .float32)
    let backend = x.device.backend
    var y = backend.conv3dBackwardData(xi, inputShape: outShape, weight: wi, p)
    if needsRecord(xi, wi) {
        y.record("convTranspose3d", [xi, wi]) { g, need in
            let gx = need[0] ? backend.conv3d(g, wi, bias: nil, p) : nil
            let gw = need[1] ? backend.conv3dBackward(xi, input: g, weight: wi, p, data: false, weights: true, bias: false).weight : nil
            return [gx, gw]
        }
    }
    if let bias { y = y + bias.cast(to: .float32).reshaped(to: [1, cout, 1, 1, 1]) }
    return x.dtype == .float32 || !x.dtype.isFloatingPoint ? y : y.cast(to: x.dtype)
}
