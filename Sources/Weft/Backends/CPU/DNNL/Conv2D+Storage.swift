/// Convolution on tensor storages: like the pointer API, and in addition each blocked copy made
/// for a tensor (the forward's output, an input reordered for the primitive) stays with that
/// tensor's storage, so the next convolution reading it (the next layer's forward, this
/// layer's backward-weights, the backward-data/backward-weights pair sharing one output
/// gradient) skips its reorder.
extension DNNLConv {
    static func forward(_ c: Conv2DConfig, src: TensorStorage, weights: TensorStorage, bias: TensorStorage?, dst: TensorStorage) {
        c.validate()
        DNNL.applyThreadSetting()
        convPlans.plan(for: ConvKey(c)).state.withLock { s in
            let part = s.forwardPart()
            part.bind(ConvRole.src, storage: src)
            part.bind(ConvRole.weights, storage: weights)
            part.bind(ConvRole.dst, storage: dst)
            if let bias { part.bind(ConvRole.bias, UnsafeRawPointer(bias.data)) }
            part.execute()
        }
    }

    /// Backward-data (when `diffSrc` is given) and backward-weights (when `diffWeights` is).
    static func backward(_ c: Conv2DConfig, src: TensorStorage, diffDst: TensorStorage, weights: TensorStorage,
                         diffSrc: TensorStorage?, diffWeights: TensorStorage?, diffBias: TensorStorage?) {
        c.validate()
        DNNL.applyThreadSetting()
        convPlans.plan(for: ConvKey(c)).state.withLock { s in
            if let diffSrc {
                let part = s.backwardDataPart()
                part.bind(ConvRole.diffDst, storage: diffDst)
                part.bind(ConvRole.weights, storage: weights)
                part.bind(ConvRole.diffSrc, storage: diffSrc)
                part.execute()
            }
            if let diffWeights {
                let part = s.backwardWeightsPart()
                part.bind(ConvRole.src, storage: src)
                part.bind(ConvRole.diffDst, storage: diffDst)
                part.bind(ConvRole.diffWeights, storage: diffWeights)
                if let diffBias { part.bind(ConvRole.diffBias, UnsafeRawPointer(diffBias.data)) }
                part.execute()
            }
        }
    }
}
