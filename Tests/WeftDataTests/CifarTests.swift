import Foundation
import Testing
import Weft
import WeftData

/// Small CIFAR files in the exact binary format: `records` records per file.
enum FakeCIFAR {
    /// The pixel at channel `c`, row `y`, column `x` of record `r` of file `f`.
    static func pixel(file f: Int, record r: Int, channel c: Int, row y: Int, col x: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: c * 80 + y * 5 + x * 3 + f * 17 + r * 29)
    }

    /// The (fine) label of record `r` of file `f`.
    static func label(file f: Int, record r: Int, classes: Int) -> UInt8 {
        UInt8((f * 3 + r * 7 + 1) % classes)
    }

    /// The coarse label of record `r` of file `f` (CIFAR-100).
    static func coarseLabel(file f: Int, record r: Int) -> UInt8 {
        UInt8((f * 5 + r * 3 + 2) % 20)
    }

    /// The image bytes of one record: R plane, G plane, B plane, each row-major.
    static func image(file f: Int, record r: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(3072)
        for c in 0..<3 { for y in 0..<32 { for x in 0..<32 { out.append(pixel(file: f, record: r, channel: c, row: y, col: x)) } } }
        return out
    }

    /// One CIFAR-10 batch file's bytes.
    static func batch10(file f: Int, records: Int = 3) -> [UInt8] {
        var out: [UInt8] = []
        for r in 0..<records { out += [label(file: f, record: r, classes: 10)] + image(file: f, record: r) }
        return out
    }

    /// One CIFAR-100 file's bytes: coarse label, fine label, image.
    static func batch100(file f: Int, records: Int = 3) -> [UInt8] {
        var out: [UInt8] = []
        for r in 0..<records {
            out += [coarseLabel(file: f, record: r), label(file: f, record: r, classes: 100)] + image(file: f, record: r)
        }
        return out
    }

    static let names10 = (0..<10).map { "class\($0)" }

    /// Writes a CIFAR-10 directory: the given training batches (1-based
    /// numbers, file index = number), the test batch (file index 0) and the
    /// meta file; `gzip` decides per file name.
    static func write10(
        to directory: String, batches: [Int] = [1, 2, 3, 4, 5], meta: Bool = true, gzip: (String) -> Bool = { _ in false }
    ) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [(String, [UInt8])] = batches.map { ("data_batch_\($0).bin", batch10(file: $0)) }
        files.append(("test_batch.bin", batch10(file: 0)))
        if meta { files.append(("batches.meta.txt", Array((names10.joined(separator: "\n") + "\n\n").utf8))) }
        for (name, bytes) in files {
            if gzip(name) {
                try writeFile(gzipCompress(bytes), to: directory + "/" + name + ".gz")
            } else {
                try writeFile(bytes, to: directory + "/" + name)
            }
        }
    }

    /// Writes a CIFAR-100 directory (train = file index 1, test = file index 0).
    static func write100(to directory: String, names: Bool = true, gzip: (String) -> Bool = { _ in false }) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [(String, [UInt8])] = [("train.bin", batch100(file: 1, records: 4)), ("test.bin", batch100(file: 0))]
        if names {
            files.append(("fine_label_names.txt", Array((0..<100).map { "fine\($0)" }.joined(separator: "\r\n").utf8)))
            files.append(("coarse_label_names.txt", Array((0..<20).map { "coarse\($0)" }.joined(separator: "\n").utf8)))
        }
        for (name, bytes) in files {
            if gzip(name) {
                try writeFile(gzipCompress(bytes), to: directory + "/" + name + ".gz")
            } else {
                try writeFile(bytes, to: directory + "/" + name)
            }
        }
    }
}

/// An environment that finds nothing and cannot download.
private let emptyEnvironment = DatasetEnvironment(dataDirectory: nil, home: nil)

@Suite("CIFAR-10 and CIFAR-100 loaders")
struct CifarTests {
    /// Checks a split's images and labels against the fixture, record by record.
    func expectMatches(_ split: CIFARSplit, files: [Int], records: Int = 3, cifar100: Bool = false) {
        #expect(split.count == files.count * records)
        #expect(split.images.count == split.count * 3072)
        var i = 0
        for f in files {
            for r in 0..<records {
                #expect(split.labels[i] == FakeCIFAR.label(file: f, record: r, classes: cifar100 ? 100 : 10))
                if cifar100 {
                    #expect(split.coarseLabels?[i] == FakeCIFAR.coarseLabel(file: f, record: r))
                }
                #expect(Array(split.images[(i * 3072)..<((i + 1) * 3072)]) == FakeCIFAR.image(file: f, record: r))
                i += 1
            }
        }
    }

    @Test("CIFAR-10: all five batches, test batch, meta names; channel planes land in NCHW")
    func cifar10() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir)
            let data = try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            expectMatches(data.train, files: [1, 2, 3, 4, 5])
            expectMatches(data.test, files: [0])
            #expect(data.train.files == (1...5).map { dir + "/data_batch_\($0).bin" })
            #expect(data.test.files == [dir + "/test_batch.bin"])
            #expect(data.train.coarseLabels == nil)
            #expect(data.labelNames == FakeCIFAR.names10)
            #expect(data.coarseLabelNames == nil)
            // Pixel placement, spelled out: record 1 of batch 2, green plane, row 3, column 4.
            let index = (1 * 3 + 1) * 3072 + 1 * 1024 + 3 * 32 + 4
            #expect(data.train.images[index] == FakeCIFAR.pixel(file: 2, record: 1, channel: 1, row: 3, col: 4))
            #expect(data.train.images[index] == UInt8(80 + 15 + 12 + 34 + 29))
        }
    }

    @Test("imageTensor is [N, 3, 32, 32] float32 (/255 when normalized); labelTensor is int32 [N]")
    func tensors() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [3])
            let split = try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment).train
            let x = split.imageTensor()
            #expect(x.shape == [3, 3, 32, 32])
            #expect(x.dtype == .float32)
            let values = x.scalars(as: Float.self)
            #expect(values.count == split.images.count)
            for k in stride(from: 0, to: values.count, by: 97) {
                #expect(values[k] == Float(split.images[k]) / 255)
            }
            let raw = split.imageTensor(normalized: false)
            #expect(raw.shape == [3, 3, 32, 32])
            #expect(raw.scalars(as: Float.self) == split.images.map { Float($0) })
            let y = split.labelTensor()
            #expect(y.shape == [3])
            #expect(y.dtype == .int32)
            #expect(y.scalars(as: Int32.self) == split.labels.map { Int32($0) })
            #expect(split.coarseLabelTensor() == nil)
        }
    }

    @Test("CIFAR-10 uses whichever training batches are present, in order, and says which")
    func someBatches() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [4, 2])
            let data = try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            expectMatches(data.train, files: [2, 4])
            #expect(data.train.files == [dir + "/data_batch_2.bin", dir + "/data_batch_4.bin"])
        }
    }

    @Test("Gzipped files (batches, test, meta) are read; a missing meta file gives the official names")
    func gzipVariants() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [1, 2], gzip: { $0 != "data_batch_2.bin" })
            let data = try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            expectMatches(data.train, files: [1, 2])
            expectMatches(data.test, files: [0])
            #expect(data.train.files == [dir + "/data_batch_1.bin.gz", dir + "/data_batch_2.bin"])
            #expect(data.labelNames == FakeCIFAR.names10)
        }
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [1], meta: false)
            let data = try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            #expect(data.labelNames == ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
        }
    }

    @Test("The archive's subdirectory is accepted, in an explicit directory and under WEFT_DATA_DIR")
    func archiveSubdirectory() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir + "/x/cifar-10-batches-bin", batches: [5])
            let data = try CIFAR.load10(directory: dir + "/x", download: false, environment: emptyEnvironment)
            expectMatches(data.train, files: [5])

            try FakeCIFAR.write10(to: dir + "/root/cifar-10/cifar-10-batches-bin", batches: [1, 3])
            let env = DatasetEnvironment(dataDirectory: dir + "/root", home: dir + "/home")
            let viaEnv = try CIFAR.load10(download: false, environment: env)
            expectMatches(viaEnv.train, files: [1, 3])
            #expect(viaEnv.train.files.first == dir + "/root/cifar-10/cifar-10-batches-bin/data_batch_1.bin")

            try FakeCIFAR.write100(to: dir + "/root/cifar-100/cifar-100-binary")
            let c100 = try CIFAR.load100(download: false, environment: env)
            #expect(c100.train.count == 4)
        }
    }

    @Test("CIFAR-100: coarse and fine labels, both name files, gz variants")
    func cifar100() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write100(to: dir, gzip: { $0 == "test.bin" || $0 == "coarse_label_names.txt" })
            let data = try CIFAR.load100(directory: dir, download: false, environment: emptyEnvironment)
            expectMatches(data.train, files: [1], records: 4, cifar100: true)
            expectMatches(data.test, files: [0], cifar100: true)
            #expect(data.labelNames == (0..<100).map { "fine\($0)" })
            #expect(data.coarseLabelNames == (0..<20).map { "coarse\($0)" })
            #expect(data.train.coarseLabelTensor()?.scalars(as: Int32.self) == data.train.coarseLabels?.map { Int32($0) })
            #expect(data.test.files == [dir + "/test.bin.gz"])
        }
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write100(to: dir, names: false)
            let data = try CIFAR.load100(directory: dir, download: false, environment: emptyEnvironment)
            #expect(data.labelNames.count == 100)
            #expect(data.labelNames.first == "apple")
            #expect(data.labelNames.last == "worm")
            #expect(data.coarseLabelNames?.count == 20)
            #expect(data.coarseLabelNames?.first == "aquatic_mammals")
        }
    }

    // MARK: - Errors

    @Test("A file whose size is not a whole number of records is .truncated, naming the file and the record count")
    func partialRecord() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [1, 2])
            let path = dir + "/data_batch_2.bin"
            try writeFile(FakeCIFAR.batch10(file: 2) + [1, 2, 3], to: path)
            let error = #expect(throws: DatasetError.self) {
                try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            }
            #expect(error == .truncated(
                file: path, expected: 4 * 3073, actual: 3 * 3073 + 3,
                context: "CIFAR-10 records are 3073 bytes each; the file holds 3 whole records and 3 more bytes, "
                    + "so record 4 needs 12292 bytes"))
            #expect(error?.description.contains("data_batch_2.bin") == true)
        }
        // CIFAR-100 records are 3074 bytes: a CIFAR-10 file is not a whole number of them.
        let error = #expect(throws: DatasetError.self) {
            try CIFAR.parseBatch(FakeCIFAR.batch10(file: 1, records: 2), file: "t.bin", variant: .cifar100)
        }
        guard case .truncated(let file, _, _, let context) = error else {
            Issue.record("expected .truncated, got \(String(describing: error))"); return
        }
        #expect(file == "t.bin")
        #expect(context.contains("1 whole record and 3072 more bytes"))
    }

    @Test("An empty batch file is .corrupt")
    func emptyFile() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [1])
            try writeFile([], to: dir + "/test_batch.bin")
            let error = #expect(throws: DatasetError.self) {
                try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            }
            guard case .corrupt(let file, _) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))"); return
            }
            #expect(file == dir + "/test_batch.bin")
        }
    }

    @Test("Labels out of range (>= 10; fine >= 100; coarse >= 20) are .corrupt, naming file and record")
    func labelOutOfRange() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [1])
            var bytes = FakeCIFAR.batch10(file: 1)
            bytes[2 * 3073] = 10
            try writeFile(bytes, to: dir + "/data_batch_1.bin")
            let error = #expect(throws: DatasetError.self) {
                try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            }
            #expect(error == .corrupt(
                file: dir + "/data_batch_1.bin",
                detail: "label 10 of record 2 (at byte 6146) is out of range (must be 0...9)"))
        }
        var fine = FakeCIFAR.batch100(file: 1)
        fine[3074 + 1] = 100
        #expect(throws: DatasetError.corrupt(
            file: "f.bin", detail: "fine label 100 of record 1 (at byte 3074) is out of range (must be 0...99)")) {
            try CIFAR.parseBatch(fine, file: "f.bin", variant: .cifar100)
        }
        var coarse = FakeCIFAR.batch100(file: 1)
        coarse[0] = 20
        #expect(throws: DatasetError.corrupt(
            file: "c.bin", detail: "coarse label 20 of record 0 (at byte 0) is out of range (must be 0...19)")) {
            try CIFAR.parseBatch(coarse, file: "c.bin", variant: .cifar100)
        }
        // 99 and 19 are fine.
        var edge = FakeCIFAR.batch100(file: 1, records: 1)
        edge[0] = 19
        edge[1] = 99
        let split = try CIFAR.parseBatch(edge, file: "e.bin", variant: .cifar100)
        #expect(split.labels == [99])
        #expect(split.coarseLabels == [19])
    }

    @Test("A names file with the wrong number of names is .corrupt")
    func badMeta() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [1])
            try writeFile(Array("a\nb\nc\n".utf8), to: dir + "/batches.meta.txt")
            let error = #expect(throws: DatasetError.self) {
                try CIFAR.load10(directory: dir, download: false, environment: emptyEnvironment)
            }
            #expect(error == .corrupt(
                file: dir + "/batches.meta.txt", detail: "expected 10 class names (one per line), found 3"))
        }
    }

    @Test("No training batch is .missingFiles naming the batches, the places searched and how to get them")
    func noTrainingBatch() throws {
        try withTemporaryDirectory { dir in
            try FakeCIFAR.write10(to: dir, batches: [])
            let error = #expect(throws: DatasetError.self) {
                try CIFAR.load10(directory: dir, download: true, environment: emptyEnvironment)
            }
            guard case .missingFiles(let dataset, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "CIFAR-10")
            #expect(files == ["data_batch_1.bin[.gz] … data_batch_5.bin[.gz] (at least one)"])
            #expect(searched == [dir, dir + "/cifar-10-batches-bin"])
            #expect(hint.contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"))
            #expect(hint.contains("c32a1d4ab5d03f1284b67883e8d87530"))
            #expect(hint.contains("only looked for in the directory given"))
        }
    }

    @Test("Nothing anywhere, download disabled: .missingFiles lists both places per directory")
    func nothingOffline() throws {
        try withTemporaryDirectory { dir in
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try CIFAR.load100(download: false, environment: env) }
            guard case .missingFiles(let dataset, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "CIFAR-100")
            #expect(files == ["train.bin[.gz]", "test.bin[.gz]"])
            let cache = dir + "/home/.cache/weft/datasets/cifar-100"
            #expect(searched == [
                dir + "/data/cifar-100", dir + "/data/cifar-100/cifar-100-binary", cache, cache + "/cifar-100-binary",
            ])
            #expect(hint.contains("Downloading was disabled"))
            #expect(hint.contains("cifar-100-binary.tar.gz"))
            #expect(hint.contains("03b5dce01913d631647c71ecec9e9cb8"))
            #expect(hint.contains("WEFT_DATA_DIR"))
        }
    }

    // MARK: - Download and extraction (file:// URLs; no network)

    /// Writes a CIFAR-10 `.tar.gz` laid out like the official one and returns its path.
    static func makeArchive10(in dir: String, batches: [Int] = [1, 2, 3, 4, 5]) throws -> String {
        try FakeCIFAR.write10(to: dir + "/pack/cifar-10-batches-bin", batches: batches)
        try writeFile(Array("<html></html>".utf8), to: dir + "/pack/cifar-10-batches-bin/readme.html")
        try runTar(["-czf", dir + "/cifar-10-binary.tar.gz", "cifar-10-batches-bin"], in: dir + "/pack")
        return dir + "/cifar-10-binary.tar.gz"
    }

    @Test("Download: the archive is fetched, MD5-checked, extracted into the cache, and deleted")
    func downloadAndExtract() throws {
        try withTemporaryDirectory { dir in
            let archive = try Self.makeArchive10(in: dir)
            let md5 = MD5.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: archive))))
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let source = CIFARArchiveSource(url: "file://" + archive, md5: md5.uppercased())
            let data = try CIFAR.load10(environment: env, source: source)
            expectMatches(data.train, files: [1, 2, 3, 4, 5])
            expectMatches(data.test, files: [0])
            #expect(data.labelNames == FakeCIFAR.names10)
            let cache = dir + "/home/.cache/weft/datasets/cifar-10"
            #expect(directoryEntries(cache) == ((1...5).map { "data_batch_\($0).bin" } + ["batches.meta.txt", "test_batch.bin"]).sorted())
            // A second load finds the extracted files: no download (the source is gone).
            try FileManager.default.removeItem(atPath: archive)
            let again = try CIFAR.load10(environment: env, source: source)
            #expect(again == data)
        }
    }

    @Test("Download with the wrong MD5: .checksumMismatch, and nothing is left in the cache")
    func downloadWrongMD5() throws {
        try withTemporaryDirectory { dir in
            let archive = try Self.makeArchive10(in: dir)
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let wrong = String(repeating: "0", count: 32)
            let error = #expect(throws: DatasetError.self) {
                try CIFAR.load10(environment: env, source: CIFARArchiveSource(url: "file://" + archive, md5: wrong))
            }
            guard case .checksumMismatch(let file, let expected, let actual) = error else {
                Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
            }
            #expect(file == "file://" + archive)
            #expect(expected == wrong)
            #expect(actual == MD5.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))))
            #expect(directoryEntries(dir + "/home/.cache/weft/datasets/cifar-10").isEmpty)
        }
    }

    @Test("A failed download is .missingFiles with curl's reason and how to get the files")
    func downloadFails() throws {
        try withTemporaryDirectory { dir in
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let source = CIFARArchiveSource(url: "file://" + dir + "/absent.tar.gz", md5: String(repeating: "0", count: 32))
            let error = #expect(throws: DatasetError.self) { try CIFAR.load10(environment: env, source: source) }
            guard case .missingFiles(_, let files, _, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(files.count == 2)
            #expect(hint.contains("Downloading file://" + dir + "/absent.tar.gz failed"))
            #expect(directoryEntries(dir + "/home/.cache/weft/datasets/cifar-10").isEmpty)
        }
    }

    @Test("extractArchive takes the data files only, the test file last; an archive without them is .corrupt")
    func extractArchive() throws {
        try withTemporaryDirectory { dir in
            let archive = try Self.makeArchive10(in: dir, batches: [2, 3])
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
            let written = try CIFAR.extractArchive(bytes, file: archive, variant: .cifar10, into: dir + "/out")
            #expect(written.map { ($0 as NSString).lastPathComponent }
                == ["data_batch_2.bin", "data_batch_3.bin", "batches.meta.txt", "test_batch.bin"])
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/readme.html"))

            // A CIFAR-10 archive holds no CIFAR-100 files.
            let error = #expect(throws: DatasetError.self) {
                try CIFAR.extractArchive(bytes, file: archive, variant: .cifar100, into: dir + "/out100")
            }
            guard case .corrupt(let file, let detail) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))"); return
            }
            #expect(file == archive)
            #expect(detail.contains("cifar-100-binary/test.bin"))
            #expect(directoryEntries(dir + "/out100").isEmpty)
        }
    }
}

@Suite("Cifar: MD5 (RFC 1321)")
struct CifarMD5Tests {
    @Test("The RFC 1321 test suite")
    func rfc1321() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, digest) in vectors {
            #expect(MD5.hex(Array(input.utf8)) == digest, "MD5(\"\(input)\")")
        }
        #expect(MD5.hash([]).count == 16)
    }

    @Test("Lengths around the 64-byte block and padding boundaries agree with /usr/bin/md5sum")
    func boundaries() throws {
        try withTemporaryDirectory { dir in
            for length in [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100_003] {
                let bytes = pseudoRandomBytes(length, seed: UInt64(length) &* 0x1234_5679 | 1)
                let path = dir + "/b\(length)"
                try writeFile(bytes, to: path)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/md5sum")
                process.arguments = [path]
                let pipe = Pipe()
                process.standardOutput = pipe
                try process.run()
                let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                let expected = String(output.prefix(32))
                #expect(MD5.hex(bytes) == expected, "length \(length)")
            }
        }
    }
}
