import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file to download and the checksum it must have.
///
/// Loaders that download (IMDB, sklearn digits) take one of these as a test
/// hook, so that tests can point them at a `file://` mirror with the
/// checksum of a crafted file.
public struct DownloadSource: Sendable, Equatable {
    /// The digest a download is checked against.
    public enum Checksum: Sendable, Equatable {
        case md5(String)
        case sha256(String)
    }

    public var url: String
    public var checksum: Checksum

    public init(url: String, md5: String) {
        self.url = url
        self.checksum = .md5(md5)
    }

    public init(url: String, sha256: String) {
        self.url = url
        self.checksum = .sha256(sha256)
    }

    /// The file's name: the last component of the URL.
    public var fileName: String { WeftData.fileName(of: url) }

    /// E.g. `"MD5 7c2a…"`, for messages.
    public var checksumDescription: String {
        switch checksum {
        case .md5(let hex): return "MD5 \(hex.lowercased())"
        case .sha256(let hex): return "SHA-256 \(hex.lowercased())"
        }
    }
}

/// Downloads `source` to `path` with curl, verified against its checksum
/// before it appears there (see ``downloadVerified(url:to:sha256:)`` and
/// ``downloadVerified(url:to:md5:)``).
func download(_ source: DownloadSource, to path: String) throws {
    switch source.checksum {
    case .md5(let hex): try downloadVerified(url: source.url, to: path, md5: hex)
    case .sha256(let hex): try downloadVerified(url: source.url, to: path, sha256: hex)
    }
}

/// Whether the file at `path` exists and has `source`'s checksum.
func fileMatches(_ source: DownloadSource, at path: String) -> Bool {
    guard isRegularFile(path), let bytes = try? readFileBytes(path) else { return false }
    switch source.checksum {
    case .md5(let hex): return MD5.hex(bytes) == hex.lowercased()
    case .sha256(let hex): return SHA256.hex(bytes) == hex.lowercased()
    }
}

/// Downloads `url` with curl into a hidden temporary file in `directory`
/// and returns its bytes; the temporary file is always deleted. For
/// archives whose contents, not the archive itself, are verified (bAbI).
///
/// - Throws: `.downloadFailed` when curl is missing or fails; `.ioError`.
func downloadBytes(url: String, into directory: String) throws -> [UInt8] {
    try makeDirectories(directory)
    let template = joinPath(directory, ".\(fileName(of: url)).partial-XXXXXX")
    var buffer = Array(template.utf8CString)
    let fd = buffer.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
        throw DatasetError.ioError(path: directory, detail: "cannot create a temporary file: \(currentErrnoText())")
    }
    close(fd)
    let temporary = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { unlink(temporary) }
    try runCurl(url: url, output: temporary)
    return try readFileBytes(temporary)
}


/// Creates the directory tree `destination` holding `files` (paths relative
/// to it), all at once: the files are written into a hidden staging
/// directory next to `destination`, flushed to disk, and the staging
/// directory is renamed to `destination`. Readers therefore see either no
/// `destination` or the complete tree, never a partial one. `directories`
/// (relative) are created even when no file lies in them.
///
/// An existing `destination` (an incomplete earlier copy) is replaced: it is
/// renamed aside and deleted after the new tree is in place. On failure the
/// staging directory is deleted and `destination` is left as it was.
func installDirectoryAtomically(
    _ files: [(path: String, contents: ArraySlice<UInt8>)], directories: [String] = [], as destination: String
) throws {
    let parent = directoryName(of: destination)
    try makeDirectories(parent)
    let staging = try makeTemporaryDirectory(next: destination, tag: "partial")
    var committed = false
    defer { if !committed { try? FileManager.default.removeItem(atPath: staging) } }
    for directory in directories { try makeDirectories(joinPath(staging, directory)) }
    for (path, contents) in files {
        let target = joinPath(staging, path)
        try makeDirectories(directoryName(of: target))
        try writeNewFile(contents, to: target)
    }
    sync()  // one flush for the whole tree (per-file fsync is very slow for 50,000 files)
    var aside: String?
    if FileManager.default.fileExists(atPath: destination) {
        let old = try makeTemporaryDirectory(next: destination, tag: "old")
        guard rename(destination, old) == 0 else {
            rmdir(old)
            throw DatasetError.ioError(path: destination, detail: "cannot move the incomplete copy aside: \(currentErrnoText())")
        }
        aside = old
    }
    guard rename(staging, destination) == 0 else {
        let detail = currentErrnoText()
        if let aside { _ = rename(aside, destination) }
        throw DatasetError.ioError(path: destination, detail: "cannot rename \(staging) into place: \(detail)")
    }
    committed = true
    syncDirectory(parent)
    if let aside { try? FileManager.default.removeItem(atPath: aside) }
}

/// Creates an empty hidden directory `.<name>.<tag>-XXXXXX` next to `path`.
private func makeTemporaryDirectory(next path: String, tag: String) throws -> String {
    let template = joinPath(directoryName(of: path), ".\(fileName(of: path)).\(tag)-XXXXXX")
    var buffer = Array(template.utf8CString)
    guard buffer.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw DatasetError.ioError(path: path, detail: "cannot create a temporary directory: \(currentErrnoText())")
    }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Writes a new file (it must not exist) without `fsync`; the caller flushes.
private func writeNewFile(_ bytes: ArraySlice<UInt8>, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw DatasetError.ioError(path: path, detail: "cannot create: \(currentErrnoText())") }
    defer { close(fd) }
    try bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw DatasetError.ioError(path: path, detail: "write failed: \(currentErrnoText())")
            }
            done += n
        }
    }
}
