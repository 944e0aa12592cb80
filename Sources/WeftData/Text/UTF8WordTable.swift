#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash table from words, compared as raw UTF-8 bytes (as Python compares
/// `str` keys, code point by code point, not by canonical equivalence), to
/// `Int32` values. Open addressing with linear probing over FNV-1a hashes;
/// lookups take a byte buffer, so tokenisers never build a `String` per word.
struct UTF8WordTable: Sendable {
    /// All keys' bytes, back to back.
    private var keyBytes: [UInt8] = []
    /// Key `k` is `keyBytes[keyStarts[k] ..< keyStarts[k + 1]]`.
    private var keyStarts: [Int] = [0]
    private var values: [Int32] = []
    /// `slots[h]` is a key index + 1, or 0 when empty; the count is a power of 2.
    private var slots: [Int32]

    /// The number of distinct keys.
    var count: Int { values.count }

    init(minimumCapacity: Int = 16) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
    }

    /// Read access through raw pointers, valid only inside ``withLookup(_:)``:
    /// one lookup is a hash and a few byte comparisons, with no array
    /// accessors (which matters in debug builds).
    struct Lookup {
        fileprivate let keyBytes: UnsafePointer<UInt8>?
        fileprivate let keyStarts: UnsafePointer<Int>
        fileprivate let values: UnsafePointer<Int32>?
        fileprivate let slots: UnsafePointer<Int32>
        fileprivate let mask: Int

        /// The slot holding the key at `key` (`count` bytes), or the empty
        /// slot where it would go.
        fileprivate func slot(_ key: UnsafePointer<UInt8>?, _ count: Int) -> (index: Int, found: Bool) {
            var index = Int(truncatingIfNeeded: UTF8WordTable.hash(key, count)) & mask
            while true {
                let entry = Int(slots[index])
                if entry == 0 { return (index, false) }
                let start = keyStarts[entry - 1]
                if keyStarts[entry] - start == count {
                    if count == 0 || memcmp(keyBytes! + start, key!, count) == 0 { return (index, true) }
                }
                index = (index + 1) & mask
            }
        }

        /// The value stored for `key`, if any.
        func value(for key: UnsafeBufferPointer<UInt8>) -> Int32? {
            let (index, found) = slot(key.baseAddress, key.count)
            return found ? values![Int(slots[index]) - 1] : nil
        }
    }

    /// Calls `body` with a ``Lookup`` over this table.
    func withLookup<R>(_ body: (Lookup) throws -> R) rethrows -> R {
        try keyBytes.withUnsafeBufferPointer { bytes in
            try keyStarts.withUnsafeBufferPointer { starts in
                try values.withUnsafeBufferPointer { values in
                    try slots.withUnsafeBufferPointer { slots in
                        try body(Lookup(
                            keyBytes: bytes.baseAddress, keyStarts: starts.baseAddress!,
                            values: values.baseAddress,
                            slots: slots.baseAddress!, mask: slots.count - 1))
                    }
                }
            }
        }
    }

    fileprivate static func hash(_ key: UnsafePointer<UInt8>?, _ count: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var i = 0
        while i < count {
            h = (h ^ UInt64(key![i])) &* 0x0000_0100_0000_01B3
            i += 1
        }
        return h ^ (h >> 29)
    }

    /// The value stored for `key`, if any (one lookup; use ``withLookup(_:)`` for many).
    func value(for key: UnsafeBufferPointer<UInt8>) -> Int32? {
        withLookup { $0.value(for: key) }
    }

    /// Stores `value` for `key`, replacing an earlier value (as a later
    /// duplicate key wins in a Python dict built from JSON).
    mutating func set(_ value: Int32, for key: UnsafeBufferPointer<UInt8>) {
        let (index, found) = withLookup { $0.slot(key.baseAddress, key.count) }
        if found {
            values[Int(slots[index]) - 1] = value
            return
        }
        keyBytes.append(contentsOf: key)
        keyStarts.append(keyBytes.count)
        values.append(value)
        slots[index] = Int32(values.count)
        if values.count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        let size = slots.count * 2
        let mask = size - 1
        var fresh = [Int32](repeating: 0, count: size)
        keyBytes.withUnsafeBufferPointer { bytes in
            for k in 0..<values.count {
                let start = keyStarts[k]
                var index = Int(truncatingIfNeeded: Self.hash(bytes.baseAddress.map { $0 + start }, keyStarts[k + 1] - start)) & mask
                while fresh[index] != 0 { index = (index + 1) & mask }
                fresh[index] = Int32(k + 1)
            }
        }
        slots = fresh
    }
}
