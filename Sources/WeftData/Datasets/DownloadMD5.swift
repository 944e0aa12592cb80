import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Downloads `url` to `path`, verifying its MD5 before it appears there.
///
/// The same as ``downloadVerified(url:to:sha256:)`` (curl into a hidden
/// temporary file next to `path`, check, `fsync`, rename), for publishers
/// that give only an MD5 (CIFAR). MD5 detects damaged or wrong files, not a
/// deliberate forgery: prefer SHA-256 where one is known.
///
/// - Throws: ``DatasetError/downloadFailed(url:detail:)`` when curl is
///   missing or fails; ``DatasetError/checksumMismatch(file:expected:actual:)``
///   (with MD5 digests) when the bytes are not the expected ones;
///   ``DatasetError/ioError(path:detail:)`` on file-system errors.
public func downloadVerified(url: String, to path: String, md5: String) throws {
    let directory = directoryName(of: path)
    try makeDirectories(directory)
    let template = joinPath(directory, ".\(fileName(of: path)).partial-XXXXXX")
    var buffer = Array(template.utf8CString)
    let fd = buffer.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
        throw DatasetError.ioError(path: path, detail: "cannot create a temporary file: \(currentErrnoText())")
    }
    let temporary = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    _ = fchmod(fd, 0o644)
    close(fd)
    var committed = false
    defer { if !committed { unlink(temporary) } }

    try runCurl(url: url, output: temporary)
    let bytes = try readFileBytes(temporary)
    let actual = MD5.hex(bytes)
    guard actual == md5.lowercased() else {
        throw DatasetError.checksumMismatch(file: url, expected: md5.lowercased(), actual: actual)
    }
    let syncFD = open(temporary, O_RDONLY | O_CLOEXEC)
    if syncFD >= 0 {
        _ = fsync(syncFD)
        close(syncFD)
    }
    guard rename(temporary, path) == 0 else {
        throw DatasetError.ioError(path: path, detail: "cannot rename \(temporary) into place: \(currentErrnoText())")
    }
    committed = true
    syncDirectory(directory)
}

