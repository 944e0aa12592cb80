/// A parsed `imdb_word_index.json`: the same mapping twice, as a public
/// dictionary and as a byte-keyed table for fast lookups while tokenising.
struct IMDBWordIndex: Sendable {
    var table: UTF8WordTable
    var dictionary: [String: Int]
}

extension IMDB {
    /// Parses a word index file: one flat JSON object whose keys are words
    /// and whose values are integer ranks, e.g. `{"the": 1, "and": 2}`.
    ///
    /// A small hand-written parser (fast in debug builds too). It accepts
    /// standard JSON for this shape: whitespace anywhere between tokens; keys
    /// with every JSON escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`,
    /// `\t`, `\uXXXX` including surrogate pairs for characters above U+FFFF);
    /// values that are integers (an optional `-` and digits). A later
    /// duplicate key replaces an earlier one, as in Python's `json.load`.
    /// A key with an unpaired surrogate escape is not valid Unicode, so no
    /// word of a review can ever equal it: such keys are left out.
    ///
    /// - Parameters:
    ///   - bytes: the file contents (UTF-8).
    ///   - file: the file name used in errors.
    /// - Returns: word → rank.
    /// - Throws: ``DatasetError/corrupt(file:detail:)`` naming the byte
    ///   offset and what was expected, when the text is not UTF-8, not a flat
    ///   object, a value is not an integer (or is negative or too large), or
    ///   anything follows the object.
    public static func parseWordIndex(_ bytes: [UInt8], file: String) throws -> [String: Int] {
        try parseWordIndexFile(bytes, file: file).dictionary
    }

    static func parseWordIndexFile(_ bytes: [UInt8], file: String) throws -> IMDBWordIndex {
        guard TextTokenizer.isValidUTF8(bytes) else {
            throw DatasetError.corrupt(file: file, detail: "not valid UTF-8")
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = FlatJSONIntObjectParser(bytes: buffer, file: file)
            return try parser.parse()
        }
    }
}

/// Parser for a flat JSON object of string keys and integer values.
private struct FlatJSONIntObjectParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    var position = 0
    /// The decoded bytes of the key being read.
    var key: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
    }

    func failure(_ what: String, at offset: Int? = nil) -> DatasetError {
        let at = offset ?? position
        let found: String
        if at >= bytes.count {
            found = "the end of the file"
        } else {
            let byte = bytes[at]
            found = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        }
        return .corrupt(file: file, detail: "invalid JSON word index at byte \(at): expected \(what), found \(found)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { throw failure(what) }
        position += 1
    }

    mutating func parse() throws -> IMDBWordIndex {
        var table = UTF8WordTable(minimumCapacity: bytes.count / 16)
        var dictionary: [String: Int] = [:]
        dictionary.reserveCapacity(bytes.count / 16)
        try expect(UInt8(ascii: "{"), "'{' (the file must hold one JSON object)")
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                try expect(UInt8(ascii: "\""), "a '\"'-quoted key")
                let valid = try readStringBody()
                try expect(UInt8(ascii: ":"), "':' after a key")
                let valueStart = position
                let value = try readInteger()
                guard value >= 0 && value <= Int(Int32.max) - 3 else {
                    throw DatasetError.corrupt(
                        file: file,
                        detail: "invalid word index at byte \(valueStart): rank \(value) is out of range (0...\(Int(Int32.max) - 3))")
                }
                if valid {
                    key.withUnsafeBufferPointer { table.set(Int32(value), for: $0) }
                    dictionary[String(decoding: key, as: UTF8.self)] = value
                }
                skipWhitespace()
                guard position < bytes.count else { throw failure("',' or '}'") }
                let separator = bytes[position]
                position += 1
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { throw failure("',' or '}'", at: position - 1) }
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw failure("nothing after the object") }
        return IMDBWordIndex(table: table, dictionary: dictionary)
    }

    /// Reads a string's characters after the opening quote, through the
    /// closing quote, into `key`. Returns false when it holds an unpaired
    /// surrogate escape.
    mutating func readStringBody() throws -> Bool {
        key.removeAll(keepingCapacity: true)
        var valid = true
        while true {
            guard position < bytes.count else { throw failure("the closing '\"' of a key") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return valid }
            if byte < 0x20 { throw failure("a character (control characters must be escaped in JSON)", at: position - 1) }
            if byte != UInt8(ascii: "\\") {
                key.append(byte)
                continue
            }
            guard position < bytes.count else { throw failure("an escape character after '\\'") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): key.append(escape)
            case UInt8(ascii: "b"): key.append(0x08)
            case UInt8(ascii: "f"): key.append(0x0C)
            case UInt8(ascii: "n"): key.append(0x0A)
            case UInt8(ascii: "r"): key.append(0x0D)
            case UInt8(ascii: "t"): key.append(0x09)
            case UInt8(ascii: "u"):
                var code = try readHex4()
                if code >= 0xD800 && code <= 0xDBFF {
                    // A high surrogate: a low one must follow to make one character.
                    if position + 1 < bytes.count && bytes[position] == UInt8(ascii: "\\")
                        && bytes[position + 1] == UInt8(ascii: "u")
                    {
                        let save = position
                        position += 2
                        let low = try readHex4()
                        if low >= 0xDC00 && low <= 0xDFFF {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save  // the next escape is read on its own
                            valid = false
                            continue
                        }
                    } else {
                        valid = false
                        continue
                    }
                } else if code >= 0xDC00 && code <= 0xDFFF {
                    valid = false
                    continue
                }
                key.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
            default:
                throw failure("one of \" \\ / b f n r t u after '\\'", at: position - 1)
            }
        }
    }

    mutating func readHex4() throws -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count else { throw failure("4 hex digits after '\\u'") }
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw failure("4 hex digits after '\\u'")
            }
            code = code << 4 | digit
            position += 1
        }
        return code
    }

    /// Reads an integer value: optional '-' then digits; no fraction or exponent.
    mutating func readInteger() throws -> Int {
        skipWhitespace()
        let start = position
        var negative = false
        if position < bytes.count && bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var value = 0
        var digits = 0
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            if value > (Int.max - 9) / 10 {
                throw DatasetError.corrupt(file: file, detail: "invalid word index at byte \(start): integer too large")
            }
            value = value * 10 + Int(bytes[position] - 0x30)
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw failure("an integer rank", at: start) }
        if position < bytes.count {
            let next = bytes[position]
            if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                throw DatasetError.corrupt(
                    file: file, detail: "invalid word index at byte \(start): the rank is not an integer")
            }
        }
        return negative ? -value : value
    }
}
