import Testing
@testable import Weft

// The caching allocator: large buffers go back to a per-size free list and are reused.

@Suite struct AllocatorTests {
    @Test func freedLargeBufferIsReused() {
        let a = CachingAllocator.shared
        // An unusual size (≈ 2.9 MiB) so that other tests running in parallel are unlikely to take it.
        let shape: Shape = [3, 241, 1009]
        var before = a.statistics
        do {
            let t = Tensor.zeros(shape)
            #expect(t.count == 729_507)
            before = a.statistics
        }   // freed: back into the cache
        let afterFree = a.statistics
        #expect(afterFree.cachedBytes >= CachingAllocator.sizeClass(729_507 * 4) || afterFree.hits > before.hits,
                "the freed buffer should be cached")
        let again = Tensor.ones(shape)
        let after = a.statistics
        #expect(after.hits > before.hits, "allocating the same size again should hit the cache: \(before) → \(after)")
        #expect(again.floats.allSatisfy { $0 == 1 })   // reused memory is fully overwritten
    }

    @Test func smallBuffersBypassTheCache() {
        let a = CachingAllocator.shared
        // Small allocations are not counted as hits or misses (they go straight to malloc).
        let p = a.allocate(byteCount: 100)
        #expect(Int(bitPattern: p) % CachingAllocator.alignment == 0)
        a.deallocate(p, byteCount: 100)
    }

    @Test func sizeClassesRoundUpByAtMostAQuarter() {
        #expect(CachingAllocator.sizeClass(100) == 128)
        #expect(CachingAllocator.sizeClass(16 * 1024) == 16 * 1024)
        #expect(CachingAllocator.sizeClass(16 * 1024 + 1) == 20 * 1024)
        #expect(CachingAllocator.sizeClass(1 << 20) == 1 << 20)
        #expect(CachingAllocator.sizeClass((1 << 20) + 1) == (1 << 20) + (1 << 18))
        for bytes in [16_385, 50_000, 123_457, 1_000_001, 7_777_777] {
            let c = CachingAllocator.sizeClass(bytes)
            #expect(c >= bytes && Double(c) <= Double(bytes) * 1.25, "\(bytes) → \(c)")
            #expect(c % 64 == 0)
        }
    }

    @Test func largeBuffersAreAligned() {
        let a = CachingAllocator.shared
        let p = a.allocate(byteCount: 100_000)
        #expect(Int(bitPattern: p) % CachingAllocator.alignment == 0)
        a.deallocate(p, byteCount: 100_000)
        let q = a.allocate(byteCount: 100_000)
        #expect(Int(bitPattern: q) % CachingAllocator.alignment == 0)
        a.deallocate(q, byteCount: 100_000)
    }
}
