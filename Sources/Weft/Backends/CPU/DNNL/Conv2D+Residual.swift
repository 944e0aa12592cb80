// Inference convolution with a residual added in oneDNN: dst = [ReLU](conv(src) + bias + residual),
// through a `sum` post-op (then the ReLU eltwise post-op). The destination starts as a copy of
// the residual in the primitive's blocked layout — a plain copy when the residual's storage
// already holds that layout (it came out of another convolution), else a reorder — so that a
// ResNet block's addition and ReLU cost no extra pass, and the output keeps its blocked copy
// for the next block's convolutions (no input reorder there either).

import CDNNL
import Synchronization

extension DNNLConv {
    /// dst = conv(src, weights) (+ bias) + residual, then ReLU when `c.fuseReLU`; `residual` and
    /// `dst` are [N, O, OH, OW] float32 (plain NCHW). Forward only (no backward counterpart).
    static func forwardAddingResidual(_ c: Conv2DConfig, src: TensorStorage, weights: TensorStorage, bias: TensorStorage?,
                                      residual: TensorStorage, dst: TensorStorage) {
        c.validate()
        require((bias != nil) == c.hasBias,
                "DNNLConv.forwardAddingResidual: bias is \(bias == nil ? "nil" : "given") but hasBias is \(c.hasBias): \(c)")
        DNNL.applyThreadSetting()
        residualConvPlans.plan(for: ConvKey(c)).state.withLock { s in s.run(src: src, weights: weights, bias: bias, residual: residual, dst: dst) }
    }
}

let residualConvPlans = PlanCache<ConvKey, ResidualConvPlan> { ResidualConvPlan($0) }

final class ResidualConvPlan: Sendable {
    let state: Mutex<ResidualConvState>
    init(_ k: ConvKey) { state = Mutex(ResidualConvState(k)) }
}

/// The primitive (with post-ops sum [, relu]) and the reorders of its destination. Only used
/// under `ResidualConvPlan.state`'s mutex.
final class ResidualConvState: @unchecked Sendable {
    let c: Conv2DConfig
    /// The convolution: src and weights as tensors (reordered or taken from their storages'
    /// blocked copies), bias direct, dst bound directly to a buffer in `dstMD`.
    private let conv: Part
    /// The primitive's destination layout (owned by `conv.pd`).
    private let dstMD: UnsafeRawPointer
    private let dstIsPlain: Bool
    /// Plain residual → dstMD, and dstMD → plain output (nil when dst is plain).
    private let toBlocked: Part?
    private let toPlain: Part?
    private let plainMD: MemoryDesc

    init(_ k: ConvKey) {
        let c = k.config
        self.c = c
        let alg = k.algorithm == .auto ? dnnl_convolution_auto : dnnl_convolution_direct
        let rt = DNNLRuntime.shared
        let src = MemoryDesc(c.srcDims, dnnl_format_tag_any)
        let wei = MemoryDesc(c.weightsDims, dnnl_format_tag_any)
        let dst = MemoryDesc(c.dstDims, dnnl_format_tag_any)
        let bias = c.hasBias ? MemoryDesc([c.outChannels], dnnl_a) : nil
        // Post-ops: sum, then ReLU (oneDNN applies them in order).
        var a: OpaquePointer?
        dnnlCheck(dnnl_primitive_attr_create(&a), "dnnl_primitive_attr_create")
        dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(a!, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode")
        var ops: OpaquePointer?
        dnnlCheck(dnnl_post_ops_create(&ops), "dnnl_post_ops_create")
        dnnlCheck(weft_dnnl_post_ops_append_sum(ops), "dnnl_post_ops_append_sum")
        if c.fuseReLU { dnnlCheck(weft_dnnl_post_ops_append_relu(ops), "dnnl_post_ops_append_eltwise") }
        dnnlCheck(dnnl_primitive_attr_set_post_ops(a!, ops), "dnnl_primitive_attr_set_post_ops")
        dnnl_post_ops_destroy(ops)
        defer { dnnl_primitive_attr_destroy(a!) }
        var pd: OpaquePointer?
        // forward_training, as the plain convolutions: the same implementation and layouts
        // (forward_inference picks NHWC/brgemm kernels for some 1×1 shapes here, whose layouts
        // would not match the blocked copies the other convolutions leave).
        withExtendedLifetime((src, wei, dst, bias)) {
            dnnlCheck(weft_dnnl_conv_fwd_pd_create(&pd, rt.engine, dnnl_forward_training, alg,
                                                   src.pointer, wei.pointer, bias?.pointer, dst.pointer,
                                                   c.strides, c.dnnlDilates, c.padL, c.padR, a!),
                      "convolution forward (sum post-op) primitive_desc_create", c.description)
        }
        let convPD = PrimitiveDesc(pd!)
        let b = Part.Builder(pd: convPD)
        b.tensor(role: ConvRole.src, arg: DNNL_ARG_SRC, plain: MemoryDesc(c.srcDims, dnnl_nchw),
                 query: dnnl_query_src_md, output: false)
        b.tensor(role: ConvRole.weights, arg: DNNL_ARG_WEIGHTS, plain: MemoryDesc(c.weightsDims, c.weightsTag),
                 query: dnnl_query_weights_md, output: false)
        if c.hasBias { b.direct(role: ConvRole.bias, arg: DNNL_ARG_BIAS, plain: MemoryDesc([c.outChannels], dnnl_a)) }
        // The destination is bound directly, in the primitive's own layout (md owned by convPD,
        // which `conv` keeps alive).
        dstMD = convPD.md(dnnl_query_dst_md)!
        b.direct(role: ConvRole.dst, arg: DNNL_ARG_DST, md: dstMD)
        conv = b.finish()
        plainMD = MemoryDesc(c.dstDims, dnnl_nchw)
        dstIsPlain = weft_dnnl_md_equal(dstMD, plainMD.pointer) != 0
        if dstIsPlain {
            toBlocked = nil
            toPlain = nil
        } else {
            toBlocked = ResidualConvState.reorder(from: plainMD.pointer, to: dstMD)
            toPlain = ResidualConvState.reorder(from: dstMD, to: plainMD.pointer)
        }
    }

    /// A reorder as a part with roles 0 (from) and 1 (to), both bound directly.
    private static func reorder(from: UnsafeRawPointer, to: UnsafeRawPointer) -> Part {
        var r: OpaquePointer?
        let attr = PrimitiveAttr()
        withExtendedLifetime(attr) {
            dnnlCheck(weft_dnnl_reorder_pd_create(&r, from, to, DNNLRuntime.shared.engine, attr.handle),
                      "dnnl_reorder_primitive_desc_create")
        }
        let b = Part.Builder(pd: PrimitiveDesc(r!))
        b.direct(role: 0, arg: DNNL_ARG_FROM, md: from)
        b.direct(role: 1, arg: DNNL_ARG_TO, md: to)
        return b.finish()
    }

    func run(src: TensorStorage, weights: TensorStorage, bias: TensorStorage?, residual: TensorStorage, dst: TensorStorage) {
        let bytes = Int(weft_dnnl_md_size(dstMD))
        // The destination buffer, filled with the residual in the primitive's layout.
        let acc: TensorStorage
        if dstIsPlain {
            acc = dst
            acc.data.copyMemory(from: residual.data, byteCount: bytes)
        } else {
            acc = TensorStorage(byteCount: bytes)
            if let alt = residual.alternate, weft_dnnl_md_equal(alt.descriptor, dstMD) != 0 {
                acc.data.copyMemory(from: alt.buffer.data, byteCount: bytes)
            } else {
                toBlocked!.bind(0, UnsafeRawPointer(residual.data))
                toBlocked!.bind(1, UnsafeRawPointer(acc.data))
                toBlocked!.execute()
            }
        }
        conv.bind(ConvRole.src, storage: src)
        conv.bind(ConvRole.weights, storage: weights)
        if let bias { conv.bind(ConvRole.bias, UnsafeRawPointer(bias.data)) }
        conv.bind(ConvRole.dst, UnsafeRawPointer(acc.data))
        conv.execute()
        if !dstIsPlain {
            toPlain!.bind(0, UnsafeRawPointer(acc.data))
            toPlain!.bind(1, UnsafeRawPointer(dst.data))
            toPlain!.execute()
            dst.alternate = AlternateLayout(descriptor: dstMD, owner: conv.pd, buffer: acc)
        }
    }
}
