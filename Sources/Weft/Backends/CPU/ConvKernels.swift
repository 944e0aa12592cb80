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
        DNNLConv.forward(c, src: x.storage, weights: w.storage, bias: bias?.storage, dst: out.storage)
        return out
    }

    public func conv2dBackward(_ gradient: Tensor, input x: Tensor, weight w: Tensor, _ p: Conv2DParameters,
                               data: Bool, weights: Bool, bias: Bool) -> (data: Tensor?, weight: Tensor?, bias: Tensor?) {
        let c = p.config(input: x.shape, weight: w.shape, hasBias: bias, fuseReLU: false)
        let gx = data ? Tensor(empty: x.shape, dtype: .float32) : nil
        let gw = weights ? Tensor(empty: w.shape, dtype: .float32) : nil
        let gb = weights && bias ? Tensor(empty: [w.shape[0]], dtype: .float32) : nil
        DNNLConv.backward(c, src: x.storage, diffDst: gradient.storage, weights: w.storage,
                          diffSrc: gx?.storage, diffWeights: gw?.storage, diffBias: gb?.storage)
        return (gx, gw, gb)
    }

    public func pool2d(_ x: Tensor, _ p: Pool2DParameters, training: Bool) -> (Tensor, workspace: Tensor?) {
        precondition(x.dtype == .float32, "pool2d: the CPU backend pools float32, got \(x.dtype)")
        let c = p.config(input: x.shape)
        let out = Tensor(empty: [c.batch, c.channels, c.outHeight, c.outWidth], dtype: .float32)
        if NativeMaxPool.handles(c) {
            c.validate()
            let ws = training ? Tensor(empty: [Swift.max(NativeMaxPool.workspaceBytes(c), 1)], dtype: .uint8) : nil
            NativeMaxPool.forward(c, src: x.ptr(Float.self), dst: out.ptr(Float.self),
                                  argmax: ws.map { $0.ptr(UInt8.self) })
            return (out, ws)
        }
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
        if NativeMaxPool.handles(c) {
            require(workspace != nil, "pool2dBackward: max pooling needs the workspace of a training forward: \(c)")
            NativeMaxPool.backward(c, diffDst: gradient.ptr(Float.self), diffSrc: out.ptr(Float.self),
                                   argmax: UnsafePointer(workspace!.ptr(UInt8.self)))
            return out
        }
        DNNLPool.backward(c, diffDst: gradient.ptr(Float.self), diffSrc: out.ptr(Float.self), workspace: workspace.map { UnsafeRawPointer($0.storage.data) })
        return out
    }
}
