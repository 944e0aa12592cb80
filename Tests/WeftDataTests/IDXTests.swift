import Foundation
import Testing
import WeftData

@Suite("IDX parsing")
struct IDXTests {
    @Test("A good images file parses, plain and gzipped")
    func good() throws {
        let pixels = FakeMNIST.images(count: 2)
        let bytes = idxFile(dims: [2, 28, 28], data: pixels)
        let parsed = try IDX.parse(bytes, file: "img", rank: 3)
        #expect(parsed.shape == [2, 28, 28])
        #expect(parsed.bytes == pixels)

        try withTemporaryDirectory { dir in
            try writeFile(gzipCompress(bytes), to: dir + "/img.gz")
            try writeFile(bytes, to: dir + "/img")
            #expect(try IDX.load(path: dir + "/img.gz", rank: 3) == parsed)
            #expect(try IDX.load(path: dir + "/img", rank: nil) == parsed)
        }
    }

    @Test("A labels file with one dimension parses")
    func labels() throws {
        let parsed = try IDX.parse(idxFile(dims: [4], data: [5, 0, 4, 1]), file: "lbl", rank: 1)
        #expect(parsed.shape == [4])
        #expect(parsed.bytes == [5, 0, 4, 1])
    }

    @Test("Wrong magic is rejected with .badMagic")
    func wrongMagic() throws {
        var bytes = idxFile(dims: [1, 28, 28], data: FakeMNIST.images(count: 1))
        bytes[0] = 0x12
        let error = #expect(throws: DatasetError.self) { try IDX.parse(bytes, file: "train-images-idx3-ubyte", rank: 3) }
        #expect(error == .badMagic(file: "train-images-idx3-ubyte", expected: 0x0803, found: 0x1200_0803))
        #expect(error?.description.contains("train-images-idx3-ubyte") == true)
        #expect(error?.description.contains("0x00000803") == true)
    }

    @Test("Wrong rank (labels file where images expected) is rejected")
    func wrongRank() throws {
        let bytes = idxFile(dims: [3], data: [1, 2, 3])
        let error = #expect(throws: DatasetError.self) { try IDX.parse(bytes, file: "f", rank: 3) }
        #expect(error == .badMagic(file: "f", expected: 0x0803, found: 0x0801))
    }

    @Test("Unsupported element types are named in the error", arguments: [UInt8(0x0D), 0x0C, 0x42])
    func otherTypes(type: UInt8) throws {
        let bytes = idxFile(type: type, dims: [1], data: [0, 0, 0, 0])
        let error = #expect(throws: DatasetError.self) { try IDX.parse(bytes, file: "f", rank: 1) }
        guard case .badMagic(_, let expected, let found) = error else {
            Issue.record("expected .badMagic, got \(String(describing: error))"); return
        }
        #expect(expected == 0x0801)
        #expect(found == UInt32(type) << 8 | 1)
        let description = error?.description ?? ""
        if type == 0x0D { #expect(description.contains("float32")) }
        if type == 0x0C { #expect(description.contains("int32")) }
        if type == 0x42 { #expect(description.contains("unknown IDX element type 0x42")) }
    }

    @Test("Gzip data that was not decompressed is explained")
    func undecompressed() throws {
        let gz = gzipCompress(idxFile(dims: [1], data: [1]))
        let error = #expect(throws: DatasetError.self) { try IDX.parse(gz, file: "f.gz", rank: 1) }
        #expect(error?.description.contains("not decompressed") == true)
    }

    @Test("Truncated data is .truncated with the header's arithmetic in the message")
    func truncatedData() throws {
        let bytes = idxFile(dims: [60000, 28, 28], data: [UInt8](repeating: 1, count: 1200))
        let error = #expect(throws: DatasetError.self) {
            try IDX.parse(bytes, file: "train-images-idx3-ubyte.gz", rank: 3, elementName: "pixels")
        }
        #expect(error == .truncated(
            file: "train-images-idx3-ubyte.gz", expected: 47_040_000, actual: 1200,
            context: "header says 60000×28×28 = 47040000 bytes of pixels"))
        #expect(error?.description
            == "train-images-idx3-ubyte.gz: truncated: header says 60000×28×28 = 47040000 bytes of pixels, file has 1200")
    }

    @Test("Truncated header is .truncated", arguments: [0, 3, 4, 10, 15])
    func truncatedHeader(length: Int) throws {
        let full = idxFile(dims: [2, 28, 28], data: [])
        let error = #expect(throws: DatasetError.self) {
            try IDX.parse(Array(full.prefix(length)), file: "hdr", rank: 3)
        }
        guard case .truncated(let file, let expected, let actual, _) = error else {
            Issue.record("expected .truncated, got \(String(describing: error))"); return
        }
        #expect(file == "hdr")
        #expect(actual == length)
        #expect(expected == (length < 4 ? 4 : 16))
    }

    @Test("Trailing bytes after the data are .corrupt")
    func trailing() throws {
        let bytes = idxFile(dims: [3], data: [1, 2, 3, 99, 98])
        let error = #expect(throws: DatasetError.self) { try IDX.parse(bytes, file: "lbl", rank: 1) }
        guard case .corrupt(let file, let detail) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(file == "lbl")
        #expect(detail.contains("2 unexpected trailing bytes"))
    }

    @Test("Absurd dimensions throw without allocating", arguments: [
        [UInt32(1) << 31, 1 << 31, 1 << 31],  // product overflows Int
        [UInt32.max, UInt32.max, UInt32.max],  // product overflows Int
        [UInt32(1) << 31, 1 << 31, 1],         // 2^62 elements: no overflow, far beyond the file
        [UInt32(1) << 31, 28, 28],             // 2^31 images of 28×28
    ])
    func absurdDimensions(dims: [UInt32]) throws {
        let bytes = idxFile(dims: dims, data: [1, 2, 3, 4])
        let error = #expect(throws: DatasetError.self) { try IDX.parse(bytes, file: "huge", rank: 3) }
        switch error {
        case .badShape(let file, let detail)?:
            #expect(file == "huge")
            #expect(detail.contains("overflow"))
        case .truncated(let file, _, let actual, _)?:
            #expect(file == "huge")
            #expect(actual == 4)
        default:
            Issue.record("expected .badShape or .truncated, got \(String(describing: error))")
        }
    }

    @Test("Absurd dimensions in a gzipped file on disk throw too")
    func absurdOnDisk() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/train-images-idx3-ubyte.gz"
            try writeFile(gzipCompress(idxFile(dims: [1 << 31, 1 << 31, 28], data: [0])), to: path)
            let error = #expect(throws: DatasetError.self) { try IDX.load(path: path, rank: 3) }
            #expect(error?.description.contains("train-images-idx3-ubyte.gz") == true)
        }
    }

    @Test("A missing file is .fileNotFound")
    func missing() throws {
        #expect(throws: DatasetError.fileNotFound("/nonexistent/weft/file")) {
            try IDX.load(path: "/nonexistent/weft/file")
        }
    }
}
