// N-d max / average pooling through oneDNN (used for 3-D: NCDHW) on caller-owned plain
// float32 buffers. As Pool2D.swift: the primitive runs on the plain layout (no reorders); max
// pooling's training forward records the arg-max in a workspace for the backward pass.

import CDNNL
import Synchronization

public struct PoolNDConfig: Hashable, Sendable, CustomStringConvertible {
    public var batch, channels: Int
    public var spatial: [Int]
    public var kernel: [Int]
    public var stride: [Int]
    public var padBefore: [Int]
    public var padAfter: [Int]
    public var kind: Pool2DConfig.Kind
    /// Requested thread count when made (part of the cache key; see `ConvNDConfig.threads`).
    var threads: Int

    public init(batch: Int, channels: Int, spatial: [Int], kernel: [Int], stride: [Int], padBefore: [Int], padAfter: [Int],
                kind: Pool2DConfig.Kind) {
        self.batch = batch; self.channels = channels; self.spatial = spatial; self.kernel = kernel; self.stride = stride
        self.padBefore = padBefore; self.padAfter = padAfter; self.kind = kind
        self.threads = DNNL.requestedThreads.load(ordering: .relaxed)
    }

    public var outSpatial: [Int] {
        spatial.indices.map { i in
            let span = spatial[i] + padBefore[i] + padAfter[i] - kernel[i]
            return span < 0 || stride[i] < 1 ? 0 : span / stride[i] + 1
        }
    }
    public var inputShape: [Int] { [batch, channels] + spatial }
    public var outputShape: [Int] { [batch, channels] + outSpatial }

    public var description: String {
        "Pool\(spatial.count)D(\(kind), input \(inputShape) -> output \(outputShape), kernel \(kernel), stride \(stride), "
            + "pad before \(padBefore), after \(padAfter))"
    }

    /// Traps (`fatalError`, with the shapes) unless the configuration is valid.
    public func validate() {
        let n = spatial.count
        require(n >= 1 && kernel.count == n && stride.count == n && padBefore.count == n && padAfter.count == n,
                "PoolND: spatial, kernel, stride and padding ranks differ: \(self)")
        require(batch >= 1 && channels >= 1 && spatial.allSatisfy { $0 >= 1 }, "PoolND: sizes must be positive: \(self)")
        require(kernel.allSatisfy { $0 >= 1 } && stride.allSatisfy { $0 >= 1 }, "PoolND: kernel and strides must be >= 1: \(self)")
        require(padBefore.allSatisfy { $0 >= 0 } && padAfter.allSatisfy { $0 >= 0 }, "PoolND: padding must be >= 0: \(self)")
        require(kernel.indices.allSatisfy { padBefore[$0] < kernel[$0] && padAfter[$0] < kernel[$0] },
                "PoolND: padding must be smaller than the kernel: \(self)")
        require(outSpatial.allSatisfy { $0 >= 1 }, "PoolND: the kernel is larger than the padded input: \(self)")
    }

    var alg: dnnl_alg_kind_t {
        switch kind {
        case .max: dnnl_pooling_max
        case .avgIncludePadding: dnnl_pooling_avg_include_padding
        case .avgExcludePadding: dnnl_pooling_avg_exclude_padding
        }
    }
    var strides64: [Int64] { stride.map(Int64.init) }
    var kernel64: [Int64] { kernel.map(Int64.init) }
    var padL: [Int64] { padBefore.map(Int64.init) }
    var padR: [Int64] { padAfter.map(Int64.init) }
}

/// oneDNN N-d pooling kernels on caller-owned plain buffers. Thread-safe; primitives are cached
/// per configuration.
public enum DNNLPoolND {
    /// Bytes of the workspace a training forward of max pooling writes (0 for average pooling).
    public static func workspaceBytes(_ c: PoolNDConfig) -> Int {
        c.validate()
        guard c.kind == .max else { return 0 }
        DNNL.applyThreadSetting()
        return poolNDPlans.plan(for: c).state.withLock { s in s.workspaceBytes() }
    }

    /// dst = pool(src); with a workspace, a training forward (max pooling records its arg-max there).
    public static func forward(_ c: PoolNDConfig, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>,
                               workspace: UnsafeMutableRawPointer?) {
        c.validate()
        DNNL.applyThreadSetting()
        poolNDPlans.plan(for: c).state.withLock { s in
            let part = s.forwardPart(training: workspace != nil)
            part.bind(PoolRole.src, src)
            part.bind(PoolRole.dst, dst)
            if s.hasWorkspace(training: workspace != nil) { part.bind(PoolRole.workspace, workspace) }
            part.execute()
        }
    }

    /// diffSrc from diffDst (overwrites diffSrc); max pooling needs the training forward's workspace.
    public static func backward(_ c: PoolNDConfig, diffDst: UnsafePointer<Float>, diffSrc: UnsafeMutablePointer<Float>,
                                workspace: UnsafeRawPointer?) {
        c.validate()
        require(c.kind != .max || workspace != nil, "DNNLPoolND.backward: max pooling needs the workspace of a training forward: \(c)")
        DNNL.applyThreadSetting()
        poolNDPlans.plan(for: c).state.withLock { s in
            let part = s.backwardPart()
            part.bind(PoolRole.diffDst, diffDst)
            part.bind(PoolRole.diffSrc, diffSrc)
            if c.kind == .max { part.bind(PoolRole.workspace, workspace) }
            part.execute()
        }
    }

    /// The oneDNN implementations chosen for `c` (inference forward, training forward, backward).
    public static func implementations(_ c: PoolNDConfig) -> (inference: String, training: String, backward: String) {
        c.validate()
        DNNL.applyThreadSetting()
        return poolNDPlans.plan(for: c).state.withLock { s in
            (s.forwardPart(training: false).implementations.joined(separator: " -> "),
             s.forwardPart(training: true).implementations.joined(separator: " -> "),
             s.backwardPart().implementations.joined(separator: " -> "))
        }
    }
}

let poolNDPlans = PlanCache<PoolNDConfig, PoolNDPlan> { PoolNDPlan($0) }

final class PoolNDPlan: Sendable {
    let state: Mutex<PoolNDState>
    init(_ c: PoolNDConfig) { state = Mutex(PoolNDState(c)) }
}

/// `@unchecked Sendable`: only ever reached through `PoolNDPlan.state`'s mutex.
final class PoolNDState: @unchecked Sendable {
    let c: PoolNDConfig
    private var trainPD: PrimitiveDesc?
    private var inferPD: PrimitiveDesc?
    private var train: Part?
    private var infer: Part?
    private var bwd: Part?

    init(_ c: PoolNDConfig) { self.c = c }

    private var srcPlain: MemoryDesc { MemoryDesc(c.inputShape, plainTag(rank: c.inputShape.count)) }
    private var dstPlain: MemoryDesc { MemoryDesc(c.outputShape, plainTag(rank: c.outputShape.count)) }

    private func forwardPD(training: Bool) -> PrimitiveDesc {
        if let p = training ? trainPD : inferPD { return p }
        let src = srcPlain, dst = dstPlain
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        withExtendedLifetime((src, dst, attr)) {
            dnnlCheck(weft_dnnl_pool_fwd_pd_create(&pd, DNNLRuntime.shared.engine,
                                                   training ? dnnl_forward_training : dnnl_forward_inference,
                                                   c.alg, src.pointer, dst.pointer, c.strides64, c.kernel64,
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

    func hasWorkspace(training: Bool) -> Bool { training && workspaceBytes() > 0 }

    func forwardPart(training: Bool) -> Part {
        if let p = training ? train : infer { return p }
        let pd = forwardPD(training: training)
        let b = Part.Builder(pd: pd)
        b.tensor(role: PoolRole.src, arg: DNNL_ARG_SRC, plain: srcPlain, query: dnnl_query_src_md, output: false)
        b.tensor(role: PoolRole.dst, arg: DNNL_ARG_DST, plain: dstPlain, query: dnnl_query_dst_md, output: true)
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
        let diffSrc = srcPlain, diffDst = dstPlain
        let attr = PrimitiveAttr()
        var pd: OpaquePointer?
        withExtendedLifetime((diffSrc, diffDst, attr)) {
            dnnlCheck(weft_dnnl_pool_bwd_pd_create(&pd, DNNLRuntime.shared.engine, c.alg,
                                                   diffSrc.pointer, diffDst.pointer, c.strides64, c.kernel64,
                                                   c.padL, c.padR, hint.handle, attr.handle),
                      "pooling backward primitive_desc_create", c.description)
        }
        let bpd = PrimitiveDesc(pd!)
        let b = Part.Builder(pd: bpd)
        b.tensor(role: PoolRole.diffDst, arg: DNNL_ARG_DIFF_DST, plain: diffDst, query: dnnl_query_diff_dst_md, output: false)
        b.tensor(role: PoolRole.diffSrc, arg: DNNL_ARG_DIFF_SRC, plain: diffSrc, query: dnnl_query_diff_src_md, output: true)
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
