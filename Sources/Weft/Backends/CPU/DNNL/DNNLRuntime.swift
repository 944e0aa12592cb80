// The oneDNN runtime behind Weft's CPU backend: one engine and one stream per
// process, thread control, error checks, and the small RAII wrappers and
// per-configuration caches that Conv2D.swift and Pool2D.swift build on.
//
// Every oneDNN call of the framework lives in this module. Calls whose
// signature differs between oneDNN 2.x and 3.x go through the `weft_dnnl_*`
// `static inline` wrappers in Sources/CDNNL/shim.h (switched on
// DNNL_VERSION_MAJOR); the calls used directly from Swift here
// (engine/stream/attr/primitive/memory/execute) have the same C signature in
// 2.x and 3.x.
//
// Threads: Debian's libdnnl is built with the OpenMP runtime (libgomp), so the
// number of threads comes from OpenMP: the OMP_NUM_THREADS environment variable
// at process start, or `DNNL.setNumThreads(_:)` at run time.

import CDNNL
import Synchronization

/// Process-wide oneDNN settings and information.
public enum DNNL {
    /// 0 = not set: OpenMP's default (OMP_NUM_THREADS, else all cores).
    static let requestedThreads = Atomic<Int>(0)

    /// Sets the number of threads oneDNN's primitives use (OpenMP's
    /// `omp_set_num_threads`). OpenMP keeps this per calling thread, so the
    /// value is also remembered and re-applied on whichever thread calls into
    /// this module next. oneDNN's jit kernels fix their thread partitioning
    /// when a primitive is created, so the caches are cleared when the value
    /// changes. Without a call, OMP_NUM_THREADS (else the core count) applies.
    public static func setNumThreads(_ n: Int) {
        require(n >= 1, "DNNL.setNumThreads: thread count must be >= 1, got \(n)")
        let old = requestedThreads.exchange(n, ordering: .sequentiallyConsistent)
        _ = weft_omp_set_num_threads(Int32(clamping: n))
        if old != n { clearCaches() }
    }

    /// The thread count oneDNN would use for a primitive created on this thread
    /// now (OpenMP's `omp_get_max_threads`); 0 without an OpenMP runtime.
    public static var maxThreads: Int {
        applyThreadSetting()
        return Int(weft_omp_get_max_threads())
    }

    /// The oneDNN library version, e.g. "2.6.3".
    public static var version: String {
        guard let v = dnnl_version() else { return "?" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
    }

    /// oneDNN's CPU threading runtime: "OpenMP" (Debian's build), "TBB",
    /// "threadpool" or "sequential". `setNumThreads` only has an effect with OpenMP.
    public static var cpuRuntime: String {
        guard let v = dnnl_version() else { return "?" }
        switch v.pointee.cpu_runtime {
        case UInt32(DNNL_RUNTIME_OMP): return "OpenMP"
        case UInt32(DNNL_RUNTIME_TBB): return "TBB"
        case UInt32(DNNL_RUNTIME_THREADPOOL): return "threadpool"
        case UInt32(DNNL_RUNTIME_SEQ): return "sequential"
        default: return "other (\(v.pointee.cpu_runtime))"
        }
    }

    /// Major version of the oneDNN headers this module was compiled against.
    public static var headerMajorVersion: Int { Int(WEFT_DNNL_VERSION_MAJOR) }

    /// Drops every cached primitive and buffer (they are rebuilt on the next call).
    /// Calls in flight keep their plans alive until they finish.
    public static func clearCaches() {
        convPlans.removeAll()
        poolPlans.removeAll()
        rnnPlans.removeAll()
    }

    @inline(__always)
    static func applyThreadSetting() {
        let n = requestedThreads.load(ordering: .relaxed)
        if n > 0 && Int(weft_omp_get_max_threads()) != n {
            _ = weft_omp_set_num_threads(Int32(clamping: n))
        }
    }
}

// MARK: - Engine and stream

/// The process's oneDNN CPU engine and stream, created on first use.
/// `@unchecked Sendable`: both handles are immutable after `init`; engines are
/// thread-safe in oneDNN, and a CPU stream executes synchronously on the
/// calling thread (OpenMP runtime), so concurrent `dnnl_primitive_execute`
/// calls on it from different plans are fine.
final class DNNLRuntime: @unchecked Sendable {
    static let shared = DNNLRuntime()

    let engine: OpaquePointer
    let stream: OpaquePointer

    private init() {
        var e: OpaquePointer?
        dnnlCheck(dnnl_engine_create(&e, dnnl_cpu, 0), "dnnl_engine_create")
        var s: OpaquePointer?
        dnnlCheck(dnnl_stream_create(&s, e, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        engine = e!
        stream = s!
    }
}

// MARK: - Errors
//
// Invalid configurations and failed oneDNN calls are programmer errors: they
// trap. `fatalError` is used rather than `precondition`/`preconditionFailure`
// because those drop their message in optimized (-O) builds, and the message
// (which shapes, which oneDNN call, which dnnl_status) is the point.

/// Traps with `message` (in every build configuration) unless `condition` holds.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}

@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ function: StaticString,
               _ context: @autoclosure () -> String = "") {
    if status != dnnl_success { dnnlFail(status, function, context()) }
}

@inline(never)
func dnnlFail(_ status: dnnl_status_t, _ function: StaticString, _ context: String) -> Never {
    let name = dnnl_status2str(status).map { String(cString: $0) } ?? "?"
    fatalError("oneDNN \(function) failed: dnnl_status \(status.rawValue) (\(name))"
                        + (context.isEmpty ? "" : " — \(context)"))
}

// MARK: - RAII wrappers (used only under a plan's lock)

/// A memory descriptor handle (see shim.h: a malloc'ed struct on 2.x, a
/// library handle on 3.x).
final class MemoryDesc {
    let handle: UnsafeMutableRawPointer
    init(_ dims: [Int], _ tag: dnnl_format_tag_t) {
        var h: UnsafeMutableRawPointer?
        let d = dims.map(Int64.init)
        dnnlCheck(weft_dnnl_md_create(&h, Int32(d.count), d, tag), "weft_dnnl_md_create",
                  "dims \(dims)")
        handle = h!
    }
    var pointer: UnsafeRawPointer { UnsafeRawPointer(handle) }
    deinit { weft_dnnl_md_destroy(handle) }
}

/// Primitive attributes: user-managed scratchpad, optional fused ReLU.
final class PrimitiveAttr {
    let handle: OpaquePointer
    init(relu: Bool = false) {
        var a: OpaquePointer?
        dnnlCheck(dnnl_primitive_attr_create(&a), "dnnl_primitive_attr_create")
        handle = a!
        dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(handle, dnnl_scratchpad_mode_user),
                  "dnnl_primitive_attr_set_scratchpad_mode")
        if relu {
            var ops: OpaquePointer?
            dnnlCheck(dnnl_post_ops_create(&ops), "dnnl_post_ops_create")
            dnnlCheck(weft_dnnl_post_ops_append_relu(ops), "dnnl_post_ops_append_eltwise")
            dnnlCheck(dnnl_primitive_attr_set_post_ops(handle, ops), "dnnl_primitive_attr_set_post_ops")
            dnnl_post_ops_destroy(ops)
        }
    }
    deinit { dnnl_primitive_attr_destroy(handle) }
}

/// A primitive descriptor (owns it).
final class PrimitiveDesc {
    let handle: OpaquePointer
    init(_ h: OpaquePointer) { handle = h }

    /// Memory descriptor owned by this pd (`nil` if the query has no answer).
    func md(_ what: dnnl_query_t, _ index: Int32 = 0) -> UnsafeRawPointer? {
        weft_dnnl_pd_query_md(handle, what, index)
    }
    var scratchpadBytes: Int { Int(weft_dnnl_md_size(md(dnnl_query_scratchpad_md))) }
    var implementation: String { String(cString: weft_dnnl_impl_info(handle)) }

    deinit { dnnl_primitive_desc_destroy(handle) }
}

final class Primitive {
    let pd: PrimitiveDesc
    let handle: OpaquePointer
    init(_ pd: PrimitiveDesc) {
        self.pd = pd
        var p: OpaquePointer?
        dnnlCheck(dnnl_primitive_create(&p, pd.handle), "dnnl_primitive_create", pd.implementation)
        handle = p!
    }
    deinit { dnnl_primitive_destroy(handle) }
}

/// A dnnl_memory object. Its data handle is either a buffer owned elsewhere
/// (an `AlignedBuffer` kept by the same part) or the caller's pointer, set per call.
final class Memory {
    let handle: OpaquePointer
    init(_ md: UnsafeRawPointer, data: UnsafeMutableRawPointer?) {
        var m: OpaquePointer?
        dnnlCheck(weft_dnnl_memory_create(&m, md, DNNLRuntime.shared.engine, data),
                  "dnnl_memory_create")
        handle = m!
    }
    @inline(__always)
    func setData(_ p: UnsafeMutableRawPointer?) {
        dnnlCheck(dnnl_memory_set_data_handle(handle, p), "dnnl_memory_set_data_handle")
    }
    deinit { dnnl_memory_destroy(handle) }
}

/// 64-byte aligned scratch storage, reused across calls.
final class AlignedBuffer {
    let pointer: UnsafeMutableRawPointer
    let bytes: Int
    init(bytes: Int) {
        self.bytes = bytes
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
    }
    deinit { pointer.deallocate() }
}

// MARK: - Parts: one primitive plus the reorders around it

/// One compute primitive with its reorders, built once per configuration and
/// direction: the caller's plain (NCHW/OIHW/x) buffers are bound to "user"
/// memory objects per call; where the primitive chose another (blocked)
/// format, a reorder to/from a cached blocked buffer runs around it.
/// Not thread-safe: used only under the owning plan's lock.
final class Part {
    private struct Step {
        let primitive: Primitive
        var args: [dnnl_exec_arg_t]
        /// The role a reorder step converts; nil for the compute primitive.
        var role: Int? = nil
        /// True for a reorder after the primitive (blocked output → plain).
        var isOutput = false
    }
    /// A role whose tensor the primitive uses in another (blocked) layout.
    struct Blocked {
        let memory: Memory
        let buffer: AlignedBuffer
        /// Owned by `pd`.
        let md: UnsafeRawPointer
    }
    let pd: PrimitiveDesc
    /// User memory objects, by role index (see the plan that builds the part).
    private(set) var user: [Memory?] = []
    private var steps: [Step] = []
    private var keep: [AnyObject] = []
    private var scratchpad: AlignedBuffer?
    /// Blocked intermediate tensors, by role.
    private(set) var blocked: [Int: Blocked] = [:]
    /// Implementations of every primitive in execution order (for diagnostics).
    private(set) var implementations: [String] = []

    /// Number of reorders that run per call.
    var reorderCount: Int { steps.count - 1 }

    private init(pd: PrimitiveDesc) { self.pd = pd }

    @inline(__always)
    func bind(_ role: Int, _ p: UnsafeRawPointer?) {
        user[role]!.setData(UnsafeMutableRawPointer(mutating: p))
    }

    /// Tensor storages bound for this call: their blocked copies are reused and recorded.
    private var bound: [Int: TensorStorage] = [:]

    /// Binds a tensor's storage: where the primitive wants a blocked layout, an input whose
    /// storage already holds that layout (made by an earlier op) skips its reorder, and the
    /// blocked copy made here (input reorder or output) is kept with the storage for later ops.
    func bind(_ role: Int, storage: TensorStorage) {
        bind(role, UnsafeRawPointer(storage.data))
        if blocked[role] != nil { bound[role] = storage }
    }

    /// Runs the reorders in, the primitive, the reorders out (skipping the
    /// reorder of role `skip`, whose blocked buffer the caller has filled).
    func execute(skippingReorderOf skip: Int? = nil) {
        let stream = DNNLRuntime.shared.stream
        // Bound storages: reuse their blocked copies, or give each blocked tensor a fresh buffer
        // that stays with the storage afterwards.
        var reuse = Set<Int>()
        var made: [(Int, TensorStorage)] = []
        for (role, storage) in bound {
            guard let b = blocked[role] else { continue }
            let isInput = steps.contains { $0.role == role && !$0.isOutput }
            if isInput, let alt = storage.alternate, weft_dnnl_md_equal(alt.descriptor, b.md) != 0 {
                b.memory.setData(alt.buffer.data)
                reuse.insert(role)
            } else {
                let fresh = TensorStorage(byteCount: Int(weft_dnnl_md_size(b.md)))
                b.memory.setData(fresh.data)
                made.append((role, fresh))
            }
        }
        defer {
            for (role, _) in bound { if let b = blocked[role] { b.memory.setData(b.buffer.pointer) } }
            bound.removeAll(keepingCapacity: true)
        }
        for i in steps.indices {
            if let skip, steps[i].role == skip { continue }
            if let r = steps[i].role, reuse.contains(r) { continue }
            let prim = steps[i].primitive.handle
            let status = steps[i].args.withUnsafeBufferPointer {
                dnnl_primitive_execute(prim, stream, Int32($0.count), $0.baseAddress)
            }
            dnnlCheck(status, "dnnl_primitive_execute", steps[i].primitive.pd.implementation)
        }
        dnnlCheck(dnnl_stream_wait(stream), "dnnl_stream_wait")
        for (role, fresh) in made {
            bound[role]!.alternate = AlternateLayout(descriptor: blocked[role]!.md, owner: pd, buffer: fresh)
        }
    }

    /// Runs this part with the blocked input of `role` taken from `other`'s
    /// blocked `otherRole` as its last execution left it (no reorder), when
    /// both have the same layout. Returns false, having run nothing, otherwise.
    func executeSharing(_ role: Int, from other: Part, _ otherRole: Int) -> Bool {
        guard let mine = blocked[role], let theirs = other.blocked[otherRole],
              weft_dnnl_md_equal(mine.md, theirs.md) != 0 else { return false }
        mine.memory.setData(theirs.buffer.pointer)
        defer { mine.memory.setData(mine.buffer.pointer) }
        execute(skippingReorderOf: role)
        return true
    }

    /// Collects the tensors of one primitive, then `finish` builds the steps.
    final class Builder {
        private let part: Part
        private var before: [Step] = []
        private var after: [Step] = []
        private var mainArgs: [dnnl_exec_arg_t] = []

        init(pd: PrimitiveDesc) { part = Part(pd: pd) }

        private func setUser(_ role: Int, _ m: Memory) {
            while part.user.count <= role { part.user.append(nil) }
            require(part.user[role] == nil, "role \(role) bound twice")
            part.user[role] = m
        }

        private func reorder(from: UnsafeRawPointer, to: UnsafeRawPointer,
                             _ src: Memory, _ dst: Memory) -> Step {
            var r: OpaquePointer?
            let attr = PrimitiveAttr()
            withExtendedLifetime(attr) {
                dnnlCheck(weft_dnnl_reorder_pd_create(&r, from, to, DNNLRuntime.shared.engine, attr.handle),
                          "dnnl_reorder_primitive_desc_create")
            }
            let prim = Primitive(PrimitiveDesc(r!))
            return Step(primitive: prim, args: [
                dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: src.handle),
                dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: dst.handle),
            ])
        }

        /// A tensor the primitive reads (`output == false`) or writes, given by
        /// the caller in `plain` layout; the primitive wants `query`'s md.
        func tensor(role: Int, arg: Int32, plain: MemoryDesc, query: dnnl_query_t, output: Bool) {
            guard let chosen = part.pd.md(query) else {
                fatalError("oneDNN primitive has no md for query \(query.rawValue)")
            }
            tensor(role: role, arg: arg, plain: plain, chosen: chosen, output: output)
        }

        /// As above, with the primitive's md given (`chosen`, owned by the part's pd), e.g. from
        /// `dnnl_query_exec_arg_md` for RNN weights, which have no query of their own.
        func tensor(role: Int, arg: Int32, plain: MemoryDesc, chosen: UnsafeRawPointer, output: Bool) {
            let user = Memory(plain.pointer, data: nil)
            setUser(role, user)
            if weft_dnnl_md_equal(chosen, plain.pointer) != 0 {
                mainArgs.append(dnnl_exec_arg_t(arg: arg, memory: user.handle))
                return
            }
            let buffer = AlignedBuffer(bytes: Int(weft_dnnl_md_size(chosen)))
            let blocked = Memory(chosen, data: buffer.pointer)
            part.blocked[role] = Blocked(memory: blocked, buffer: buffer, md: chosen)
            mainArgs.append(dnnl_exec_arg_t(arg: arg, memory: blocked.handle))
            if output {
                var step = reorder(from: chosen, to: plain.pointer, blocked, user)
                step.role = role
                step.isOutput = true
                after.append(step)
            } else {
                var step = reorder(from: plain.pointer, to: chosen, user, blocked)
                step.role = role
                before.append(step)
            }
        }

        /// A tensor passed in the caller's buffer as is, with the md `md`
        /// (bias in `x`, pooling workspace, pooling src/dst in NCHW).
        func direct(role: Int, arg: Int32, plain: MemoryDesc) {
            direct(role: role, arg: arg, md: plain.pointer)
        }

        /// `md` must stay valid during the call (oneDNN copies it).
        func direct(role: Int, arg: Int32, md: UnsafeRawPointer) {
            let user = Memory(md, data: nil)
            setUser(role, user)
            mainArgs.append(dnnl_exec_arg_t(arg: arg, memory: user.handle))
        }

        func finish() -> Part {
            let main = Step(primitive: Primitive(part.pd), args: mainArgs)
            var steps = before + [main] + after
            // One user-managed scratchpad shared by the part's steps (they run
            // one after another under the plan's lock).
            let bytes = steps.map { $0.primitive.pd.scratchpadBytes }.max() ?? 0
            if bytes > 0 {
                let buffer = AlignedBuffer(bytes: bytes)
                part.scratchpad = buffer
                for i in steps.indices where steps[i].primitive.pd.scratchpadBytes > 0 {
                    let md = steps[i].primitive.pd.md(dnnl_query_scratchpad_md)!
                    let m = Memory(md, data: buffer.pointer)
                    part.keep.append(m)
                    steps[i].args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: m.handle))
                }
            }
            part.steps = steps
            part.implementations = steps.map {
                $0.role == nil ? $0.primitive.pd.implementation : "reorder(\($0.primitive.pd.implementation))"
            }
            return part
        }
    }
}

// MARK: - Per-configuration plan cache

/// A thread-safe map from configuration to plan. Plans are created on first
/// use; building their primitives happens later, under the plan's own lock,
/// so the map's lock is only held for the lookup.
final class PlanCache<Key: Hashable & Sendable, Plan: AnyObject & Sendable>: Sendable {
    private let plans = Mutex<[Key: Plan]>([:])
    private let make: @Sendable (Key) -> Plan

    init(_ make: @escaping @Sendable (Key) -> Plan) { self.make = make }

    func plan(for key: Key) -> Plan {
        plans.withLock { dict in
            if let p = dict[key] { return p }
            let p = make(key)
            dict[key] = p
            return p
        }
    }

    func removeAll() { plans.withLock { $0.removeAll() } }
    var count: Int { plans.withLock { $0.count } }
}
