import Foundation
import Testing
import Weft
import WeftData

/// The real data, loaded once per test process (padded to 150, and unpadded).
private let realIMDB150 = Result { () throws -> IMDBData? in
    guard let environment = textDataEnvironment() else { return nil }
    return try IMDB.load(environment: environment)
}
private let realIMDBUnpadded = Result { () throws -> IMDBData? in
    guard let environment = textDataEnvironment() else { return nil }
    return try IMDB.load(maxLen: nil, environment: environment)
}

@Suite("IMDB on the real data")
struct IMDBRealDataTests {
    @Test("2000/2000 reviews, labels alternate 0, 1, the Keras word index")
    func countsAndLabels() throws {
        guard let data = try realIMDB150.get() else { return recordMissingTextData("IMDB") }
        #expect(data.train.count == 2000)
        #expect(data.test.count == 2000)
        for split in [data.train, data.test] {
            #expect(split.labels == (0..<2000).map { Int32($0 % 2) })
            #expect(split.sequences.allSatisfy { $0.count == 150 })
            #expect(split.maxLen == 150)
        }
        #expect(data.train.files.prefix(4) == ["train/neg/0_3.txt", "train/pos/0_9.txt", "train/neg/1_1.txt", "train/pos/1_7.txt"])
        #expect(data.test.files.last == "test/pos/999_8.txt")
        #expect(data.wordIndex.count == 88584)
        #expect(data.wordIndex["the"] == 1)
        #expect(data.wordIndex["br"] == 7)
        #expect(data.numWords == 30000)
    }

    @Test("padded sequences equal torch_train.py's: sampled rows and checksums")
    func matchesReference() throws {
        guard let data = try realIMDB150.get() else { return recordMissingTextData("IMDB") }
        let cases: [(IMDBSplit, [Int: [Int32]], (sum: Int, weighted: Int), (sum: Int, weighted: Int))] = [
            (data.train, IMDBReference.trainRows, IMDBReference.trainChecksum, IMDBReference.trainLabelChecksum),
            (data.test, IMDBReference.testRows, IMDBReference.testChecksum, IMDBReference.testLabelChecksum),
        ]
        for (split, rows, checksum, labelChecksum) in cases {
            for (index, ids) in rows {
                #expect(split.sequences[index] == padSequences([ids], maxLen: 150), "row \(index)")
            }
            let flat = split.paddedSequences()
            #expect(flat.width == 150)
            let got = idChecksum(flat.ids)
            #expect(got.sum == checksum.sum)
            #expect(got.weighted == checksum.weighted)
            let labels = idChecksum(split.labels)
            #expect(labels.sum == labelChecksum.sum && labels.weighted == labelChecksum.weighted)
        }
    }

    @Test("unpadded sequences: lengths, checksums, the start token")
    func unpadded() throws {
        guard let data = try realIMDBUnpadded.get(), let padded = try realIMDB150.get() else {
            return recordMissingTextData("IMDB")
        }
        let cases = [
            (data.train, padded.train, IMDBReference.trainUnpadded, IMDBReference.trainFirstLengths),
            (data.test, padded.test, IMDBReference.testUnpadded, IMDBReference.testFirstLengths),
        ]
        for (split, paddedSplit, reference, firstLengths) in cases {
            #expect(split.maxLen == nil)
            let lengths = split.sequences.map(\.count)
            #expect(lengths.reduce(0, +) == reference.tokens)
            #expect(lengths.min() == reference.shortest)
            #expect(lengths.max() == reference.longest)
            #expect(lengths.filter { $0 <= 150 }.count == reference.atMost150)
            #expect(Array(lengths.prefix(3)) == firstLengths)
            let got = idChecksum(split.sequences.flatMap { $0 })
            #expect(got.sum == reference.sum && got.weighted == reference.weighted)
            #expect(split.sequences.allSatisfy { $0.first == IMDB.startID })
            // Every id is a word id below numWords, or start / OOV.
            #expect(split.sequences.allSatisfy { $0.dropFirst().allSatisfy { $0 >= 2 && $0 < 30000 } })
            // Padded rows: when not truncated, the first non-zero id is the start token.
            for (full, row) in zip(split.sequences, paddedSplit.sequences) {
                if full.count <= 150 {
                    #expect(row.first(where: { $0 != 0 }) == IMDB.startID)
                    #expect(Array(row.suffix(full.count)) == full)
                } else {
                    #expect(row == Array(full.suffix(150)))
                }
            }
            // Without maxLen, tensors() pads to the longest sequence.
            #expect(split.paddedSequences().width == reference.longest)
        }
    }

    @Test("tensors: int32 [2000, 150] and [2000]")
    func tensors() throws {
        guard let data = try realIMDB150.get() else { return recordMissingTextData("IMDB") }
        let (x, y) = data.test.tensors()
        #expect(x.shape == [2000, 150])
        #expect(x.dtype == .int32)
        #expect(y.shape == [2000])
        #expect(y.dtype == .int32)
        let ids = x.scalars(as: Int32.self)
        #expect(Array(ids[150..<300]) == data.test.sequences[1])
        #expect(y.scalars(as: Int32.self) == data.test.labels)
    }

    @Test("encode() numbers new text like the reviews")
    func encode() throws {
        guard let data = try realIMDB150.get() else { return recordMissingTextData("IMDB") }
        let ids = data.encode("The movie is <br />GREAT! zzzqqq")
        #expect(ids.count == 150)
        // the 1+3, movie 17+3, is 6+3, br 7+3, great 84+3, zzzqqq OOV.
        #expect(Array(ids.suffix(7)) == [1, 4, 20, 9, 10, 87, 2])
        #expect(data.wordIndex["movie"] == 17 && data.wordIndex["great"] == 84)
    }
}

/// A small raw IMDB layout written into `directory`.
private enum FakeIMDB {
    static let wordIndex = #"{"the": 1, "movie": 2, "great": 3, "bad": 4, "don't": 5, "caf\u00e9": 6, "br": 7, "rare": 40}"#

    static func write(to directory: String, gzipIndex: Bool = false) throws {
        if gzipIndex {
            try writeFile(gzipCompress(Array(wordIndex.utf8)), to: directory + "/imdb_word_index.json.gz")
        } else {
            try writeTextFixture(wordIndex, to: directory + "/imdb_word_index.json")
        }
        let reviews: [(String, String)] = [
            ("train/neg/2_1.txt", "The movie was BAD!"),
            ("train/neg/10_2.txt", "bad<br />bad"),
            ("train/neg/1_3.txt", "Don't\r\nwatch"),
            ("train/pos/0_9.txt", "Great movie."),
            ("train/pos/5_8.txt", "CAF\u{C9} great"),
            ("train/pos/11_7.txt", "rare rare the"),
            ("test/neg/0_1.txt", "the"),
            ("test/pos/0_10.txt", ""),
        ]
        for (path, text) in reviews { try writeTextFixture(text, to: directory + "/aclImdb/" + path) }
        try writeTextFixture("not a review", to: directory + "/aclImdb/train/neg/README")
    }
}

@Suite("IMDB loader")
struct IMDBLoaderTests {
    @Test("order by numeric id, interleaving, ids, OOV, CR LF")
    func craftedLayout() throws {
        try withTemporaryDirectory { directory in
            try FakeIMDB.write(to: directory)
            let data = try IMDB.load(directory: directory, maxLen: nil)
            #expect(data.train.files == [
                "train/neg/1_3.txt", "train/pos/0_9.txt", "train/neg/2_1.txt",
                "train/pos/5_8.txt", "train/neg/10_2.txt", "train/pos/11_7.txt",
            ])
            #expect(data.train.labels == [0, 1, 0, 1, 0, 1])
            #expect(data.train.sequences == [
                [1, 8, 2],  // don't watch (CR LF is a separator in a file)
                [1, 6, 5],  // great movie
                [1, 4, 5, 2, 7],  // the movie was bad
                [1, 9, 6],  // café great (É lowercased)
                [1, 7, 10, 7],  // bad br bad
                [1, 43, 43, 4],  // rare rare the
            ])
            #expect(data.test.sequences == [[1, 4], [1]])
            #expect(data.wordIndex == ["the": 1, "movie": 2, "great": 3, "bad": 4, "don't": 5, "café": 6, "br": 7, "rare": 40])
        }
    }

    @Test("numWords turns ids at or above it into OOV; maxLen pads and truncates in front")
    func numWordsAndMaxLen() throws {
        try withTemporaryDirectory { directory in
            try FakeIMDB.write(to: directory, gzipIndex: true)
            let limited = try IMDB.load(directory: directory, numWords: 43, maxLen: nil)
            #expect(limited.train.sequences[5] == [1, 2, 2, 4])
            let kept = try IMDB.load(directory: directory, numWords: 44, maxLen: nil)
            #expect(kept.train.sequences[5] == [1, 43, 43, 4])
            let all = try IMDB.load(directory: directory, numWords: nil, maxLen: nil)
            #expect(all.train.sequences[5] == [1, 43, 43, 4])
            let short = try IMDB.load(directory: directory, maxLen: 3)
            #expect(short.train.sequences == [[1, 8, 2], [1, 6, 5], [5, 2, 7], [1, 9, 6], [7, 10, 7], [43, 43, 4]])
            #expect(short.test.sequences == [[0, 1, 4], [0, 0, 1]])
            let (x, y) = short.test.tensors()
            #expect(x.shape == [2, 3] && x.scalars(as: Int32.self) == [0, 1, 4, 0, 0, 1])
            #expect(y.scalars(as: Int32.self) == [0, 1])
            #expect(short.encode("GREAT great the movie") == [6, 4, 5])
            let unpadded = try IMDB.load(directory: directory, maxLen: nil)
            let (ux, _) = unpadded.test.tensors()
            #expect(ux.shape == [2, 2] && ux.scalars(as: Int32.self) == [1, 4, 0, 1])
        }
    }

    @Test("missing files: every file and directory searched, and how to get them")
    func missingFiles() throws {
        try withTemporaryDirectory { directory in
            do {
                _ = try IMDB.load(directory: directory)
                Issue.record("expected .missingFiles")
            } catch DatasetError.missingFiles(let dataset, let files, let searched, let hint) {
                #expect(dataset == "IMDB")
                #expect(files == ["imdb_word_index.json[.gz]", "aclImdb/train/neg/", "aclImdb/train/pos/", "aclImdb/test/neg/", "aclImdb/test/pos/"])
                #expect(searched == [directory])
                #expect(hint.contains(IMDB.reviewsURL) && hint.contains(IMDB.wordIndexURL))
            }
            // Through the environment: $WEFT_DATA_DIR/imdb, then the cache; only the index is missing.
            try FakeIMDB.write(to: directory + "/data/imdb")
            try FileManager.default.removeItem(atPath: directory + "/data/imdb/imdb_word_index.json")
            let environment = DatasetEnvironment(dataDirectory: directory + "/data", home: directory + "/home")
            do {
                _ = try IMDB.load(download: false, environment: environment)
                Issue.record("expected .missingFiles")
            } catch DatasetError.missingFiles(_, let files, let searched, let hint) {
                #expect(files == ["imdb_word_index.json[.gz]"])
                #expect(searched == [directory + "/data/imdb", directory + "/home/.cache/weft/datasets/imdb"])
                #expect(hint.contains("WEFT_DATA_DIR"))
            }
            try writeTextFixture(FakeIMDB.wordIndex, to: directory + "/data/imdb/imdb_word_index.json")
            #expect(try IMDB.load(environment: environment).train.count == 6)
        }
    }

    @Test("damaged inputs throw errors naming the file")
    func damagedInputs() throws {
        try withTemporaryDirectory { directory in
            try FakeIMDB.write(to: directory)
            let bad = directory + "/aclImdb/train/pos/5_8.txt"
            try writeFile([0x41, 0xFF, 0x42], to: bad)
            if let error = expectCorruptDataset({ _ = try IMDB.load(directory: directory) }) {
                #expect(error.file == bad)
                #expect(error.detail.contains("UTF-8"))
            }
            try writeTextFixture("fine", to: bad)
            let extra = directory + "/aclImdb/test/pos/7_7.txt"
            try writeTextFixture("one more", to: extra)
            if let error = expectCorruptDataset({ _ = try IMDB.load(directory: directory) }) {
                #expect(error.file == directory + "/aclImdb/test")
                #expect(error.detail.contains("1 reviews but pos/ holds 2"))
            }
            try FileManager.default.removeItem(atPath: extra)
            let badName = directory + "/aclImdb/test/neg/notes.txt"
            try writeTextFixture("x", to: badName)
            if let error = expectCorruptDataset({ _ = try IMDB.load(directory: directory) }) {
                #expect(error.file == badName)
            }
            try FileManager.default.removeItem(atPath: badName)
            try writeTextFixture(#"{"the": 1.0}"#, to: directory + "/imdb_word_index.json")
            if let error = expectCorruptDataset({ _ = try IMDB.load(directory: directory) }) {
                #expect(error.file == directory + "/imdb_word_index.json")
                #expect(error.detail.contains("not an integer"))
            }
        }
    }
}

@Suite("IMDB word index parser")
struct IMDBWordIndexTests {
    @Test("JSON escapes, surrogate pairs, duplicates, whitespace")
    func escapes() throws {
        let json = #"""
             { "a\"b": 1, "back\\slash": 2, "\u00e9t\u00E9": 3, "\ud83d\ude00": 4, "x\/y": 5,
            "c\b\f\n\r\t": 6, "dup": 7, "dup": 8, "\ud800": 9, "\ud800\u0041": 10, "": 11 ,"caf\u0065\u0301":12}
            """#
        let index = try IMDB.parseWordIndex(Array(json.utf8), file: "index.json")
        #expect(index["a\"b"] == 1)
        #expect(index["back\\slash"] == 2)
        #expect(index["été"] == 3)
        #expect(index["\u{1F600}"] == 4)
        #expect(index["x/y"] == 5)
        #expect(index["c\u{8}\u{C}\n\r\t"] == 6)
        #expect(index["dup"] == 8)
        #expect(index[""] == 11)
        // Unpaired surrogates are not valid Unicode: those keys are left out.
        #expect(index.count == 9)
        #expect(try IMDB.parseWordIndex(Array("{}".utf8), file: "f").isEmpty)
        #expect(try IMDB.parseWordIndex(Array(" \n{ \"a\" :\t0 }\n".utf8), file: "f") == ["a": 0])
    }

    @Test("malformed JSON is reported with the byte offset", arguments: [
        (#"{"a": 1.5}"#, "not an integer"),
        (#"{"a": 1e3}"#, "not an integer"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{"a": 1} x"#, "nothing after the object"),
        (#"[1]"#, "expected '{'"),
        (#"{"a": 1,}"#, "quoted key"),
        (#"{"a": -1}"#, "out of range"),
        (#"{"a": "1"}"#, "an integer rank"),
        (#"{"a\q": 1}"#, "after '\\'"),
        (#"{"a"#, "closing"),
        (#"{"a": 1"#, "',' or '}'"),
        ("{\"a\u{1}\": 1}", "control characters"),
        (#"{"\u12G4": 1}"#, "hex digits"),
        ("", "expected '{'"),
    ])
    func malformed(json: String, message: String) {
        if let error = expectCorruptDataset({ _ = try IMDB.parseWordIndex(Array(json.utf8), file: "wi.json") }) {
            #expect(error.file == "wi.json")
            #expect(error.detail.contains(message), "\(error.detail)")
        }
    }

    @Test("invalid UTF-8 is reported: stray, truncated, overlong, surrogate, too large", arguments: [
        [0x80], [0xC3], [0xE2, 0x82], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFF],
    ] as [[UInt8]])
    func invalidUTF8(sequence: [UInt8]) {
        let bytes: [UInt8] = Array(#"{"a"#.utf8) + sequence + Array(#"": 1}"#.utf8)
        if let error = expectCorruptDataset({ _ = try IMDB.parseWordIndex(bytes, file: "wi.json") }) {
            #expect(error.detail.contains("UTF-8"))
        }
    }

    @Test("valid multi-byte UTF-8 keys are kept as they are")
    func validUTF8() throws {
        let json = "{\"\u{E9}\u{20AC}\u{10FFFF}\u{1F600}\u{D7FF}\u{E000}\": 1}"
        #expect(try IMDB.parseWordIndex(Array(json.utf8), file: "f") == ["\u{E9}\u{20AC}\u{10FFFF}\u{1F600}\u{D7FF}\u{E000}": 1])
    }
}
