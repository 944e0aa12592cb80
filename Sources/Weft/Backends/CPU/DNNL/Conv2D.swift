// 2-D convolution through oneDNN: forward (optionally with fused ReLU),
// backward-data, backward-weights (+bias). The caller's tensors are plain
// float32 NCHW activations and OIHW weights (O, I/groups, KH, KW); inside, the
// primitives are created with format `any` so oneDNN picks its blocked jit
// kernels, and the reorders to and from the plain layouts are done here.

import CDNNL
import Synchronization

/// Shape and hyper-parameters of a 2-D convolution (PyTorch's conventions).
public struct Conv2DConfig: Hashable, Sendable, CustomStringConvertible {
    public var batch, inChannels, outChannels, height, width, kernelH, kernelW: Int
    public var strideH, strideW, padTop, padLeft, padBottom, padRight: Int
    /// Dilation as PyTorch counts it: 1 = none. (oneDNN's is this minus 1.)
    public var dilationH, dilationW: Int
    public var groups: Int
    public var hasBias: Bool
    /// Forward only: apply ReLU to the output (a oneDNN post-op).
    public var fuseReLU: Bool

    public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
                kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1,
                padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
                dilationH: Int = 1, dilationW: Int = 1, groups: Int = 1,
                hasBias: Bool = false, fuseReLU: Bool = false) {
        self.batch = batch; self.inChannels = inChannels; self.outChannels = outChannels
        self.height = height; self.width = width; self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.dilationH = dilationH; self.dilationW = dilationW; self.groups = groups
        self.hasBias = hasBias; self.fuseReLU = fuseReLU
    }

    /// Square kernel, equal strides/dilations, symmetric padding.
    public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
                kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                groups: Int = 1, hasBias: Bool = false, fuseReLU: Bool = false) {
        self.init(batch: batch, inChannels: inChannels, outChannels: outChannels,
                  height: height, width: width, kernelH: kernel, kernelW: kernel,
                  strideH: stride, strideW: stride, padTop: padding, padLeft: padding,
                  padBottom: padding, padRight: padding, dilationH: dilation,
                  dilationW: dilation, groups: groups, hasBias: hasBias, fuseReLU: fuseReLU)
    }

    public var outHeight: Int {
        let span = height + padTop + padBottom - dilationH * (kernelH - 1) - 1
        return span < 0 || strideH < 1 ? 0 : span / strideH + 1
    }
    public var outWidth: Int {
        let span = width + padLeft + padRight - dilationW * (kernelW - 1) - 1
        return span < 0 || strideW < 1 ? 0 : span / strideW + 1
    }

    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var weightShape: [Int] { [outChannels, groups > 0 ? inChannels / groups : inChannels, kernelH, kernelW] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    public var inputCount: Int { inputShape.reduce(1, *) }
    public var weightCount: Int { weightShape.reduce(1, *) }
    public var outputCount: Int { outputShape.reduce(1, *) }
    /// 2·N·K·OH·OW·(C/G)·KH·KW: the multiply-adds of one pass, counted twice.
    public var flops: Double {
        2 * Double(batch) * Double(outChannels) * Double(outHeight) * Double(outWidth)
            * Double(inChannels / max(groups, 1)) * Double(kernelH) * Double(kernelW)
    }

    public var description: String {
        "Conv2D(input \(inputShape), weight \(weightShape) -> output \(outputShape), "
            + "stride [\(strideH), \(strideW)], pad [t \(padTop), l \(padLeft), b \(padBottom), r \(padRight)], "
            + "dilation [\(dilationH), \(dilationW)], groups \(groups), bias \(hasBias), relu \(fuseReLU))"
    }

    /// Checks the configuration; a trap (`fatalError`) names what is wrong
    /// (with the input and weight shapes). Cheap when the configuration is valid.
    public func validate() {
        func shapes() -> String {
            "input [N, C, H, W] = \(inputShape), weight [O, C/groups, KH, KW] = "
                + "[\(outChannels), \(groups > 0 ? inChannels / groups : inChannels), \(kernelH), \(kernelW)]"
        }
        require(batch >= 1 && inChannels >= 1 && outChannels >= 1 && height >= 1 && width >= 1,
                     "Conv2D: sizes must be positive: \(shapes())")
        require(kernelH >= 1 && kernelW >= 1, "Conv2D: kernel must be at least 1x1: \(shapes())")
        require(strideH >= 1 && strideW >= 1,
                     "Conv2D: strides must be >= 1, got [\(strideH), \(strideW)]: \(shapes())")
        require(dilationH >= 1 && dilationW >= 1,
                     "Conv2D: dilations must be >= 1 (1 = none), got [\(dilationH), \(dilationW)]: \(shapes())")
        require(padTop >= 0 && padLeft >= 0 && padBottom >= 0 && padRight >= 0,
                     "Conv2D: padding must be >= 0: \(shapes())")
        require(groups >= 1, "Conv2D: groups must be >= 1, got \(groups): \(shapes())")
        require(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2D: in channels \(inChannels) and out channels \(outChannels) must both be divisible by groups \(groups): \(shapes())")
        require(outHeight >= 1 && outWidth >= 1,
                     "Conv2D: the dilated kernel [\(dilationH * (kernelH - 1) + 1), \(dilationW * (kernelW - 1) + 1)] "
                     + "is larger than the padded input [\(height + padTop + padBottom), \(width + padLeft + padRight)]: \(shapes())")
    }

    // oneDNN dims
    var srcDims: [Int] { inputShape }
    var dstDims: [Int] { outputShape }
    var weightsDims: [Int] {
        groups == 1
            ? [outChannels, inChannels, kernelH, kernelW]
            : [groups, outChannels / groups, inChannels / groups, kernelH, kernelW]
    }
    /// OIHW for groups == 1; GOIHW (the same bytes as OIHW with O = G·O/G) otherwise.
    var weightsTag: dnnl_format_tag_t { groups == 1 ? dnnl_oihw : dnnl_goihw }
    var strides: [Int64] { [Int64(strideH), Int64(strideW)] }
    var dnnlDilates: [Int64] { [Int64(dilationH - 1), Int64(dilationW - 1)] }
    var padL: [Int64] { [Int64(padTop), Int64(padLeft)] }
    var padR: [Int64] { [Int64(padBottom), Int64(padRight)] }
}

/// oneDNN convolution kernels on caller-owned plain buffers.
///
/// Thread-safe. Primitives, reorders, blocked intermediate buffers and
/// scratchpads are cached per configuration; calls with the same
/// configuration from several threads are serialized (they share buffers).
public enum DNNLConv {
    /// dst[N, O, OH, OW] = conv(src[N, C, H, W], weights[O, C/G, KH, KW]) (+ bias[O]) (ReLU if `fuseReLU`).
    public static func forward(_ c: Conv2DConfig, src: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>?, dst: UnsafeMutablePointer<Float>) {
        c.validate()
        require((bias != nil) == c.hasBias,
                     "DNNLConv.forward: bias is \(bias == nil ? "nil" : "given") but hasBias is \(c.hasBias): \(c)")
        DNNL.applyThreadSetting()
        convPlans.plan(for: ConvKey(c)).state.withLock { s in
            let part = s.forwardPart()
            part.bind(ConvRole.src, src)
            part.bind(ConvRole.weights, weights)
            part.bind(ConvRole.dst, dst)
            if let bias { part.bind(ConvRole.bias, bias) }
            part.execute()
        }
    }

    /// diffSrc[N, C, H, W] = gradient of the convolution's input, given diffDst[N, O, OH, OW].
    /// Overwrites diffSrc. (A fused ReLU is not differentiated here: pass the
    /// gradient after the ReLU mask.)
    public static func backwardData(_ c: Conv2DConfig, diffDst: UnsafePointer<Float>,
                                    weights: UnsafePointer<Float>, diffSrc: UnsafeMutablePointer<Float>) {
        c.validate()
        DNNL.applyThreadSetting()
        convPlans.plan(for: ConvKey(c)).state.withLock { s in
            let part = s.backwardDataPart()
            part.bind(ConvRole.diffDst, diffDst)
            part.bind(ConvRole.weights, weights)
            part.bind(ConvRole.diffSrc, diffSrc)
            part.execute()
        }
    }

    /// diffWeights[O, C/G, KH, KW] (and diffBias[O] when `hasBias`) from src and diffDst.
    /// Overwrites (does not accumulate into) the outputs.
    public static func backwardWeights(_ c: Conv2DConfig, src: UnsafePointer<Float>, diffDst: UnsafePointer<Float>,
                                       diffWeights: UnsafeMutablePointer<Float>,
                                       diffBias: UnsafeMutablePointer<Float>?) {
        c.validate()
        require((diffBias != nil) == c.hasBias,
                     "DNNLConv.backwardWeights: diffBias is \(diffBias == nil ? "nil" : "given") but hasBias is \(c.hasBias): \(c)")
        DNNL.applyThreadSetting()
        convPlans.plan(for: ConvKey(c)).state.withLock { s in
            let part = s.backwardWeightsPart()
            part.bind(ConvRole.src, src)
            part.bind(ConvRole.diffDst, diffDst)
            part.bind(ConvRole.diffWeights, diffWeights)
            if let diffBias { part.bind(ConvRole.diffBias, diffBias) }
            part.execute()
        }
    }

    /// Both backward passes of one training step: `backwardData` and
    /// `backwardWeights` in one call, converting `diffDst` to oneDNN's blocked
    /// layout once for both (when their layouts agree), which saves one reorder
    /// of the output gradient per step. Same results as the two separate calls.
    public static func backward(_ c: Conv2DConfig, src: UnsafePointer<Float>, diffDst: UnsafePointer<Float>,
                                weights: UnsafePointer<Float>, diffSrc: UnsafeMutablePointer<Float>,
                                diffWeights: UnsafeMutablePointer<Float>, diffBias: UnsafeMutablePointer<Float>?) {
        c.validate()
        require((diffBias != nil) == c.hasBias,
                     "DNNLConv.backward: diffBias is \(diffBias == nil ? "nil" : "given") but hasBias is \(c.hasBias): \(c)")
        DNNL.applyThreadSetting()
        convPlans.plan(for: ConvKey(c)).state.withLock { s in
            let bd = s.backwardDataPart()
            bd.bind(ConvRole.diffDst, diffDst)
            bd.bind(ConvRole.weights, weights)
            bd.bind(ConvRole.diffSrc, diffSrc)
            bd.execute()
            let bw = s.backwardWeightsPart()
            bw.bind(ConvRole.src, src)
            bw.bind(ConvRole.diffDst, diffDst)
            bw.bind(ConvRole.diffWeights, diffWeights)
            if let diffBias { bw.bind(ConvRole.diffBias, diffBias) }
            if !bw.executeSharing(ConvRole.diffDst, from: bd, ConvRole.diffDst) { bw.execute() }
        }
    }

    /// The oneDNN implementations chosen for `c` (forward, backward-data,
    /// backward-weights), with the reorders that run around each, e.g.
    /// "reorder(jit:blk) -> reorder(jit:uni) -> jit:avx2 -> reorder(jit:blk)".
    /// Builds the primitives if needed.
    public static func implementations(_ c: Conv2DConfig) -> (forward: String, backwardData: String, backwardWeights: String) {
        c.validate()
        DNNL.applyThreadSetting()
        return convPlans.plan(for: ConvKey(c)).state.withLock { s in
            (s.forwardPart().implementations.joined(separator: " -> "),
             s.backwardDataPart().implementations.joined(separator: " -> "),
             s.backwardWeightsPart().implementations.joined(separator: " -> "))
        }
    }

    /// Number of cached convolution configurations.
    public static var cachedConfigurations: Int { convPlans.count }

    /// Which oneDNN convolution algorithm new primitives use (default `.auto`: Winograd where
    /// oneDNN has a kernel for the shape and machine, direct elsewhere; `.direct` for direct
    /// convolution everywhere).
    /// Process-wide; primitives already cached keep theirs (the algorithm is part of the cache key).
    public static var algorithm: ConvAlgorithm {
        get { ConvAlgorithm(rawValue: algorithmSetting.load(ordering: .relaxed)) ?? .auto }
        set { algorithmSetting.store(newValue.rawValue, ordering: .relaxed) }
    }
    static let algorithmSetting = Atomic<Int>(ConvAlgorithm.auto.rawValue)
}

/// oneDNN's convolution algorithm choice.
public enum ConvAlgorithm: Int, Hashable, Sendable {
    /// Direct convolution (oneDNN's jit/gemm kernels); exact up to float rounding order.
    case direct = 0
    /// `dnnl_convolution_auto` (the default): oneDNN may pick Winograd F(4x4, 3x3) where it
    /// has a kernel for it (AVX-512 machines, 3x3 stride 1): much faster there (a third off
    /// cifar10-vgg's training step on one such machine), at some cost in accuracy (larger
    /// rounding error than direct, within 1e-4 relative in the adapter tests); elsewhere the
    /// same kernels as `.direct`.
    case auto = 1
}

struct ConvKey: Hashable, Sendable {
    let config: Conv2DConfig
    let algorithm: ConvAlgorithm
    init(_ c: Conv2DConfig) { config = c; algorithm = DNNLConv.algorithm }
}

// MARK: - Plans

enum ConvRole {
    static let src = 0, weights = 1, bias = 2, dst = 3
    static let diffSrc = 0, diffWeights = 1, diffBias = 2, diffDst = 3
}

let convPlans = PlanCache<ConvKey, ConvPlan> { ConvPlan($0) }

/// Everything cached for one configuration. Its state (primitives, buffers)
/// is only touched under the mutex, which also serializes executions.
final class ConvPlan: Sendable {
    let state: Mutex<ConvState>
    init(_ k: ConvKey) { state = Mutex(ConvState(k)) }
}

/// `@unchecked Sendable`: only ever reached through `ConvPlan.state`'s mutex
/// (which lets region-based isolation accept the caller's raw pointers being
/// bound to memory objects inside the locked region).
final class ConvState: @unchecked Sendable {
    let c: Conv2DConfig
    private let alg: dnnl_alg_kind_t
    private var fwdPD: PrimitiveDesc?
    private var fwd: Part?
    private var bwdData: Part?
    private var bwdWeights: Part?

    init(_ k: ConvKey) {
        c = k.config
        alg = k.algorithm == .auto ? dnnl_convolution_auto : dnnl_convolution_direct
    }

    /// The forward_training pd: the forward primitive's, and the hint of both backward pds.
    private func forwardPD() -> PrimitiveDesc {
        if let fwdPD { return fwdPD }
        let rt = DNNLRuntime.shared
        let src = MemoryDesc(c.srcDims, dnnl_format_tag_any)
        let wei = MemoryDesc(c.weightsDims, dnnl_format_tag_any)
        let dst = MemoryDesc(c.dstDims, dnnl_format_tag_any)
        let bias = c.hasBias ? MemoryDesc([c.outChannels], dnnl_a) : nil
        let attr = PrimitiveAttr(relu: c.fuseReLU)
        var pd: OpaquePointer?
        // 2.x: dnnl_dilated_convolution_forward_desc_init + dnnl_primitive_desc_create;
        // 3.x: dnnl_convolution_forward_primitive_desc_create (both in shim.h).
        withExtendedLifetime((src, wei, dst, bias, attr)) {
        dnnlCheck(weft_dnnl_conv_fwd_pd_create(&pd, rt.engine, dnnl_forward_training, alg,
                                               src.pointer, wei.pointer, bias?.pointer, dst.pointer,
                                               c.strides, c.dnnlDilates, c.padL, c.padR, attr.handle),
                  "convolution forward primitive_desc_create", c.description)
        }
        let p = PrimitiveDesc(pd!)
        fwdPD = p
        return p
    }

    func forwardPart() -> Part {
        if let fwd { return fwd }
        let b = Part.Builder(pd: forwardPD())
        b.tensor(role: ConvRole.src, arg: DNNL_ARG_SRC, plain: MemoryDesc(c.srcDims, dnnl_nchw),
                 query: dnnl_query_src_md, output: false)
        b.tensor(role: ConvRole.weights, arg: DNNL_ARG_WEIGHTS, plain: MemoryDesc(c.weightsDims, c.weightsTag),
                 query: dnnl_query_weights_md, output: false)
        if c.hasBias {
            b.direct(role: ConvRole.bias, arg: DNNL_ARG_BIAS, plain: MemoryDesc([c.outChannels], dnnl_a))
        }
        b.tensor(role: ConvRole.dst, arg: DNNL_ARG_DST, plain: MemoryDesc(c.dstDims, dnnl_nchw),
                 query: dnnl_query_dst_md, output: true)
        let p = b.finish()
        fwd = p
        return p
    }

    func backwardDataPart() -> Part {
        if let bwdData { return bwdData }
        let hint = forwardPD()
        let rt = DNNLRuntime.shared
        let diffSrc = MemoryDesc(c.srcDims, dnnl_format_tag_any)
        let wei = MemoryDesc(c.weightsDims, dnnl_format_tag_any)
        let diffDst = MemoryDesc(c.dstDims, dnnl_format_tag_any)
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        // 2.x: dnnl_dilated_convolution_backward_data_desc_init + dnnl_primitive_desc_create(hint);
        // 3.x: dnnl_convolution_backward_data_primitive_desc_create(..., hint, attr).
        withExtendedLifetime((diffSrc, wei, diffDst, attr)) {
        dnnlCheck(weft_dnnl_conv_bwd_data_pd_create(&pd, rt.engine, alg, diffSrc.pointer, wei.pointer,
                                                    diffDst.pointer, c.strides, c.dnnlDilates, c.padL, c.padR,
                                                    hint.handle, attr.handle),
                  "convolution backward_data primitive_desc_create", c.description)
        }
        let b = Part.Builder(pd: PrimitiveDesc(pd!))
        b.tensor(role: ConvRole.diffDst, arg: DNNL_ARG_DIFF_DST, plain: MemoryDesc(c.dstDims, dnnl_nchw),
                 query: dnnl_query_diff_dst_md, output: false)
        b.tensor(role: ConvRole.weights, arg: DNNL_ARG_WEIGHTS, plain: MemoryDesc(c.weightsDims, c.weightsTag),
                 query: dnnl_query_weights_md, output: false)
        b.tensor(role: ConvRole.diffSrc, arg: DNNL_ARG_DIFF_SRC, plain: MemoryDesc(c.srcDims, dnnl_nchw),
                 query: dnnl_query_diff_src_md, output: true)
        let p = b.finish()
        bwdData = p
        return p
    }

    func backwardWeightsPart() -> Part {
        if let bwdWeights { return bwdWeights }
        let hint = forwardPD()
        let rt = DNNLRuntime.shared
        let src = MemoryDesc(c.srcDims, dnnl_format_tag_any)
        let diffWei = MemoryDesc(c.weightsDims, dnnl_format_tag_any)
        let diffDst = MemoryDesc(c.dstDims, dnnl_format_tag_any)
        let diffBias = c.hasBias ? MemoryDesc([c.outChannels], dnnl_a) : nil
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        // 2.x: dnnl_dilated_convolution_backward_weights_desc_init + dnnl_primitive_desc_create(hint);
        // 3.x: dnnl_convolution_backward_weights_primitive_desc_create(..., hint, attr).
        withExtendedLifetime((src, diffWei, diffDst, diffBias, attr)) {
        dnnlCheck(weft_dnnl_conv_bwd_weights_pd_create(&pd, rt.engine, alg, src.pointer, diffWei.pointer,
                                                       diffBias?.pointer, diffDst.pointer, c.strides, c.dnnlDilates,
                                                       c.padL, c.padR, hint.handle, attr.handle),
                  "convolution backward_weights primitive_desc_create", c.description)
        }
        let b = Part.Builder(pd: PrimitiveDesc(pd!))
        b.tensor(role: ConvRole.src, arg: DNNL_ARG_SRC, plain: MemoryDesc(c.srcDims, dnnl_nchw),
                 query: dnnl_query_src_md, output: false)
        b.tensor(role: ConvRole.diffDst, arg: DNNL_ARG_DIFF_DST, plain: MemoryDesc(c.dstDims, dnnl_nchw),
                 query: dnnl_query_diff_dst_md, output: false)
        b.tensor(role: ConvRole.diffWeights, arg: DNNL_ARG_DIFF_WEIGHTS,
                 plain: MemoryDesc(c.weightsDims, c.weightsTag), query: dnnl_query_diff_weights_md, output: true)
        if c.hasBias {
            b.direct(role: ConvRole.diffBias, arg: DNNL_ARG_DIFF_BIAS, plain: MemoryDesc([c.outChannels], dnnl_a))
        }
        let p = b.finish()
        bwdWeights = p
        return p
    }
}
