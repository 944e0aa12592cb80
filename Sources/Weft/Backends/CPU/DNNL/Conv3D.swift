// N-d convolution through oneDNN (used for 3-D: NCDHW activations, OIDHW weights):
// forward, backward-data, backward-weights (+bias). The same scheme as Conv2D.swift:
// primitives are created with format `any` and the reorders to and from the caller's plain
// layouts run around them; primitives, reorders and blocked buffers are cached per configuration.
// (The existing shim wrappers take their dimensions from the memory descriptors, so they serve
// every spatial rank; no new C is needed.)

import CDNNL
import Synchronization

/// Shape and hyper-parameters of an N-d convolution (PyTorch's conventions; 3 spatial dims for conv3d).
public struct ConvNDConfig: Hashable, Sendable, CustomStringConvertible {
    public var batch, inChannels, outChannels: Int
    /// Input spatial sizes (D, H, W for 3-D).
    public var spatial: [Int]
    public var kernel: [Int]
    public var stride: [Int]
    public var padBefore: [Int]
    public var padAfter: [Int]
    /// Dilation as PyTorch counts it: 1 = none.
    public var dilation: [Int]
    public var groups: Int
    public var hasBias: Bool
    /// The thread count requested when the plan was made (part of the cache key: oneDNN's jit
    /// kernels fix their partitioning at creation, and `DNNL.clearCaches` does not know this cache).
    var threads: Int

    public init(batch: Int, inChannels: Int, outChannels: Int, spatial: [Int], kernel: [Int], stride: [Int],
                padBefore: [Int], padAfter: [Int], dilation: [Int], groups: Int = 1, hasBias: Bool = false) {
        self.batch = batch; self.inChannels = inChannels; self.outChannels = outChannels
        self.spatial = spatial; self.kernel = kernel; self.stride = stride
        self.padBefore = padBefore; self.padAfter = padAfter; self.dilation = dilation
        self.groups = groups; self.hasBias = hasBias
        self.threads = DNNL.requestedThreads.load(ordering: .relaxed)
    }

    public var outSpatial: [Int] {
        spatial.indices.map { i in
            let span = spatial[i] + padBefore[i] + padAfter[i] - dilation[i] * (kernel[i] - 1) - 1
            return span < 0 || stride[i] < 1 ? 0 : span / stride[i] + 1
        }
    }
    public var inputShape: [Int] { [batch, inChannels] + spatial }
    public var weightShape: [Int] { [outChannels, groups > 0 ? inChannels / groups : inChannels] + kernel }
    public var outputShape: [Int] { [batch, outChannels] + outSpatial }

    public var description: String {
        "Conv\(spatial.count)D(input \(inputShape), weight \(weightShape) -> output \(outputShape), stride \(stride), "
            + "pad before \(padBefore), after \(padAfter), dilation \(dilation), groups \(groups), bias \(hasBias))"
    }

    /// Traps (`fatalError`, message with the shapes) unless the configuration is valid.
    public func validate() {
        let n = spatial.count
        require(n >= 1 && kernel.count == n && stride.count == n && padBefore.count == n && padAfter.count == n
                    && dilation.count == n, "ConvND: spatial, kernel, stride, padding and dilation ranks differ: \(self)")
        require(batch >= 1 && inChannels >= 1 && outChannels >= 1 && spatial.allSatisfy { $0 >= 1 },
                "ConvND: sizes must be positive: \(self)")
        require(kernel.allSatisfy { $0 >= 1 } && stride.allSatisfy { $0 >= 1 } && dilation.allSatisfy { $0 >= 1 },
                "ConvND: kernel, strides and dilations must be >= 1: \(self)")
        require(padBefore.allSatisfy { $0 >= 0 } && padAfter.allSatisfy { $0 >= 0 }, "ConvND: padding must be >= 0: \(self)")
        require(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                "ConvND: in channels \(inChannels) and out channels \(outChannels) must both be divisible by groups \(groups): \(self)")
        require(outSpatial.allSatisfy { $0 >= 1 }, "ConvND: the dilated kernel is larger than the padded input: \(self)")
    }

    var weightsDims: [Int] {
        groups == 1 ? weightShape : [groups, outChannels / groups, inChannels / groups] + kernel
    }
    var strides64: [Int64] { stride.map(Int64.init) }
    var dnnlDilates: [Int64] { dilation.map { Int64($0 - 1) } }
    var padL: [Int64] { padBefore.map(Int64.init) }
    var padR: [Int64] { padAfter.map(Int64.init) }
}

/// The plain row-major format tag for a tensor of `rank` dimensions (ncdhw = abcde, goidhw = abcdef).
func plainTag(rank: Int) -> dnnl_format_tag_t {
    switch rank {
    case 1: return dnnl_a
    case 2: return dnnl_ab
    case 3: return dnnl_abc
    case 4: return dnnl_abcd
    case 5: return dnnl_abcde
    case 6: return dnnl_abcdef
    default: fatalError("oneDNN adapter: no plain format tag for rank \(rank)")
    }
}

/// oneDNN N-d convolution kernels on caller-owned plain float32 buffers. Thread-safe; calls
/// with the same configuration are serialized (they share cached buffers).
public enum DNNLConvND {
    /// dst = conv(src, weights) (+ bias).
    public static func forward(_ c: ConvNDConfig, src: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, dst: UnsafeMutablePointer<Float>) {
        c.validate()
        require((bias != nil) == c.hasBias, "DNNLConvND.forward: bias is \(bias == nil ? "nil" : "given") but hasBias is \(c.hasBias): \(c)")
        DNNL.applyThreadSetting()
        convNDPlans.plan(for: c).state.withLock { s in
            let part = s.forwardPart()
            part.bind(ConvRole.src, src)
            part.bind(ConvRole.weights, weights)
            part.bind(ConvRole.dst, dst)
            if let bias { part.bind(ConvRole.bias, bias) }
            part.execute()
        }
    }

    /// Gradients with respect to the input (when `diffSrc` is given) and to the weights and bias
    /// (when `diffWeights` is); each output is overwritten.
    public static func backward(_ c: ConvNDConfig, src: UnsafePointer<Float>?, diffDst: UnsafePointer<Float>,
                                weights: UnsafePointer<Float>?, diffSrc: UnsafeMutablePointer<Float>?,
                                diffWeights: UnsafeMutablePointer<Float>?, diffBias: UnsafeMutablePointer<Float>?) {
        c.validate()
        require(diffWeights == nil || (diffBias != nil) == c.hasBias,
                "DNNLConvND.backward: diffBias is \(diffBias == nil ? "nil" : "given") but hasBias is \(c.hasBias): \(c)")
        require(diffSrc == nil || weights != nil, "DNNLConvND.backward: backward-data needs the weights: \(c)")
        require(diffWeights == nil || src != nil, "DNNLConvND.backward: backward-weights needs the input: \(c)")
        DNNL.applyThreadSetting()
        convNDPlans.plan(for: c).state.withLock { s in
            if let diffSrc {
                let part = s.backwardDataPart()
                part.bind(ConvRole.diffDst, diffDst)
                part.bind(ConvRole.weights, weights)
                part.bind(ConvRole.diffSrc, diffSrc)
                part.execute()
            }
            if let diffWeights {
                let part = s.backwardWeightsPart()
                part.bind(ConvRole.src, src)
                part.bind(ConvRole.diffDst, diffDst)
                part.bind(ConvRole.diffWeights, diffWeights)
                if let diffBias { part.bind(ConvRole.diffBias, diffBias) }
                part.execute()
            }
        }
    }

    /// The oneDNN implementations chosen for `c` (forward, backward-data, backward-weights).
    public static func implementations(_ c: ConvNDConfig) -> (forward: String, backwardData: String, backwardWeights: String) {
        c.validate()
        DNNL.applyThreadSetting()
        return convNDPlans.plan(for: c).state.withLock { s in
            (s.forwardPart().implementations.joined(separator: " -> "),
             s.backwardDataPart().implementations.joined(separator: " -> "),
             s.backwardWeightsPart().implementations.joined(separator: " -> "))
        }
    }

    /// Number of cached N-d convolution configurations.
    public static var cachedConfigurations: Int { convNDPlans.count }
}

let convNDPlans = PlanCache<ConvNDConfig, ConvNDPlan> { ConvNDPlan($0) }

final class ConvNDPlan: Sendable {
    let state: Mutex<ConvNDState>
    init(_ c: ConvNDConfig) { state = Mutex(ConvNDState(c)) }
}

/// `@unchecked Sendable`: only ever reached through `ConvNDPlan.state`'s mutex.
final class ConvNDState: @unchecked Sendable {
    let c: ConvNDConfig
    private var fwdPD: PrimitiveDesc?
    private var fwd: Part?
    private var bwdData: Part?
    private var bwdWeights: Part?

    init(_ c: ConvNDConfig) { self.c = c }

    private var srcPlain: MemoryDesc { MemoryDesc(c.inputShape, plainTag(rank: c.inputShape.count)) }
    private var dstPlain: MemoryDesc { MemoryDesc(c.outputShape, plainTag(rank: c.outputShape.count)) }
    private var weightsPlain: MemoryDesc { MemoryDesc(c.weightsDims, plainTag(rank: c.weightsDims.count)) }

    private func forwardPD() -> PrimitiveDesc {
        if let fwdPD { return fwdPD }
        let src = MemoryDesc(c.inputShape, dnnl_format_tag_any)
        let wei = MemoryDesc(c.weightsDims, dnnl_format_tag_any)
        let dst = MemoryDesc(c.outputShape, dnnl_format_tag_any)
        let bias = c.hasBias ? MemoryDesc([c.outChannels], dnnl_a) : nil
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        withExtendedLifetime((src, wei, dst, bias, attr)) {
            dnnlCheck(weft_dnnl_conv_fwd_pd_create(&pd, DNNLRuntime.shared.engine, dnnl_forward_training, dnnl_convolution_direct,
                                                   src.pointer, wei.pointer, bias?.pointer, dst.pointer,
                                                   c.strides64, c.dnnlDilates, c.padL, c.padR, attr.handle),
                      "convolution forward primitive_desc_create", c.description)
        }
        let p = PrimitiveDesc(pd!)
        fwdPD = p
        return p
    }

    func forwardPart() -> Part {
        if let fwd { return fwd }
        let b = Part.Builder(pd: forwardPD())
        b.tensor(role: ConvRole.src, arg: DNNL_ARG_SRC, plain: srcPlain, query: dnnl_query_src_md, output: false)
        b.tensor(role: ConvRole.weights, arg: DNNL_ARG_WEIGHTS, plain: weightsPlain, query: dnnl_query_weights_md, output: false)
        if c.hasBias { b.direct(role: ConvRole.bias, arg: DNNL_ARG_BIAS, plain: MemoryDesc([c.outChannels], dnnl_a)) }
        b.tensor(role: ConvRole.dst, arg: DNNL_ARG_DST, plain: dstPlain, query: dnnl_query_dst_md, output: true)
        let p = b.finish()
        fwd = p
        return p
    }

    func backwardDataPart() -> Part {
        if let bwdData { return bwdData }
        let hint = forwardPD()
        let diffSrc = MemoryDesc(c.inputShape, dnnl_format_tag_any)
        let wei = MemoryDesc(c.weightsDims, dnnl_format_tag_any)
        let diffDst = MemoryDesc(c.outputShape, dnnl_format_tag_any)
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        withExtendedLifetime((diffSrc, wei, diffDst, attr)) {
            dnnlCheck(weft_dnnl_conv_bwd_data_pd_create(&pd, DNNLRuntime.shared.engine, dnnl_convolution_direct,
                                                        diffSrc.pointer, wei.pointer, diffDst.pointer, c.strides64,
                                                        c.dnnlDilates, c.padL, c.padR, hint.handle, attr.handle),
                      "convolution backward_data primitive_desc_create", c.description)
        }
        let b = Part.Builder(pd: PrimitiveDesc(pd!))
        b.tensor(role: ConvRole.diffDst, arg: DNNL_ARG_DIFF_DST, plain: dstPlain, query: dnnl_query_diff_dst_md, output: false)
        b.tensor(role: ConvRole.weights, arg: DNNL_ARG_WEIGHTS, plain: weightsPlain, query: dnnl_query_weights_md, output: false)
        b.tensor(role: ConvRole.diffSrc, arg: DNNL_ARG_DIFF_SRC, plain: srcPlain, query: dnnl_query_diff_src_md, output: true)
        let p = b.finish()
        bwdData = p
        return p
    }

    func backwardWeightsPart() -> Part {
        if let bwdWeights { return bwdWeights }
        let hint = forwardPD()
        let src = MemoryDesc(c.inputShape, dnnl_format_tag_any)
        let diffWei = MemoryDesc(c.weightsDims, dnnl_format_tag_any)
        let diffDst = MemoryDesc(c.outputShape, dnnl_format_tag_any)
        let diffBias = c.hasBias ? MemoryDesc([c.outChannels], dnnl_a) : nil
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        withExtendedLifetime((src, diffWei, diffDst, diffBias, attr)) {
            dnnlCheck(weft_dnnl_conv_bwd_weights_pd_create(&pd, DNNLRuntime.shared.engine, dnnl_convolution_direct,
                                                           src.pointer, diffWei.pointer, diffBias?.pointer, diffDst.pointer,
                                                           c.strides64, c.dnnlDilates, c.padL, c.padR, hint.handle, attr.handle),
                      "convolution backward_weights primitive_desc_create", c.description)
        }
        let b = Part.Builder(pd: PrimitiveDesc(pd!))
        b.tensor(role: ConvRole.src, arg: DNNL_ARG_SRC, plain: srcPlain, query: dnnl_query_src_md, output: false)
        b.tensor(role: ConvRole.diffDst, arg: DNNL_ARG_DIFF_DST, plain: dstPlain, query: dnnl_query_diff_dst_md, output: false)
        b.tensor(role: ConvRole.diffWeights, arg: DNNL_ARG_DIFF_WEIGHTS, plain: weightsPlain,
                 query: dnnl_query_diff_weights_md, output: true)
        if c.hasBias {
            b.direct(role: ConvRole.diffBias, arg: DNNL_ARG_DIFF_BIAS, plain: MemoryDesc([c.outChannels], dnnl_a))
        }
        let p = b.finish()
        bwdWeights = p
        return p
    }
}
