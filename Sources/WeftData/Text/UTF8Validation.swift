extension TextTokenizer {
    /// Whether `bytes` is well-formed UTF-8 (Unicode Table 3-7): no stray
    /// continuation bytes, no truncated sequences, no overlong forms, no
    /// surrogates (U+D800...U+DFFF), nothing above U+10FFFF. This is what
    /// Python's strict `utf-8` decoder accepts. (Written out rather than
    /// `String(validating:as:)`, which needs macOS 15.)
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            guard let p = buffer.baseAddress else { return true }
            let n = buffer.count
            var i = 0
            while i < n {
                let b0 = p[i]
                if b0 < 0x80 {
                    i += 1
                    continue
                }
                let length: Int
                var low: UInt8 = 0x80  // the allowed range of the second byte
                var high: UInt8 = 0xBF
                switch b0 {
                case 0xC2...0xDF: length = 2
                case 0xE0: length = 3; low = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xED: length = 3; high = 0x9F
                case 0xF0: length = 4; low = 0x90
                case 0xF1...0xF3: length = 4
                case 0xF4: length = 4; high = 0x8F
                default: return false
                }
                guard i + length <= n else { return false }
                let b1 = p[i + 1]
                guard b1 >= low && b1 <= high else { return false }
                var k = 2
                while k < length {
                    guard p[i + k] & 0xC0 == 0x80 else { return false }
                    k += 1
                }
                i += length
            }
            return true
        }
    }
}
