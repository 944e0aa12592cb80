#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment settings that decide where datasets are looked for.
///
/// ``current`` reads the process environment; tests and tools can pass an
/// explicit value instead of mutating the (process-global) environment.
public struct DatasetEnvironment: Sendable, Equatable {
    /// `$WEFT_DATA_DIR`: a directory holding one subdirectory per dataset.
    public var dataDirectory: String?
    /// `$HOME`: the cache lives in `$HOME/.cache/weft/datasets/`.
    public var home: String?

    /// Creates an environment with explicit values (nil means unset).
    public init(dataDirectory: String?, home: String?) {
        self.dataDirectory = dataDirectory
        self.home = home
    }

    /// The values of `WEFT_DATA_DIR` and `HOME` (empty values count as unset).
    public static var current: DatasetEnvironment {
        DatasetEnvironment(dataDirectory: environmentValue("WEFT_DATA_DIR"), home: environmentValue("HOME"))
    }

    /// `$HOME/.cache/weft/datasets/<name>`, or nil when `HOME` is unset.
    public func cacheDirectory(for name: String) -> String? {
        home.map { joinPath(joinPath($0, ".cache/weft/datasets"), name) }
    }

    /// The directories searched for dataset `name`, in order:
    /// `$WEFT_DATA_DIR/<name>` then `$HOME/.cache/weft/datasets/<name>`.
    public func searchDirectories(for name: String) -> [String] {
        var result: [String] = []
        if let dataDirectory { result.append(joinPath(dataDirectory, name)) }
        if let cache = cacheDirectory(for: name), !result.contains(cache) { result.append(cache) }
        return result
    }

    private static func environmentValue(_ key: String) -> String? {
        guard let raw = getenv(key) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }
}

/// The path of dataset file `name` in `directory`, plain or gzipped: the
/// plain file when both exist (no decompression needed), nil when neither.
public func resolveDatasetFile(_ name: String, in directory: String) -> String? {
    let plain = joinPath(directory, name)
    if isRegularFile(plain) { return plain }
    let gzipped = plain + ".gz"
    if isRegularFile(gzipped) { return gzipped }
    return nil
}

/// Finds the directory holding all of a dataset's files.
///
/// The rules, shared by every dataset loader:
/// 1. if `explicitDirectory` is given, only it is considered;
/// 2. otherwise `$WEFT_DATA_DIR/<name>/`;
/// 3. then `$HOME/.cache/weft/datasets/<name>/`.
///
/// A directory qualifies when every file in `files` exists in it, either
/// plain or with a `.gz` suffix.
///
/// - Parameters:
///   - name: the dataset's directory name, e.g. `"mnist"`.
///   - files: the file names without `.gz`.
///   - explicitDirectory: a directory given by the caller, if any.
///   - environment: where `WEFT_DATA_DIR` and `HOME` come from.
/// - Returns: the first qualifying directory (nil if none) and every
///   directory searched, in order, for error messages.
public func locateDataset(
    name: String, files: [String], explicitDirectory: String?,
    environment: DatasetEnvironment = .current
) -> (directory: String?, searched: [String]) {
    let candidates = explicitDirectory.map { [$0] } ?? environment.searchDirectories(for: name)
    for directory in candidates where files.allSatisfy({ resolveDatasetFile($0, in: directory) != nil }) {
        return (directory, candidates)
    }
    return (nil, candidates)
}
