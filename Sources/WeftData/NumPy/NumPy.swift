import Weft

/// Reading and writing NumPy's `.npy` (one array) and `.npz` (a ZIP archive
/// of `.npy` files) formats, for exchanging tensors with Python.
///
/// ```swift
/// let x = try NumPy.load("x.npy")                          // np.save("x.npy", a)
/// try NumPy.save(x, to: "y.npy")                           // np.load("y.npy")
/// let weights = try NumPy.loadArchive("weights.npz")       // np.savez / np.savez_compressed
/// try NumPy.saveArchive(["w": w, "b": b], to: "out.npz", compressed: true)
/// ```
///
/// **Reading** accepts format versions 1.0, 2.0 and 3.0, either byte order,
/// C or Fortran order (Fortran-ordered data is reordered into Weft's row-major
/// layout), 0-d arrays and arrays with a zero-length dimension. NumPy dtypes
/// map to Weft dtypes as follows:
///
/// | NumPy                         | Weft      |
/// |-------------------------------|-----------|
/// | `bool` (`b1`)                 | `bool`    |
/// | `uint8` (`u1`)                | `uint8`   |
/// | `int8`, `int16`, `uint16`, `int32` | `int32` |
/// | `uint32`, `int64`             | `int64`   |
/// | `uint64`                      | `int64` (an error if a value exceeds `Int64.max`) |
/// | `float16`, `float32`, `float64` | `float16`, `float32`, `float64` |
///
/// Other dtypes (complex, long double, object, strings, structured records,
/// datetimes) throw ``NumPyError/unsupportedDType(file:descr:reason:)``.
///
/// **Writing** produces format version 1.0 (2.0 when the header needs more
/// than 64 KiB), little-endian (native) data in C order, with the header
/// padded with spaces to a multiple of 64 bytes and ending in a newline, as
/// NumPy writes it. `bool` → `|b1`, `uint8` → `|u1`, `int32` → `<i4`,
/// `int64` → `<i8`, `float16` → `<f2`, `float32` → `<f4`, `float64` → `<f8`.
/// **`bfloat16` has no NumPy dtype: it is written as `float32`** (`<f4`,
/// exactly, since every bfloat16 value is a float32 value), so it reads back
/// as a `float32` tensor. Files are written atomically (a temporary file in
/// the same directory, `fsync`, `rename`): on any error no partial file is
/// left behind and an existing file at the path is untouched.
///
/// **Bad input** throws a ``NumPyError`` that names the file (for an archive
/// member, `"archive.npz[member.npy]"`) and what is wrong; sizes in headers
/// are checked against the bytes that are really there before anything is
/// allocated, and compressed members cannot inflate past their declared size.
public enum NumPy {
    /// The largest uncompressed `.npz` member ``loadArchive(_:maxMemberBytes:)`` accepts by default: 4 GiB.
    public static let defaultMaxMemberBytes = 1 << 32

    // MARK: .npy

    /// Reads a `.npy` file (like `numpy.load` of a `.npy` file).
    ///
    /// - Throws: ``NumPyError`` when the file is missing, unreadable, not a
    ///   `.npy` file, damaged, or holds an unsupported dtype.
    public static func load(_ path: String) throws -> Tensor {
        let bytes = try readFile(path)
        return try decodeNPY(bytes, file: path)
    }

    /// Writes `tensor` to `path` as a `.npy` file (like `numpy.save`),
    /// atomically. `bfloat16` tensors are written as `float32`.
    ///
    /// - Throws: ``NumPyError/ioError(path:detail:)`` on file-system errors.
    public static func save(_ tensor: Tensor, to path: String) throws {
        try write(encodeNPY(tensor), to: path)
    }

    /// Decodes a complete `.npy` file held in memory.
    ///
    /// - Parameter file: the name used in error messages.
    public static func decodeNPY(_ bytes: [UInt8], file: String = "<memory>") throws -> Tensor {
        try bytes.withUnsafeBytes { try NPYFormat.decode($0, file: file) }
    }

    /// Encodes `tensor` as a complete `.npy` file. `bfloat16` tensors are
    /// encoded as `float32`.
    public static func encodeNPY(_ tensor: Tensor) -> [UInt8] {
        NPYFormat.encode(tensor)
    }

    // MARK: .npz

    /// Reads every array of a `.npz` archive (stored or deflated, as
    /// `numpy.savez` and `numpy.savez_compressed` write them). The keys are
    /// the member names without `.npy`, as with `numpy.load(path)[key]`.
    ///
    /// - Parameter maxMemberBytes: the largest uncompressed member accepted.
    /// - Throws: ``NumPyError`` when the file is not a ZIP archive, is
    ///   truncated or damaged (including CRC-32 mismatches), has a member that
    ///   inflates past its declared size or `maxMemberBytes`, a member that is
    ///   not a `.npy` file, two members with one name, or a bad `.npy` member.
    public static func loadArchive(_ path: String, maxMemberBytes: Int = defaultMaxMemberBytes) throws -> [String: Tensor] {
        let bytes = try readFile(path)
        return try decodeArchive(bytes, file: path, maxMemberBytes: maxMemberBytes)
    }

    /// Writes `arrays` to `path` as a `.npz` archive (like `numpy.savez`, or
    /// `numpy.savez_compressed` with `compressed: true`), atomically. Each
    /// key becomes the member `key.npy`; members are written in sorted key
    /// order.
    public static func saveArchive(_ arrays: [String: Tensor], to path: String, compressed: Bool = false) throws {
        try saveArchive(arrays.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
                        to: path, compressed: compressed)
    }

    /// Writes the named arrays to `path` as a `.npz` archive, in the order given.
    ///
    /// - Throws: ``NumPyError/duplicateMember(file:member:)`` when a name
    ///   appears twice; ``NumPyError/invalidMemberName(file:member:detail:)``
    ///   when a name is too long for ZIP; ``NumPyError/ioError(path:detail:)``
    ///   on file-system errors.
    public static func saveArchive(_ arrays: [(name: String, tensor: Tensor)], to path: String,
                                   compressed: Bool = false) throws {
        try write(encodeArchive(arrays, compressed: compressed, file: path), to: path)
    }

    /// Decodes a complete `.npz` archive held in memory.
    ///
    /// - Parameter file: the name used in error messages.
    public static func decodeArchive(_ bytes: [UInt8], file: String = "<memory>",
                                     maxMemberBytes: Int = defaultMaxMemberBytes) throws -> [String: Tensor] {
        try bytes.withUnsafeBytes { raw in
            let entries = try ZipArchive.entries(in: raw, file: file)
            var seen = Set<String>()
            for entry in entries {
                guard seen.insert(entry.name).inserted else {
                    throw NumPyError.duplicateMember(file: file, member: entry.name)
                }
                guard entry.name.hasSuffix(".npy") else {
                    throw NumPyError.notNPYMember(file: file, member: entry.name)
                }
            }
            var result: [String: Tensor] = [:]
            for entry in entries {
                let data = try ZipArchive.extract(entry, from: raw, file: file, maxBytes: maxMemberBytes)
                result[String(entry.name.dropLast(4))] = try decodeNPY(data, file: "\(file)[\(entry.name)]")
            }
            return result
        }
    }

    /// Encodes the named arrays as a complete `.npz` archive, in the order given.
    ///
    /// - Parameter file: the name used in error messages.
    /// - Throws: ``NumPyError/duplicateMember(file:member:)`` when a name appears twice;
    ///   ``NumPyError/invalidMemberName(file:member:detail:)`` when a name is too long.
    public static func encodeArchive(_ arrays: [(name: String, tensor: Tensor)], compressed: Bool = false,
                                     file: String = "<memory>") throws -> [UInt8] {
        try encodeArchive(arrays, compressed: compressed, file: file, forceZip64: false)
    }

    /// `forceZip64` writes ZIP64 records even for small archives (for tests).
    static func encodeArchive(_ arrays: [(name: String, tensor: Tensor)], compressed: Bool, file: String,
                              forceZip64: Bool) throws -> [UInt8] {
        var seen = Set<String>()
        var members: [(name: String, data: [UInt8])] = []
        for (name, tensor) in arrays {
            let member = name + ".npy"
            guard seen.insert(member).inserted else { throw NumPyError.duplicateMember(file: file, member: member) }
            guard member.utf8.count <= Int(UInt16.max) else {
                throw NumPyError.invalidMemberName(
                    file: file, member: member, detail: "it is \(member.utf8.count) bytes long; ZIP allows at most 65535")
            }
            members.append((member, encodeNPY(tensor)))
        }
        return try ZipArchive.archive(members, compressed: compressed, file: file, forceZip64: forceZip64)
    }

    // MARK: Files

    private static func readFile(_ path: String) throws -> [UInt8] {
        do {
            return try readFileBytes(path)
        } catch let error as DatasetError {
            throw NumPyError(error, path: path)
        }
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try writeAtomically(bytes, to: path)
        } catch let error as DatasetError {
            throw NumPyError(error, path: path)
        }
    }
}

extension NumPyError {
    /// The file-system errors of the shared helpers, as NumPy errors.
    init(_ error: DatasetError, path: String) {
        switch error {
        case .fileNotFound(let file): self = .fileNotFound(file)
        case .ioError(let file, let detail): self = .ioError(path: file, detail: detail)
        default: self = .ioError(path: path, detail: error.description)
        }
    }
}
