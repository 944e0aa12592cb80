/// A pure-Swift MD5 (RFC 1321).
///
/// MD5 is broken as a cryptographic hash; it is here only because some
/// publishers (CIFAR, Keras) give nothing else to check their files against.
/// Prefer ``SHA256`` wherever a SHA-256 is known.
public enum MD5 {
    /// The 16-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
        let fullBlocks = bytes.count / 64
        bytes.withUnsafeBytes { raw in
            if fullBlocks > 0 { compress(&state, blocks: raw.baseAddress!, count: fullBlocks) }
        }

        // Padding: the leftover bytes, 0x80, zeros, then the bit length (little-endian).
        let remainder = bytes.count - fullBlocks * 64
        var tail = [UInt8](repeating: 0, count: remainder < 56 ? 64 : 128)
        for i in 0..<remainder { tail[i] = bytes[fullBlocks * 64 + i] }
        tail[remainder] = 0x80
        let bitLength = UInt64(bytes.count) &* 8
        for i in 0..<8 {
            tail[tail.count - 8 + i] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))
        }
        tail.withUnsafeBytes { raw in compress(&state, blocks: raw.baseAddress!, count: tail.count / 64) }

        var digest = [UInt8](repeating: 0, count: 16)
        let words = [state.0, state.1, state.2, state.3]
        for (i, word) in words.enumerated() {
            for j in 0..<4 { digest[4 * i + j] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(j))) }
        }
        return digest
    }

    /// The digest of `bytes` as 32 lowercase hexadecimal digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hexString(hash(bytes))
    }

    /// The sine-derived constants K[i] = floor(2^32 · |sin(i + 1)|).
    private static let constants: [UInt32] = [
        0xd76a_a478, 0xe8c7_b756, 0x2420_70db, 0xc1bd_ceee, 0xf57c_0faf, 0x4787_c62a, 0xa830_4613, 0xfd46_9501,
        0x6980_98d8, 0x8b44_f7af, 0xffff_5bb1, 0x895c_d7be, 0x6b90_1122, 0xfd98_7193, 0xa679_438e, 0x49b4_0821,
        0xf61e_2562, 0xc040_b340, 0x265e_5a51, 0xe9b6_c7aa, 0xd62f_105d, 0x0244_1453, 0xd8a1_e681, 0xe7d3_fbc8,
        0x21e1_cde6, 0xc337_07d6, 0xf4d5_0d87, 0x455a_14ed, 0xa9e3_e905, 0xfcef_a3f8, 0x676f_02d9, 0x8d2a_4c8a,
        0xfffa_3942, 0x8771_f681, 0x6d9d_6122, 0xfde5_380c, 0xa4be_ea44, 0x4bde_cfa9, 0xf6bb_4b60, 0xbebf_bc70,
        0x289b_7ec6, 0xeaa1_27fa, 0xd4ef_3085, 0x0488_1d05, 0xd9d4_d039, 0xe6db_99e5, 0x1fa2_7cf8, 0xc4ac_5665,
        0xf429_2244, 0x432a_ff97, 0xab94_23a7, 0xfc93_a039, 0x655b_59c3, 0x8f0c_cc92, 0xffef_f47d, 0x8584_5dd1,
        0x6fa8_7e4f, 0xfe2c_e6e0, 0xa301_4314, 0x4e08_11a1, 0xf753_7e82, 0xbd3a_f235, 0x2ad7_d2bb, 0xeb86_d391,
    ]

    /// Per-round left-rotation amounts.
    private static let shifts: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]

    /// Runs the compression function over `count` consecutive 64-byte blocks.
    private static func compress(
        _ state: inout (UInt32, UInt32, UInt32, UInt32), blocks: UnsafeRawPointer, count: Int
    ) {
        constants.withUnsafeBufferPointer { k in
            shifts.withUnsafeBufferPointer { s in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { m in
                    var (h0, h1, h2, h3) = state
                    for block in 0..<count {
                        let base = blocks + block * 64
                        for t in 0..<16 {
                            m[t] = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                        }
                        var a = h0, b = h1, c = h2, d = h3
                        for i in 0..<64 {
                            var f: UInt32
                            let g: Int
                            switch i >> 4 {
                            case 0: f = (b & c) | (~b & d); g = i
                            case 1: f = (d & b) | (~d & c); g = (5 &* i &+ 1) & 15
                            case 2: f = b ^ c ^ d; g = (3 &* i &+ 5) & 15
                            default: f = c ^ (b | ~d); g = (7 &* i) & 15
                            }
                            f = f &+ a &+ k[i] &+ m[g]
                            a = d; d = c; c = b
                            b = b &+ ((f << s[i]) | (f >> (32 &- s[i])))
                        }
                        h0 = h0 &+ a; h1 = h1 &+ b; h2 = h2 &+ c; h3 = h3 &+ d
                    }
                    state = (h0, h1, h2, h3)
                }
            }
        }
    }
}
