import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// directory, flushed with `fsync`, then renamed over `path`. Readers see
/// either the old file or the complete new one, never a partial write. The
/// temporary file is removed on any failure. Missing parent directories are
/// created.
///
/// - Throws: ``DatasetError/ioError(path:detail:)``.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let directory = directoryName(of: path)
    try makeDirectories(directory)
    let (temporary, fd) = try createTemporaryFile(for: path)
    var committed = false
    defer { if !committed { unlink(temporary) } }
    do {
        defer { close(fd) }
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DatasetError.ioError(path: temporary, detail: "write failed: \(currentErrnoText())")
                }
                done += n
            }
        }
        guard fsync(fd) == 0 else {
            throw DatasetError.ioError(path: temporary, detail: "fsync failed: \(currentErrnoText())")
        }
    }
    try commitTemporaryFile(temporary, to: path)
    committed = true
}

/// Downloads `url` to `path` and verifies its SHA-256 before it appears there.
///
/// Runs `/usr/bin/curl -fsSL --max-time 600 -o TMP URL` into a temporary file
/// in the destination directory, checks the file's SHA-256 against `sha256`
/// (lowercase or uppercase hex), `fsync`s it and renames it to `path`. On any
/// failure the temporary file is deleted and `path` is left untouched.
///
/// - Throws: ``DatasetError/downloadFailed(url:detail:)`` when curl is
///   missing or fails; ``DatasetError/checksumMismatch(file:expected:actual:)``
///   when the downloaded bytes are not the expected ones;
///   ``DatasetError/ioError(path:detail:)`` on file-system errors.
public func downloadVerified(url: String, to path: String, sha256: String) throws {
    let directory = directoryName(of: path)
    try makeDirectories(directory)
    let (temporary, fd) = try createTemporaryFile(for: path)
    close(fd)
    var committed = false
    defer { if !committed { unlink(temporary) } }

    try runCurl(url: url, output: temporary)
    let actual = SHA256.hex(try readFileBytes(temporary))
    guard actual == sha256.lowercased() else {
        throw DatasetError.checksumMismatch(file: url, expected: sha256.lowercased(), actual: actual)
    }
    try syncFile(temporary)
    try commitTemporaryFile(temporary, to: path)
    committed = true
}

/// Where curl is expected to be.
let curlPath = "/usr/bin/curl"

/// Runs curl to fetch `url` into `output`; throws `.downloadFailed` with
/// curl's own error message when it fails.
func runCurl(url: String, output: String, maxSeconds: Int = 1800) throws {
    guard FileManager.default.isExecutableFile(atPath: curlPath) else {
        throw DatasetError.downloadFailed(url: url, detail: "\(curlPath) not found; install curl or fetch the file by hand")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: curlPath)
    process.arguments = ["-fsSL", "--max-time", String(maxSeconds), "-o", output, url]
    let errorPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        throw DatasetError.downloadFailed(url: url, detail: "cannot run \(curlPath): \(error)")
    }
    // Drain stderr before waiting, so a chatty curl cannot block on a full pipe.
    let errorData = errorPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        let message = String(decoding: errorData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let how = process.terminationReason == .exit
            ? "curl exited with status \(process.terminationStatus)"
            : "curl was killed by signal \(process.terminationStatus)"
        throw DatasetError.downloadFailed(url: url, detail: message.isEmpty ? how : "\(how): \(message)")
    }
}

/// Creates an empty, uniquely named, hidden temporary file next to `path`
/// and returns its path and an open descriptor.
private func createTemporaryFile(for path: String) throws -> (path: String, fd: Int32) {
    let template = joinPath(directoryName(of: path), ".\(fileName(of: path)).partial-XXXXXX")
    var buffer = Array(template.utf8CString)
    let fd = buffer.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
        throw DatasetError.ioError(path: path, detail: "cannot create a temporary file: \(currentErrnoText())")
    }
    let temporary = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    _ = fchmod(fd, 0o644)
    return (temporary, fd)
}

/// `fsync`s an existing file.
private func syncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw DatasetError.ioError(path: path, detail: "cannot open: \(currentErrnoText())") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw DatasetError.ioError(path: path, detail: "fsync failed: \(currentErrnoText())") }
}

/// Renames a flushed temporary file over `path` and flushes the directory.
private func commitTemporaryFile(_ temporary: String, to path: String) throws {
    guard rename(temporary, path) == 0 else {
        throw DatasetError.ioError(path: path, detail: "cannot rename \(temporary) into place: \(currentErrnoText())")
    }
    syncDirectory(directoryName(of: path))
}
