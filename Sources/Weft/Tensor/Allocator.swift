import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A caching allocator for tensor buffers.
///
/// Training steps allocate the same sizes every step; returning large buffers to the OS
/// (glibc `munmap`s anything over 128 KiB) and faulting them in again costs more than the
/// arithmetic on them for small models. Buffers of `minCachedBytes` or more are rounded up to a
/// size class (4 classes per power of two, ≤ 25 % slack) and kept on per-class free lists,
/// up to `maxCachedBytes` in all. Smaller buffers go straight to `malloc`, which is fast there.
/// All buffers are 64-byte aligned (what oneDNN and AVX-512 loads like).
public final class CachingAllocator: Sendable {
    public static let shared = CachingAllocator()

    public static let alignment = 64
    public static let minCachedBytes = 16 * 1024
    private struct State: ~Copyable {
        var free: [Int: [UInt]] = [:]   // addresses, so that the state is Sendable
        var cachedBytes = 0
        var maxCachedBytes = 4 << 30
        var hits = 0
        var misses = 0
    }
    private let state = Mutex(State())

    /// The size a request is rounded up to.
    @inlinable static func sizeClass(_ bytes: Int) -> Int {
        if bytes < minCachedBytes { return (bytes + 63) & ~63 }
        let p = Int.bitWidth - 1 - bytes.leadingZeroBitCount   // floor(log2)
        let step = 1 << (p - 2)
        return (bytes + step - 1) & ~(step - 1)
    }

    public func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Swift.max(Self.sizeClass(Swift.max(byteCount, 1)), 64)
        if size >= Self.minCachedBytes {
            let cached: UInt? = state.withLock { s in
                if var list = s.free[size], let p = list.popLast() {
                    s.free[size] = list
                    s.cachedBytes -= size
                    s.hits += 1
                    return p
                }
                s.misses += 1
                return nil
            }
            if let p = cached { return UnsafeMutableRawPointer(bitPattern: p)! }
        }
        var p: UnsafeMutableRawPointer? = nil
        let rc = posix_memalign(&p, Self.alignment, size)
        guard rc == 0, let ptr = p else { fatalError("Weft: out of memory allocating \(byteCount) bytes") }
        return ptr
    }

    public func deallocate(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        let size = Swift.max(Self.sizeClass(Swift.max(byteCount, 1)), 64)
        if size >= Self.minCachedBytes {
            let address = UInt(bitPattern: p)
            let kept = state.withLock { s -> Bool in
                guard s.cachedBytes + size <= s.maxCachedBytes else { return false }
                s.free[size, default: []].append(address)
                s.cachedBytes += size
                return true
            }
            if kept { return }
        }
        free(p)
    }

    /// Frees every cached buffer.
    public func emptyCache() {
        let all = state.withLock { s -> [UInt] in
            let ps = s.free.values.flatMap { $0 }
            s.free = [:]
            s.cachedBytes = 0
            return ps
        }
        for p in all { free(UnsafeMutableRawPointer(bitPattern: p)) }
    }

    /// (bytes held in the cache, cache hits, cache misses).
    public var statistics: (cachedBytes: Int, hits: Int, misses: Int) {
        state.withLock { ($0.cachedBytes, $0.hits, $0.misses) }
    }

    /// Upper bound on the bytes the cache keeps; excess buffers are freed.
    public func setCacheLimit(bytes: Int) { state.withLock { $0.maxCachedBytes = bytes } }
}

/// The reference-counted buffer behind one or more tensors (reshape shares it; writes copy it
/// unless uniquely referenced).
public final class TensorStorage: @unchecked Sendable {
    public let data: UnsafeMutableRawPointer
    public let byteCount: Int
    /// The same values in a backend's preferred layout (oneDNN's blocked formats), made by the
    /// first op that needed them, so that later ops skip the reorder. Dropped on any write.
    private let _alternate = Mutex<AlternateLayout?>(nil)

    var alternate: AlternateLayout? {
        get { _alternate.withLock { $0 } }
        set { _alternate.withLock { $0 = newValue } }
    }

    /// Forgets other layouts; called before the values are overwritten in place.
    @usableFromInline func invalidateAlternate() { _alternate.withLock { $0 = nil } }

    public init(byteCount: Int) {
        self.byteCount = byteCount
        self.data = CachingAllocator.shared.allocate(byteCount: byteCount)
    }

    deinit { CachingAllocator.shared.deallocate(data, byteCount: byteCount) }
}

/// A copy of a storage's values in another memory layout, described by `descriptor` (owned by
/// `owner`, which this keeps alive).
final class AlternateLayout: @unchecked Sendable {
    let descriptor: UnsafeRawPointer
    let owner: AnyObject
    let buffer: TensorStorage

    init(descriptor: UnsafeRawPointer, owner: AnyObject, buffer: TensorStorage) {
        self.descriptor = descriptor
        self.owner = owner
        self.buffer = buffer
    }
}
