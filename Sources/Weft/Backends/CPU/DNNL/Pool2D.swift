// 2-D max / average pooling through oneDNN on caller-owned NCHW float32 buffers.
// Pooling runs on the plain layout directly (oneDNN has NCHW pooling kernels;
// a pooling primitive cannot choose its source format), so there are no reorders.

import CDNNL
import Synchronization

public struct Pool2DConfig: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case max
        /// Average over the whole window, padding counted as zeros (divide by KH·KW);
        /// PyTorch's `count_include_pad=True`.
        case avgIncludePadding
        /// Average over the window's elements inside the input; `count_include_pad=False`.
        case avgExcludePadding
    }

    public var batch, channels, height, width, kernelH, kernelW, strideH, strideW: Int
    public var padTop, padLeft, padBottom, padRight: Int
    public var kind: Kind

    public init(batch: Int, channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
                strideH: Int, strideW: Int, padTop: Int = 0, padLeft: Int = 0,
                padBottom: Int = 0, padRight: Int = 0, kind: Kind) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.padBottom = padBottom; self.padRight = padRight
        self.kind = kind
    }

    /// Square window, equal strides, symmetric padding.
    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int,
                padding: Int = 0, kind: Kind) {
        self.init(batch: batch, channels: channels, height: height, width: width,
                  kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride,
                  padTop: padding, padLeft: padding, padBottom: padding, padRight: padding, kind: kind)
    }

    public var outHeight: Int {
        let span = height + padTop + padBottom - kernelH
        return span < 0 || strideH < 1 ? 0 : span / strideH + 1
    }
    public var outWidth: Int {
        let span = width + padLeft + padRight - kernelW
        return span < 0 || strideW < 1 ? 0 : span / strideW + 1
    }
    public var inputShape: [Int] { [batch, channels, height, width] }
    public var outputShape: [Int] { [batch, channels, outHeight, outWidth] }
    public var inputCount: Int { inputShape.reduce(1, *) }
    public var outputCount: Int { outputShape.reduce(1, *) }

    public var description: String {
        "Pool2D(\(kind), input \(inputShape) -> output \(outputShape), kernel [\(kernelH), \(kernelW)], "
            + "stride [\(strideH), \(strideW)], pad [t \(padTop), l \(padLeft), b \(padBottom), r \(padRight)])"
    }

    /// Checks the configuration; a trap (`fatalError`) names what is wrong.
    public func validate() {
        func shapes() -> String { "input [N, C, H, W] = \(inputShape), kernel [\(kernelH), \(kernelW)]" }
        require(batch >= 1 && channels >= 1 && height >= 1 && width >= 1,
                     "Pool2D: sizes must be positive: \(shapes())")
        require(kernelH >= 1 && kernelW >= 1, "Pool2D: kernel must be at least 1x1: \(shapes())")
        require(strideH >= 1 && strideW >= 1,
                     "Pool2D: strides must be >= 1, got [\(strideH), \(strideW)]: \(shapes())")
        require(padTop >= 0 && padLeft >= 0 && padBottom >= 0 && padRight >= 0,
                     "Pool2D: padding must be >= 0: \(shapes())")
        require(padTop < kernelH && padBottom < kernelH && padLeft < kernelW && padRight < kernelW,
                     "Pool2D: padding [t \(padTop), l \(padLeft), b \(padBottom), r \(padRight)] must be smaller than the kernel: \(shapes())")
        require(outHeight >= 1 && outWidth >= 1,
                     "Pool2D: the kernel is larger than the padded input [\(height + padTop + padBottom), \(width + padLeft + padRight)]: \(shapes())")
    }

    var alg: dnnl_alg_kind_t {
        switch kind {
        case .max: dnnl_pooling_max
        case .avgIncludePadding: dnnl_pooling_avg_include_padding
        case .avgExcludePadding: dnnl_pooling_avg_exclude_padding
        }
    }
    var strides: [Int64] { [Int64(strideH), Int64(strideW)] }
    var kernel: [Int64] { [Int64(kernelH), Int64(kernelW)] }
    var padL: [Int64] { [Int64(padTop), Int64(padLeft)] }
    var padR: [Int64] { [Int64(padBottom), Int64(padRight)] }
}

/// oneDNN pooling kernels on caller-owned plain NCHW buffers. Thread-safe;
/// primitives are cached per configuration.
public enum DNNLPool {
    /// Bytes of the workspace a training forward of max pooling writes and its
    /// backward reads (0 for average pooling, which needs none).
    public static func workspaceBytes(_ c: Pool2DConfig) -> Int {
        c.validate()
        guard c.kind == .max else { return 0 }
        DNNL.applyThreadSetting()
        return poolPlans.plan(for: c).state.withLock { s in s.workspaceBytes() }
    }

    /// dst[N, C, OH, OW] = pool(src[N, C, H, W]). With `workspace == nil`, an
    /// inference forward; otherwise a training forward that (for max pooling)
    /// records the arg-max in `workspace` (`workspaceBytes(c)` bytes) for `backward`.
    public static func forward(_ c: Pool2DConfig, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>,
                               workspace: UnsafeMutableRawPointer?) {
        c.validate()
        DNNL.applyThreadSetting()
        poolPlans.plan(for: c).state.withLock { s in
            let part = s.forwardPart(training: workspace != nil)
            part.bind(PoolRole.src, src)
            part.bind(PoolRole.dst, dst)
            if s.hasWorkspace(training: workspace != nil) { part.bind(PoolRole.workspace, workspace) }
            part.execute()
        }
    }

    /// diffSrc[N, C, H, W] from diffDst[N, C, OH, OW] (overwrites diffSrc). Max
    /// pooling needs the workspace of a training `forward` with the same config.
    public static func backward(_ c: Pool2DConfig, diffDst: UnsafePointer<Float>, diffSrc: UnsafeMutablePointer<Float>,
                                workspace: UnsafeRawPointer?) {
        c.validate()
        require(c.kind != .max || workspace != nil,
                     "DNNLPool.backward: max pooling needs the workspace of a training forward: \(c)")
        DNNL.applyThreadSetting()
        poolPlans.plan(for: c).state.withLock { s in
            let part = s.backwardPart()
            part.bind(PoolRole.diffDst, diffDst)
            part.bind(PoolRole.diffSrc, diffSrc)
            if c.kind == .max { part.bind(PoolRole.workspace, workspace) }
            part.execute()
        }
    }

    /// The oneDNN implementations chosen for `c` (inference forward, training forward, backward).
    public static func implementations(_ c: Pool2DConfig) -> (inference: String, training: String, backward: String) {
        c.validate()
        DNNL.applyThreadSetting()
        return poolPlans.plan(for: c).state.withLock { s in
            (s.forwardPart(training: false).implementations.joined(separator: " -> "),
             s.forwardPart(training: true).implementations.joined(separator: " -> "),
             s.backwardPart().implementations.joined(separator: " -> "))
        }
    }
}

enum PoolRole {
    static let src = 0, dst = 1, workspace = 2
    static let diffSrc = 0, diffDst = 1
}

let poolPlans = PlanCache<Pool2DConfig, PoolPlan> { PoolPlan($0) }

final class PoolPlan: Sendable {
    let state: Mutex<PoolState>
    init(_ c: Pool2DConfig) { state = Mutex(PoolState(c)) }
}

/// `@unchecked Sendable`: only ever reached through `PoolPlan.state`'s mutex.
final class PoolState: @unchecked Sendable {
    let c: Pool2DConfig
    private var trainPD: PrimitiveDesc?
    private var inferPD: PrimitiveDesc?
    private var train: Part?
    private var infer: Part?
    private var bwd: Part?

    init(_ c: Pool2DConfig) { self.c = c }

    private func forwardPD(training: Bool) -> PrimitiveDesc {
        if let p = training ? trainPD : inferPD { return p }
        let src = MemoryDesc(c.inputShape, dnnl_nchw)
        let dst = MemoryDesc(c.outputShape, dnnl_nchw)
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        // 2.x: dnnl_pooling_forward_desc_init + dnnl_primitive_desc_create;
        // 3.x: dnnl_pooling_forward_primitive_desc_create (dilation 0) — both in shim.h.
        withExtendedLifetime((src, dst, attr)) {
            dnnlCheck(weft_dnnl_pool_fwd_pd_create(&pd, DNNLRuntime.shared.engine,
                                                   training ? dnnl_forward_training : dnnl_forward_inference,
                                                   c.alg, src.pointer, dst.pointer, c.strides, c.kernel,
                                                   c.padL, c.padR, attr.handle),
                      "pooling forward primitive_desc_create", c.description)
        }
        let p = PrimitiveDesc(pd!)
        if training { trainPD = p } else { inferPD = p }
        return p
    }

    func workspaceBytes() -> Int {
        Int(weft_dnnl_md_size(forwardPD(training: true).md(dnnl_query_workspace_md)))
    }

    func hasWorkspace(training: Bool) -> Bool {
        training && Int(weft_dnnl_md_size(forwardPD(training: true).md(dnnl_query_workspace_md))) > 0
    }

    func forwardPart(training: Bool) -> Part {
        if let p = training ? train : infer { return p }
        let pd = forwardPD(training: training)
        let b = Part.Builder(pd: pd)
        b.tensor(role: PoolRole.src, arg: DNNL_ARG_SRC, plain: MemoryDesc(c.inputShape, dnnl_nchw),
                 query: dnnl_query_src_md, output: false)
        b.tensor(role: PoolRole.dst, arg: DNNL_ARG_DST, plain: MemoryDesc(c.outputShape, dnnl_nchw),
                 query: dnnl_query_dst_md, output: true)
        if let ws = pd.md(dnnl_query_workspace_md), weft_dnnl_md_size(ws) > 0 {
            b.direct(role: PoolRole.workspace, arg: DNNL_ARG_WORKSPACE, md: ws)
        }
        let p = b.finish()
        if training { train = p } else { infer = p }
        return p
    }

    func backwardPart() -> Part {
        if let bwd { return bwd }
        let hint = forwardPD(training: true)
        let diffSrc = MemoryDesc(c.inputShape, dnnl_nchw)
        let diffDst = MemoryDesc(c.outputShape, dnnl_nchw)
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        // 2.x: dnnl_pooling_backward_desc_init + dnnl_primitive_desc_create(hint);
        // 3.x: dnnl_pooling_backward_primitive_desc_create(..., hint, attr).
        withExtendedLifetime((diffSrc, diffDst, attr)) {
            dnnlCheck(weft_dnnl_pool_bwd_pd_create(&pd, DNNLRuntime.shared.engine, c.alg,
                                                   diffSrc.pointer, diffDst.pointer, c.strides, c.kernel,
                                                   c.padL, c.padR, hint.handle, attr.handle),
                      "pooling backward primitive_desc_create", c.description)
        }
        let bpd = PrimitiveDesc(pd!)
        let b = Part.Builder(pd: bpd)
        b.tensor(role: PoolRole.diffDst, arg: DNNL_ARG_DIFF_DST, plain: diffDst,
                 query: dnnl_query_diff_dst_md, output: false)
        b.tensor(role: PoolRole.diffSrc, arg: DNNL_ARG_DIFF_SRC, plain: diffSrc,
                 query: dnnl_query_diff_src_md, output: true)
        if c.kind == .max {
            guard let ws = bpd.md(dnnl_query_workspace_md), weft_dnnl_md_size(ws) > 0 else {
                fatalError("oneDNN max pooling backward has no workspace: \(c)")
            }
            require(weft_dnnl_md_equal(ws, hint.md(dnnl_query_workspace_md)!) != 0,
                         "oneDNN pooling: backward workspace differs from the training forward's: \(c)")
            b.direct(role: PoolRole.workspace, arg: DNNL_ARG_WORKSPACE, md: ws)
        }
        let p = b.finish()
        bwd = p
        return p
    }
}
