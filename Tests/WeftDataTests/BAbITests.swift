import Foundation
import Testing
import Weft
import WeftData

/// Loads a task from the real data; nil (with an issue recorded) when the data is absent.
private func loadRealBAbI(task: Int, tenK: Bool = false) throws -> BAbIData? {
    guard let environment = textDataEnvironment() else {
        recordMissingTextData("bAbI")
        return nil
    }
    return try BAbI.load(task: task, tenK: tenK, download: false, environment: environment)
}

@Suite("bAbI on the real data")
struct BAbIRealDataTests {
    @Test("tasks 1, 2, 8, 19 equal torch_train.py's vectors", arguments: BAbIReference.tasks.map(\.task))
    func matchesReference(task: Int) throws {
        let reference = BAbIReference.tasks.first { $0.task == task }!
        guard let data = try loadRealBAbI(task: task) else { return }
        #expect(data.train.count == 1000)
        #expect(data.test.count == 1000)
        #expect(data.vocabSize == reference.vocabSize)
        #expect(data.storyMaxLen == reference.storyMaxLen)
        #expect(data.queryMaxLen == reference.queryMaxLen)
        let train = data.vectorized(data.train)
        let test = data.vectorized(data.test)
        let arrays: [(String, [Int32])] = [
            ("trainStory", train.story), ("trainQuery", train.query), ("trainAnswer", train.answer),
            ("testStory", test.story), ("testQuery", test.query), ("testAnswer", test.answer),
        ]
        for (name, values) in arrays {
            let got = idChecksum(values)
            let expected = reference.checksums[name]!
            #expect(got.sum == expected.0 && got.weighted == expected.1, "\(name): \(got) vs \(expected)")
        }
        for sample in reference.samples {
            let v = sample.split == "train" ? train : test
            let s = data.storyMaxLen
            let q = data.queryMaxLen
            #expect(Array(v.story[(sample.index * s)..<((sample.index + 1) * s)]) == padSequences([sample.story], maxLen: s))
            #expect(Array(v.query[(sample.index * q)..<((sample.index + 1) * q)]) == padSequences([sample.query], maxLen: q))
            #expect(v.answer[sample.index] == sample.answer)
        }
    }

    @Test("QA1: words, supporting facts, tensors")
    func qa1Details() throws {
        guard let data = try loadRealBAbI(task: 1) else { return }
        #expect(data.vocabulary.count == 21)
        #expect(data.vocabulary.prefix(3) == [".", "?", "Daniel"])
        #expect(data.wordIDs["."] == 1)
        #expect(data.train.stories[0] == [
            "Mary", "moved", "to", "the", "bathroom", ".", "John", "went", "to", "the", "hallway", ".",
        ])
        #expect(data.train.queries[0] == ["Where", "is", "Mary", "?"])
        #expect(data.train.answers[0] == "bathroom")
        #expect(data.train.supportingFacts[0] == [1])
        #expect(data.train.supportingFacts.allSatisfy { $0.count == 1 })
        let (story, query, answer) = data.tensors(data.test)
        #expect(story.shape == [1000, 66] && story.dtype == .int32)
        #expect(query.shape == [1000, 4] && query.dtype == .int32)
        #expect(answer.shape == [1000] && answer.dtype == .int32)
        #expect(answer.scalars(as: Int32.self) == data.vectorized(data.test).answer)
    }

    @Test("QA2 has two supporting facts per question; QA8 answers can be lists")
    func multiFactTasks() throws {
        guard let qa2 = try loadRealBAbI(task: 2), let qa8 = try loadRealBAbI(task: 8) else { return }
        #expect(qa2.train.supportingFacts.allSatisfy { $0.count == 2 })
        #expect(qa8.vocabulary.contains("apple,football") || qa8.vocabulary.contains { $0.contains(",") })
    }

    @Test("en-10k: 10000 training questions; the absent qa3 file is reported")
    func tenK() throws {
        guard let data = try loadRealBAbI(task: 1, tenK: true) else { return }
        #expect(data.train.count == 10000)
        #expect(data.test.count == 1000)
        #expect(data.vocabSize == 22)
        #expect(data.storyMaxLen == 68)
        #expect(data.queryMaxLen == 4)
        do {
            _ = try loadRealBAbI(task: 3, tenK: true)
            Issue.record("expected .missingFiles (the shared copy lacks en-10k qa3 train)")
        } catch DatasetError.missingFiles(let dataset, let files, let searched, let hint) {
            #expect(dataset == "bAbI (task 3, en-10k)")
            #expect(files == ["qa3_three-supporting-facts_train.txt"])
            #expect(searched.first?.hasSuffix("babi/tasks_1-20_v1-2/en-10k") == true)
            #expect(hint.contains(BAbI.archiveURL))
        }
    }
}

private let craftedStory = """
    1 Mary moved to the bathroom.
    2 John went to the hallway.
    3 Where is Mary? \tbathroom\t1
    4 Daniel went back to the hallway.
    5 Where is Daniel? \thallway\t4 2
    6 Sandra journeyed to the garden.
    1 Sandra went to the office.
    2 Where is Sandra?\toffice\t1

    """

@Suite("bAbI parser")
struct BAbIParserTests {
    @Test("task names come from the file names")
    func taskNames() {
        #expect(BAbI.taskName(1) == "qa1_single-supporting-fact")
        #expect(BAbI.taskName(2) == "qa2_two-supporting-facts")
        #expect(BAbI.taskName(20) == "qa20_agents-motivations")
        #expect(BAbI.taskNames.count == 20)
        #expect(BAbI.fileNames(task: 19).train == "qa19_path-finding_train.txt")
        #expect(BAbI.fileNames(task: 19).test == "qa19_path-finding_test.txt")
    }

    /// Expected values from torch_train.babi_parse on the same text.
    @Test("stories, queries, answers, supporting facts; a new story at id 1")
    func craftedFile() throws {
        let split = try BAbI.parse(Array(craftedStory.utf8), file: "crafted.txt")
        #expect(split.count == 3)
        #expect(split.stories == [
            ["Mary", "moved", "to", "the", "bathroom", ".", "John", "went", "to", "the", "hallway", "."],
            ["Mary", "moved", "to", "the", "bathroom", ".", "John", "went", "to", "the", "hallway", ".",
             "Daniel", "went", "back", "to", "the", "hallway", "."],
            ["Sandra", "went", "to", "the", "office", "."],
        ])
        #expect(split.queries == [["Where", "is", "Mary", "?"], ["Where", "is", "Daniel", "?"], ["Where", "is", "Sandra", "?"]])
        #expect(split.answers == ["bathroom", "hallway", "office"])
        #expect(split.supportingFacts == [[1], [4, 2], [1]])
        // CR LF line ends give the same result.
        let crlf = craftedStory.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try BAbI.parse(Array(crlf.utf8), file: "crlf.txt") == split)
    }

    @Test("vocabulary: sorted by code points, statements after the last question left out")
    func vocabulary() throws {
        let train = try BAbI.parse(Array(craftedStory.utf8), file: "train.txt")
        let test = try BAbI.parse(Array("1 Bill went to the kitchen.\n2 Where is Bill?\tkitchen\t1\n".utf8), file: "test.txt")
        let data = BAbIData(train: train, test: test)
        #expect(data.vocabulary == [
            ".", "?", "Bill", "Daniel", "John", "Mary", "Sandra", "Where", "back", "bathroom", "hallway", "is",
            "kitchen", "moved", "office", "the", "to", "went",
        ])
        #expect(data.vocabSize == 19)
        #expect(data.storyMaxLen == 19)
        #expect(data.queryMaxLen == 4)
        let v = data.vectorized(data.test)
        #expect(v.story == [Int32](repeating: 0, count: 13) + [3, 18, 17, 16, 13, 1])
        #expect(v.query == [8, 12, 3, 2])
        #expect(v.answer == [13])
        // The public initialiser finds the same words.
        let rebuilt = BAbISplit(
            stories: train.stories, queries: train.queries, answers: train.answers, supportingFacts: train.supportingFacts)
        #expect(BAbIData(train: rebuilt, test: test).vocabulary == data.vocabulary)
        let (story, query, answer) = data.tensors(data.test)
        #expect(story.shape == [1, 19] && query.shape == [1, 4] && answer.shape == [1])
        #expect(story.scalars(as: Int32.self) == v.story)
    }

    @Test("malformed lines throw errors naming the file and line", arguments: [
        ("1 Mary moved.\n2 Where is Mary? bathroom 1\n", 2, "TAB"),
        ("1 Mary moved.\n2 Where is Mary?\tbathroom\n", 2, "found 2"),
        ("1 Mary moved.\n2 Where is Mary?\tbathroom\t1\t1\n", 2, "found 4"),
        ("x Mary moved.\n", 1, "line id \"x\" is not a number"),
        ("1 Mary moved.\n-2 John left.\n", 2, "not a number"),
        ("1 Mary moved.\n2 Where is Mary?\tbathroom\t3\n", 2, "supporting fact 3"),
        ("1 Mary moved.\n2 Where is Mary?\tbathroom\t2\n", 2, "supporting fact 2"),
        ("1 Mary moved.\n2 Where is Mary?\tbathroom\ta\n", 2, "\"a\" is not a number"),
        ("1 Mary moved.\n2 John left.\n1 Sandra ran.\n3 Where is John?\tkitchen\t2\n", 4, "supporting fact 2"),
        ("1 A.\r\n2 B.\r\n\r\n3 Where?\tx\t9\r\n", 4, "supporting fact 9"),
        ("1 Mary moved.\nMary\n", 2, "expected '<line id> <text>'"),
    ])
    func malformed(text: String, line: Int, message: String) {
        if let error = expectCorruptDataset({ _ = try BAbI.parse(Array(text.utf8), file: "bad.txt") }) {
            #expect(error.file == "bad.txt")
            #expect(error.detail.hasPrefix("line \(line): "), "\(error.detail)")
            #expect(error.detail.contains(message), "\(error.detail)")
        }
    }

    @Test("files: found in <dir>/tasks_1-20_v1-2/en, <dir>/en or <dir>; errors name the path")
    func files() throws {
        try withTemporaryDirectory { directory in
            let names = BAbI.fileNames(task: 1)
            do {
                _ = try BAbI.load(task: 1, directory: directory)
                Issue.record("expected .missingFiles")
            } catch DatasetError.missingFiles(let dataset, let files, let searched, _) {
                #expect(dataset == "bAbI (task 1, en)")
                #expect(files == [names.train, names.test])
                #expect(searched == [directory + "/tasks_1-20_v1-2/en", directory + "/en", directory])
            }
            for folder in [directory + "/tasks_1-20_v1-2/en", directory + "/en", directory] {
                try writeTextFixture(craftedStory, to: folder + "/" + names.train)
                try writeTextFixture(craftedStory, to: folder + "/" + names.test)
                let data = try BAbI.load(task: 1, directory: directory)
                #expect(data.train.count == 3 && data.test.count == 3)
                try FileManager.default.removeItem(atPath: folder + "/" + names.train)
            }
            // Through the environment: $WEFT_DATA_DIR/babi/..., then the cache.
            let environment = DatasetEnvironment(dataDirectory: directory + "/data", home: directory + "/home")
            do {
                _ = try BAbI.load(task: 1, tenK: true, environment: environment)
                Issue.record("expected .missingFiles")
            } catch DatasetError.missingFiles(_, _, let searched, let hint) {
                #expect(searched == [
                    directory + "/data/babi/tasks_1-20_v1-2/en-10k", directory + "/data/babi/en-10k",
                    directory + "/home/.cache/weft/datasets/babi/tasks_1-20_v1-2/en-10k",
                    directory + "/home/.cache/weft/datasets/babi/en-10k",
                ])
                #expect(hint.contains("WEFT_DATA_DIR"))
            }
            let bad = directory + "/data/babi/en-10k/" + names.train
            try writeTextFixture("1 Mary moved.\n2 Where is Mary?\tbathroom\t7\n", to: bad)
            try writeTextFixture(craftedStory, to: directory + "/data/babi/en-10k/" + names.test)
            if let error = expectCorruptDataset({ _ = try BAbI.load(task: 1, tenK: true, environment: environment) }) {
                #expect(error.file == bad)
                #expect(error.detail.hasPrefix("line 2: "))
            }
            try writeFile([0x31, 0x20, 0xFF, 0x0A], to: bad)
            if let error = expectCorruptDataset({ _ = try BAbI.parseFile(bad) }) {
                #expect(error.detail.contains("UTF-8"))
            }
        }
    }
}
