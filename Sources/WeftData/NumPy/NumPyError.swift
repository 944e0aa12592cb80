/// Everything that can go wrong while reading or writing a NumPy `.npy` or
/// `.npz` file.
///
/// Every case names the file it is about (for a member of an `.npz` archive,
/// `"archive.npz[member.npy]"`), and `description` is a full sentence that
/// says what is wrong, so that the message is useful when printed on its own.
public enum NumPyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file at this path does not exist.
    case fileNotFound(String)

    /// A system call on this path failed (open, read, write, fsync, rename, ...).
    case ioError(path: String, detail: String)

    /// The data does not start with the `.npy` magic string `\x93NUMPY`.
    case notNPY(file: String, detail: String)

    /// The `.npy` format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion(file: String, major: UInt8, minor: UInt8)

    /// The header is not a valid `.npy` header dictionary (bad length, not a
    /// Python dict literal, a missing or unexpected key, a value of the
    /// wrong type, ...).
    case malformedHeader(file: String, detail: String)

    /// The array's dtype (its `descr`) has no Weft equivalent: complex,
    /// object, string, structured, datetime, or values that do not fit.
    case unsupportedDType(file: String, descr: String, reason: String)

    /// The shape in the header is invalid (a negative dimension, or an
    /// element count that does not fit in memory).
    case badShape(file: String, detail: String)

    /// The data after the header is not `shape × itemsize` bytes long.
    /// `expected` is what the header requires, `actual` what is there.
    case dataSizeMismatch(file: String, expected: Int, actual: Int, detail: String)

    /// The file is not a ZIP archive (no end-of-central-directory record).
    case notZip(file: String, detail: String)

    /// The ZIP archive is cut short or its structures are inconsistent.
    case corruptZip(file: String, detail: String)

    /// The ZIP archive uses a feature this reader does not implement
    /// (encryption, split archives, a compression method other than
    /// stored or deflate).
    case unsupportedZip(file: String, detail: String)

    /// A member's CRC-32 does not match the one recorded in the archive.
    case crcMismatch(file: String, member: String, expected: UInt32, actual: UInt32)

    /// A member inflates to more than it declares or than `limit` bytes
    /// (a damaged archive or a decompression bomb).
    case decompressionLimit(file: String, member: String, limit: Int, detail: String)

    /// An archive member is not a `.npy` file (its name does not end in `.npy`).
    case notNPYMember(file: String, member: String)

    /// Two archive members (or two arrays given to `saveArchive`) have the same name.
    case duplicateMember(file: String, member: String)

    /// A name given to `saveArchive` cannot be a ZIP member name (longer than 65 535 bytes).
    case invalidMemberName(file: String, member: String, detail: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): file not found"
        case .ioError(let path, let detail):
            return "\(path): I/O error: \(detail)"
        case .notNPY(let file, let detail):
            return "\(file): not a NumPy .npy file: \(detail)"
        case .unsupportedVersion(let file, let major, let minor):
            return "\(file): unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)"
        case .malformedHeader(let file, let detail):
            return "\(file): malformed .npy header: \(detail)"
        case .unsupportedDType(let file, let descr, let reason):
            return "\(file): unsupported NumPy dtype \(descr): \(reason)"
        case .badShape(let file, let detail):
            return "\(file): bad shape in .npy header: \(detail)"
        case .dataSizeMismatch(let file, let expected, let actual, let detail):
            let what = actual < expected ? "truncated" : "unexpected trailing data"
            return "\(file): \(what): \(detail) needs \(expected) bytes of data, the file has \(actual)"
        case .notZip(let file, let detail):
            return "\(file): not a .npz (ZIP) archive: \(detail)"
        case .corruptZip(let file, let detail):
            return "\(file): corrupt .npz (ZIP) archive: \(detail)"
        case .unsupportedZip(let file, let detail):
            return "\(file): unsupported .npz (ZIP) archive: \(detail)"
        case .crcMismatch(let file, let member, let expected, let actual):
            return "\(file): CRC-32 mismatch in member \(member): the archive records \(hex32(expected)), "
                + "the data has \(hex32(actual)); the archive is damaged"
        case .decompressionLimit(let file, let member, let limit, let detail):
            return "\(file): member \(member) decompresses to more than \(limit) bytes: \(detail) "
                + "(a damaged archive or a decompression bomb)"
        case .notNPYMember(let file, let member):
            return "\(file): member \(member) is not a .npy file (its name does not end in .npy)"
        case .duplicateMember(let file, let member):
            return "\(file): duplicate member name \(member)"
        case .invalidMemberName(let file, let member, let detail):
            return "\(file): invalid member name \(member.prefix(80))\(member.count > 80 ? "…" : ""): \(detail)"
        }
    }
}

/// `0x0000ABCD`-style rendering of a 32-bit value.
private func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
