import Weft
import WeftData
#if canImport(Glibc)
import Glibc
#endif

/// Writes one line per epoch to a CSV file: the epoch (from 1), then the epoch's logs in
/// alphabetical order of their names, after a header line `epoch,name,…` (Keras's `CSVLogger`).
///
/// The columns are fixed by the first epoch's logs; a value missing from a later epoch is
/// written as `NA`. Values are written with Swift's shortest round-trip formatting
/// (`0.6931471805599453`, `1e-05`, `nan`). After every epoch the whole file is rewritten
/// atomically (temporary file, `fsync`, rename), so a reader never sees a partial line.
///
/// With `append`, the lines are added after the file's existing contents and the header is
/// written only when the file is missing or empty; otherwise the file is replaced when the
/// first epoch ends.
public final class CSVLogger: Callback {
    public let path: String
    public let separator: String
    public let append: Bool
    /// The column names after "epoch", fixed by the first epoch's logs.
    public private(set) var keys: [String]?
    private var contents: [UInt8] = []
    private var writeHeader = true

    public init(path: String, separator: String = ",", append: Bool = false) {
        self.path = path
        self.separator = separator
        self.append = append
    }

    public func onTrainBegin() throws {
        keys = nil
        contents = []
        writeHeader = true
        if append, let existing = Self.readContents(path), !existing.isEmpty {
            contents = existing
            if contents.last != UInt8(ascii: "\n") { contents.append(UInt8(ascii: "\n")) }
            writeHeader = false
        }
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws {
        if keys == nil { keys = logs.keys.sorted() }
        let keys = self.keys!
        var text = ""
        if writeHeader {
            text += (["epoch"] + keys).joined(separator: separator) + "\n"
            writeHeader = false
        }
        text += ([String(epoch)] + keys.map { k in logs[k].map { "\($0)" } ?? "NA" }).joined(separator: separator) + "\n"
        contents += Array(text.utf8)
        try writeAtomically(contents, to: path)
    }

    /// The bytes of the file at `path`, nil when it cannot be opened.
    static func readContents(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }
}
