import Weft

/// The `.npy` file format: a magic string, a version, a header length, a
/// header (a Python dict literal with the keys `descr`, `fortran_order` and
/// `shape`, padded with spaces and ending in a newline), then the raw array
/// data. See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
enum NPYFormat {
    /// `\x93NUMPY`.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Headers longer than this are rejected on read (NumPy itself refuses
    /// headers over 10 000 bytes by default; ours can hold a shape of
    /// thousands of dimensions).
    static let maxHeaderLength = 1 << 20

    /// The header, data and written output are padded to this alignment, as NumPy does.
    static let alignment = 64

    /// Deeper nesting in a header literal is rejected (guards the recursive parser).
    static let maxNesting = 16

    /// Whether this machine stores integers little-endian.
    static let hostIsLittleEndian = UInt16(1).littleEndian == 1

    // MARK: Reading

    /// The parsed fixed part and header of a `.npy` file.
    struct Header {
        var major: UInt8
        var minor: UInt8
        var descr: String
        var element: ElementType
        var fortranOrder: Bool
        var shape: [Int]
        /// Offset of the first data byte.
        var dataOffset: Int
    }

    /// Decodes a whole `.npy` file held in memory.
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> Tensor {
        let header = try parseHeader(bytes, file: file)
        let count = try elementCount(header.shape, file: file)
        let itemSize = header.element.size
        let (needed, overflow) = count.multipliedReportingOverflow(by: itemSize)
        let available = bytes.count - header.dataOffset
        let shapeText = "(" + header.shape.map(String.init).joined(separator: ", ") + (header.shape.count == 1 ? ",)" : ")")
        let detail = "the header's shape \(shapeText) × \(itemSize)-byte \(header.descr)"
        // Check against the bytes that are really there before allocating anything.
        if overflow {
            throw NumPyError.badShape(file: file, detail: "\(detail) needs more bytes than can be addressed")
        }
        guard needed == available else {
            throw NumPyError.dataSizeMismatch(file: file, expected: needed, actual: available, detail: detail)
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...])
        return try convert(data, count: count, header: header, file: file)
    }

    /// Parses the magic, version, header length and header dict.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, file: String) throws -> Header {
        guard bytes.count >= magic.count, bytes.prefix(magic.count).elementsEqual(magic) else {
            let shown = bytes.prefix(magic.count).map { byte -> String in
                (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + hexByte(byte)
            }.joined()
            if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03, bytes[3] == 0x04 {
                throw NumPyError.notNPY(file: file, detail: "it is a ZIP archive (a .npz file?): use NumPy.loadArchive")
            }
            throw NumPyError.notNPY(
                file: file, detail: bytes.count < magic.count
                    ? "the file has only \(bytes.count) bytes"
                    : "it does not start with the magic string \\x93NUMPY (found \"\(shown)\")")
        }
        guard bytes.count >= 8 else {
            throw NumPyError.malformedHeader(file: file, detail: "the file ends after the magic string, before the version")
        }
        let major = bytes[6], minor = bytes[7]
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw NumPyError.unsupportedVersion(file: file, major: major, minor: minor)
        }
        let start = 8 + lengthBytes
        guard bytes.count >= start else {
            throw NumPyError.malformedHeader(file: file, detail: "the file ends inside the header length field")
        }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        guard headerLength <= maxHeaderLength else {
            throw NumPyError.malformedHeader(
                file: file, detail: "the header length \(headerLength) exceeds the limit of \(maxHeaderLength) bytes")
        }
        guard bytes.count - start >= headerLength else {
            throw NumPyError.malformedHeader(
                file: file, detail: "the header length field says \(headerLength) bytes, but only \(bytes.count - start) follow")
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + headerLength)])
        let text: [Unicode.Scalar]
        if major == 3 {
            guard let decoded = String(validating: raw, as: UTF8.self) else {
                throw NumPyError.malformedHeader(file: file, detail: "the version 3.0 header is not valid UTF-8")
            }
            text = Array(decoded.unicodeScalars)
        } else {
            text = raw.map { Unicode.Scalar($0) }  // latin-1
        }
        var parser = PyLiteralParser(text: text, file: file)
        let dict = try parser.parseHeaderDict()

        guard case .string(let descr)? = dict["descr"] else {
            if let value = dict["descr"] {
                throw NumPyError.unsupportedDType(
                    file: file, descr: value.literal, reason: "structured (record) dtypes are not supported")
            }
            throw NumPyError.malformedHeader(file: file, detail: "the key 'descr' is missing")
        }
        guard let fortranValue = dict["fortran_order"] else {
            throw NumPyError.malformedHeader(file: file, detail: "the key 'fortran_order' is missing")
        }
        guard case .bool(let fortran) = fortranValue else {
            throw NumPyError.malformedHeader(
                file: file, detail: "'fortran_order' must be True or False, not \(fortranValue.literal)")
        }
        guard let shapeValue = dict["shape"] else {
            throw NumPyError.malformedHeader(file: file, detail: "the key 'shape' is missing")
        }
        guard case .tuple(let dims) = shapeValue else {
            throw NumPyError.malformedHeader(file: file, detail: "'shape' must be a tuple of integers, not \(shapeValue.literal)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for dim in dims {
            guard case .int(let digits) = dim else {
                throw NumPyError.malformedHeader(
                    file: file, detail: "'shape' must be a tuple of integers, not \(shapeValue.literal)")
            }
            guard let value = Int(digits) else {
                throw NumPyError.badShape(file: file, detail: "dimension \(digits) is too large")
            }
            guard value >= 0 else {
                throw NumPyError.badShape(file: file, detail: "negative dimension \(value) in shape \(shapeValue.literal)")
            }
            shape.append(value)
        }
        if let extra = dict.keys.first(where: { !["descr", "fortran_order", "shape"].contains($0) }) {
            throw NumPyError.malformedHeader(
                file: file, detail: "unexpected key '\(extra)' (a .npy header has exactly 'descr', 'fortran_order' and 'shape')")
        }
        let element = try ElementType(descr: descr, file: file)
        return Header(major: major, minor: minor, descr: descr, element: element, fortranOrder: fortran,
                      shape: shape, dataOffset: start + headerLength)
    }

    /// The product of the dimensions; throws when it overflows.
    static func elementCount(_ shape: [Int], file: String) throws -> Int {
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow {
                throw NumPyError.badShape(
                    file: file, detail: "the element count of shape \(shape) does not fit in a 64-bit integer")
            }
            count = product
        }
        return count
    }

    /// A NumPy element type this reader can convert, parsed from a `descr` such as `'<f4'`.
    struct ElementType: Equatable {
        enum Kind { case bool, signed, unsigned, float }
        var kind: Kind
        var size: Int
        /// Whether the stored bytes must be swapped to the host's order.
        var swap: Bool

        /// The Weft dtype the elements become.
        var target: DType {
            switch (kind, size) {
            case (.bool, _): return .bool
            case (.unsigned, 1): return .uint8
            case (.signed, 1), (.signed, 2), (.signed, 4), (.unsigned, 2): return .int32
            case (.signed, _), (.unsigned, _): return .int64
            case (.float, 2): return .float16
            case (.float, 4): return .float32
            case (.float, _): return .float64
            }
        }

        init(descr: String, file: String) throws {
            func reject(_ reason: String) -> NumPyError {
                .unsupportedDType(file: file, descr: "'\(descr)'", reason: reason)
            }
            var scalars = Substring(descr)
            var bigEndian = !NPYFormat.hostIsLittleEndian
            if let first = scalars.first, "<>|=".contains(first) {
                if first == "<" { bigEndian = false } else if first == ">" { bigEndian = true }
                scalars = scalars.dropFirst()
            }
            guard let code = scalars.first else { throw reject("the type code is missing") }
            let digits = scalars.dropFirst()
            guard let size = Int(digits), size > 0, size <= 64, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                switch code {
                case "O": throw reject("object arrays hold pickled Python objects and are not supported")
                case "M", "m": throw reject("datetime and timedelta arrays are not supported")
                default: throw reject("not a fixed-size numeric type")
                }
            }
            switch code {
            case "b" where size == 1: kind = .bool
            case "i" where [1, 2, 4, 8].contains(size): kind = .signed
            case "u" where [1, 2, 4, 8].contains(size): kind = .unsigned
            case "f" where [2, 4, 8].contains(size): kind = .float
            case "f": throw reject("\(size * 8)-bit floating point (long double) has no Weft dtype")
            case "c": throw reject("complex numbers have no Weft dtype")
            case "O": throw reject("object arrays hold pickled Python objects and are not supported")
            case "S", "a": throw reject("byte-string arrays are not supported")
            case "U": throw reject("unicode-string arrays are not supported")
            case "V": throw reject("raw (void) and structured arrays are not supported")
            case "M", "m": throw reject("datetime and timedelta arrays are not supported")
            default: throw reject("unknown type code '\(code)' with size \(size)")
            }
            self.size = size
            self.swap = size > 1 && bigEndian == NPYFormat.hostIsLittleEndian
        }
    }

    /// Converts the raw data to a C-ordered tensor of the element's target dtype.
    static func convert(_ data: UnsafeRawBufferPointer, count: Int, header: Header, file: String) throws -> Tensor {
        let element = header.element
        let target = element.target
        var tensor = Tensor(empty: header.shape, dtype: target, device: .cpu)
        let dst = tensor.storage.data
        let src = data.baseAddress ?? UnsafeRawPointer(dst)
        let swap = element.swap

        @inline(__always) func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            let v = src.loadUnaligned(fromByteOffset: i &* MemoryLayout<T>.size, as: T.self)
            return swap ? v.byteSwapped : v
        }

        switch (element.kind, element.size) {
        case (.bool, _):
            let out = dst.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { out[i] = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        case (_, 1) where element.kind != .signed:
            if count > 0 { dst.copyMemory(from: src, byteCount: count) }
        case (.signed, 1):
            let out = dst.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { out[i] = Int32(src.load(fromByteOffset: i, as: Int8.self)) }
        case (.signed, 2):
            let out = dst.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { out[i] = Int32(Int16(bitPattern: load(i, UInt16.self))) }
        case (.unsigned, 2):
            let out = dst.assumingMemoryBound(to: Int32.self)
            for i in 0..<count { out[i] = Int32(load(i, UInt16.self)) }
        case (.unsigned, 4):
            let out = dst.assumingMemoryBound(to: Int64.self)
            for i in 0..<count { out[i] = Int64(load(i, UInt32.self)) }
        case (.unsigned, 8):
            let out = dst.assumingMemoryBound(to: Int64.self)
            for i in 0..<count {
                let v = load(i, UInt64.self)
                guard v <= UInt64(Int64.max) else {
                    throw NumPyError.unsupportedDType(
                        file: file, descr: "'\(header.descr)'",
                        reason: "uint64 values are read as int64, and element \(i) (\(v)) does not fit")
                }
                out[i] = Int64(v)
            }
        default:
            // Same width in and out (int32, int64, float16, float32, float64).
            if !swap {
                if count > 0 { dst.copyMemory(from: src, byteCount: count * element.size) }
            } else {
                switch element.size {
                case 2:
                    let out = dst.assumingMemoryBound(to: UInt16.self)
                    for i in 0..<count { out[i] = load(i, UInt16.self) }
                case 4:
                    let out = dst.assumingMemoryBound(to: UInt32.self)
                    for i in 0..<count { out[i] = load(i, UInt32.self) }
                default:
                    let out = dst.assumingMemoryBound(to: UInt64.self)
                    for i in 0..<count { out[i] = load(i, UInt64.self) }
                }
            }
        }
        if header.fortranOrder && header.shape.count > 1 && count > 1 {
            tensor = fortranToC(tensor)
        }
        return tensor
    }

    /// Reorders a tensor whose buffer holds its elements in column-major
    /// (Fortran) order into row-major (C) order.
    static func fortranToC(_ source: Tensor) -> Tensor {
        switch source.dtype.byteSize {
        case 1: return fortranToC(source, as: UInt8.self)
        case 2: return fortranToC(source, as: UInt16.self)
        case 4: return fortranToC(source, as: UInt32.self)
        default: return fortranToC(source, as: UInt64.self)
        }
    }

    private static func fortranToC<T>(_ source: Tensor, as _: T.Type) -> Tensor {
        let shape = source.shape
        let rank = shape.count
        let result = Tensor(empty: shape, dtype: source.dtype, device: .cpu)
        let src = source.storage.data.assumingMemoryBound(to: T.self)
        let dst = result.storage.data.assumingMemoryBound(to: T.self)
        // Column-major strides: the first axis varies fastest.
        var strides = [Int](repeating: 1, count: rank)
        for k in 1..<rank { strides[k] = strides[k - 1] * shape[k - 1] }
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for d in 0..<source.count {
            dst[d] = src[offset]
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                offset += strides[k]
                if index[k] < shape[k] { break }
                offset -= strides[k] * shape[k]
                index[k] = 0
                k -= 1
            }
        }
        return result
    }

    // MARK: Writing

    /// The NumPy `descr` a tensor is written with, and the dtype its data is written in.
    static func descr(for dtype: DType) -> (descr: String, written: DType) {
        let order = hostIsLittleEndian ? "<" : ">"
        switch dtype {
        case .bool: return ("|b1", .bool)
        case .uint8: return ("|u1", .uint8)
        case .int32: return (order + "i4", .int32)
        case .int64: return (order + "i8", .int64)
        case .float16: return (order + "f2", .float16)
        case .bfloat16, .float32: return (order + "f4", .float32)
        case .float64: return (order + "f8", .float64)
        }
    }

    /// A complete `.npy` file for `tensor`: version 1.0, or 2.0 when the
    /// header does not fit in 65 535 bytes; the header padded with spaces so
    /// that the data starts at a multiple of 64 bytes, ending in `\n`.
    static func encode(_ tensor: Tensor) -> [UInt8] {
        let (descr, written) = descr(for: tensor.dtype)
        let dims = tensor.shape.map(String.init).joined(separator: ", ")
        let shape = tensor.shape.count == 1 ? "(\(dims),)" : "(\(dims))"
        let dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)

        var prefixLength = magic.count + 2 + 2
        func padded() -> Int {
            let unpadded = prefixLength + dict.count + 1
            return dict.count + 1 + (alignment - unpadded % alignment) % alignment
        }
        var headerLength = padded()
        var major: UInt8 = 1
        if headerLength > Int(UInt16.max) {
            major = 2
            prefixLength = magic.count + 2 + 4
            headerLength = padded()
        }
        let dataBytes = tensor.count * written.byteSize
        var out = [UInt8]()
        out.reserveCapacity(prefixLength + headerLength + dataBytes)
        out += magic
        out += [major, 0]
        let lengthBytes = major == 1 ? 2 : 4
        for i in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
        out += dict
        out += [UInt8](repeating: 0x20, count: headerLength - dict.count - 1)
        out.append(0x0A)

        let base = out.count
        out += [UInt8](repeating: 0, count: dataBytes)
        out.withUnsafeMutableBytes { buffer in
            let dst = buffer.baseAddress! + base
            let src = tensor.storage.data
            if tensor.dtype == .bfloat16 {
                let bf = src.assumingMemoryBound(to: UInt16.self)
                for i in 0..<tensor.count {
                    dst.storeBytes(of: UInt32(bf[i]) << 16, toByteOffset: i * 4, as: UInt32.self)
                }
            } else if dataBytes > 0 {
                dst.copyMemory(from: src, byteCount: dataBytes)
            }
        }
        return out
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: false)
        return digits.count == 1 ? "0" + digits : digits
    }
}

// MARK: - Python literal parsing

/// A value in a Python literal, as found in `.npy` headers.
enum PyValue: Equatable {
    case string(String)
    /// The decimal digits (with an optional leading `-`), kept as text so
    /// that out-of-range values can be reported.
    case int(String)
    case bool(Bool)
    case none
    case tuple([PyValue])
    case list([PyValue])
    case dict([(key: PyValue, value: PyValue)])

    static func == (a: PyValue, b: PyValue) -> Bool { a.literal == b.literal }

    /// The value written back as a Python literal (for error messages).
    var literal: String {
        switch self {
        case .string(let s): return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .int(let digits): return digits
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let items): return "(" + items.map(\.literal).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .list(let items): return "[" + items.map(\.literal).joined(separator: ", ") + "]"
        case .dict(let items): return "{" + items.map { "\($0.key.literal): \($0.value.literal)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A small recursive-descent parser for the Python literals NumPy writes
/// in `.npy` headers: dicts, tuples, lists, strings, integers, `True`,
/// `False` and `None`. Anything else is a malformed header.
struct PyLiteralParser {
    let text: [Unicode.Scalar]
    let file: String
    var position = 0

    init(text: [Unicode.Scalar], file: String) {
        self.text = text
        self.file = file
    }

    /// Parses the whole header: one dict with string keys, then only whitespace.
    mutating func parseHeaderDict() throws -> [String: PyValue] {
        skipWhitespace()
        guard peek() == "{" else { throw error("the header is not a Python dict literal (it does not start with '{')") }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == text.count else {
            throw error("unexpected text after the closing '}' at offset \(position)")
        }
        guard case .dict(let items) = value else { throw error("the header is not a dict") }
        var dict: [String: PyValue] = [:]
        for (key, item) in items {
            guard case .string(let name) = key else { throw error("dict key \(key.literal) is not a string") }
            guard dict[name] == nil else { throw error("the key '\(name)' appears twice") }
            dict[name] = item
        }
        return dict
    }

    private func error(_ detail: String) -> NumPyError {
        .malformedHeader(file: file, detail: detail)
    }

    private func peek() -> Unicode.Scalar? { position < text.count ? text[position] : nil }

    private mutating func skipWhitespace() {
        while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { position += 1 }
    }

    private mutating func parseValue(depth: Int) throws -> PyValue {
        guard depth < NPYFormat.maxNesting else { throw error("the header nests deeper than \(NPYFormat.maxNesting) levels") }
        skipWhitespace()
        guard let c = peek() else { throw error("the header ends where a value was expected") }
        switch c {
        case "{":
            position += 1
            var items: [(key: PyValue, value: PyValue)] = []
            while true {
                skipWhitespace()
                if peek() == "}" { position += 1; return .dict(items) }
                let key = try parseValue(depth: depth + 1)
                skipWhitespace()
                guard peek() == ":" else { throw error("expected ':' after the dict key \(key.literal) at offset \(position)") }
                position += 1
                let value = try parseValue(depth: depth + 1)
                items.append((key, value))
                skipWhitespace()
                if peek() == "," { position += 1; continue }
                guard peek() == "}" else { throw error("expected ',' or '}' in the dict at offset \(position)") }
            }
        case "(", "[":
            let close: Unicode.Scalar = c == "(" ? ")" : "]"
            position += 1
            var items: [PyValue] = []
            var sawComma = false
            while true {
                skipWhitespace()
                if peek() == close {
                    position += 1
                    if c == "[" { return .list(items) }
                    // `(x)` is just x in Python; `(x,)` is a one-element tuple.
                    if items.count == 1 && !sawComma { return items[0] }
                    return .tuple(items)
                }
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                if peek() == "," { position += 1; sawComma = true; continue }
                guard peek() == close else { throw error("expected ',' or '\(close)' at offset \(position)") }
            }
        case "'", "\"":
            return .string(try parseString(quote: c))
        case "-", "+", "0"..."9":
            return .int(try parseInt())
        default:
            var word = ""
            while let w = peek(), w.properties.isAlphabetic || w == "_" {
                word.unicodeScalars.append(w)
                position += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            case "": throw error("unexpected character '\(c.escaped(asASCII: true))' at offset \(position)")
            default: throw error("unexpected name '\(word)' at offset \(position - word.unicodeScalars.count)")
            }
        }
    }

    private mutating func parseString(quote: Unicode.Scalar) throws -> String {
        position += 1
        var result = ""
        while let c = peek() {
            position += 1
            if c == quote { return result }
            if c == "\n" { throw error("a string literal runs past the end of the line") }
            if c == "\\" {
                guard let e = peek() else { break }
                position += 1
                switch e {
                case "n": result += "\n"
                case "t": result += "\t"
                case "r": result += "\r"
                case "0": result += "\0"
                case "\\", "'", "\"": result.unicodeScalars.append(e)
                default:
                    result += "\\"
                    result.unicodeScalars.append(e)
                }
            } else {
                result.unicodeScalars.append(c)
            }
        }
        throw error("a string literal is not closed")
    }

    private mutating func parseInt() throws -> String {
        var digits = ""
        if let sign = peek(), sign == "-" || sign == "+" {
            if sign == "-" { digits = "-" }
            position += 1
        }
        var count = 0
        while let d = peek(), ("0"..."9").contains(d) {
            digits.unicodeScalars.append(d)
            position += 1
            count += 1
        }
        guard count > 0 else { throw error("expected digits at offset \(position)") }
        // Python 2 long suffix, found in very old files: (3L, 4L).
        if let l = peek(), l == "L" || l == "l" { position += 1 }
        // Strip leading zeros so that Int() sees a canonical number.
        let negative = digits.hasPrefix("-")
        var body = Substring(negative ? String(digits.dropFirst()) : digits)
        while body.count > 1 && body.first == "0" { body = body.dropFirst() }
        return (negative && body != "0" ? "-" : "") + body
    }
}
