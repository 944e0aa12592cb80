// A convolution with a residual added (and ReLU), as in a ResNet block's last convolution.

/// `conv2d(x, weight, bias) + residual`, then ReLU when `fuseReLU` (`residual` has the
/// convolution's output shape).
///
/// When no gradient is being recorded and the tensors are float32 on the CPU, the addition and
/// the ReLU run inside the oneDNN convolution (a `sum` post-op on a destination that starts as
/// the residual), and the result keeps oneDNN's blocked copy for the convolutions that read it
/// next: no separate addition, ReLU or reorder passes. Otherwise (training, other devices or
/// dtypes) it is the composition of `conv2d`, `+` and `relu`, with their gradients.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                   dilation: (Int, Int) = (1, 1), groups: Int = 1, adding residual: Tensor, fuseReLU: Bool = false) -> Tensor {
    let inputs = [x, weight, residual] + (bias.map { [$0] } ?? [])
    let recording = needsRecord(inputs) && GradientMode.isEnabled
    guard !recording, let cpu = x.device.backend as? CPUBackend,
          inputs.allSatisfy({ $0.dtype == .float32 && $0.device == x.device }),
          x.rank == 4, weight.rank == 4, residual.rank == 4, groups >= 1 else {
        let y = conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups) + residual
        return fuseReLU ? relu(y) : y
    }
    precondition(x.shape[1] % groups == 0 && weight.shape[0] % groups == 0 && x.shape[1] == weight.shape[1] * groups,
                 "conv2d: input \(shapeString(x.shape)) does not match weight \(shapeString(weight.shape)) with \(groups) groups")
    if let bias { precondition(bias.shape == [weight.shape[0]], "conv2d: bias \(shapeString(bias.shape)) must be [\(weight.shape[0])]") }
    let pad = padding.amounts(input: x.shape[2], x.shape[3], kernel: weight.shape[2], weight.shape[3], stride: stride.0, stride.1,
                              dilation: dilation.0, dilation.1)
    let p = Conv2DParameters(stride: stride, padding: pad, dilation: dilation, groups: groups)
    let (oh, ow) = p.outputSize(height: x.shape[2], width: x.shape[3], kernelH: weight.shape[2], kernelW: weight.shape[3])
    precondition(oh > 0 && ow > 0, "conv2d: kernel \(shapeString(weight.shape)) is larger than the padded input \(shapeString(x.shape))")
    let outShape: Shape = [x.shape[0], weight.shape[0], oh, ow]
    precondition(residual.shape == outShape,
                 "conv2d: residual \(shapeString(residual.shape)) must have the output shape \(shapeString(outShape))")
    return cpu.conv2d(x, weight, bias: bias, p, adding: residual, fuseReLU: fuseReLU)
}

extension CPUBackend {
    /// See `conv2d(_:weight:bias:stride:padding:dilation:groups:adding:fuseReLU:)`: forward only.
    func conv2d(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ p: Conv2DParameters, adding residual: Tensor, fuseReLU: Bool) -> Tensor {
        let c = p.config(input: x.shape, weight: w.shape, hasBias: bias != nil, fuseReLU: fuseReLU)
        let out = Tensor(empty: [c.batch, c.outChannels, c.outHeight, c.outWidth], dtype: .float32)
        DNNLConv.forwardAddingResidual(c, src: x.storage, weights: w.storage, bias: bias?.storage, residual: residual.storage, dst: out.storage)
        return out
    }
}
