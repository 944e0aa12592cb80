/// One regular file read from a tar archive.
public struct TarEntry: Sendable, Equatable {
    /// The member's path inside the archive, relative, with `/` separators
    /// and without a leading `./`.
    public let path: String
    /// The file's contents.
    public let contents: [UInt8]

    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// A minimal reader for tar archives: POSIX ustar, GNU and pax, the formats
/// dataset archives come in (`.tar.gz` files are gunzipped first with
/// ``gunzipIfNeeded(_:file:maxBytes:)``).
///
/// What is supported: 512-byte headers with verified checksums, octal sizes
/// (and GNU base-256 sizes), the ustar `prefix` field, GNU long names (`L`
/// entries) and pax extended headers (`x` entries: `path` and `size`).
/// Only regular files are returned; directories, links, devices, FIFOs and
/// other special entries are skipped. Member paths that are absolute or that
/// contain a `..` component are rejected, so that extracting cannot write
/// outside the target directory.
public enum Tar {
    /// The size of a header block and the unit data is padded to.
    public static let blockSize = 512

    /// Calls `body` with every regular file in `archive`, in archive order.
    ///
    /// `contents` is a slice of `archive` (no copy is made).
    ///
    /// - Parameters:
    ///   - archive: the uncompressed tar data.
    ///   - file: the archive's name, used in errors.
    /// - Throws: ``DatasetError/corrupt(file:detail:)`` for a damaged header
    ///   (bad checksum, bad number) or an unsafe member path;
    ///   ``DatasetError/truncated(file:expected:actual:context:)`` when a
    ///   header or a member's data runs past the end of the archive.
    public static func forEachFile(
        in archive: [UInt8], file: String, _ body: (_ path: String, _ contents: ArraySlice<UInt8>) throws -> Void
    ) throws {
        var offset = 0
        var longName: String?  // from a GNU 'L' entry, for the next member
        var paxPath: String?   // from a pax 'x' entry, for the next member
        var paxSize: Int?
        while offset < archive.count {
            let remaining = archive.count - offset
            if remaining < blockSize {
                if archive[offset...].allSatisfy({ $0 == 0 }) { return }
                throw DatasetError.truncated(
                    file: file, expected: offset + blockSize, actual: archive.count,
                    context: "a tar header starts at byte \(offset) and needs \(blockSize) bytes")
            }
            let header = archive[offset..<(offset + blockSize)]
            if header.allSatisfy({ $0 == 0 }) { return }  // end-of-archive marker
            try verifyChecksum(header, at: offset, file: file)

            let type = header[header.startIndex + 156]
            var size = try number(header, 124, 12, field: "size", at: offset, file: file)
            if let paxSize { size = paxSize }
            let dataStart = offset + blockSize
            guard size <= archive.count - dataStart else {
                throw DatasetError.truncated(
                    file: file, expected: dataStart + size, actual: archive.count,
                    context: "the tar member whose header is at byte \(offset) has \(size) bytes of data, "
                        + "ending at byte \(dataStart + size)")
            }
            let data = archive[dataStart..<(dataStart + size)]
            offset = dataStart + (size + blockSize - 1) / blockSize * blockSize

            switch type {
            case UInt8(ascii: "L"):  // GNU long name of the next member
                longName = cString(data)
                continue
            case UInt8(ascii: "x"):  // pax extended header of the next member
                let records = try paxRecords(data, file: file)
                if let path = records["path"] { paxPath = path }
                if let text = records["size"] {
                    guard let value = Int(text), value >= 0 else {
                        throw DatasetError.corrupt(file: file, detail: "pax header has an invalid size \"\(text)\"")
                    }
                    paxSize = value
                }
                continue
            case UInt8(ascii: "g"), UInt8(ascii: "K"):  // pax global header, GNU long link name: not needed
                continue
            default:
                break
            }

            let rawName = paxPath ?? longName ?? headerPath(header)
            longName = nil
            paxPath = nil
            paxSize = nil
            // '0' and NUL: regular file; '7': contiguous file (a regular file too).
            guard type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7") else { continue }
            let path = try safePath(rawName, file: file)
            try body(path, data)
        }
    }

    /// Every regular file in `archive`, in archive order (see ``forEachFile(in:file:_:)``).
    public static func entries(in archive: [UInt8], file: String) throws -> [TarEntry] {
        var result: [TarEntry] = []
        try forEachFile(in: archive, file: file) { path, contents in
            result.append(TarEntry(path: path, contents: Array(contents)))
        }
        return result
    }

    /// Writes the regular files of `archive` under `directory`, each
    /// atomically (see ``writeAtomically(_:to:)``), creating subdirectories
    /// as needed.
    ///
    /// - Parameters:
    ///   - include: decides, from a member's path, whether to extract it.
    /// - Returns: the paths written, in archive order.
    @discardableResult
    public static func extract(
        _ archive: [UInt8], file: String, to directory: String, include: (String) -> Bool = { _ in true }
    ) throws -> [String] {
        var written: [String] = []
        try forEachFile(in: archive, file: file) { path, contents in
            guard include(path) else { return }
            let destination = joinPath(directory, path)
            try writeAtomically(Array(contents), to: destination)
            written.append(destination)
        }
        return written
    }

    // MARK: - Header fields

    /// Checks the header checksum: the sum of all header bytes with the
    /// checksum field itself counted as spaces (unsigned, or signed as some
    /// old tars computed it).
    private static func verifyChecksum(_ header: ArraySlice<UInt8>, at offset: Int, file: String) throws {
        let stored = try number(header, 148, 8, field: "checksum", at: offset, file: file)
        var unsigned = 0
        var signed = 0
        for (k, byte) in header.enumerated() {
            let b = (148..<156).contains(k) ? UInt8(ascii: " ") : byte
            unsigned += Int(b)
            signed += Int(Int8(bitPattern: b))
        }
        guard stored == unsigned || stored == signed else {
            throw DatasetError.corrupt(
                file: file,
                detail: "tar header at byte \(offset) has checksum \(stored) but its bytes sum to \(unsigned) "
                    + "(not a tar archive, or a damaged one)")
        }
    }

    /// A numeric header field: octal digits, optionally surrounded by spaces
    /// and ended by NUL or space; or GNU base-256 (first byte's high bit set).
    private static func number(
        _ header: ArraySlice<UInt8>, _ start: Int, _ length: Int, field: String, at offset: Int, file: String
    ) throws -> Int {
        let bytes = header[(header.startIndex + start)..<(header.startIndex + start + length)]
        let bad = DatasetError.corrupt(
            file: file,
            detail: "tar header at byte \(offset) has an invalid \(field) field \(Array(bytes))"
                + (field == "checksum" ? " (not a tar archive, or a damaged one)" : ""))
        if let first = bytes.first, first & 0x80 != 0 {
            // Base-256, big-endian; negative values (0xFF first byte) are invalid here.
            guard first == 0x80 else { throw bad }
            var value = 0
            for byte in bytes.dropFirst() {
                guard value <= (Int.max >> 8) else { throw bad }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        var seenDigit = false
        var ended = false
        for byte in bytes {
            if byte == 0 || byte == UInt8(ascii: " ") {
                if seenDigit { ended = true }
                continue
            }
            guard !ended, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else { throw bad }
            guard value <= (Int.max >> 3) else { throw bad }
            value = value << 3 | Int(byte - UInt8(ascii: "0"))
            seenDigit = true
        }
        return value
    }

    /// The path from the `name` field, prefixed by the ustar `prefix` field
    /// (POSIX ustar only: GNU tar uses those bytes for other things).
    private static func headerPath(_ header: ArraySlice<UInt8>) -> String {
        let s = header.startIndex
        let name = cString(header[s..<(s + 100)])
        let magic = Array(header[(s + 257)..<(s + 263)])
        if magic == Array("ustar\0".utf8) {
            let prefix = cString(header[(s + 345)..<(s + 500)])
            if !prefix.isEmpty { return prefix + "/" + name }
        }
        return name
    }

    /// The bytes up to the first NUL, as UTF-8 text.
    private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// Parses pax records: `"<length> <key>=<value>\n"`, repeated.
    private static func paxRecords(_ data: ArraySlice<UInt8>, file: String) throws -> [String: String] {
        var records: [String: String] = [:]
        var i = data.startIndex
        while i < data.endIndex {
            if data[i] == 0 { break }  // padding
            var length = 0
            var j = i
            while j < data.endIndex, data[j] >= UInt8(ascii: "0"), data[j] <= UInt8(ascii: "9"), length < 1 << 30 {
                length = length * 10 + Int(data[j] - UInt8(ascii: "0"))
                j += 1
            }
            guard j < data.endIndex, data[j] == UInt8(ascii: " "), length > j - i + 1,
                  length <= data.endIndex - i, data[i + length - 1] == UInt8(ascii: "\n")
            else {
                throw DatasetError.corrupt(file: file, detail: "malformed pax extended header record")
            }
            let record = data[(j + 1)..<(i + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[..<equals], as: UTF8.self)
                records[key] = String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            i += length
        }
        return records
    }

    /// Normalises a member path and rejects absolute paths and `..`.
    static func safePath(_ raw: String, file: String) throws -> String {
        if raw.hasPrefix("/") {
            throw DatasetError.corrupt(file: file, detail: "tar member \"\(raw)\" has an absolute path; refusing to extract it")
        }
        let components = raw.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if components.contains("..") {
            throw DatasetError.corrupt(
                file: file, detail: "tar member \"\(raw)\" has a \"..\" path component; refusing to extract it")
        }
        guard !components.isEmpty else {
            throw DatasetError.corrupt(file: file, detail: "tar member with an empty path \"\(raw)\"")
        }
        return components.joined(separator: "/")
    }
}
