/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
/// counter-based generator. Output block `c` under key `k` depends on nothing else, so a tensor's
/// random numbers are the same whatever the thread count or the order of evaluation.
@frozen
public struct Philox4x32: Sendable {
    public let key: UInt64

    @inlinable public init(key: UInt64) { self.key = key }

    @inlinable @inline(__always)
    static func mulhilo(_ a: UInt32, _ b: UInt32) -> (hi: UInt32, lo: UInt32) {
        let p = UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: p >> 32), UInt32(truncatingIfNeeded: p))
    }

    /// The four 32-bit outputs for the 128-bit counter (counter, stream).
    @inlinable
    public func block(_ counter: UInt64, stream: UInt64 = 0) -> (UInt32, UInt32, UInt32, UInt32) {
        var c0 = UInt32(truncatingIfNeeded: counter), c1 = UInt32(truncatingIfNeeded: counter >> 32)
        var c2 = UInt32(truncatingIfNeeded: stream), c3 = UInt32(truncatingIfNeeded: stream >> 32)
        var k0 = UInt32(truncatingIfNeeded: key), k1 = UInt32(truncatingIfNeeded: key >> 32)
        for _ in 0..<10 {
            let (hi0, lo0) = Self.mulhilo(0xD251_1F53, c0)
            let (hi1, lo1) = Self.mulhilo(0xCD9E_8D57, c2)
            c0 = hi1 ^ c1 ^ k0
            c1 = lo1
            c2 = hi0 ^ c3 ^ k1
            c3 = lo0
            k0 &+= 0x9E37_79B9
            k1 &+= 0xBB67_AE85
        }
        return (c0, c1, c2, c3)
    }

    /// A uniform float in [0, 1) from 24 random bits.
    @inlinable @inline(__always) public static func unitFloat(_ x: UInt32) -> Float { Float(x >> 8) * 0x1p-24 }
    /// A uniform double in [0, 1) from 53 random bits.
    @inlinable @inline(__always) public static func unitDouble(_ hi: UInt32, _ lo: UInt32) -> Double {
        Double((UInt64(hi) << 21) ^ UInt64(lo >> 11)) * 0x1p-53
    }
}
