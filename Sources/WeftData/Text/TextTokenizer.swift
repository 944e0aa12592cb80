/// Word tokenisers that reproduce the Python pipelines of the classic Keras
/// examples exactly, so that ids (and trained models) match.
///
/// Both work on UTF-8 bytes with an ASCII fast path; text with non-ASCII
/// characters goes through Unicode scalars with Python's rules.
public enum TextTokenizer {
    /// The characters Keras's `text_to_word_sequence` (and `Tokenizer`)
    /// replaces by spaces by default: ``!"#$%&()*+,-./:;<=>?@[\]^_`{|}~``
    /// plus TAB and LF. The apostrophe is not among them.
    public static let kerasFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"

    /// Splits text into words the way Keras's
    /// `text_to_word_sequence(text)` does with its defaults, i.e. Python's
    /// `[w for w in text.lower().translate({c: ' ' for c in filters}).split(' ') if w]`:
    ///
    /// 1. lowercase with Python's `str.lower` (full Unicode lowercase mapping,
    ///    including the final-sigma rule; see ``pythonLowercased(_:)``);
    /// 2. replace every character of ``kerasFilters`` (ASCII punctuation
    ///    except the apostrophe, plus TAB and LF) by a space; every other
    ///    character is kept, including CR, other whitespace such as U+00A0,
    ///    and all non-ASCII characters;
    /// 3. split on the space character U+0020 only and drop empty strings.
    ///
    /// So `"Don't <br />stop!"` gives `["don't", "br", "stop"]`.
    public static func kerasWords(_ text: String) -> [String] {
        let normalized = kerasNormalizedUTF8(Array(text.utf8), crIsSeparator: false)!
        var words: [String] = []
        normalized.withUnsafeBufferPointer { buffer in
            forEachSpaceSeparatedWord(buffer) { words.append(String(decoding: $0, as: UTF8.self)) }
        }
        return words
    }

    /// Splits text into alternating runs of word and non-word characters,
    /// trims each run and drops the empty ones: Python's
    /// `[t.strip() for t in re.split(r'(\W+)', text) if t.strip()]`, the
    /// tokeniser of the Keras bAbI examples.
    ///
    /// - Word characters (Python's `\w` for `str` patterns): `A-Z a-z 0-9 _`,
    ///   Unicode letters (general categories Lu, Ll, Lt, Lm, Lo) and
    ///   characters with a numeric value. Everything else is a non-word
    ///   character.
    /// - Trimming removes Python's `str.isspace` characters (Unicode
    ///   White_Space plus U+001C...U+001F) from both ends of a run. A word run
    ///   never contains them, so only non-word runs change: `" "` disappears,
    ///   `"? "` becomes `"?"`, and `". \""` stays one token `". \""`.
    /// - Case is kept.
    ///
    /// So `"Where is Mary? "` gives `["Where", "is", "Mary", "?"]`.
    public static func splitOnNonWordRuns(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { splitOnNonWordRunsUTF8($0) }
    }

    /// Lowercases like Python's `str.lower`: every character is replaced by
    /// its full Unicode lowercase mapping (e.g. `"İ"` becomes `"i̇"`, two
    /// scalars), except that a capital sigma `Σ` becomes the final form `ς`
    /// when it ends a word: preceded by a cased letter and not followed by
    /// one (case-ignorable characters skipped on both sides), else `σ`.
    /// Unlike Swift's `lowercased()`, nothing depends on canonical
    /// equivalence: the scalars are mapped one by one, as Python does.
    public static func pythonLowercased(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for i in scalars.indices {
            let scalar = scalars[i]
            if scalar.value < 0x80 {
                let v = scalar.value
                result.append((v >= 0x41 && v <= 0x5A) ? Unicode.Scalar(v + 32)! : scalar)
            } else if scalar.value == 0x3A3 {
                result.append(isFinalSigma(scalars, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }

    /// Python's `final_sigma` context test (`handle_capital_sigma` in
    /// CPython's unicodeobject.c).
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var j = index - 1
        while j >= 0 && scalars[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && scalars[j].properties.isCased else { return false }
        j = index + 1
        while j < scalars.count && scalars[j].properties.isCaseIgnorable { j += 1 }
        return j == scalars.count || !scalars[j].properties.isCased
    }

    // MARK: - Byte-level building blocks (used by the dataset loaders)

    /// The Keras filter set as a 128-bit mask over ASCII (bit `c` set when
    /// byte `c` is replaced by a space), optionally with CR added.
    static func kerasFilterMask(crIsSeparator: Bool) -> (low: UInt64, high: UInt64) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for byte in kerasFilters.utf8 {
            if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
        }
        if crIsSeparator { low |= 1 << 13 }
        return (low, high)
    }

    /// Steps 1 and 2 of ``kerasWords(_:)`` on UTF-8 bytes: the text
    /// lowercased as by Python and with every filter character replaced by a
    /// space (0x20). With `crIsSeparator` CR is a filter character too; that
    /// reproduces reading the file in Python's text mode, whose universal
    /// newlines turn CR LF and lone CR into LF, which is then filtered.
    ///
    /// - Returns: nil when `bytes` is not valid UTF-8 (Python would fail to
    ///   decode it).
    static func kerasNormalizedUTF8(_ bytes: [UInt8], crIsSeparator: Bool) -> [UInt8]? {
        let mask = kerasFilterMask(crIsSeparator: crIsSeparator)
        let isASCII = bytes.withUnsafeBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var combined: UInt8 = 0
            var i = 0
            while i < buffer.count {
                combined |= base[i]
                i += 1
            }
            return combined < 0x80
        }
        let lowered: [UInt8]
        if isASCII {
            lowered = bytes
        } else {
            guard isValidUTF8(bytes) else { return nil }
            lowered = Array(pythonLowercased(String(decoding: bytes, as: UTF8.self)).utf8)
        }
        // One table lookup per byte: A-Z lowercased, filter characters to
        // spaces, everything else (including UTF-8 lead and continuation
        // bytes, which are all >= 0x80) unchanged.
        var table = [UInt8](repeating: 0, count: 256)
        for byte in 0..<256 {
            var mapped = UInt8(byte)
            if byte < 64 {
                if mask.low & (1 << UInt64(byte)) != 0 { mapped = 0x20 }
            } else if byte < 128 {
                if byte >= 0x41 && byte <= 0x5A {
                    mapped += 32
                } else if mask.high & (1 << UInt64(byte - 64)) != 0 {
                    mapped = 0x20
                }
            }
            table[byte] = mapped
        }
        let count = lowered.count
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            lowered.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { map in
                    guard let source = src.baseAddress, let target = out.baseAddress, let map = map.baseAddress else { return }
                    var i = 0
                    while i < count {
                        target[i] = map[Int(source[i])]
                        i += 1
                    }
                }
            }
            initialized = count
        }
    }

    /// Calls `body` with every non-empty run of bytes between space
    /// characters (0x20), in order.
    static func forEachSpaceSeparatedWord(
        _ buffer: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        guard let base = buffer.baseAddress else { return }
        var start = 0
        var i = 0
        let n = buffer.count
        while i <= n {
            if i == n || base[i] == 0x20 {
                if i > start { try body(UnsafeBufferPointer(start: base + start, count: i - start)) }
                start = i + 1
            }
            i += 1
        }
    }

    /// ``splitOnNonWordRuns(_:)`` on valid UTF-8 bytes.
    static func splitOnNonWordRunsUTF8(_ buffer: UnsafeBufferPointer<UInt8>) -> [String] {
        var tokens: [String] = []
        guard let base = buffer.baseAddress else { return tokens }
        let n = buffer.count
        var combined: UInt8 = 0
        for i in 0..<n { combined |= base[i] }
        guard combined < 0x80 else {
            return splitOnNonWordRunsScalars(Array(String(decoding: buffer, as: UTF8.self).unicodeScalars))
        }
        // ASCII: word bytes are [A-Za-z0-9_]; Python whitespace is 9...13, 28...32.
        func isWord(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
        }
        func isSpace(_ b: UInt8) -> Bool { (b >= 9 && b <= 13) || (b >= 28 && b <= 32) }
        var start = 0
        while start < n {
            let word = isWord(base[start])
            var end = start + 1
            while end < n && isWord(base[end]) == word { end += 1 }
            var lo = start
            var hi = end
            if !word {
                while lo < hi && isSpace(base[lo]) { lo += 1 }
                while hi > lo && isSpace(base[hi - 1]) { hi -= 1 }
            }
            if hi > lo {
                tokens.append(String(decoding: UnsafeBufferPointer(start: base + lo, count: hi - lo), as: UTF8.self))
            }
            start = end
        }
        return tokens
    }

    /// The general (non-ASCII) path of ``splitOnNonWordRuns(_:)``.
    private static func splitOnNonWordRunsScalars(_ scalars: [Unicode.Scalar]) -> [String] {
        var tokens: [String] = []
        var start = 0
        let n = scalars.count
        while start < n {
            let word = isPythonWordCharacter(scalars[start])
            var end = start + 1
            while end < n && isPythonWordCharacter(scalars[end]) == word { end += 1 }
            var lo = start
            var hi = end
            if !word {
                while lo < hi && isPythonSpace(scalars[lo]) { lo += 1 }
                while hi > lo && isPythonSpace(scalars[hi - 1]) { hi -= 1 }
            }
            if hi > lo {
                var token = String.UnicodeScalarView()
                token.append(contentsOf: scalars[lo..<hi])
                tokens.append(String(token))
            }
            start = end
        }
        return tokens
    }

    /// Python's `\w` for `str` patterns: `str.isalnum()` or `_`.
    static func isPythonWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39) || v == 0x5F
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return properties.numericType != nil
        }
    }

    /// Python's `str.isspace` for one character: Unicode White_Space plus
    /// the separators U+001C...U+001F.
    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v >= 0x1C && v <= 0x1F { return true }
        return scalar.properties.isWhitespace
    }
}
