import Foundation
import Testing
import WeftData

// MARK: - Helpers shared by the IMDB and bAbI tests

/// The real datasets root: `$WEFT_DATA_DIR`, else `../shared/datasets`
/// relative to the current directory; nil when neither exists.
func textDataRoot() -> (path: String, fromEnvironment: Bool)? {
    if let value = ProcessInfo.processInfo.environment["WEFT_DATA_DIR"], !value.isEmpty {
        return (value, true)
    }
    let fallback = FileManager.default.currentDirectoryPath + "/../shared/datasets"
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: fallback, isDirectory: &isDirectory), isDirectory.boolValue {
        return (fallback, false)
    }
    return nil
}

/// The environment a real-data test loads through: the process's when
/// `WEFT_DATA_DIR` is set, else one pointing at the fallback root.
func textDataEnvironment() -> DatasetEnvironment? {
    guard let root = textDataRoot() else { return nil }
    return root.fromEnvironment ? .current : DatasetEnvironment(dataDirectory: root.path, home: nil)
}

/// Records that the real data is missing (tests never skip silently).
func recordMissingTextData(_ name: String) {
    Issue.record("""
        Real \(name) data not found: WEFT_DATA_DIR is unset and \
        \(FileManager.default.currentDirectoryPath)/../shared/datasets does not exist. \
        Set WEFT_DATA_DIR to the directory holding imdb/ and babi/.
        """)
}

/// `(sum of ids, sum of (position + 1) * id mod 2^31)` over a flat array,
/// as the NumPy `ck` in the reference snippets computes it.
func idChecksum(_ values: [Int32]) -> (sum: Int, weighted: Int) {
    let modulus = 1 << 31
    var sum = 0
    var weighted = 0
    values.withUnsafeBufferPointer { buffer in
        for k in 0..<buffer.count {
            let v = Int(buffer[k])
            sum += v
            weighted = (weighted + ((k + 1) * v) % modulus) % modulus
        }
    }
    return (sum, weighted)
}

/// The `.corrupt` error thrown by `body`, or nil (recording an issue).
func expectCorruptDataset(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> (file: String, detail: String)? {
    do {
        try body()
        Issue.record("expected a .corrupt error, nothing was thrown", sourceLocation: sourceLocation)
    } catch DatasetError.corrupt(let file, let detail) {
        return (file, detail)
    } catch {
        Issue.record("expected a .corrupt error, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

func writeTextFixture(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try writeFile(Array(text.utf8), to: path)
}
