// Fused recurrent layers on the CPU go through the oneDNN adapter (DNNL/RNN.swift).

extension CPUBackend {
    public func rnnForward(_ c: RNNConfiguration, input: Tensor, initialHidden: Tensor, initialCell: Tensor?,
                           weightsLayer: Tensor, weightsIter: Tensor, bias: Tensor, training: Bool) -> (packed: Tensor, workspace: Tensor?) {
        for t in [input, initialHidden, weightsLayer, weightsIter, bias] + (initialCell.map { [$0] } ?? []) {
            precondition(t.dtype == .float32, "rnn: the CPU backend runs fused recurrent cells in float32, got \(t.dtype)")
        }
        let packed = Tensor(empty: [c.packedCount], dtype: .float32)
        let ws = training ? Tensor(empty: [Swift.max(DNNLRNN.workspaceBytes(c), 1)], dtype: .uint8) : nil
        let seq = c.steps * c.batch * c.hiddenSize, state = c.batch * c.hiddenSize
        let out = UnsafeRawPointer(packed.ptr(Float.self))
        DNNLRNN.forward(c, RNNBuffers(
            src: UnsafeRawPointer(input.ptr(Float.self)), srcIter: UnsafeRawPointer(initialHidden.ptr(Float.self)),
            srcIterC: initialCell.map { UnsafeRawPointer($0.ptr(Float.self)) },
            weightsLayer: UnsafeRawPointer(weightsLayer.ptr(Float.self)), weightsIter: UnsafeRawPointer(weightsIter.ptr(Float.self)),
            bias: UnsafeRawPointer(bias.ptr(Float.self)),
            dst: out, dstIter: out + 4 * seq, dstIterC: c.cell == .lstm ? out + 4 * (seq + state) : nil,
            workspace: ws.map { UnsafeRawPointer($0.storage.data) }))
        return (packed, ws)
    }

    public func rnnBackward(_ c: RNNConfiguration, gradient: Tensor, packed: Tensor, workspace: Tensor, input: Tensor,
                            initialHidden: Tensor, initialCell: Tensor?, weightsLayer: Tensor, weightsIter: Tensor, bias: Tensor) -> RNNGradients {
        let g = gradient.cast(to: .float32)
        let seq = c.steps * c.batch * c.hiddenSize, state = c.batch * c.hiddenSize
        let gx = Tensor(empty: input.shape, dtype: .float32)
        let gh = Tensor(empty: initialHidden.shape, dtype: .float32)
        let gc = initialCell.map { Tensor(empty: $0.shape, dtype: .float32) }
        // oneDNN adds to the weight and bias gradients.
        let gwl = Tensor.zeros(weightsLayer.shape, dtype: .float32)
        let gwi = Tensor.zeros(weightsIter.shape, dtype: .float32)
        let gb = Tensor.zeros(bias.shape, dtype: .float32)
        let out = UnsafeRawPointer(packed.ptr(Float.self)), dOut = UnsafeRawPointer(g.ptr(Float.self))
        let lstm = c.cell == .lstm
        DNNLRNN.backward(c, RNNBuffers(
            src: UnsafeRawPointer(input.ptr(Float.self)), srcIter: UnsafeRawPointer(initialHidden.ptr(Float.self)),
            srcIterC: initialCell.map { UnsafeRawPointer($0.ptr(Float.self)) },
            weightsLayer: UnsafeRawPointer(weightsLayer.ptr(Float.self)), weightsIter: UnsafeRawPointer(weightsIter.ptr(Float.self)),
            bias: UnsafeRawPointer(bias.ptr(Float.self)),
            dst: out, dstIter: out + 4 * seq, dstIterC: lstm ? out + 4 * (seq + state) : nil,
            workspace: UnsafeRawPointer(workspace.storage.data)),
        RNNDiffBuffers(
            diffDst: dOut, diffDstIter: dOut + 4 * seq, diffDstIterC: lstm ? dOut + 4 * (seq + state) : nil,
            diffSrc: UnsafeRawPointer(gx.ptr(Float.self)), diffSrcIter: UnsafeRawPointer(gh.ptr(Float.self)),
            diffSrcIterC: gc.map { UnsafeRawPointer($0.ptr(Float.self)) },
            diffWeightsLayer: UnsafeRawPointer(gwl.ptr(Float.self)), diffWeightsIter: UnsafeRawPointer(gwi.ptr(Float.self)),
            diffBias: UnsafeRawPointer(gb.ptr(Float.self))))
        return RNNGradients(input: gx, initialHidden: gh, initialCell: gc, weightsLayer: gwl, weightsIter: gwi, bias: gb)
    }
}
