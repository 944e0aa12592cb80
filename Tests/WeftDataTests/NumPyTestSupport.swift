import Foundation
import Testing
@testable import Weft
@testable import WeftData

/// Helpers for NumPyTests: sample tensors, crafted `.npy`/ZIP bytes, error
/// checks, and a way to run NumPy when it is installed.
enum NPYTest {
    /// A tensor of `dtype` and `shape` whose element `i` is `value(dtype, i)`.
    static func sample(_ dtype: DType, _ shape: Shape) -> Tensor {
        let n = shape.elementCount
        switch dtype {
        case .bool: return Tensor(shape: shape, scalars: (0..<n).map { $0 % 3 == 0 })
        case .uint8: return Tensor(shape: shape, scalars: (0..<n).map { UInt8(($0 * 37) % 256) })
        case .int32: return Tensor(shape: shape, scalars: (0..<n).map { Int32($0 * 1000 - 5000) })
        case .int64: return Tensor(shape: shape, scalars: (0..<n).map { Int64($0) * 1_000_000_000_000 - 3 })
        case .float16: return Tensor(shape: shape, scalars: (0..<n).map { Float16(Double($0) * 0.5 - 3) })
        case .bfloat16: return Tensor(shape: shape, scalars: (0..<n).map { BFloat16(Float(Double($0) * 0.25 - 2)) })
        case .float32: return Tensor(shape: shape, scalars: (0..<n).map { Float(Double($0) * 0.1 - 1) })
        case .float64: return Tensor(shape: shape, scalars: (0..<n).map { Double($0) * 0.1 - 1 })
        }
    }

    /// The raw bytes of a tensor's elements.
    static func rawBytes(_ t: Tensor) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: t.storage.data, count: t.byteCount))
    }

    /// A `.npy` file with this header dict text and data, padded like NumPy's.
    static func npy(_ dict: String, data: [UInt8], major: UInt8 = 1, minor: UInt8 = 0) -> [UInt8] {
        let lengthBytes = major == 1 ? 2 : 4
        var header = Array(dict.utf8)
        let unpadded = 8 + lengthBytes + header.count + 1
        header += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0A]
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, minor]
        for i in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: header.count >> (8 * i))) }
        return out + header + data
    }

    /// Little-endian bytes of a float32 array.
    static func f4(_ values: [Float], bigEndian: Bool = false) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let bits = v.bitPattern
            let le = (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
            return bigEndian ? le.reversed() : le
        }
    }

    /// Integer bytes of the given width, little- or big-endian.
    static func ints(_ values: [Int64], width: Int, bigEndian: Bool = false) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let le = (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
            return bigEndian ? le.reversed() : le
        }
    }

    /// The offset of the first occurrence of a 4-byte little-endian signature.
    static func find(_ signature: UInt32, in bytes: [UInt8], from start: Int = 0) -> Int? {
        let sig = (0..<4).map { UInt8(truncatingIfNeeded: signature >> (8 * $0)) }
        guard bytes.count >= 4 else { return nil }
        for i in start...(bytes.count - 4) where Array(bytes[i..<(i + 4)]) == sig { return i }
        return nil
    }

    static func put16(_ value: UInt16, into bytes: inout [UInt8], at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    static func put32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Bytes from a hex string (whitespace ignored).
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    /// The case name of a NumPyError (`"badShape"`, ...).
    static func caseName(_ error: NumPyError) -> String {
        Mirror(reflecting: error).children.first?.label ?? String(describing: error)
    }

    /// Checks that `body` throws the NumPyError case `kind`, whose description
    /// names `file` and contains each of `mentions`.
    static func expectError(
        _ kind: String, file: String, mentions: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any
    ) {
        do {
            let result = try body()
            Issue.record("expected NumPyError.\(kind) naming \(file), got a result: \(result)", sourceLocation: sourceLocation)
        } catch let error as NumPyError {
            let text = error.description
            #expect(caseName(error) == kind, "\(text)", sourceLocation: sourceLocation)
            #expect(text.contains(file), "the message does not name \(file): \(text)", sourceLocation: sourceLocation)
            for fragment in mentions {
                #expect(text.contains(fragment), "the message does not mention \(fragment): \(text)",
                        sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected NumPyError.\(kind), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Python

    /// A Python interpreter that can import numpy, or nil (looked up once).
    /// `WEFT_TEST_PYTHON` names the one to use (`none`: act as if numpy were missing);
    /// otherwise `python3` on the PATH, `~/.venv-peers/bin/python` and `/usr/bin/python3` are tried.
    static let python: String? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates = ["python3", (environment["HOME"] ?? NSHomeDirectory()) + "/.venv-peers/bin/python", "/usr/bin/python3"]
        if let chosen = environment["WEFT_TEST_PYTHON"] {
            candidates = chosen == "none" || chosen.isEmpty ? [] : [chosen]
        }
        for candidate in candidates {
            if let result = try? runPython(candidate, ["-c", "import numpy"]), result.status == 0 {
                return candidate
            }
        }
        return nil
    }()

    /// Runs `python arguments…` (through /usr/bin/env for a bare name) and
    /// returns its exit status and combined output.
    static func runPython(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        if python.hasPrefix("/") {
            guard FileManager.default.isExecutableFile(atPath: python) else { return (127, "\(python) not found") }
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python] + arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
