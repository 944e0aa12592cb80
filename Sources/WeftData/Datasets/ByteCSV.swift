#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal comma-separated-values scanner over raw bytes, for the numeric
/// dataset files (sklearn digits, Beijing PM2.5). It creates no `String`s
/// while scanning: a line is handed out as the byte ranges of its fields.
///
/// Lines end with LF or CR LF; blank lines are skipped (but counted, so that
/// line numbers in errors are those a text editor shows). There is no quoting:
/// none of these files uses it, and a quote character simply becomes part of
/// a field (and then fails to parse as a number).
struct ByteCSVScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0
    /// The 1-based number of the line returned by the last ``nextLine(into:)``.
    private(set) var lineNumber = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // Skip a UTF-8 byte-order mark.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
    }

    /// Stores the field ranges of the next non-blank line in `fields` and
    /// returns true, or returns false at the end of the data.
    mutating func nextLine(into fields: inout [Range<Int>]) -> Bool {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return false }
        while position < count {
            lineNumber += 1
            var end = position
            while end < count && base[end] != 0x0A { end += 1 }
            let next = end + 1
            if end > position && base[end - 1] == 0x0D { end -= 1 }
            if end == position {  // blank line
                position = next
                continue
            }
            fields.removeAll(keepingCapacity: true)
            var start = position
            var i = position
            while i < end {
                if base[i] == 0x2C {
                    fields.append(start..<i)
                    start = i + 1
                }
                i += 1
            }
            fields.append(start..<end)
            position = next
            return true
        }
        return false
    }

    /// The text of a field, for error messages (shortened when long).
    func text(_ range: Range<Int>) -> String {
        let shown = range.count > 40 ? range.lowerBound..<(range.lowerBound + 40) : range
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[shown]), as: UTF8.self)
        return range.count > 40 ? text + "…" : text
    }

    /// Whether a field holds exactly the ASCII text `literal`.
    func field(_ range: Range<Int>, equals literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        for k in 0..<range.count where bytes[range.lowerBound + k] != lit[k] { return false }
        return true
    }

    /// Whether a field holds exactly the bytes of `text`.
    func field(_ range: Range<Int>, equals text: [UInt8]) -> Bool {
        guard range.count == text.count else { return false }
        for k in 0..<range.count where bytes[range.lowerBound + k] != text[k] { return false }
        return true
    }

    /// Parses a field as a decimal number, exactly as Python's `float()` or
    /// C's `strtod` would (correctly rounded to `Double`).
    ///
    /// Accepts an optional sign, digits with an optional fraction, and an
    /// optional exponent; no spaces, no `inf`/`nan`. Returns nil for anything
    /// else. Short numbers (at most 15 significant digits and a power of ten
    /// at most 22) take an exact fast path (one correctly rounded division or
    /// multiplication of two exactly representable doubles); others go to
    /// `strtod`.
    func decimal(_ range: Range<Int>) -> Double? {
        guard let base = bytes.baseAddress, !range.isEmpty else { return nil }
        var i = range.lowerBound
        let end = range.upperBound
        var negative = false
        if base[i] == 0x2D || base[i] == 0x2B {  // - +
            negative = base[i] == 0x2D
            i += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var digits = 0
        var scale = 0  // value = mantissa * 10^scale
        while i < end, base[i] &- 0x30 < 10 {
            if mantissa != 0 || base[i] != 0x30 { significant += 1 }
            if significant <= 19 { mantissa = mantissa &* 10 &+ UInt64(base[i] &- 0x30) } else { scale += 1 }
            digits += 1
            i += 1
        }
        if i < end && base[i] == 0x2E {  // .
            i += 1
            while i < end, base[i] &- 0x30 < 10 {
                if mantissa != 0 || base[i] != 0x30 { significant += 1 }
                if significant <= 19 {
                    mantissa = mantissa &* 10 &+ UInt64(base[i] &- 0x30)
                    scale -= 1
                }
                digits += 1
                i += 1
            }
        }
        guard digits > 0 else { return nil }
        var exponent = 0
        if i < end && (base[i] == 0x65 || base[i] == 0x45) {  // e E
            i += 1
            var expNegative = false
            if i < end && (base[i] == 0x2D || base[i] == 0x2B) {
                expNegative = base[i] == 0x2D
                i += 1
            }
            var expDigits = 0
            while i < end, base[i] &- 0x30 < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(base[i] &- 0x30) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            if expNegative { exponent = -exponent }
        }
        guard i == end else { return nil }
        scale += exponent
        if significant <= 15 && abs(scale) <= 22 {
            var value = Double(mantissa)  // exact: below 10^15 < 2^53
            if scale < 0 { value /= Self.powersOfTen[-scale] } else if scale > 0 { value *= Self.powersOfTen[scale] }
            return negative ? -value : value
        }
        return slowDecimal(range)
    }

    /// `strtod` on a NUL-terminated copy of the field.
    private func slowDecimal(_ range: Range<Int>) -> Double? {
        var copy = [CChar](repeating: 0, count: range.count + 1)
        for k in 0..<range.count { copy[k] = CChar(bitPattern: bytes[range.lowerBound + k]) }
        return copy.withUnsafeMutableBufferPointer { buffer -> Double? in
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &endPointer)
            guard let endPointer, endPointer - buffer.baseAddress! == range.count else { return nil }
            return value
        }
    }

    /// 10^0 … 10^22, all exactly representable as `Double`.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}

/// Runs `body` with a scanner over `bytes`.
func withByteCSVScanner<T>(_ bytes: [UInt8], _ body: (inout ByteCSVScanner) throws -> T) rethrows -> T {
    try bytes.withUnsafeBufferPointer { buffer in
        var scanner = ByteCSVScanner(buffer)
        return try body(&scanner)
    }
}
