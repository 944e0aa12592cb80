import CZlib
import Foundation
import Testing
import WeftData

#if canImport(Glibc)
import Glibc
#endif

/// Creates a fresh temporary directory, runs `body` with its path, and removes it.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array((NSTemporaryDirectory() + "/weftdata-test-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else { throw DatasetError.ioError(path: "mkdtemp", detail: String(cString: strerror(errno))) }
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Writes bytes to a file (non-atomically; test fixture only).
func writeFile(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The names in a directory, sorted.
func directoryEntries(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// Gzip-compresses `bytes` with zlib (deflateInit2 with 16 + MAX_WBITS).
func gzipCompress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var stream = z_stream()
    let initStatus = deflateInit2_(
        &stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
        Int32(MemoryLayout<z_stream>.size))
    precondition(initStatus == Z_OK)
    defer { deflateEnd(&stream) }
    let bound = Int(deflateBound(&stream, UInt(bytes.count))) + 64
    var output = [UInt8](repeating: 0, count: bound)
    var input = bytes
    let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            let status = deflate(&stream, Z_FINISH)
            precondition(status == Z_STREAM_END, "deflate returned \(status)")
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<produced])
}

/// An IDX file: magic (0, 0, type, rank), big-endian dims, data.
func idxFile(type: UInt8 = 0x08, dims: [UInt32], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims {
        bytes += [UInt8(d >> 24), UInt8((d >> 16) & 0xFF), UInt8((d >> 8) & 0xFF), UInt8(d & 0xFF)]
    }
    return bytes + data
}

/// Deterministic pseudo-random bytes (xorshift), for fixtures.
func pseudoRandomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out[i] = UInt8(truncatingIfNeeded: state)
    }
    return out
}

/// A small, valid MNIST-format split written into `directory`:
/// `count` 28×28 images whose pixels are `(image * 7 + pixel) % 256`, labels `i % 10`.
struct FakeMNIST {
    static func images(count: Int, rows: Int = 28, cols: Int = 28) -> [UInt8] {
        (0..<(count * rows * cols)).map { UInt8(truncatingIfNeeded: ($0 / (rows * cols)) * 7 + $0 % (rows * cols)) }
    }

    static func labels(count: Int) -> [UInt8] {
        (0..<count).map { UInt8($0 % 10) }
    }

    /// Writes all four files; `gzip` decides per file name whether to gzip it.
    static func write(
        to directory: String, trainCount: Int = 5, testCount: Int = 3, gzip: (String) -> Bool = { $0.hasPrefix("train") }
    ) throws {
        let contents: [(String, [UInt8])] = [
            ("train-images-idx3-ubyte", idxFile(dims: [UInt32(trainCount), 28, 28], data: images(count: trainCount))),
            ("train-labels-idx1-ubyte", idxFile(dims: [UInt32(trainCount)], data: labels(count: trainCount))),
            ("t10k-images-idx3-ubyte", idxFile(dims: [UInt32(testCount), 28, 28], data: images(count: testCount))),
            ("t10k-labels-idx1-ubyte", idxFile(dims: [UInt32(testCount)], data: labels(count: testCount))),
        ]
        for (name, bytes) in contents {
            if gzip(name) {
                try writeFile(gzipCompress(bytes), to: directory + "/" + name + ".gz")
            } else {
                try writeFile(bytes, to: directory + "/" + name)
            }
        }
    }
}
