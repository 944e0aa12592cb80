/// Everything that can go wrong while finding, downloading, decompressing or
/// parsing a dataset file.
///
/// Every case names the file (or URL, or dataset) it is about, and
/// `description` is a full sentence that says what is wrong, so that the
/// message is useful on its own when printed at the top level.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file at this path does not exist.
    case fileNotFound(String)

    /// Some of a dataset's files are not in any of the searched directories
    /// (and were not, or could not be, downloaded).
    ///
    /// - Parameters:
    ///   - dataset: the dataset's display name, e.g. `"MNIST"`.
    ///   - files: the missing file names (without directory).
    ///   - searched: every directory that was searched, in order.
    ///   - hint: how to obtain the files.
    case missingFiles(dataset: String, files: [String], searched: [String], hint: String)

    /// The file holds fewer bytes than its header (or format) requires.
    ///
    /// - Parameters:
    ///   - expected: the number of bytes required.
    ///   - actual: the number of bytes present.
    ///   - context: an optional phrase explaining where `expected` comes from,
    ///     e.g. `"header says 60000×28×28 = 47040000 bytes of pixels"`; when
    ///     empty a generic phrase is used.
    case truncated(file: String, expected: Int, actual: Int, context: String = "")

    /// The file does not start with the expected magic number.
    case badMagic(file: String, expected: UInt32, found: UInt32)

    /// An images file and its labels file disagree on the number of items.
    case countMismatch(images: String, labels: String, imageCount: Int, labelCount: Int)

    /// The dimensions in a header are invalid or not what was expected.
    case badShape(file: String, detail: String)

    /// The contents of the file are invalid (bad compressed data, trailing
    /// garbage, out-of-range values, ...).
    case corrupt(file: String, detail: String)

    /// A file's SHA-256 is not the one it should have.
    case checksumMismatch(file: String, expected: String, actual: String)

    /// Downloading from this URL failed.
    case downloadFailed(url: String, detail: String)

    /// Decompressing the file would produce more than `limit` bytes.
    case tooLarge(file: String, limit: Int)

    /// A system call on this path failed (open, read, write, rename, ...).
    case ioError(path: String, detail: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): file not found"
        case .missingFiles(let dataset, let files, let searched, let hint):
            let where_ = searched.isEmpty ? "no directory was searched" : "searched: " + searched.joined(separator: ", ")
            var text = "\(dataset) dataset not found: missing \(files.joined(separator: ", ")) (\(where_))"
            if !hint.isEmpty { text += ". " + hint }
            return text
        case .truncated(let file, let expected, let actual, let context):
            let need = context.isEmpty ? "expected \(expected) bytes" : context
            return "\(file): truncated: \(need), file has \(actual)"
        case .badMagic(let file, let expected, let found):
            return "\(file): bad magic number: expected \(hex32(expected))\(describeIDXMagic(expected)), "
                + "found \(hex32(found))\(describeIDXMagic(found))"
        case .countMismatch(let images, let labels, let imageCount, let labelCount):
            return "\(images) has \(imageCount) images but \(labels) has \(labelCount) labels; "
                + "the two files must hold the same number of items"
        case .badShape(let file, let detail):
            return "\(file): bad shape: \(detail)"
        case .corrupt(let file, let detail):
            return "\(file): corrupt: \(detail)"
        case .checksumMismatch(let file, let expected, let actual):
            // The digest length tells the algorithm (MD5 for CIFAR's published sums).
            let algorithm = expected.count == 32 ? "MD5" : "SHA-256"
            return "\(file): \(algorithm) mismatch: expected \(expected), got \(actual); "
                + "the file is damaged or not the official one"
        case .downloadFailed(let url, let detail):
            return "\(url): download failed: \(detail)"
        case .tooLarge(let file, let limit):
            return "\(file): too large: decompressed data exceeds the limit of \(limit) bytes "
                + "(a damaged file or a decompression bomb)"
        case .ioError(let path, let detail):
            return "\(path): I/O error: \(detail)"
        }
    }
}

/// `0x00000803`-style rendering of a 32-bit magic number.
private func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// A short parenthesised explanation of an IDX-style magic number, or a hint
/// when it looks like gzip data; empty when nothing useful can be said.
private func describeIDXMagic(_ magic: UInt32) -> String {
    if magic >> 16 == 0x1F8B { return " (gzip data: the file was not decompressed)" }
    guard magic >> 16 == 0 else { return "" }
    let type = UInt8((magic >> 8) & 0xFF)
    let rank = Int(magic & 0xFF)
    guard let element = IDXElementType(rawValue: type) else {
        return " (unknown IDX element type 0x\(String(type, radix: 16, uppercase: true)), \(rank) dimensions)"
    }
    return " (IDX \(element.name), \(rank) dimension\(rank == 1 ? "" : "s"))"
}
