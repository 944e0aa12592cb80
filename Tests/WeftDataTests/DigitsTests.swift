import Foundation
import Testing
import Weft
import WeftData

/// The datasets root: `WEFT_DATA_DIR`, else `../shared/datasets` from the
/// current directory; nil (and a recorded issue) when neither exists.
func datasetsRootForDigitsAndPM25() -> String? {
    if let value = ProcessInfo.processInfo.environment["WEFT_DATA_DIR"], !value.isEmpty { return value }
    let fallback = FileManager.default.currentDirectoryPath + "/../shared/datasets"
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: fallback, isDirectory: &isDirectory), isDirectory.boolValue {
        return fallback
    }
    Issue.record("Real datasets not found: set WEFT_DATA_DIR to the directory holding sklearn-digits/ and beijing-pm25/")
    return nil
}

@Suite("Digits (scikit-learn 8x8) loader")
struct DigitsTests {
    /// The first line of scikit-learn's digits.csv.gz (a zero).
    static let firstRow: [Float] = [
        0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
        0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
    ]

    @Test("The real file: 1797 × 64 float32 in 0...1, int32 labels with scikit-learn's class counts")
    func realFile() throws {
        guard let root = datasetsRootForDigitsAndPM25() else { return }
        let env = DatasetEnvironment(dataDirectory: root, home: nil)
        let (x, y) = try Digits.load(environment: env)
        #expect(x.shape == [1797, 64])
        #expect(x.dtype == .float32)
        #expect(y.shape == [1797])
        #expect(y.dtype == .int32)
        let pixels = x.scalars(as: Float.self)
        #expect(Array(pixels[0..<64]) == Self.firstRow.map { $0 / 16 })
        #expect(pixels.min() == 0)
        #expect(pixels.max() == 1)
        let labels = y.scalars(as: Int32.self)
        var counts = [Int](repeating: 0, count: 10)
        for label in labels { counts[Int(label)] += 1 }
        #expect(counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        #expect(counts.reduce(0, +) == 1797)
        #expect(Array(labels.prefix(10)) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(labels.last == 8)

        let (raw, _) = try Digits.load(directory: root + "/sklearn-digits", normalized: false)
        let rawPixels = raw.scalars(as: Float.self)
        #expect(Array(rawPixels[0..<64]) == Self.firstRow)
        #expect(rawPixels.reduce(0, +) == 561_718)
        #expect(rawPixels.max() == 16)
    }

    /// A valid line: 64 pixels and a label.
    static func line(_ seed: Int, label: Int) -> String {
        ((0..<64).map { String(($0 * 7 + seed) % 17) } + [String(label)]).joined(separator: ",")
    }

    /// Writes `text` as digits.csv (or .gz) into a new directory and parses it through `load`.
    func load(_ text: String, gzip: Bool = false, normalized: Bool = true) throws -> (images: Tensor, labels: Tensor) {
        try withTemporaryDirectory { dir in
            let bytes = Array(text.utf8)
            if gzip {
                try writeFile(gzipCompress(bytes), to: dir + "/digits.csv.gz")
            } else {
                try writeFile(bytes, to: dir + "/digits.csv")
            }
            return try Digits.load(directory: dir, normalized: normalized)
        }
    }

    @Test("A crafted file: CRLF, blank lines, '5.0' values, gzip; values and labels in order")
    func crafted() throws {
        let text = Self.line(1, label: 3) + "\r\n\r\n" + Self.line(2, label: 9).replacingOccurrences(of: ",5,", with: ",5.0,")
            + "\n" + Self.line(3, label: 0)
        for gzip in [false, true] {
            let (x, y) = try load(text, gzip: gzip, normalized: false)
            #expect(x.shape == [3, 64])
            #expect(y.scalars(as: Int32.self) == [3, 9, 0])
            let values = x.scalars(as: Float.self)
            let expectedRow: [Float] = (0..<64).map { (k: Int) -> Float in Float((k * 7 + 2) % 17) }
            #expect(Array(values[64..<128]) == expectedRow)
            let (normalized, _) = try load(text, gzip: gzip)
            #expect(normalized.scalars(as: Float.self) == values.map { $0 / 16 })
        }
    }

    /// Loads a crafted file that must fail, returning the `.corrupt` detail.
    func corruptDetail(_ text: String) -> String? {
        let error = #expect(throws: DatasetError.self) { _ = try load(text) }
        guard case .corrupt(let file, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return nil
        }
        #expect(file.hasSuffix("/digits.csv"))
        return detail
    }

    @Test("Malformed lines are .corrupt naming the file and the line")
    func malformed() throws {
        let good = Self.line(0, label: 1)
        let tooFew = (0..<63).map { _ in "0" }.joined(separator: ",") + ",1"
        #expect(corruptDetail(good + "\n" + tooFew + "\n") ==
            "line 2: expected 65 comma-separated fields (64 pixel values and a label), found 64")
        #expect(corruptDetail(good + "\n" + good + ",0\n")?.hasPrefix("line 2: expected 65") == true)
        // Blank lines count: the bad line is line 4.
        let notNumber = good.replacingOccurrences(of: "^0,", with: "x1,", options: .regularExpression)
        #expect(corruptDetail(good + "\n\n" + good + "\n" + notNumber) ==
            "line 4, field 1 (pixel 1): \"x1\" is not a number")
        let empty = "," + good.drop(while: { $0 != "," }).dropFirst()
        #expect(corruptDetail(empty) == "line 1, field 1 (pixel 1): \"\" is not a number")
        let seventeen = "17" + good.drop(while: { $0 != "," })
        #expect(corruptDetail(seventeen) ==
            "line 1, field 1 (pixel 1): value 17 is out of range (must be an integer in 0...16)")
        let negative = good.replacingOccurrences(of: "^0,", with: "-1,", options: .regularExpression)
        #expect(corruptDetail(negative)?.contains("value -1 is out of range") == true)
        let fraction = good.replacingOccurrences(of: "^0,", with: "0.5,", options: .regularExpression)
        #expect(corruptDetail(fraction)?.contains("value 0.5 is out of range") == true)
        let badLabel = Self.line(0, label: 10)
        #expect(corruptDetail(good + "\n" + badLabel) ==
            "line 2, field 65 (the label): value 10 is out of range (must be an integer in 0...9)")
        #expect(corruptDetail("") == "the file holds no data lines")
        #expect(corruptDetail("\n\n") == "the file holds no data lines")
    }

    @Test("A missing file is .missingFiles with the places searched and how to produce it")
    func missing() throws {
        try withTemporaryDirectory { dir in
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { _ = try Digits.load(download: false, environment: env) }
            guard case .missingFiles(let dataset, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "sklearn digits")
            #expect(files == ["digits.csv[.gz]"])
            #expect(searched == [dir + "/data/sklearn-digits", dir + "/home/.cache/weft/datasets/sklearn-digits"])
            #expect(hint.contains("from sklearn.datasets import load_digits"))
            #expect(hint.contains(dir + "/data/sklearn-digits/digits.csv"))
            #expect(hint.contains("Downloading was disabled") && hint.contains(Digits.downloadURL))
        }
    }
}
