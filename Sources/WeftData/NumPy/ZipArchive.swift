import CZlib

/// A minimal ZIP reader and writer: what `.npz` files need.
///
/// Reading finds the end-of-central-directory record (searched backwards
/// from the end of the file, past an optional comment), follows ZIP64
/// records and extra fields for large archives and members, and extracts
/// stored (method 0) and deflated (method 8) members, checking each one's
/// CRC-32 and size. Writing produces local headers, the central directory
/// and the end record, with ZIP64 structures only where sizes or offsets
/// need them. Encryption, split archives and other compression methods
/// are rejected with a typed error.
enum ZipArchive {
    /// One member, as the central directory describes it.
    struct Entry {
        var name: String
        var flags: UInt16
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    /// Deflate cannot expand data by more than about 1032 : 1; a member
    /// that declares more than this ratio (plus a little slack for tiny
    /// members) is a bomb or damaged, and is rejected before inflating.
    static let maxDeflateRatio = 1032

    // MARK: Reading

    /// The members listed in the central directory, in order.
    static func entries(in bytes: UnsafeRawBufferPointer, file: String) throws -> [Entry] {
        let n = bytes.count
        let looksLikeZip = n >= 4 && u32(bytes, 0) == localHeaderSignature
        func notFound() -> NumPyError {
            if looksLikeZip {
                return .corruptZip(
                    file: file, detail: "the end-of-central-directory record is missing: the archive is truncated")
            }
            if n >= 6 && bytes.prefix(6).elementsEqual(NPYFormat.magic) {
                return .notZip(file: file, detail: "it is a single .npy file: use NumPy.load")
            }
            if n == 0 { return .notZip(file: file, detail: "the file is empty") }
            return .notZip(file: file, detail: "no end-of-central-directory record was found")
        }
        guard n >= 22 else { throw notFound() }

        // The end record is 22 bytes plus a comment of at most 65 535 bytes.
        var endOffset = -1
        var candidate = n - 22
        let lowest = max(0, n - 22 - 0xFFFF)
        while candidate >= lowest {
            if bytes[candidate] == 0x50, u32(bytes, candidate) == endSignature,
               candidate + 22 + Int(u16(bytes, candidate + 20)) <= n {
                endOffset = candidate
                break
            }
            candidate -= 1
        }
        guard endOffset >= 0 else { throw notFound() }

        var disk = Int(u16(bytes, endOffset + 4))
        var directoryDisk = Int(u16(bytes, endOffset + 6))
        var entriesOnDisk = Int(u16(bytes, endOffset + 8))
        var totalEntries = Int(u16(bytes, endOffset + 10))
        var directorySize = Int(u32(bytes, endOffset + 12))
        var directoryOffset = Int(u32(bytes, endOffset + 16))
        var directoryLimit = endOffset

        // ZIP64: a locator just before the end record points at the ZIP64 end record.
        let locator = endOffset - 20
        if locator >= 0 && u32(bytes, locator) == zip64LocatorSignature {
            guard let zip64End = Int(exactly: u64(bytes, locator + 8)), zip64End >= 0, zip64End <= locator - 56 else {
                throw NumPyError.corruptZip(file: file, detail: "the ZIP64 end record offset points outside the file")
            }
            guard u32(bytes, zip64End) == zip64EndSignature else {
                throw NumPyError.corruptZip(file: file, detail: "no ZIP64 end record where the ZIP64 locator points")
            }
            func int(_ offset: Int, _ what: String) throws -> Int {
                guard let value = Int(exactly: u64(bytes, zip64End + offset)) else {
                    throw NumPyError.corruptZip(file: file, detail: "the ZIP64 end record's \(what) is out of range")
                }
                return value
            }
            disk = Int(u32(bytes, zip64End + 16))
            directoryDisk = Int(u32(bytes, zip64End + 20))
            entriesOnDisk = try int(24, "entry count")
            totalEntries = try int(32, "entry count")
            directorySize = try int(40, "central directory size")
            directoryOffset = try int(48, "central directory offset")
            directoryLimit = zip64End
        }

        guard disk == 0, directoryDisk == 0, entriesOnDisk == totalEntries else {
            throw NumPyError.unsupportedZip(file: file, detail: "split (multi-disk) archives are not supported")
        }
        let (directoryEnd, overflow) = directoryOffset.addingReportingOverflow(directorySize)
        guard !overflow, directoryEnd <= directoryLimit else {
            throw NumPyError.corruptZip(
                file: file, detail: "the central directory (\(directorySize) bytes at offset \(directoryOffset)) "
                    + "runs past the end record at offset \(directoryLimit): the archive is truncated or damaged")
        }
        // Each central header is at least 46 bytes: a lying count cannot make us allocate much.
        guard totalEntries <= directorySize / 46 else {
            throw NumPyError.corruptZip(
                file: file, detail: "the end record lists \(totalEntries) members, more than a "
                    + "\(directorySize)-byte central directory can hold")
        }

        var result: [Entry] = []
        result.reserveCapacity(totalEntries)
        var position = directoryOffset
        for index in 0..<totalEntries {
            guard position + 46 <= directoryEnd, u32(bytes, position) == centralHeaderSignature else {
                throw NumPyError.corruptZip(
                    file: file, detail: "central directory entry \(index) at offset \(position) is missing or damaged")
            }
            let flags = u16(bytes, position + 8)
            let method = u16(bytes, position + 10)
            let crc = u32(bytes, position + 16)
            var compressedSize = UInt64(u32(bytes, position + 20))
            var uncompressedSize = UInt64(u32(bytes, position + 24))
            let nameLength = Int(u16(bytes, position + 28))
            let extraLength = Int(u16(bytes, position + 30))
            let commentLength = Int(u16(bytes, position + 32))
            var startDisk = UInt64(u16(bytes, position + 34))
            var localOffset = UInt64(u32(bytes, position + 42))
            let nameStart = position + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= directoryEnd else {
                throw NumPyError.corruptZip(file: file, detail: "central directory entry \(index) runs past the directory's end")
            }
            let name = decodeName(UnsafeRawBufferPointer(rebasing: bytes[nameStart..<extraStart]))

            // ZIP64 extended information: the 64-bit values, present only for the
            // fields set to all ones in the header, in this order.
            var extra = extraStart
            let extraEnd = extraStart + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(bytes, extra)
                let size = Int(u16(bytes, extra + 2))
                let body = extra + 4
                guard body + size <= extraEnd else {
                    throw NumPyError.corruptZip(file: file, detail: "member \(name): an extra field runs past its end")
                }
                if id == 0x0001 {
                    var field = body
                    func take(_ value: inout UInt64, width: Int) throws {
                        guard field + width <= body + size else {
                            throw NumPyError.corruptZip(file: file, detail: "member \(name): the ZIP64 extra field is too short")
                        }
                        value = width == 8 ? u64(bytes, field) : UInt64(u32(bytes, field))
                        field += width
                    }
                    if uncompressedSize == 0xFFFF_FFFF { try take(&uncompressedSize, width: 8) }
                    if compressedSize == 0xFFFF_FFFF { try take(&compressedSize, width: 8) }
                    if localOffset == 0xFFFF_FFFF { try take(&localOffset, width: 8) }
                    if startDisk == 0xFFFF { try take(&startDisk, width: 4) }
                }
                extra = body + size
            }
            guard startDisk == 0 else {
                throw NumPyError.unsupportedZip(file: file, detail: "split (multi-disk) archives are not supported")
            }
            guard let compressed = Int(exactly: compressedSize), let uncompressed = Int(exactly: uncompressedSize),
                  let offset = Int(exactly: localOffset)
            else {
                throw NumPyError.corruptZip(file: file, detail: "member \(name): a size or offset is out of range")
            }
            result.append(Entry(name: name, flags: flags, method: method, crc32: crc, compressedSize: compressed,
                                uncompressedSize: uncompressed, localHeaderOffset: offset))
            position = next
        }
        return result
    }

    /// The uncompressed bytes of `entry`, checked against its declared size and CRC-32.
    ///
    /// - Parameter maxBytes: members larger than this are rejected (before
    ///   any allocation when the declared size says so; during inflation
    ///   otherwise).
    static func extract(_ entry: Entry, from bytes: UnsafeRawBufferPointer, file: String, maxBytes: Int) throws -> [UInt8] {
        let name = entry.name
        if entry.flags & 0x41 != 0 {
            throw NumPyError.unsupportedZip(file: file, detail: "member \(name) is encrypted")
        }
        guard entry.method == 0 || entry.method == 8 else {
            throw NumPyError.unsupportedZip(
                file: file, detail: "member \(name) uses compression method \(entry.method) (only stored (0) and deflate (8) are supported)")
        }
        let offset = entry.localHeaderOffset
        guard offset <= bytes.count - 30, u32(bytes, offset) == localHeaderSignature else {
            throw NumPyError.corruptZip(
                file: file, detail: "member \(name): no local header at offset \(offset) (the archive is truncated or damaged)")
        }
        let dataStart = offset + 30 + Int(u16(bytes, offset + 26)) + Int(u16(bytes, offset + 28))
        let (dataEnd, overflow) = dataStart.addingReportingOverflow(entry.compressedSize)
        guard !overflow, dataEnd <= bytes.count else {
            throw NumPyError.corruptZip(
                file: file, detail: "member \(name): its \(entry.compressedSize) bytes of data run past the end of the "
                    + "file (the archive is truncated)")
        }
        guard entry.uncompressedSize <= maxBytes else {
            throw NumPyError.decompressionLimit(
                file: file, member: name, limit: maxBytes, detail: "it declares \(entry.uncompressedSize) bytes")
        }
        let input = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<dataEnd])
        let output: [UInt8]
        if entry.method == 0 {
            guard entry.compressedSize == entry.uncompressedSize else {
                throw NumPyError.corruptZip(
                    file: file, detail: "stored member \(name) has \(entry.compressedSize) bytes of data but declares "
                        + "\(entry.uncompressedSize)")
            }
            output = Array(input)
        } else {
            let (plausible, big) = entry.compressedSize.multipliedReportingOverflow(by: maxDeflateRatio)
            guard big || entry.uncompressedSize <= plausible + 1024 else {
                throw NumPyError.decompressionLimit(
                    file: file, member: name, limit: plausible + 1024,
                    detail: "it declares \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed bytes, "
                        + "more than deflate can produce")
            }
            output = try inflateRaw(input, declaredSize: entry.uncompressedSize, file: file, member: name)
        }
        let actual = crc32Of(output)
        guard actual == entry.crc32 else {
            throw NumPyError.crcMismatch(file: file, member: name, expected: entry.crc32, actual: actual)
        }
        return output
    }

    /// Inflates a raw deflate stream that must produce exactly `declaredSize` bytes.
    ///
    /// The output buffer starts small and grows as output appears, never past
    /// `declaredSize + 1`: producing that extra byte is how an over-long
    /// stream is detected, so a member cannot make us allocate more than it
    /// declares, nor much more than it really inflates to.
    static func inflateRaw(_ input: UnsafeRawBufferPointer, declaredSize: Int, file: String, member: String) throws -> [UInt8] {
        var stream = z_stream()
        let status = inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw NumPyError.corruptZip(file: file, detail: "member \(member): zlib inflateInit2 failed with code \(status)")
        }
        defer { inflateEnd(&stream) }

        let hardCapacity = declaredSize + 1
        let chunk = 1 << 30
        var output = [UInt8](repeating: 0, count: min(hardCapacity, max(1 << 16, input.count * 4)))
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                guard output.count < hardCapacity else { break }
                let grown = min(hardCapacity, output.count * 2)
                output.append(contentsOf: repeatElement(0, count: grown - output.count))
            }
            let inCount = min(input.count - consumed, chunk)
            let outCount = min(output.count - produced, chunk)
            let result: Int32 = output.withUnsafeMutableBytes { out in
                stream.next_in = UnsafeMutablePointer(
                    mutating: (input.baseAddress ?? UnsafeRawPointer(out.baseAddress!)).assumingMemoryBound(to: Bytef.self)
                        + consumed)
                stream.avail_in = UInt32(inCount)
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                stream.avail_out = UInt32(outCount)
                let code = inflate(&stream, Z_NO_FLUSH)
                consumed += inCount - Int(stream.avail_in)
                produced += outCount - Int(stream.avail_out)
                stream.next_in = nil
                stream.next_out = nil
                return code
            }
            if produced > declaredSize { break }
            switch result {
            case Z_STREAM_END:
                guard produced == declaredSize else {
                    throw NumPyError.corruptZip(
                        file: file, detail: "member \(member) inflates to \(produced) bytes but declares \(declaredSize)")
                }
                output.removeLast(output.count - produced)
                return output
            case Z_OK, Z_BUF_ERROR:
                if consumed == input.count && produced < output.count {
                    throw NumPyError.corruptZip(
                        file: file, detail: "member \(member): the deflate stream ends early, after \(produced) of "
                            + "\(declaredSize) bytes (the archive is truncated or damaged)")
                }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(result)"
                throw NumPyError.corruptZip(
                    file: file, detail: "member \(member): invalid deflate data after \(consumed) compressed bytes: \(message)")
            }
        }
        throw NumPyError.decompressionLimit(
            file: file, member: member, limit: declaredSize, detail: "it inflates to more than its declared size")
    }

    // MARK: Writing

    /// A complete ZIP archive holding `members` in order, each stored or
    /// deflated. ZIP64 records are written only where a size or offset does
    /// not fit in 32 bits (or always, with `forceZip64`, for tests).
    static func archive(_ members: [(name: String, data: [UInt8])], compressed: Bool, file: String,
                        forceZip64: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        let dosTime: UInt16 = 0           // 00:00:00
        let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1  // 1980-01-01, as reproducible-build tools write
        for member in members {
            let crc = crc32Of(member.data)
            let payload = compressed ? try deflateRaw(member.data, file: file) : member.data
            let method: UInt16 = compressed ? 8 : 0
            let offset = out.count
            let zip64 = forceZip64 || member.data.count >= 0xFFFF_FFFF || payload.count >= 0xFFFF_FFFF
                || offset >= 0xFFFF_FFFF
            let name = Array(member.name.utf8)
            guard name.count <= Int(UInt16.max) else {
                throw NumPyError.invalidMemberName(file: file, member: member.name, detail: "longer than 65535 bytes")
            }
            let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 1 << 11  // bit 11: the name is UTF-8
            let version: UInt16 = zip64 ? 45 : 20

            out.le32(localHeaderSignature)
            out.le16(version)
            out.le16(flags)
            out.le16(method)
            out.le16(dosTime)
            out.le16(dosDate)
            out.le32(crc)
            out.le32(zip64 ? 0xFFFF_FFFF : UInt32(payload.count))
            out.le32(zip64 ? 0xFFFF_FFFF : UInt32(member.data.count))
            out.le16(UInt16(name.count))
            out.le16(zip64 ? 20 : 0)
            out += name
            if zip64 {
                out.le16(0x0001)
                out.le16(16)
                out.le64(UInt64(member.data.count))
                out.le64(UInt64(payload.count))
            }
            out += payload

            central.le32(centralHeaderSignature)
            central.le16(3 << 8 | version)  // made by: Unix
            central.le16(version)
            central.le16(flags)
            central.le16(method)
            central.le16(dosTime)
            central.le16(dosDate)
            central.le32(crc)
            central.le32(zip64 ? 0xFFFF_FFFF : UInt32(payload.count))
            central.le32(zip64 ? 0xFFFF_FFFF : UInt32(member.data.count))
            central.le16(UInt16(name.count))
            central.le16(zip64 ? 28 : 0)
            central.le16(0)  // comment
            central.le16(0)  // disk
            central.le16(0)  // internal attributes
            central.le32(0o100644 << 16)  // external attributes: a regular file, rw-r--r--
            central.le32(zip64 ? 0xFFFF_FFFF : UInt32(offset))
            central += name
            if zip64 {
                central.le16(0x0001)
                central.le16(24)
                central.le64(UInt64(member.data.count))
                central.le64(UInt64(payload.count))
                central.le64(UInt64(offset))
            }
        }
        let directoryOffset = out.count
        out += central
        let count = members.count
        let zip64End = forceZip64 || count >= 0xFFFF || central.count >= 0xFFFF_FFFF || directoryOffset >= 0xFFFF_FFFF
        if zip64End {
            let recordOffset = out.count
            out.le32(zip64EndSignature)
            out.le64(44)
            out.le16(3 << 8 | 45)
            out.le16(45)
            out.le32(0)
            out.le32(0)
            out.le64(UInt64(count))
            out.le64(UInt64(count))
            out.le64(UInt64(central.count))
            out.le64(UInt64(directoryOffset))
            out.le32(zip64LocatorSignature)
            out.le32(0)
            out.le64(UInt64(recordOffset))
            out.le32(1)
        }
        out.le32(endSignature)
        out.le16(0)
        out.le16(0)
        out.le16(zip64End ? 0xFFFF : UInt16(count))
        out.le16(zip64End ? 0xFFFF : UInt16(count))
        out.le32(zip64End ? 0xFFFF_FFFF : UInt32(central.count))
        out.le32(zip64End ? 0xFFFF_FFFF : UInt32(directoryOffset))
        out.le16(0)  // comment length
        return out
    }

    /// Raw deflate (no zlib or gzip wrapper), as ZIP method 8 stores it.
    static func deflateRaw(_ input: [UInt8], file: String) throws -> [UInt8] {
        var stream = z_stream()
        let status = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw NumPyError.ioError(path: file, detail: "zlib deflateInit2 failed with code \(status)")
        }
        defer { deflateEnd(&stream) }
        let chunk = 1 << 30
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                output.append(contentsOf: repeatElement(0, count: max(output.count, 1 << 16)))
            }
            let inCount = min(input.count - consumed, chunk)
            let outCount = min(output.count - produced, chunk)
            let flush = consumed + inCount == input.count ? Z_FINISH : Z_NO_FLUSH
            let result: Int32 = input.withUnsafeBytes { inBuffer in
                output.withUnsafeMutableBytes { out in
                    stream.next_in = UnsafeMutablePointer(
                        mutating: (inBuffer.baseAddress ?? UnsafeRawPointer(out.baseAddress!)).assumingMemoryBound(to: Bytef.self)
                            + consumed)
                    stream.avail_in = UInt32(inCount)
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.avail_out = UInt32(outCount)
                    let code = deflate(&stream, flush)
                    consumed += inCount - Int(stream.avail_in)
                    produced += outCount - Int(stream.avail_out)
                    stream.next_in = nil
                    stream.next_out = nil
                    return code
                }
            }
            if result == Z_STREAM_END { break }
            guard result == Z_OK || result == Z_BUF_ERROR else {
                throw NumPyError.ioError(path: file, detail: "zlib deflate failed with code \(result)")
            }
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// zlib's CRC-32 of `bytes` (fed in chunks: zlib takes 32-bit lengths).
    static func crc32Of(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            var crc = crc32(0, nil, 0)
            var offset = 0
            while offset < raw.count {
                let n = min(raw.count - offset, 1 << 30)
                crc = crc32(crc, raw.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    // MARK: Little-endian access (callers check bounds)

    static func u16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(b[at]) | UInt16(b[at + 1]) << 8
    }

    static func u32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(u16(b, at)) | UInt32(u16(b, at + 2)) << 16
    }

    static func u64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32
    }

    /// A member name: UTF-8 when valid (NumPy writes UTF-8), otherwise each byte as one character.
    static func decodeName(_ raw: UnsafeRawBufferPointer) -> String {
        if let text = String(validating: raw, as: UTF8.self) { return text }
        var text = ""
        for byte in raw { text.unicodeScalars.append(Unicode.Scalar(byte)) }
        return text
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func le16(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v))
        append(UInt8(truncatingIfNeeded: v >> 8))
    }

    fileprivate mutating func le32(_ v: UInt32) {
        le16(UInt16(truncatingIfNeeded: v))
        le16(UInt16(truncatingIfNeeded: v >> 16))
    }

    fileprivate mutating func le64(_ v: UInt64) {
        le32(UInt32(truncatingIfNeeded: v))
        le32(UInt32(truncatingIfNeeded: v >> 32))
    }
}
