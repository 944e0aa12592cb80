/// Loader for the bAbI question-answering tasks v1.2 (Weston et al. 2015),
/// prepared exactly as the Keras `babi_rnn` example (and the benchmark's
/// PyTorch reference, `torch_train.py`) prepares them.
///
/// ```swift
/// let data = try BAbI.load(task: 1)            // qa1, 1k questions per split
/// let (story, query, answer) = data.tensors(data.train)
/// // story int32 [1000, 66], query int32 [1000, 4], answer int32 [1000]
/// ```
///
/// File format: every line is `ID text` or `ID question<TAB>answer<TAB>supporting ids`.
/// Line ids count from 1 within a story; an id of 1 starts a new story.
/// How the lines become examples (see ``parse(_:file:)``):
/// - a statement line's text is tokenised with
///   ``TextTokenizer/splitOnNonWordRuns(_:)`` (`re.split(r'(\W+)')`, pieces
///   stripped, empty ones dropped; case kept, `.` and `?` are tokens);
/// - a question line gives one example: its story is every statement of the
///   current story before it, concatenated (question lines are not part of
///   stories); its query is the tokenised question; its answer is the answer
///   field as it is (e.g. `"apple,football"` in task 8 is one word);
/// - the vocabulary is the sorted set (by Unicode code points, as Python's
///   `sorted`) of every story, query and answer word of train and test; a
///   word's id is its position + 1 (0 is padding); stories and queries are
///   left-padded with 0 to the longest story and query of train and test.
public enum BAbI {
    /// The dataset's directory name under `$WEFT_DATA_DIR` or the cache.
    public static let directoryName = "babi"
    /// The folder the official archive extracts to.
    public static let archiveDirectory = "tasks_1-20_v1-2"
    /// Where the official archive can be downloaded.
    public static let archiveURL = "https://dl.fbaipublicfiles.com/babi/tasks_1-20_v1-2.tar.gz"

    /// The names of tasks 1...20, as in the file names (`qa1_single-supporting-fact_train.txt`).
    public static let taskNames = [
        "qa1_single-supporting-fact", "qa2_two-supporting-facts", "qa3_three-supporting-facts",
        "qa4_two-arg-relations", "qa5_three-arg-relations", "qa6_yes-no-questions", "qa7_counting",
        "qa8_lists-sets", "qa9_simple-negation", "qa10_indefinite-knowledge", "qa11_basic-coreference",
        "qa12_conjunction", "qa13_compound-coreference", "qa14_time-reasoning", "qa15_basic-deduction",
        "qa16_basic-induction", "qa17_positional-reasoning", "qa18_size-reasoning", "qa19_path-finding",
        "qa20_agents-motivations",
    ]

    /// The name of task `task` (1...20), e.g. `taskName(1) == "qa1_single-supporting-fact"`.
    public static func taskName(_ task: Int) -> String {
        precondition((1...20).contains(task), "BAbI.taskName: task must be 1...20, got \(task)")
        return taskNames[task - 1]
    }

    /// The file names of a task's two splits, e.g. `qa1_single-supporting-fact_train.txt`.
    public static func fileNames(task: Int) -> (train: String, test: String) {
        let name = taskName(task)
        return (name + "_train.txt", name + "_test.txt")
    }

    /// Loads one task: both splits, the vocabulary and the padded lengths.
    ///
    /// Where the files are looked for, in order: with `directory`, only
    /// there: in `directory/tasks_1-20_v1-2/<set>/`, `directory/<set>/`
    /// and `directory/` itself; otherwise in `$WEFT_DATA_DIR/babi/` and then
    /// `~/.cache/weft/datasets/babi/`, each in `tasks_1-20_v1-2/<set>/` and
    /// `<set>/`. `<set>` is `en` (1,000 training questions per task) or,
    /// with `tenK`, `en-10k` (10,000).
    ///
    /// When the files are in none of these places, `download` is true and no
    /// `directory` was given, the official archive (``archiveURL``) is
    /// downloaded with curl and its `en/` and `en-10k/` qa files are
    /// extracted into `~/.cache/weft/datasets/babi/tasks_1-20_v1-2/`. No
    /// trusted checksum of the archive is published, so every extracted file
    /// is checked instead against ``officialSHA256``; if any differs, nothing
    /// is written (`.checksumMismatch`). Each file is written atomically; the
    /// archive itself is never kept. Nothing is ever downloaded into
    /// `WEFT_DATA_DIR` or `directory`.
    ///
    /// - Parameters:
    ///   - task: 1...20.
    ///   - tenK: use the 10k training set (`en-10k`).
    ///   - directory: a directory that must hold the files.
    ///   - download: whether the archive may be downloaded into the cache.
    ///   - environment: where `WEFT_DATA_DIR` and `HOME` come from.
    ///   - source: where to download from instead, with the SHA-256 of the
    ///     files to expect (a test hook: a `file://` mirror).
    /// - Throws: ``DatasetError``: `.missingFiles` naming the files, every
    ///   directory searched and how to get them (also when the download
    ///   fails: no curl, no network); `.checksumMismatch` when an extracted
    ///   file is not the expected one; `.corrupt` naming the file
    ///   and line of a malformed line (see ``parse(_:file:)``); `.ioError`.
    public static func load(
        task: Int, tenK: Bool = false, directory: String? = nil, download: Bool = true,
        environment: DatasetEnvironment = .current, source: BAbIDownloadSource? = nil
    ) throws -> BAbIData {
        precondition((1...20).contains(task), "BAbI.load: task must be 1...20, got \(task)")
        let files = fileNames(task: task)
        let set = tenK ? "en-10k" : "en"
        var folders: [String] = []
        if let directory {
            folders = [joinPath(directory, archiveDirectory + "/" + set), joinPath(directory, set), directory]
        } else {
            for base in environment.searchDirectories(for: directoryName) {
                folders += [joinPath(base, archiveDirectory + "/" + set), joinPath(base, set)]
            }
        }
        let names = [files.train, files.test]
        func qualifies(_ folder: String) -> Bool { names.allSatisfy { isRegularFile(joinPath(folder, $0)) } }
        var folder = folders.first(where: qualifies)
        let source = source ?? .official
        var reason = ""
        if folder == nil, directory == nil, download {
            if let cache = environment.cacheDirectory(for: directoryName) {
                do {
                    try downloadAndExtract(source, into: cache)
                    let extracted = joinPath(cache, archiveDirectory + "/" + set)
                    if qualifies(extracted) { folder = extracted }
                } catch DatasetError.downloadFailed(let url, let detail) {
                    reason = "Downloading \(url) failed (\(detail)). "
                }
            } else {
                reason = "HOME is not set, so there is no cache directory to download into. "
            }
        } else if folder == nil, directory == nil {
            reason = "Downloading was disabled. "
        }
        guard let folder else {
            var missing = names
            for folder in folders {
                let lacking = names.filter { !isRegularFile(joinPath(folder, $0)) }
                if lacking.count < missing.count { missing = lacking }
            }
            let target = directory ?? environment.cacheDirectory(for: directoryName) ?? "$WEFT_DATA_DIR/\(directoryName)"
            var hint = directory != nil ? "Files are only looked for in the directory given. " : reason
            hint += "Get \(source.url) and extract it in \(target) (it creates \(archiveDirectory)/en/ and \(archiveDirectory)/en-10k/)"
            if directory == nil {
                hint += ", or set WEFT_DATA_DIR to a directory that has a \(directoryName)/ subdirectory with them"
            }
            hint += "."
            throw DatasetError.missingFiles(
                dataset: "bAbI (task \(task), \(set))", files: missing, searched: folders, hint: hint)
        }
        let train = try parseFile(joinPath(folder, files.train))
        let test = try parseFile(joinPath(folder, files.test))
        return BAbIData(train: train, test: test)
    }

    /// Downloads the archive and extracts its verified qa files into `cache`
    /// (see ``load(task:tenK:directory:download:environment:source:)``).
    static func downloadAndExtract(_ source: BAbIDownloadSource, into cache: String) throws {
        let archive = try downloadBytes(url: source.url, into: cache)
        try extractArchive(archive, file: source.url, sha256: source.sha256, into: cache)
    }

    /// The paths, relative to `tasks_1-20_v1-2/`, of every qa file of `en/` and `en-10k/`.
    public static let qaFilePaths: [String] = ["en", "en-10k"].flatMap { set in
        (1...20).flatMap { task -> [String] in
            let names = fileNames(task: task)
            return [set + "/" + names.train, set + "/" + names.test]
        }
    }

    /// Extracts the `en/` and `en-10k/` qa files of a `tasks_1-20_v1-2.tar.gz`
    /// (or `.tar`) into `directory/tasks_1-20_v1-2/`.
    ///
    /// Every file is checked against `sha256` (keyed like ``officialSHA256``)
    /// before anything is written; a file without an entry there is taken as
    /// it is. Other members (`hn/`, `shuffled/`, ...) are ignored. Each file
    /// is written atomically.
    ///
    /// - Returns: the paths written.
    /// - Throws: `.checksumMismatch` (file `<archive>: tasks_1-20_v1-2/<path>`)
    ///   when a file's SHA-256 differs, and then nothing is written;
    ///   `.corrupt` when the archive is damaged or holds no qa file.
    @discardableResult
    public static func extractArchive(
        _ archive: [UInt8], file: String, sha256: [String: String] = officialSHA256, into directory: String
    ) throws -> [String] {
        let tar = try gunzipIfNeeded(archive, file: file)
        let wanted = Set(qaFilePaths)
        var members: [(path: String, contents: ArraySlice<UInt8>)] = []
        try Tar.forEachFile(in: tar, file: file) { path, contents in
            let prefix = archiveDirectory + "/"
            guard path.hasPrefix(prefix) else { return }
            let relative = String(path.dropFirst(prefix.count))
            guard wanted.contains(relative) else { return }
            if let expected = sha256[relative] {
                let actual = SHA256.hex(Array(contents))
                guard actual == expected.lowercased() else {
                    throw DatasetError.checksumMismatch(file: "\(file): \(path)", expected: expected.lowercased(), actual: actual)
                }
            }
            members.append((relative, contents))
        }
        guard !members.isEmpty else {
            throw DatasetError.corrupt(
                file: file, detail: "the archive holds none of the \(archiveDirectory)/en/ and en-10k/ qa files")
        }
        var written: [String] = []
        for (relative, contents) in members {
            let path = joinPath(directory, archiveDirectory + "/" + relative)
            try writeAtomically(Array(contents), to: path)
            written.append(path)
        }
        return written
    }

    /// Reads and parses one bAbI file (see ``parse(_:file:)``).
    public static func parseFile(_ path: String) throws -> BAbISplit {
        try parse(readFileBytes(path), file: path)
    }

    /// Parses the contents of one bAbI file into examples, one per question.
    ///
    /// Lines are split at LF, CR LF or CR (Python's universal newlines) and
    /// stripped of leading and trailing whitespace; blank lines are skipped.
    /// Each line is `ID text`: `ID` is a decimal line number, separated from
    /// the text by one space; 1 starts a new story. A line with a TAB is a
    /// question: exactly three TAB-separated fields, question, answer and
    /// the supporting facts (line ids of earlier statements of the same story,
    /// separated by spaces). Every other line is a statement.
    ///
    /// - Throws: ``DatasetError/corrupt(file:detail:)`` whose detail starts
    ///   with `line N:` when a line has no `ID text` form, its id is not a
    ///   number, a question line does not have three fields, a supporting
    ///   fact is not a number or not the id of an earlier statement of the
    ///   story, or a line without TAB contains `?` (a question whose TABs
    ///   were lost; Python would silently take it as a statement);
    ///   `.corrupt` also when the file is not UTF-8.
    public static func parse(_ bytes: [UInt8], file: String) throws -> BAbISplit {
        guard TextTokenizer.isValidUTF8(bytes) else {
            throw DatasetError.corrupt(file: file, detail: "not valid UTF-8 text")
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = BAbIParser(file: file)
            try parser.parse(buffer)
            return BAbISplit(
                stories: parser.stories, queries: parser.queries, answers: parser.answers,
                supportingFacts: parser.supportingFacts, words: parser.words)
        }
    }
}

/// Where ``BAbI/load(task:tenK:directory:download:environment:source:)``
/// downloads the archive from, and the SHA-256 its qa files must have.
public struct BAbIDownloadSource: Sendable, Equatable {
    /// The `.tar.gz` archive.
    public var url: String
    /// SHA-256 of the qa files, keyed by their path below `tasks_1-20_v1-2/`.
    public var sha256: [String: String]

    public init(url: String, sha256: [String: String]) {
        self.url = url
        self.sha256 = sha256
    }

    /// The official archive and ``BAbI/officialSHA256``.
    public static let official = BAbIDownloadSource(url: BAbI.archiveURL, sha256: BAbI.officialSHA256)
}

/// The state of one pass over a bAbI file.
private struct BAbIParser {
    let file: String
    var stories: [[String]] = []
    var queries: [[String]] = []
    var answers: [String] = []
    var supportingFacts: [[Int]] = []
    /// Every word of the examples' stories, queries and answers.
    var words: Set<String> = []

    /// The current story's statements, concatenated.
    var story: [String] = []
    /// How many words of `story` are already in `words` (the rest are added
    /// when a question includes them, so that statements after the last
    /// question of a story stay out of the vocabulary, as in Python).
    var storyWordsCounted = 0
    /// The line ids of the current story's statements.
    var statementIDs: Set<Int> = []

    init(file: String) { self.file = file }

    func malformed(_ line: Int, _ detail: String) -> DatasetError {
        .corrupt(file: file, detail: "line \(line): \(detail)")
    }

    static func isSpace(_ byte: UInt8) -> Bool { (byte >= 9 && byte <= 13) || (byte >= 28 && byte <= 32) }

    static func text(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// The value of an all-digits field, or nil.
    static func decimal(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for i in range {
            let byte = buffer[i]
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    mutating func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws {
        var lineNumber = 0
        var start = 0
        let n = buffer.count
        while start < n {
            var end = start
            while end < n && buffer[end] != 0x0A && buffer[end] != 0x0D { end += 1 }
            lineNumber += 1
            try parseLine(buffer, start..<end, lineNumber)
            start = end + 1
            if end < n && buffer[end] == 0x0D && start < n && buffer[start] == 0x0A { start += 1 }
        }
    }

    mutating func parseLine(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ line: Int) throws {
        var lo = range.lowerBound
        var hi = range.upperBound
        while lo < hi && Self.isSpace(buffer[lo]) { lo += 1 }
        while hi > lo && Self.isSpace(buffer[hi - 1]) { hi -= 1 }
        if lo == hi { return }
        var space = lo
        while space < hi && buffer[space] != 0x20 { space += 1 }
        guard space < hi else {
            throw malformed(line, "expected '<line id> <text>', found \"\(Self.text(buffer, lo..<hi))\"")
        }
        guard let id = Self.decimal(buffer, lo..<space) else {
            throw malformed(line, "the line id \"\(Self.text(buffer, lo..<space))\" is not a number")
        }
        if id == 1 {
            story.removeAll()
            storyWordsCounted = 0
            statementIDs.removeAll()
        }
        let textStart = space + 1
        var tabs: [Int] = []
        for i in textStart..<hi where buffer[i] == 0x09 { tabs.append(i) }
        if tabs.isEmpty {
            for i in textStart..<hi where buffer[i] == UInt8(ascii: "?") {
                throw malformed(
                    line, "a question (it has '?') without the TAB-separated answer and supporting facts; "
                        + "the TABs may have been replaced by spaces")
            }
            story += TextTokenizer.splitOnNonWordRunsUTF8(UnsafeBufferPointer(rebasing: buffer[textStart..<hi]))
            statementIDs.insert(id)
            return
        }
        guard tabs.count == 2 else {
            throw malformed(
                line, "a question line must have 3 TAB-separated fields (question, answer, supporting fact ids), "
                    + "found \(tabs.count + 1)")
        }
        let query = TextTokenizer.splitOnNonWordRunsUTF8(UnsafeBufferPointer(rebasing: buffer[textStart..<tabs[0]]))
        let answer = Self.text(buffer, (tabs[0] + 1)..<tabs[1])
        var facts: [Int] = []
        var i = tabs[1] + 1
        while i < hi {
            while i < hi && Self.isSpace(buffer[i]) { i += 1 }
            var j = i
            while j < hi && !Self.isSpace(buffer[j]) { j += 1 }
            if j > i {
                guard let fact = Self.decimal(buffer, i..<j) else {
                    throw malformed(line, "the supporting fact id \"\(Self.text(buffer, i..<j))\" is not a number")
                }
                guard statementIDs.contains(fact) else {
                    throw malformed(
                        line, "supporting fact \(fact) is not the id of an earlier statement of this story")
                }
                facts.append(fact)
            }
            i = j
        }
        while storyWordsCounted < story.count {
            words.insert(story[storyWordsCounted])
            storyWordsCounted += 1
        }
        for word in query { words.insert(word) }
        words.insert(answer)
        stories.append(story)
        queries.append(query)
        answers.append(answer)
        supportingFacts.append(facts)
    }
}
