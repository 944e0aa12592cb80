// Fused recurrent layers (vanilla RNN, LSTM, GRU linear-before-reset or not) through oneDNN's RNN
// primitives, forward (inference and training) and backward, on caller-owned float32 buffers.
//
// Layouts (oneDNN's names; one layer, one direction):
//   src_layer / dst_layer   [T, N, C] / [T, N, H] as `tnc`, or `ntc` for batch-first tensors
//   src_iter(_c) / dst_iter(_c)  [1, 1, N, H] `ldnc` (= a plain [N, H] matrix)
//   weights_layer [1, 1, C, G, H] and weights_iter [1, 1, H, G, H] `ldigo`
//     (= Keras's kernel [C, G·H] and recurrent kernel [H, G·H], gates in oneDNN's order)
//   bias [1, 1, G', H] `ldgo` (G' = G + 1 for the linear-before-reset GRU)
// The primitives pick their own weight formats (`any`): the plain weights are reordered into
// them on every call (they change every training step), by the `Part` machinery of
// DNNLRuntime.swift. The backward pass writes weight gradients in the plain layout.

import CDNNL
import Synchronization

extension RNNConfiguration {
    var cellCode: Int32 {
        switch cell {
        case .vanillaTanh, .vanillaReLU: 0
        case .lstm: 1
        case .gru: 2
        case .gruResetBefore: 3
        }
    }
    var activation: dnnl_alg_kind_t { cell == .vanillaReLU ? dnnl_eltwise_relu : dnnl_eltwise_tanh }
    var direction: dnnl_rnn_direction_t { reverse ? dnnl_unidirectional_right2left : dnnl_unidirectional_left2right }
    var layerTag: dnnl_format_tag_t { batchFirst ? dnnl_ntc : dnnl_tnc }
    var srcLayerDims: [Int] { [steps, batch, inputSize] }
    var dstLayerDims: [Int] { [steps, batch, hiddenSize] }
    var iterDims: [Int] { [1, 1, batch, hiddenSize] }
    var weightsLayerDims: [Int] { [1, 1, inputSize, gates, hiddenSize] }
    var weightsIterDims: [Int] { [1, 1, hiddenSize, gates, hiddenSize] }
    var biasDims: [Int] { [1, 1, biasGates, hiddenSize] }
    var hasCellState: Bool { cell == .lstm }
}

/// Raw float32 buffers of one RNN call. `srcIterC`/`dstIterC` (and their diffs) only for the LSTM.
struct RNNBuffers {
    var src: UnsafeRawPointer, srcIter: UnsafeRawPointer, srcIterC: UnsafeRawPointer?
    var weightsLayer: UnsafeRawPointer, weightsIter: UnsafeRawPointer, bias: UnsafeRawPointer
    var dst: UnsafeRawPointer, dstIter: UnsafeRawPointer, dstIterC: UnsafeRawPointer?
    var workspace: UnsafeRawPointer?
}

struct RNNDiffBuffers {
    var diffDst: UnsafeRawPointer, diffDstIter: UnsafeRawPointer, diffDstIterC: UnsafeRawPointer?
    var diffSrc: UnsafeRawPointer, diffSrcIter: UnsafeRawPointer, diffSrcIterC: UnsafeRawPointer?
    var diffWeightsLayer: UnsafeRawPointer, diffWeightsIter: UnsafeRawPointer, diffBias: UnsafeRawPointer
}

enum RNNRole {
    static let src = 0, srcIter = 1, srcIterC = 2, weightsLayer = 3, weightsIter = 4, bias = 5
    static let dst = 6, dstIter = 7, dstIterC = 8, workspace = 9
    static let diffDst = 10, diffDstIter = 11, diffDstIterC = 12
    static let diffSrc = 13, diffSrcIter = 14, diffSrcIterC = 15
    static let diffWeightsLayer = 16, diffWeightsIter = 17, diffBias = 18
}

/// oneDNN RNN kernels. Thread-safe; primitives are cached per configuration.
enum DNNLRNN {
    /// Bytes of the workspace a training forward writes and the backward reads.
    static func workspaceBytes(_ c: RNNConfiguration) -> Int {
        DNNL.applyThreadSetting()
        return rnnPlans.plan(for: c).state.withLock { s in
            Int(weft_dnnl_md_size(s.forwardPD(training: true).md(dnnl_query_workspace_md)))
        }
    }

    /// Forward pass; with `b.workspace` set, a training forward that fills it for `backward`.
    static func forward(_ c: RNNConfiguration, _ b: RNNBuffers) {
        DNNL.applyThreadSetting()
        rnnPlans.plan(for: c).state.withLock { s in
            let training = b.workspace != nil
            let part = s.forwardPart(training: training)
            part.bind(RNNRole.src, b.src)
            part.bind(RNNRole.srcIter, b.srcIter)
            part.bind(RNNRole.weightsLayer, b.weightsLayer)
            part.bind(RNNRole.weightsIter, b.weightsIter)
            part.bind(RNNRole.bias, b.bias)
            part.bind(RNNRole.dst, b.dst)
            part.bind(RNNRole.dstIter, b.dstIter)
            if c.hasCellState {
                part.bind(RNNRole.srcIterC, b.srcIterC)
                part.bind(RNNRole.dstIterC, b.dstIterC)
            }
            if training { part.bind(RNNRole.workspace, b.workspace) }
            part.execute()
        }
    }

    /// Backward pass. The weight and bias gradients are accumulated by oneDNN: the caller
    /// passes zeroed buffers.
    static func backward(_ c: RNNConfiguration, _ b: RNNBuffers, _ d: RNNDiffBuffers) {
        require(b.workspace != nil, "DNNLRNN.backward needs the workspace of a training forward")
        DNNL.applyThreadSetting()
        rnnPlans.plan(for: c).state.withLock { s in
            let part = s.backwardPart()
            part.bind(RNNRole.src, b.src)
            part.bind(RNNRole.srcIter, b.srcIter)
            part.bind(RNNRole.weightsLayer, b.weightsLayer)
            part.bind(RNNRole.weightsIter, b.weightsIter)
            part.bind(RNNRole.bias, b.bias)
            part.bind(RNNRole.dst, b.dst)
            part.bind(RNNRole.dstIter, b.dstIter)
            part.bind(RNNRole.workspace, b.workspace)
            part.bind(RNNRole.diffDst, d.diffDst)
            part.bind(RNNRole.diffDstIter, d.diffDstIter)
            part.bind(RNNRole.diffSrc, d.diffSrc)
            part.bind(RNNRole.diffSrcIter, d.diffSrcIter)
            part.bind(RNNRole.diffWeightsLayer, d.diffWeightsLayer)
            part.bind(RNNRole.diffWeightsIter, d.diffWeightsIter)
            part.bind(RNNRole.diffBias, d.diffBias)
            if c.hasCellState {
                part.bind(RNNRole.srcIterC, b.srcIterC)
                part.bind(RNNRole.dstIterC, b.dstIterC)
                part.bind(RNNRole.diffDstIterC, d.diffDstIterC)
                part.bind(RNNRole.diffSrcIterC, d.diffSrcIterC)
            }
            // oneDNN adds to the weight gradients: zero the blocked buffers it writes into.
            for role in [RNNRole.diffWeightsLayer, RNNRole.diffWeightsIter] {
                if let bl = part.blocked[role] { bl.buffer.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bl.buffer.bytes) }
            }
            part.execute()
        }
    }

    /// The implementations chosen (training forward, backward), for diagnostics.
    static func implementations(_ c: RNNConfiguration) -> (forward: String, backward: String) {
        DNNL.applyThreadSetting()
        return rnnPlans.plan(for: c).state.withLock { s in
            (s.forwardPart(training: true).implementations.joined(separator: " -> "),
             s.backwardPart().implementations.joined(separator: " -> "))
        }
    }
}

let rnnPlans = PlanCache<RNNConfiguration, RNNPlan> { RNNPlan($0) }

final class RNNPlan: Sendable {
    let state: Mutex<RNNState>
    init(_ c: RNNConfiguration) { state = Mutex(RNNState(c)) }
}

/// `@unchecked Sendable`: only ever reached through `RNNPlan.state`'s mutex.
final class RNNState: @unchecked Sendable {
    let c: RNNConfiguration
    private var trainPD: PrimitiveDesc?
    private var inferPD: PrimitiveDesc?
    private var train: Part?
    private var infer: Part?
    private var bwd: Part?

    init(_ c: RNNConfiguration) { self.c = c }

    /// Plain memory descriptors of every tensor, in the caller's layouts.
    private struct Plain {
        let src, srcIter, weightsLayer, weightsIter, bias, dst, dstIter: MemoryDesc
        let weightsLayerAny, weightsIterAny: MemoryDesc
        init(_ c: RNNConfiguration) {
            src = MemoryDesc(c.srcLayerDims, c.layerTag)
            dst = MemoryDesc(c.dstLayerDims, c.layerTag)
            srcIter = MemoryDesc(c.iterDims, dnnl_ldnc)
            dstIter = MemoryDesc(c.iterDims, dnnl_ldnc)
            weightsLayer = MemoryDesc(c.weightsLayerDims, dnnl_ldigo)
            weightsIter = MemoryDesc(c.weightsIterDims, dnnl_ldigo)
            weightsLayerAny = MemoryDesc(c.weightsLayerDims, dnnl_format_tag_any)
            weightsIterAny = MemoryDesc(c.weightsIterDims, dnnl_format_tag_any)
            bias = MemoryDesc(c.biasDims, dnnl_ldgo)
        }
    }

    func forwardPD(training: Bool) -> PrimitiveDesc {
        if let p = training ? trainPD : inferPD { return p }
        let m = Plain(c)
        let cState = c.hasCellState ? m.srcIter.pointer : nil
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        withExtendedLifetime((m, attr)) {
            dnnlCheck(weft_dnnl_rnn_fwd_pd_create(&pd, DNNLRuntime.shared.engine,
                                                  training ? dnnl_forward_training : dnnl_forward_inference,
                                                  c.cellCode, c.activation, c.direction,
                                                  m.src.pointer, m.srcIter.pointer, cState,
                                                  m.weightsLayerAny.pointer, m.weightsIterAny.pointer, m.bias.pointer,
                                                  m.dst.pointer, m.dstIter.pointer, c.hasCellState ? m.dstIter.pointer : nil,
                                                  attr.handle),
                      "rnn forward primitive_desc_create", "\(c)")
        }
        let p = PrimitiveDesc(pd!)
        if training { trainPD = p } else { inferPD = p }
        return p
    }

    private func weightsMD(_ pd: PrimitiveDesc, _ arg: Int32) -> UnsafeRawPointer {
        guard let md = pd.md(dnnl_query_exec_arg_md, arg) else {
            fatalError("oneDNN RNN primitive has no md for argument \(arg): \(c)")
        }
        return md
    }

    /// Binds the arguments shared by the forward and the backward primitives.
    private func addForwardArguments(_ b: Part.Builder, _ pd: PrimitiveDesc, _ m: Plain) {
        b.direct(role: RNNRole.src, arg: DNNL_ARG_SRC_LAYER, plain: m.src)
        b.direct(role: RNNRole.srcIter, arg: DNNL_ARG_SRC_ITER, plain: m.srcIter)
        b.tensor(role: RNNRole.weightsLayer, arg: DNNL_ARG_WEIGHTS_LAYER, plain: m.weightsLayer,
                 chosen: weightsMD(pd, DNNL_ARG_WEIGHTS_LAYER), output: false)
        b.tensor(role: RNNRole.weightsIter, arg: DNNL_ARG_WEIGHTS_ITER, plain: m.weightsIter,
                 chosen: weightsMD(pd, DNNL_ARG_WEIGHTS_ITER), output: false)
        b.direct(role: RNNRole.bias, arg: DNNL_ARG_BIAS, plain: m.bias)
        b.direct(role: RNNRole.dst, arg: DNNL_ARG_DST_LAYER, plain: m.dst)
        b.direct(role: RNNRole.dstIter, arg: DNNL_ARG_DST_ITER, plain: m.dstIter)
        if c.hasCellState {
            b.direct(role: RNNRole.srcIterC, arg: DNNL_ARG_SRC_ITER_C, plain: m.srcIter)
            b.direct(role: RNNRole.dstIterC, arg: DNNL_ARG_DST_ITER_C, plain: m.dstIter)
        }
    }

    func forwardPart(training: Bool) -> Part {
        if let p = training ? train : infer { return p }
        let pd = forwardPD(training: training)
        let m = Plain(c)
        let b = Part.Builder(pd: pd)
        addForwardArguments(b, pd, m)
        if training {
            guard let ws = pd.md(dnnl_query_workspace_md), weft_dnnl_md_size(ws) > 0 else {
                fatalError("oneDNN RNN training forward has no workspace: \(c)")
            }
            b.direct(role: RNNRole.workspace, arg: DNNL_ARG_WORKSPACE, md: ws)
        }
        let p = withExtendedLifetime(m) { b.finish() }
        if training { train = p } else { infer = p }
        return p
    }

    func backwardPart() -> Part {
        if let bwd { return bwd }
        let hint = forwardPD(training: true)
        let m = Plain(c)
        let cState = c.hasCellState ? m.srcIter.pointer : nil
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        withExtendedLifetime((m, attr)) {
            dnnlCheck(weft_dnnl_rnn_bwd_pd_create(&pd, DNNLRuntime.shared.engine, c.cellCode, c.activation, c.direction,
                                                  m.src.pointer, m.srcIter.pointer, cState,
                                                  m.weightsLayerAny.pointer, m.weightsIterAny.pointer, m.bias.pointer,
                                                  m.dst.pointer, m.dstIter.pointer, cState,
                                                  m.src.pointer, m.srcIter.pointer, cState,
                                                  m.weightsLayer.pointer, m.weightsIter.pointer, m.bias.pointer,
                                                  m.dst.pointer, m.dstIter.pointer, cState,
                                                  hint.handle, attr.handle),
                      "rnn backward primitive_desc_create", "\(c)")
        }
        let bpd = PrimitiveDesc(pd!)
        let b = Part.Builder(pd: bpd)
        addForwardArguments(b, bpd, m)
        guard let ws = bpd.md(dnnl_query_workspace_md), weft_dnnl_md_size(ws) > 0 else {
            fatalError("oneDNN RNN backward has no workspace: \(c)")
        }
        require(weft_dnnl_md_equal(ws, hint.md(dnnl_query_workspace_md)!) != 0,
                "oneDNN RNN: backward workspace differs from the training forward's: \(c)")
        b.direct(role: RNNRole.workspace, arg: DNNL_ARG_WORKSPACE, md: ws)
        b.direct(role: RNNRole.diffDst, arg: DNNL_ARG_DIFF_DST_LAYER, plain: m.dst)
        b.direct(role: RNNRole.diffDstIter, arg: DNNL_ARG_DIFF_DST_ITER, plain: m.dstIter)
        b.direct(role: RNNRole.diffSrc, arg: DNNL_ARG_DIFF_SRC_LAYER, plain: m.src)
        b.direct(role: RNNRole.diffSrcIter, arg: DNNL_ARG_DIFF_SRC_ITER, plain: m.srcIter)
        b.tensor(role: RNNRole.diffWeightsLayer, arg: DNNL_ARG_DIFF_WEIGHTS_LAYER, plain: m.weightsLayer,
                 chosen: weightsMD(bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER), output: true)
        b.tensor(role: RNNRole.diffWeightsIter, arg: DNNL_ARG_DIFF_WEIGHTS_ITER, plain: m.weightsIter,
                 chosen: weightsMD(bpd, DNNL_ARG_DIFF_WEIGHTS_ITER), output: true)
        b.direct(role: RNNRole.diffBias, arg: DNNL_ARG_DIFF_BIAS, plain: m.bias)
        if c.hasCellState {
            b.direct(role: RNNRole.diffDstIterC, arg: DNNL_ARG_DIFF_DST_ITER_C, plain: m.dstIter)
            b.direct(role: RNNRole.diffSrcIterC, arg: DNNL_ARG_DIFF_SRC_ITER_C, plain: m.srcIter)
        }
        let p = withExtendedLifetime(m) { b.finish() }
        bwd = p
        return p
    }
}
