import Dispatch
import CWeftShims
import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// The CPU thread settings shared by Weft's own kernels, oneDNN (OpenMP) and OpenBLAS.
public enum CPUThreads {
    nonisolated(unsafe) private static var _count: Int = {
        if let s = getenv("WEFT_NUM_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// Threads used by Weft's elementwise and reduction kernels.
    public static var count: Int { _count }

    /// Sets the thread count for Weft's kernels, OpenBLAS and oneDNN (OpenMP).
    public static func set(_ n: Int) {
        precondition(n >= 1, "CPUThreads.set: thread count must be ≥ 1, got \(n)")
        _count = n
        setLibraryThreads(n)
    }

    /// Below this many elements an elementwise kernel runs on the calling thread.
    nonisolated(unsafe) public static var parallelThreshold: Int = {
        if let s = getenv("WEFT_PARALLEL_THRESHOLD"), let n = Int(String(cString: s)) { return n }
        return 32_768
    }()
}

/// Runs `body` over `0..<count` split into at most `CPUThreads.count` contiguous chunks,
/// or inline when `count * costPerItem` is under the parallel threshold.
@inlinable
public func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = CPUThreads.count
    if threads <= 1 || count &* costPerItem < CPUThreads.parallelThreshold || count < 2 {
        body(0..<count)
        return
    }
    let chunks = Swift.min(threads, count)
    withoutActuallyEscaping(body) { escapable in
        let work = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { work.value(lo..<hi) }
        }
    }
}

/// Flush denormals to zero and treat denormal inputs as zero (MXCSR FTZ|DAZ) on this thread,
/// as TensorFlow does by default and the peer benchmarks do; tiny gradients otherwise slow x86 down.
public func setFlushDenormalsToZero(_ on: Bool = true) {
    #if arch(x86_64)
    weft_set_ftz(on ? 1 : 0)
    #endif
}

/// Passes the thread count on to OpenBLAS and oneDNN's OpenMP runtime.
func setLibraryThreads(_ n: Int) {
    openblas_set_num_threads(Int32(n))
    DNNL.setNumThreads(n)
}


/// Carries a value into concurrently running chunks of one kernel; the kernel guarantees the
/// chunks touch disjoint memory.
public struct UncheckedSendableBox<T>: @unchecked Sendable {
    public let value: T
    @inlinable public init(_ value: T) { self.value = value }
}
