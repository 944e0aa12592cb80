#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers shared by the dataset loaders.

/// The text of `strerror(errno)` for the current `errno`.
func currentErrnoText() -> String {
    String(cString: strerror(errno))
}

/// Joins path components with single slashes.
func joinPath(_ base: String, _ component: String) -> String {
    if base.isEmpty { return component }
    if base.hasSuffix("/") { return base + component }
    return base + "/" + component
}

/// The last path component of `path`.
func fileName(of path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
}

/// The directory part of `path` (`"."` when there is none).
func directoryName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

/// Whether a regular file (or a symlink to one) exists at `path`.
func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    guard stat(path, &info) == 0 else { return false }
    return (info.st_mode & S_IFMT) == S_IFREG
}

/// Whether a directory (or a symlink to one) exists at `path`.
func isDirectory(_ path: String) -> Bool {
    var info = stat()
    guard stat(path, &info) == 0 else { return false }
    return (info.st_mode & S_IFMT) == S_IFDIR
}

/// Reads a whole file into memory with one bulk read per chunk.
///
/// - Throws: `.fileNotFound` when it does not exist, `.ioError` otherwise.
func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        if errno == ENOENT { throw DatasetError.fileNotFound(path) }
        throw DatasetError.ioError(path: path, detail: "cannot open: \(currentErrnoText())")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
        throw DatasetError.ioError(path: path, detail: "cannot stat: \(currentErrnoText())")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw DatasetError.ioError(path: path, detail: "not a regular file")
    }
    let size = Int(info.st_size)
    var failure: DatasetError?
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        var done = 0
        while done < size {
            let n = read(fd, buffer.baseAddress! + done, size - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = .ioError(path: path, detail: "read failed: \(currentErrnoText())")
                break
            }
            if n == 0 { break }  // the file shrank while reading
            done += n
        }
        initialized = done
    }
    if let failure { throw failure }
    return bytes
}

/// Creates `path` and any missing parent directories (like `mkdir -p`).
func makeDirectories(_ path: String) throws {
    if path.isEmpty || isDirectory(path) { return }
    let parent = directoryName(of: path)
    if parent != path && parent != "." && parent != "/" { try makeDirectories(parent) }
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
        throw DatasetError.ioError(path: path, detail: "cannot create directory: \(currentErrnoText())")
    }
}

/// Flushes a directory's entries to disk (after a rename into it).
/// Failures are ignored: some file systems do not support it.
func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
}
