// 3-D convolution and pooling, and the backward-data pass of a 2-D or 3-D convolution on its own
// (the forward of a transposed convolution), on the CPU through the oneDNN adapter (DNNL/).

extension Conv3DParameters {
    func config(input x: Shape, weight w: Shape, hasBias: Bool) -> ConvNDConfig {
        ConvNDConfig(batch: x[0], inChannels: x[1], outChannels: w[0], spatial: Array(x[2...]), kernel: Array(w[2...]),
                     stride: stride, padBefore: padBefore, padAfter: padAfter, dilation: dilation, groups: groups, hasBias: hasBias)
    }
}

extension Pool3DParameters {
    func config(input x: Shape) -> PoolNDConfig {
        let k: Pool2DConfig.Kind
        switch kind {
        case .max: k = .max
        case .averageIncludingPadding: k = .avgIncludePadding
        case .averageExcludingPadding: k = .avgExcludePadding
        }
        return PoolNDConfig(batch: x[0], channels: x[1], spatial: Array(x[2...]), kernel: kernel, stride: stride,
                            padBefore: padBefore, padAfter: padAfter, kind: k)
    }
}

extension CPUBackend {
    public func conv3d(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ p: Conv3DParameters) -> Tensor {
        precondition(x.dtype == .float32 && w.dtype == .float32, "conv3d: the CPU backend computes convolutions in float32, got \(x.dtype)")
        let c = p.config(input: x.shape, weight: w.shape, hasBias: bias != nil)
        let out = Tensor(empty: c.outputShape, dtype: .float32)
        DNNLConvND.forward(c, src: x.ptr(Float.self), weights: w.ptr(Float.self), bias: bias.map { UnsafePointer($0.ptr(Float.self)) },
                           dst: out.ptr(Float.self))
        return out
    }

    public func conv3dBackward(_ gradient: Tensor, input x: Tensor, weight w: Tensor, _ p: Conv3DParameters,
                               data: Bool, weights: Bool, bias: Bool) -> (data: Tensor?, weight: Tensor?, bias: Tensor?) {
        let c = p.config(input: x.shape, weight: w.shape, hasBias: bias)
        let gx = data ? Tensor(empty: x.shape, dtype: .float32) : nil
        let gw = weights ? Tensor(empty: w.shape, dtype: .float32) : nil
        let gb = weights && bias ? Tensor(empty: [w.shape[0]], dtype: .float32) : nil
        DNNLConvND.backward(c, src: x.ptr(Float.self), diffDst: gradient.ptr(Float.self), weights: w.ptr(Float.self),
                            diffSrc: gx?.ptr(Float.self), diffWeights: gw?.ptr(Float.self), diffBias: gb?.ptr(Float.self))
        return (gx, gw, gb)
    }

    public func conv3dBackwardData(_ gradient: Tensor, inputShape x: Shape, weight w: Tensor, _ p: Conv3DParameters) -> Tensor {
        precondition(gradient.dtype == .float32 && w.dtype == .float32, "conv3dBackwardData: the CPU backend computes convolutions in float32")
        let c = p.config(input: x, weight: w.shape, hasBias: false)
        let out = Tensor(empty: x, dtype: .float32)
        DNNLConvND.backward(c, src: nil, diffDst: gradient.ptr(Float.self), weights: w.ptr(Float.self), diffSrc: out.ptr(Float.self),
                            diffWeights: nil, diffBias: nil)
        return out
    }

    public func pool3d(_ x: Tensor, _ p: Pool3DParameters, training: Bool) -> (Tensor, workspace: Tensor?) {
        precondition(x.dtype == .float32, "pool3d: the CPU backend pools float32, got \(x.dtype)")
        let c = p.config(input: x.shape)
        let out = Tensor(empty: c.outputShape, dtype: .float32)
        var ws: Tensor? = nil
        if training && p.kind == .max {
            ws = Tensor(empty: [Swift.max(DNNLPoolND.workspaceBytes(c), 1)], dtype: .uint8)
        }
        DNNLPoolND.forward(c, src: x.ptr(Float.self), dst: out.ptr(Float.self), workspace: ws.map { UnsafeMutableRawPointer($0.storage.data) })
        return (out, ws)
    }

    public func pool3dBackward(_ gradient: Tensor, inputShape: Shape, workspace: Tensor?, _ p: Pool3DParameters) -> Tensor {
        let c = p.config(input: inputShape)
        let out = Tensor(empty: inputShape, dtype: .float32)
        DNNLPoolND.backward(c, diffDst: gradient.ptr(Float.self), diffSrc: out.ptr(Float.self),
                            workspace: workspace.map { UnsafeRawPointer($0.storage.data) })
        return out
    }

    public func conv2dBackwardData(_ gradient: Tensor, inputShape x: Shape, weight w: Tensor, _ p: Conv2DParameters) -> Tensor {
        precondition(gradient.dtype == .float32 && w.dtype == .float32, "conv2dBackwardData: the CPU backend computes convolutions in float32")
        let c = p.config(input: x, weight: w.shape, hasBias: false, fuseReLU: false)
        let out = Tensor(empty: x, dtype: .float32)
        DNNLConv.backwardData(c, diffDst: gradient.ptr(Float.self), weights: w.ptr(Float.self), diffSrc: out.ptr(Float.self))
        return out
    }
}
