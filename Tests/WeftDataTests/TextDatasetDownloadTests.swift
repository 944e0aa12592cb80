import Foundation
import Testing
import Weft
import WeftData

// Downloads of IMDB, bAbI and sklearn digits, through file:// mirrors built
// here (curl reads file:// URLs; there is no network).

private func fileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Every entry under `path`, relative, sorted (hidden ones included).
private func treeEntries(_ path: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
    return (enumerator.allObjects as? [String] ?? []).sorted()
}

// MARK: - IMDB

private enum MirrorIMDB {
    static let wordIndex = #"{"the": 1, "movie": 2, "great": 3, "bad": 4}"#
    static let reviews: [(String, String)] = [
        ("train/neg/2_1.txt", "The movie was BAD!"),
        ("train/neg/10_2.txt", "bad bad"),
        ("train/pos/0_9.txt", "Great movie."),
        ("train/pos/11_7.txt", "great great the"),
        ("test/neg/0_1.txt", "the"),
        ("test/pos/0_10.txt", "great"),
    ]

    /// Builds `dir/mirror/aclImdb_v1.tar.gz` (with unsup/, .feat and urls
    /// files that must not be extracted) and `dir/mirror/imdb_word_index.json`,
    /// and returns a source pointing at them with their MD5s.
    static func make(in dir: String, omit: String? = nil) throws -> IMDBDownloadSource {
        let pack = dir + "/pack"
        for (path, text) in reviews where !path.hasPrefix(omit ?? "\u{0}") {
            try writeTextFixture(text, to: pack + "/aclImdb/" + path)
        }
        try writeTextFixture("unlabelled", to: pack + "/aclImdb/train/unsup/0_0.txt")
        try writeTextFixture("0 0:1", to: pack + "/aclImdb/train/labeledBow.feat")
        try writeTextFixture("http://example.com", to: pack + "/aclImdb/train/urls_pos.txt")
        try writeTextFixture("the\nmovie", to: pack + "/aclImdb/imdb.vocab")
        try writeTextFixture("Large Movie Review Dataset v1.0", to: pack + "/aclImdb/README")
        try FileManager.default.createDirectory(atPath: dir + "/mirror", withIntermediateDirectories: true)
        try runTar(["-czf", dir + "/mirror/aclImdb_v1.tar.gz", "aclImdb"], in: pack)
        try writeTextFixture(wordIndex, to: dir + "/mirror/imdb_word_index.json")
        return IMDBDownloadSource(
            reviews: DownloadSource(
                url: "file://" + dir + "/mirror/aclImdb_v1.tar.gz",
                md5: MD5.hex(try fileBytes(dir + "/mirror/aclImdb_v1.tar.gz")).uppercased()),
            wordIndex: DownloadSource(
                url: "file://" + dir + "/mirror/imdb_word_index.json",
                md5: MD5.hex(try fileBytes(dir + "/mirror/imdb_word_index.json"))))
    }
}

@Suite("IMDB download (file:// mirror)")
struct IMDBDownloadTests {
    @Test("The archive and the word index are fetched, checked, extracted (not unsup/ nor .feat/urls), archive deleted")
    func downloadAndExtract() throws {
        try withTemporaryDirectory { dir in
            let source = try MirrorIMDB.make(in: dir)
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let data = try IMDB.load(maxLen: nil, environment: env, source: source)
            #expect(data.train.count == 4)
            #expect(data.test.count == 2)
            #expect(data.train.labels == [0, 1, 0, 1])
            #expect(data.test.sequences == [[1, 4], [1, 6]])
            #expect(data.wordIndex == ["the": 1, "movie": 2, "great": 3, "bad": 4])
            let cache = dir + "/home/.cache/weft/datasets/imdb"
            #expect(treeEntries(cache) == [
                "aclImdb", "aclImdb/README", "aclImdb/test", "aclImdb/test/neg", "aclImdb/test/neg/0_1.txt",
                "aclImdb/test/pos", "aclImdb/test/pos/0_10.txt", "aclImdb/train", "aclImdb/train/neg",
                "aclImdb/train/neg/10_2.txt", "aclImdb/train/neg/2_1.txt", "aclImdb/train/pos",
                "aclImdb/train/pos/0_9.txt", "aclImdb/train/pos/11_7.txt", "imdb_word_index.json",
            ])
            #expect(directoryEntries(dir + "/data").isEmpty)  // never into WEFT_DATA_DIR
            // The second load finds the cache: the mirror is gone.
            try FileManager.default.removeItem(atPath: dir + "/mirror")
            let again = try IMDB.load(maxLen: nil, environment: env, source: source)
            #expect(again.train.sequences == data.train.sequences && again.test.sequences == data.test.sequences)
        }
    }

    @Test("Only what the cache lacks is downloaded: the word index alone")
    func onlyWordIndex() throws {
        try withTemporaryDirectory { dir in
            var source = try MirrorIMDB.make(in: dir)
            let cache = dir + "/home/.cache/weft/datasets/imdb"
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            try runTar(["-xzf", dir + "/mirror/aclImdb_v1.tar.gz", "-C", cache], in: dir)
            source.reviews = DownloadSource(url: "file://" + dir + "/absent.tar.gz", md5: String(repeating: "0", count: 32))
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let data = try IMDB.load(environment: env, source: source)
            #expect(data.train.count == 4)
            #expect(isFile(cache + "/imdb_word_index.json"))
        }
    }

    @Test("An incomplete aclImdb/ in the cache is replaced by the complete extraction")
    func replacesIncompleteCopy() throws {
        try withTemporaryDirectory { dir in
            let source = try MirrorIMDB.make(in: dir)
            let cache = dir + "/home/.cache/weft/datasets/imdb"
            try writeTextFixture("stale", to: cache + "/aclImdb/train/neg/99_1.txt")
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let data = try IMDB.load(environment: env, source: source)
            #expect(data.train.count == 4)
            #expect(!FileManager.default.fileExists(atPath: cache + "/aclImdb/train/neg/99_1.txt"))
            #expect(directoryEntries(cache) == ["aclImdb", "imdb_word_index.json"])
        }
    }

    @Test("A wrong MD5 is .checksumMismatch; no aclImdb/, archive or temporary file is left")
    func wrongMD5() throws {
        try withTemporaryDirectory { dir in
            var source = try MirrorIMDB.make(in: dir)
            source.reviews.checksum = .md5(String(repeating: "a", count: 32))
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try IMDB.load(environment: env, source: source) }
            guard case .checksumMismatch(let file, _, _) = error else {
                Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
            }
            #expect(file == source.reviews.url)
            // The verified word index may stay; nothing else does.
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/imdb") == ["imdb_word_index.json"])

            source = try MirrorIMDB.make(in: dir + "/2")
            source.wordIndex.checksum = .md5(String(repeating: "b", count: 32))
            let env2 = DatasetEnvironment(dataDirectory: nil, home: dir + "/home2")
            #expect(throws: DatasetError.self) { try IMDB.load(environment: env2, source: source) }
            #expect(treeEntries(dir + "/home2/.cache/weft/datasets/imdb").isEmpty)
        }
    }

    @Test("An archive lacking a review folder is .corrupt and leaves no aclImdb/")
    func incompleteArchive() throws {
        try withTemporaryDirectory { dir in
            let source = try MirrorIMDB.make(in: dir, omit: "test/pos")
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try IMDB.load(environment: env, source: source) }
            guard case .corrupt(_, let detail) = error else {
                Issue.record("expected .corrupt, got \(String(describing: error))"); return
            }
            #expect(detail.contains("aclImdb/test/pos/"))
            let cache = dir + "/home/.cache/weft/datasets/imdb"
            #expect(!FileManager.default.fileExists(atPath: cache + "/aclImdb"))
            #expect(!directoryEntries(cache).contains { $0.hasPrefix(".") })
        }
    }

    @Test("A failed download (or download: false) is .missingFiles with the places searched and the URLs")
    func failedDownload() throws {
        try withTemporaryDirectory { dir in
            let source = IMDBDownloadSource(
                reviews: DownloadSource(url: "file://" + dir + "/absent.tar.gz", md5: String(repeating: "0", count: 32)),
                wordIndex: DownloadSource(url: "file://" + dir + "/absent.json", md5: String(repeating: "0", count: 32)))
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try IMDB.load(environment: env, source: source) }
            guard case .missingFiles(let dataset, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "IMDB")
            #expect(files.count == 5)
            #expect(searched == [dir + "/data/imdb", dir + "/home/.cache/weft/datasets/imdb"])
            #expect(hint.contains("Downloading file://" + dir + "/absent.json failed"))
            #expect(hint.contains(source.reviews.url) && hint.contains(source.wordIndex.url))
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/imdb").isEmpty)

            let offline = #expect(throws: DatasetError.self) {
                try IMDB.load(download: false, environment: env, source: try MirrorIMDB.make(in: dir + "/m"))
            }
            guard case .missingFiles(_, _, _, let hint2) = offline else {
                Issue.record("expected .missingFiles, got \(String(describing: offline))"); return
            }
            #expect(hint2.contains("Downloading was disabled"))
            #expect(hint2.contains(IMDB.reviewsURL) == false)  // the source's URLs are named
            #expect(!FileManager.default.fileExists(atPath: dir + "/home/.cache/weft/datasets/imdb/aclImdb"))
        }
    }

    @Test("An explicit directory is never downloaded into")
    func explicitDirectory() throws {
        try withTemporaryDirectory { dir in
            let source = try MirrorIMDB.make(in: dir)
            try FileManager.default.createDirectory(atPath: dir + "/explicit", withIntermediateDirectories: true)
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            #expect(throws: DatasetError.self) { try IMDB.load(directory: dir + "/explicit", environment: env, source: source) }
            #expect(directoryEntries(dir + "/explicit").isEmpty)
            #expect(!FileManager.default.fileExists(atPath: dir + "/home/.cache"))
        }
    }

    @Test("The official word-index MD5 matches the shared copy")
    func officialWordIndexChecksum() throws {
        guard let root = datasetsRootForDigitsAndPM25() else { return }
        guard case .md5(let md5) = IMDBDownloadSource.official.wordIndex.checksum else {
            Issue.record("expected an MD5"); return
        }
        #expect(MD5.hex(try fileBytes(root + "/imdb/imdb_word_index.json")) == md5)
        #expect(IMDBDownloadSource.official.reviews.checksum == .md5("7c2ac02c03563afcf9b574c7e56c153a"))
        #expect(IMDBDownloadSource.official.reviews.url == IMDB.reviewsURL)
    }
}

private func isFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
}

// MARK: - sklearn digits

@Suite("sklearn digits download (file:// mirror)")
struct DigitsDownloadTests {
    static let text = (0..<3).map { row in
        ((0..<64).map { String(($0 + row) % 17) } + [String(row)]).joined(separator: ",")
    }.joined(separator: "\n") + "\n"

    static func mirror(in dir: String) throws -> DownloadSource {
        let gz = gzipCompress(Array(text.utf8))
        try FileManager.default.createDirectory(atPath: dir + "/mirror", withIntermediateDirectories: true)
        try writeFile(gz, to: dir + "/mirror/digits.csv.gz")
        return DownloadSource(url: "file://" + dir + "/mirror/digits.csv.gz", sha256: SHA256.hex(gz))
    }

    @Test("digits.csv.gz is fetched into the cache, SHA-256 checked, and found there next time")
    func download() throws {
        try withTemporaryDirectory { dir in
            let source = try Self.mirror(in: dir)
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let raw = try Digits.loadRaw(environment: env, source: source)
            #expect(raw.labels == [0, 1, 2])
            #expect(raw.pixels.count == 3 * 64)
            #expect(Array(raw.pixels[64..<68]) == [1, 2, 3, 4])
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/sklearn-digits") == ["digits.csv.gz"])
            #expect(directoryEntries(dir + "/data").isEmpty)
            try FileManager.default.removeItem(atPath: dir + "/mirror")
            let (x, y) = try Digits.load(environment: env, source: source)
            #expect(x.shape == [3, 64])
            #expect(y.shape == [3])
        }
    }

    @Test("A wrong SHA-256 is .checksumMismatch and nothing is left in the cache")
    func wrongChecksum() throws {
        try withTemporaryDirectory { dir in
            var source = try Self.mirror(in: dir)
            source.checksum = .sha256(String(repeating: "0", count: 64))
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try Digits.loadRaw(environment: env, source: source) }
            guard case .checksumMismatch(let file, _, let actual) = error else {
                Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
            }
            #expect(file == source.url)
            #expect(actual == SHA256.hex(gzipCompress(Array(Self.text.utf8))))
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/sklearn-digits").isEmpty)
        }
    }

    @Test("A failed download is .missingFiles naming the URL, the places searched and how to produce the file")
    func failedDownload() throws {
        try withTemporaryDirectory { dir in
            let source = DownloadSource(url: "file://" + dir + "/absent.csv.gz", sha256: String(repeating: "0", count: 64))
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try Digits.loadRaw(environment: env, source: source) }
            guard case .missingFiles(_, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(files == ["digits.csv[.gz]"])
            #expect(searched == [dir + "/home/.cache/weft/datasets/sklearn-digits"])
            #expect(hint.contains("Downloading file://" + dir + "/absent.csv.gz failed"))
            #expect(hint.contains("load_digits"))
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/sklearn-digits").isEmpty)
        }
    }

    @Test("The official SHA-256 matches the shared copy")
    func officialChecksum() throws {
        guard let root = datasetsRootForDigitsAndPM25() else { return }
        #expect(Digits.officialSource.checksum == .sha256(SHA256.hex(try fileBytes(root + "/sklearn-digits/digits.csv.gz"))))
        #expect(Digits.officialSource.url.hasSuffix("sklearn/datasets/data/digits.csv.gz"))
    }
}

// MARK: - bAbI

private enum MirrorBAbI {
    static let train = "1 Mary moved to the bathroom.\n2 Where is Mary? \tbathroom\t1\n"
    static let test = "1 John went to the hallway.\n2 Where is John? \thallway\t1\n"
    static let train10k = train + "1 Sandra went to the office.\n2 Where is Sandra?\toffice\t1\n"

    static var files: [String: String] {
        let names = BAbI.fileNames(task: 1)
        return [
            "en/" + names.train: train, "en/" + names.test: test,
            "en-10k/" + names.train: train10k, "en-10k/" + names.test: test,
        ]
    }

    /// Builds `dir/mirror/tasks_1-20_v1-2.tar.gz` with task 1 of en/ and
    /// en-10k/ (plus hn/ and shuffled/ files that are not extracted) and
    /// returns a source with the files' SHA-256.
    static func make(in dir: String) throws -> BAbIDownloadSource {
        let pack = dir + "/pack/tasks_1-20_v1-2"
        for (path, text) in files { try writeTextFixture(text, to: pack + "/" + path) }
        try writeTextFixture(train, to: pack + "/hn/" + BAbI.fileNames(task: 1).train)
        try writeTextFixture(train, to: pack + "/shuffled/" + BAbI.fileNames(task: 1).train)
        try writeTextFixture("readme", to: pack + "/README.txt")
        try FileManager.default.createDirectory(atPath: dir + "/mirror", withIntermediateDirectories: true)
        try runTar(["-czf", dir + "/mirror/tasks_1-20_v1-2.tar.gz", "tasks_1-20_v1-2"], in: dir + "/pack")
        return BAbIDownloadSource(
            url: "file://" + dir + "/mirror/tasks_1-20_v1-2.tar.gz",
            sha256: files.mapValues { SHA256.hex(Array($0.utf8)) })
    }
}

@Suite("bAbI download (file:// mirror)")
struct BAbIDownloadTests {
    @Test("The archive is fetched; its en/ and en-10k/ qa files are SHA-256 checked and extracted into the cache")
    func downloadAndExtract() throws {
        try withTemporaryDirectory { dir in
            let source = try MirrorBAbI.make(in: dir)
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let data = try BAbI.load(task: 1, environment: env, source: source)
            #expect(data.train.count == 1)
            #expect(data.test.count == 1)
            let cache = dir + "/home/.cache/weft/datasets/babi"
            let names = BAbI.fileNames(task: 1)
            #expect(treeEntries(cache) == [
                "tasks_1-20_v1-2", "tasks_1-20_v1-2/en", "tasks_1-20_v1-2/en-10k",
                "tasks_1-20_v1-2/en-10k/" + names.test, "tasks_1-20_v1-2/en-10k/" + names.train,
                "tasks_1-20_v1-2/en/" + names.test, "tasks_1-20_v1-2/en/" + names.train,
            ])
            #expect(directoryEntries(dir + "/data").isEmpty)
            // en-10k comes from the same download: the mirror is gone.
            try FileManager.default.removeItem(atPath: dir + "/mirror")
            let tenK = try BAbI.load(task: 1, tenK: true, environment: env, source: source)
            #expect(tenK.train.count == 2)
        }
    }

    @Test("One extracted file with the wrong SHA-256: .checksumMismatch, and nothing is written")
    func wrongChecksum() throws {
        try withTemporaryDirectory { dir in
            var source = try MirrorBAbI.make(in: dir)
            let bad = "en-10k/" + BAbI.fileNames(task: 1).test
            source.sha256[bad] = String(repeating: "0", count: 64)
            let env = DatasetEnvironment(dataDirectory: nil, home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try BAbI.load(task: 1, environment: env, source: source) }
            guard case .checksumMismatch(let file, let expected, let actual) = error else {
                Issue.record("expected .checksumMismatch, got \(String(describing: error))"); return
            }
            #expect(file == source.url + ": tasks_1-20_v1-2/" + bad)
            #expect(expected == String(repeating: "0", count: 64))
            #expect(actual == SHA256.hex(Array(MirrorBAbI.test.utf8)))
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/babi").isEmpty)
        }
    }

    @Test("A failed download (or download: false) is .missingFiles naming the files, places and URL")
    func failedDownload() throws {
        try withTemporaryDirectory { dir in
            let source = BAbIDownloadSource(url: "file://" + dir + "/absent.tar.gz", sha256: [:])
            let env = DatasetEnvironment(dataDirectory: dir + "/data", home: dir + "/home")
            let error = #expect(throws: DatasetError.self) { try BAbI.load(task: 2, environment: env, source: source) }
            guard case .missingFiles(let dataset, let files, let searched, let hint) = error else {
                Issue.record("expected .missingFiles, got \(String(describing: error))"); return
            }
            #expect(dataset == "bAbI (task 2, en)")
            #expect(files == [BAbI.fileNames(task: 2).train, BAbI.fileNames(task: 2).test])
            #expect(searched.count == 4)
            #expect(hint.contains("Downloading file://" + dir + "/absent.tar.gz failed"))
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/babi").isEmpty)

            let offline = #expect(throws: DatasetError.self) {
                try BAbI.load(task: 1, download: false, environment: env, source: try MirrorBAbI.make(in: dir))
            }
            guard case .missingFiles(_, _, _, let hint2) = offline else {
                Issue.record("expected .missingFiles, got \(String(describing: offline))"); return
            }
            #expect(hint2.contains("Downloading was disabled"))
            #expect(treeEntries(dir + "/home/.cache/weft/datasets/babi").isEmpty)
        }
    }

    @Test("The embedded SHA-256 table: 79 of the 80 en/en-10k qa files, matching the shared copy")
    func officialTable() throws {
        #expect(BAbI.qaFilePaths.count == 80)
        #expect(Set(BAbI.officialSHA256.keys).isSubset(of: Set(BAbI.qaFilePaths)))
        #expect(Set(BAbI.qaFilePaths).subtracting(BAbI.officialSHA256.keys) == ["en-10k/qa3_three-supporting-facts_train.txt"])
        guard let root = datasetsRootForDigitsAndPM25() else { return }
        for (path, hash) in BAbI.officialSHA256 {
            #expect(SHA256.hex(try fileBytes(root + "/babi/tasks_1-20_v1-2/" + path)) == hash, "\(path)")
        }
    }
}
