// Convolution and pooling on the CPU go through the oneDNN adapter (DNNL/).

extension Conv2DParameters {
    func config(input x: Shape, weight w: Shape, hasBias: Bool, fuseReLU: Bool) -> Conv2DConfig {
        Conv2DConfig(batch: x[0], inChannels: x[1], outChannels: w[0], height: x[2], width: x[3], kernelH: w[2], kernelW: w[3],
                     strideH: strideH, strideW: strideW, padTop: padTop, padLeft: padLeft, padBottom: padBottom, padRight: padRight,
                     dilationH: dilationH, dilationW: dilationW, groups: groups, hasBias: hasBias, fuseReLU: fuseReLU)
    }
}

extension Pool2DParameters {
    func config(input x: Shape) -> Pool2DConfig {
        let k: Pool2DConfig.Kind
        switch kind {
        case .max: k = .max
        case .averageIncludingPadding: k = .avgIncludePadding
        case .averageExcludingPadding: k = .avgExcludePadding
        }
        return Pool2DConfig(batch: x[0], channels: x[1], height: x[2], width: x[3], kernelH: kernelH, kernelW: kernelW,
                            strideH: strideH, strideW: strideW, padTop: padTop, padLeft: padLeft, padBottom: padBottom,
                            padRight: padRight, kind: k)
    }
}

extension CPUBackend {
    public func conv2d(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ p: Conv2DParameters, fuseReLU: Bool) -> Tensor {
        precondition(x.dtype == .float32 && w.dtype == .float32, "conv2d: the CPU backend computes convolutions in float32, got \(x.dtype)")
        let c = p.config(input: x.shape, weight: w.shape, hasBias: bias != nil, fuseReLU: fuseReLU)
        let out = Tensor(empty: [c.batch, c.outChannels, c.outHeight, c.outWidth], dtype: .float32)
        DNNLConv.forward(c, src: x.ptr(Float.self), weights: w.ptr(Float.self), bias: bias.map { UnsafePointer($0.ptr(Float.self)) },
                         dst: out.ptr(Float.self))
        return out
    }

    public func conv2dBackwardData(_ gradient: Tensor, _ w: Tensor, inputShape: Shape, _ p: Conv2DParameters) -> Tensor {
        let c = p.config(input: inputShape, weight: w.shape, hasBias: false, fuseReLU: false)
        let out = Tensor(empty: inputShape, dtype: .float32)
        DNNLConv.backwardData(c, diffDst: gradient.ptr(Float.self), weights: w.ptr(Float.self), diffSrc: out.ptr(Float.self))
        return out
    }

    public func conv2dBackwardWeights(_ gradient: Tensor, _ x: Tensor, weightShape: Shape, withBias: Bool, _ p: Conv2DParameters) -> (Tensor, Tensor?) {
        let c = p.config(input: x.shape, weight: weightShape, hasBias: withBias, fuseReLU: false)
        let gw = Tensor(empty: weightShape, dtype: .float32)
        let gb = withBias ? Tensor(empty: [weightShape[0]], dtype: .float32) : nil
        DNNLConv.backwardWeights(c, src: x.ptr(Float.self), diffDst: gradient.ptr(Float.self), diffWeights: gw.ptr(Float.self),
                                 diffBias: gb?.ptr(Float.self))
        return (gw, gb)
    }

    public func pool2d(_ x: Tensor, _ p: Pool2DParameters, training: Bool) -> (Tensor, workspace: Tensor?) {
        precondition(x.dtype == .float32, "pool2d: the CPU backend pools float32, got \(x.dtype)")
        let c = p.config(input: x.shape)
        let out = Tensor(empty: [c.batch, c.channels, c.outHeight, c.outWidth], dtype: .float32)
        var ws: Tensor? = nil
        if training && p.kind == .max {
            ws = Tensor(empty: [Swift.max(DNNLPool.workspaceBytes(c), 1)], dtype: .uint8)
        }
        DNNLPool.forward(c, src: x.ptr(Float.self), dst: out.ptr(Float.self), workspace: ws.map { UnsafeMutableRawPointer($0.storage.data) })
        return (out, ws)
    }

    public func pool2dBackward(_ gradient: Tensor, inputShape: Shape, workspace: Tensor?, _ p: Pool2DParameters) -> Tensor {
        let c = p.config(input: inputShape)
        let out = Tensor(empty: inputShape, dtype: .float32)
        DNNLPool.backward(c, diffDst: gradient.ptr(Float.self), diffSrc: out.ptr(Float.self), workspace: workspace.map { UnsafeRawPointer($0.storage.data) })
        return out
    }
}
