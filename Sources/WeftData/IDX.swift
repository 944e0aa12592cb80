/// The element types an IDX header can declare (the third byte of the magic
/// number). Multi-byte types are stored big-endian in the file.
public enum IDXElementType: UInt8, Sendable, CaseIterable {
    case uint8 = 0x08
    case int8 = 0x09
    case int16 = 0x0B
    case int32 = 0x0C
    case float32 = 0x0D
    case float64 = 0x0E

    /// Size of one element in bytes.
    public var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// Human-readable name used in error messages.
    public var name: String {
        switch self {
        case .uint8: return "unsigned byte"
        case .int8: return "signed byte"
        case .int16: return "int16"
        case .int32: return "int32"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }
}

/// A parsed IDX file of unsigned bytes: its dimensions and its data.
public struct IDXArray: Sendable, Equatable {
    /// The dimensions from the header, outermost first
    /// (e.g. `[60000, 28, 28]` for the MNIST training images).
    public let shape: [Int]
    /// The data, row-major; `bytes.count` is the product of `shape`.
    public let bytes: [UInt8]

    /// Creates an array; `bytes.count` must equal the product of `shape`.
    public init(shape: [Int], bytes: [UInt8]) {
        precondition(shape.reduce(1, *) == bytes.count, "IDXArray: shape \(shape) does not match \(bytes.count) bytes")
        self.shape = shape
        self.bytes = bytes
    }
}

/// Parser for the IDX format used by MNIST and Fashion-MNIST.
///
/// Layout: two zero bytes, an element-type byte, a dimension-count byte, one
/// big-endian `UInt32` per dimension, then the data. Only unsigned-byte data
/// (type `0x08`) is accepted; other (valid) types are rejected with
/// ``DatasetError/badMagic(file:expected:found:)`` whose description names the
/// type found.
public enum IDX {
    /// Parses IDX bytes (already decompressed).
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - file: the file name used in errors.
    ///   - rank: the required number of dimensions, or `nil` for any.
    ///   - elementName: what the elements are, for error messages
    ///     (e.g. `"pixels"`, `"labels"`).
    /// - Throws: ``DatasetError`` when the magic, rank or length is wrong. The
    ///   data length must equal the product of the dimensions exactly: fewer
    ///   bytes is `.truncated`, extra bytes is `.corrupt`. Dimensions whose
    ///   product overflows are `.badShape`. Nothing is allocated based on the
    ///   header before it has been checked against the actual length.
    public static func parse(
        _ bytes: [UInt8], file: String, rank: Int? = nil, elementName: String = "values"
    ) throws -> IDXArray {
        guard bytes.count >= 4 else {
            throw DatasetError.truncated(file: file, expected: 4, actual: bytes.count,
                                         context: "an IDX header needs at least 4 bytes")
        }
        let magic = readBigEndianUInt32(bytes, at: 0)
        let dimCount = Int(bytes[3])
        let expectedMagic = UInt32(IDXElementType.uint8.rawValue) << 8 | UInt32(rank ?? dimCount)
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == IDXElementType.uint8.rawValue,
              rank == nil || rank == dimCount
        else {
            throw DatasetError.badMagic(file: file, expected: expectedMagic, found: magic)
        }

        let headerSize = 4 + 4 * dimCount
        guard bytes.count >= headerSize else {
            throw DatasetError.truncated(
                file: file, expected: headerSize, actual: bytes.count,
                context: "an IDX header with \(dimCount) dimensions needs \(headerSize) bytes")
        }

        var shape: [Int] = []
        shape.reserveCapacity(dimCount)
        var elementCount = 1
        var overflow = false
        for d in 0..<dimCount {
            let dim = Int(readBigEndianUInt32(bytes, at: 4 + 4 * d))
            shape.append(dim)
            let (product, didOverflow) = elementCount.multipliedReportingOverflow(by: dim)
            elementCount = product
            overflow = overflow || didOverflow
        }
        let shapeText = shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
        guard !overflow else {
            throw DatasetError.badShape(
                file: file, detail: "header dimensions \(shapeText) are absurd: their product overflows")
        }

        let dataSize = bytes.count - headerSize
        guard elementCount <= dataSize else {
            throw DatasetError.truncated(
                file: file, expected: elementCount, actual: dataSize,
                context: "header says \(shapeText) = \(elementCount) bytes of \(elementName)")
        }
        guard elementCount == dataSize else {
            throw DatasetError.corrupt(
                file: file,
                detail: "\(dataSize - elementCount) unexpected trailing bytes after the \(elementCount) bytes "
                    + "of \(elementName) declared by the header (\(shapeText))")
        }
        return IDXArray(shape: shape, bytes: Array(bytes[headerSize...]))
    }

    /// Reads an IDX file, gunzipping it first if it is gzip-compressed, and
    /// parses it. See ``parse(_:file:rank:elementName:)``.
    ///
    /// - Parameter maxBytes: the largest decompressed size accepted.
    public static func load(
        path: String, rank: Int? = nil, elementName: String = "values", maxBytes: Int = defaultMaxDecompressedBytes
    ) throws -> IDXArray {
        let raw = try readFileBytes(path)
        let data = try gunzipIfNeeded(raw, file: path, maxBytes: maxBytes)
        return try parse(data, file: path, rank: rank, elementName: elementName)
    }

    private static func readBigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
