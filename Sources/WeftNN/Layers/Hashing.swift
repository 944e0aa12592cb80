import Weft

// Keras's `Hashing` layer and the two string hashes TensorFlow buckets with: FarmHash's
// Fingerprint64 (`tf.strings.to_hash_bucket_fast`) and SipHash-2-4 with a 128-bit key
// (`to_hash_bucket_strong`, Keras's `salt`). Both are bit-exact ports, so the bins equal Keras's.

/// String fingerprints with the values TensorFlow computes.
public enum StringHash {
    private static let k0: UInt64 = 0xc3a5_c85c_97cb_3127
    private static let k1: UInt64 = 0xb492_b66f_be98_f273
    private static let k2: UInt64 = 0x9ae1_6a3b_2f90_404f

    @inline(__always) private static func rotate(_ v: UInt64, _ s: UInt64) -> UInt64 { s == 0 ? v : (v >> s) | (v << (64 - s)) }
    @inline(__always) private static func shiftMix(_ v: UInt64) -> UInt64 { v ^ (v >> 47) }
    @inline(__always) private static func hashLen16(_ u: UInt64, _ v: UInt64, _ mul: UInt64) -> UInt64 {
        var a = (u ^ v) &* mul
        a ^= a >> 47
        var b = (v ^ a) &* mul
        b ^= b >> 47
        return b &* mul
    }

    /// FarmHash `Fingerprint64` (farmhashna `Hash64`) of the bytes.
    public static func fingerprint64(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { fingerprint64($0) }
    }

    public static func fingerprint64(_ s: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let len = s.count
        @inline(__always) func fetch64(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for j in 0..<8 { v |= UInt64(s[i + j]) << (8 * UInt64(j)) }
            return v
        }
        @inline(__always) func fetch32(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for j in 0..<4 { v |= UInt64(s[i + j]) << (8 * UInt64(j)) }
            return v
        }
        let n = UInt64(len)
        if len <= 16 {
            if len >= 8 {
                let mul = k2 &+ n &* 2
                let a = fetch64(0) &+ k2, b = fetch64(len - 8)
                let c = rotate(b, 37) &* mul &+ a
                let d = (rotate(a, 25) &+ b) &* mul
                return hashLen16(c, d, mul)
            }
            if len >= 4 {
                let mul = k2 &+ n &* 2
                return hashLen16(n &+ (fetch32(0) << 3), fetch32(len - 4), mul)
            }
            if len > 0 {
                let a = UInt32(s[0]), b = UInt32(s[len >> 1]), c = UInt32(s[len - 1])
                let y = a &+ (b << 8), z = UInt32(len) &+ (c << 2)
                return shiftMix(UInt64(y) &* k2 ^ UInt64(z) &* k0) &* k2
            }
            return k2
        }
        if len <= 32 {
            let mul = k2 &+ n &* 2
            let a = fetch64(0) &* k1, b = fetch64(8), c = fetch64(len - 8) &* mul, d = fetch64(len - 16) &* k2
            return hashLen16(rotate(a &+ b, 43) &+ rotate(c, 30) &+ d, a &+ rotate(b &+ k2, 18) &+ c, mul)
        }
        if len <= 64 {
            let mul = k2 &+ n &* 2
            let a = fetch64(0) &* k2, b = fetch64(8), c = fetch64(len - 8) &* mul, d = fetch64(len - 16) &* k2
            let y = rotate(a &+ b, 43) &+ rotate(c, 30) &+ d
            let z = hashLen16(y, a &+ rotate(b &+ k2, 18) &+ c, mul)
            let e = fetch64(16) &* mul, f = fetch64(24)
            let g = (y &+ fetch64(len - 32)) &* mul, h = (z &+ fetch64(len - 24)) &* mul
            return hashLen16(rotate(e &+ f, 43) &+ rotate(g, 30) &+ h, e &+ rotate(f &+ a, 18) &+ g, mul)
        }
        func weak(_ i: Int, _ a0: UInt64, _ b0: UInt64) -> (UInt64, UInt64) {
            let w = fetch64(i), x = fetch64(i + 8), y = fetch64(i + 16), z = fetch64(i + 24)
            var a = a0 &+ w
            var b = rotate(b0 &+ a &+ z, 21)
            let c = a
            a = a &+ x &+ y
            b = b &+ rotate(a, 44)
            return (a &+ z, b &+ c)
        }
        let seed: UInt64 = 81
        var x = seed, y = seed &* k1 &+ 113
        var z = shiftMix(y &* k2 &+ 113) &* k2
        var v: (UInt64, UInt64) = (0, 0), w: (UInt64, UInt64) = (0, 0)
        x = x &* k2 &+ fetch64(0)
        let end = ((len - 1) / 64) * 64
        let last64 = end + ((len - 1) & 63) - 63
        var p = 0
        repeat {
            x = rotate(x &+ y &+ v.0 &+ fetch64(p + 8), 37) &* k1
            y = rotate(y &+ v.1 &+ fetch64(p + 48), 42) &* k1
            x ^= w.1
            y = y &+ v.0 &+ fetch64(p + 40)
            z = rotate(z &+ w.0, 33) &* k1
            v = weak(p, v.1 &* k1, x &+ w.0)
            w = weak(p + 32, z &+ w.1, y &+ fetch64(p + 16))
            swap(&z, &x)
            p += 64
        } while p != end
        let mul = k1 &+ ((z & 0xff) << 1)
        p = last64
        w.0 = w.0 &+ UInt64((len - 1) & 63)
        v.0 = v.0 &+ w.0
        w.0 = w.0 &+ v.0
        x = rotate(x &+ y &+ v.0 &+ fetch64(p + 8), 37) &* mul
        y = rotate(y &+ v.1 &+ fetch64(p + 48), 42) &* mul
        x ^= w.1 &* 9
        y = y &+ v.0 &* 9 &+ fetch64(p + 40)
        z = rotate(z &+ w.0, 33) &* mul
        v = weak(p, v.1 &* mul, x &+ w.0)
        w = weak(p + 32, z &+ w.1, y &+ fetch64(p + 16))
        swap(&z, &x)
        return hashLen16(hashLen16(v.0, w.0, mul) &+ shiftMix(y) &* k0 &+ z, hashLen16(v.1, w.1, mul) &+ x, mul)
    }

    /// SipHash-2-4 of the bytes under the key (k0, k1) (TensorFlow's `StrongKeyedHash`).
    public static func sipHash24(_ bytes: [UInt8], key: (UInt64, UInt64)) -> UInt64 {
        var v0: UInt64 = key.0 ^ 0x736f_6d65_7073_6575, v1: UInt64 = key.1 ^ 0x646f_7261_6e64_6f6d
        var v2: UInt64 = key.0 ^ 0x6c79_6765_6e65_7261, v3: UInt64 = key.1 ^ 0x7465_6462_7974_6573
        @inline(__always) func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }
        @inline(__always) func round() {
            v0 = v0 &+ v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = v2 &+ v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 = v0 &+ v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 = v2 &+ v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }
        let full = bytes.count / 8
        for i in 0..<full {
            var m: UInt64 = 0
            for j in 0..<8 { m |= UInt64(bytes[8 * i + j]) << (8 * UInt64(j)) }
            v3 ^= m; round(); round(); v0 ^= m
        }
        var b = UInt64(truncatingIfNeeded: bytes.count) << 56
        for j in 0..<(bytes.count - 8 * full) { b |= UInt64(bytes[8 * full + j]) << (8 * UInt64(j)) }
        v3 ^= b; round(); round(); v0 ^= b
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

/// Keras `Hashing`: each value to one of `numBins` bins by FarmHash Fingerprint64 (or, with a
/// `salt`, SipHash-2-4 keyed by it) of its string form, as `tf.strings.to_hash_bucket_*`:
/// integers (and floats, truncated to integers) hash their decimal digits, strings their UTF-8
/// bytes. With `maskValue`, that value goes to bin 0 and the others to bins 1…numBins−1.
/// Output modes as `CategoryEncoding` (`.int` ids, or one-/multi-hot / count over the bins).
public final class Hashing: Layer {
    public enum OutputMode: Hashable, Sendable { case int, oneHot, multiHot, count }
    public let numBins: Int
    public let maskValue: Int64?
    public let maskString: String?
    public let salt: (UInt64, UInt64)?
    public let outputMode: OutputMode

    /// `salt` as Keras's: one integer (used for both key halves) or a pair.
    public init(numBins: Int, maskValue: Int64? = nil, maskString: String? = nil, salt: [UInt64]? = nil, outputMode: OutputMode = .int) {
        precondition(numBins > 0, "Hashing: numBins must be positive, got \(numBins)")
        precondition(salt == nil || salt!.count == 1 || salt!.count == 2, "Hashing: salt is one integer or a pair, got \(salt!)")
        self.numBins = numBins
        self.maskValue = maskValue
        self.maskString = maskString
        self.salt = salt.map { $0.count == 1 ? ($0[0], $0[0]) : ($0[0], $0[1]) }
        self.outputMode = outputMode
    }

    public var typeName: String { "Hashing" }

    /// The bin of one value's bytes.
    func bin(_ bytes: [UInt8], masked: Bool) -> Int64 {
        let masking = (maskValue != nil || maskString != nil) && numBins > 1
        if masked && masking { return 0 }
        let bins = UInt64(masking ? numBins - 1 : numBins)
        let h = salt.map { StringHash.sipHash24(bytes, key: $0) } ?? StringHash.fingerprint64(bytes)
        return Int64(h % bins) + (masking ? 1 : 0)
    }

    func encode(_ ids: [Int64], shape: Shape) -> Tensor {
        switch outputMode {
        case .int: return Tensor(shape: shape, scalars: ids)
        case .oneHot: return encodeCategorical(ids, shape: shape, depth: numBins, .oneHot)
        case .multiHot: return encodeCategorical(ids, shape: shape, depth: numBins, .multiHot)
        case .count: return encodeCategorical(ids, shape: shape, depth: numBins, .count)
        }
    }

    public func build(inputShape s: Shape) throws -> Shape {
        switch outputMode {
        case .int: return s
        case .oneHot: return try categoricalShape(s, depth: numBins, .oneHot, layer: "Hashing")
        case .multiHot, .count: return try categoricalShape(s, depth: numBins, .count, layer: "Hashing")
        }
    }

    /// Integer (or integral float) values [N, …].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let v = x.detached().doubles
        let ids = v.map { d -> Int64 in
            let i = Int64(d.rounded(.towardZero))
            return bin(Array(String(i).utf8), masked: maskValue == i)
        }
        return encode(ids, shape: x.shape)
    }

    /// Strings: one per sample ([N]) …
    public func callAsFunction(_ strings: [String]) -> Tensor {
        encode(strings.map { bin(Array($0.utf8), masked: $0 == maskString) }, shape: [strings.count])
    }

    /// … or a rectangular batch [N, L].
    public func callAsFunction(_ rows: [[String]]) -> Tensor {
        let l = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == l }, "Hashing: rows of strings must have equal lengths")
        return encode(rows.flatMap { $0 }.map { bin(Array($0.utf8), masked: $0 == maskString) }, shape: [rows.count, l])
    }
}

extension StringHash {
    /// TensorFlow's `FingerprintCat64`: combines two fingerprints (order matters).
    public static func fingerprintCat64(_ fp1: UInt64, _ fp2: UInt64) -> UInt64 {
        let kMul: UInt64 = 0xc6a4_a793_5bd1_e995
        @inline(__always) func shiftMix(_ v: UInt64) -> UInt64 { v ^ (v >> 47) }
        var r = fp1 ^ kMul
        r ^= shiftMix(fp2 &* kMul) &* kMul
        r = r &* kMul
        r = shiftMix(r) &* kMul
        return shiftMix(r)
    }
}

/// Keras `HashedCrossing`: the cross of two or more categorical features hashed into `numBins`
/// bins, as `tf.sparse.cross_hashed`: starting from the key 0xDECAFCAFFE, each feature's hash
/// (an integer's own 64-bit value, a string's FarmHash Fingerprint64) is folded in with
/// FingerprintCat64, then taken modulo `numBins`. Features are one value per sample; the output is
/// the bin ids [N] (`.int`) or their one-hot rows [N, numBins].
public final class HashedCrossing {
    public enum OutputMode: Hashable, Sendable { case int, oneHot }
    /// One categorical feature: an integer tensor ([N] or [N, 1]) or N strings.
    public enum Feature {
        case ints(Tensor)
        case strings([String])
        var count: Int {
            switch self {
            case .ints(let t): return t.count
            case .strings(let s): return s.count
            }
        }
    }
    public let numBins: Int
    public let outputMode: OutputMode
    static let hashKey: UInt64 = 0xDE_CAFC_AFFE

    public init(numBins: Int, outputMode: OutputMode = .int) {
        precondition(numBins > 0, "HashedCrossing: numBins must be positive, got \(numBins)")
        self.numBins = numBins
        self.outputMode = outputMode
    }

    public func callAsFunction(_ features: [Feature]) -> Tensor {
        precondition(features.count >= 2, "HashedCrossing: needs at least two features, got \(features.count)")
        let n = features[0].count
        precondition(features.allSatisfy { $0.count == n }, "HashedCrossing: every feature needs one value per sample (\(n))")
        if case .ints(let t) = features[0] { precondition(t.rank <= 1 || t.shape.dropFirst().allSatisfy { $0 == 1 }, "HashedCrossing: one value per sample, got \(t.shape)") }
        let hashes: [[UInt64]] = features.map { f in
            switch f {
            case .ints(let t): return t.detached().doubles.map { UInt64(bitPattern: Int64($0)) }
            case .strings(let s): return s.map { StringHash.fingerprint64(Array($0.utf8)) }
            }
        }
        let ids = (0..<n).map { i in
            Int64(hashes.reduce(Self.hashKey) { StringHash.fingerprintCat64($0, $1[i]) } % UInt64(numBins))
        }
        switch outputMode {
        case .int: return Tensor(shape: [n], scalars: ids)
        case .oneHot: return encodeCategorical(ids, shape: [n], depth: numBins, .oneHot)
        }
    }

    public func callAsFunction(_ features: Feature...) -> Tensor { self(features) }
}
