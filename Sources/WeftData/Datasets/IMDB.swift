import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loader for the IMDB sentiment reviews (Maas et al. 2011, "Large Movie
/// Review Dataset") from the raw `aclImdb` folders, tokenised and numbered
/// exactly as `keras.datasets.imdb` numbers words (the pipeline of the
/// benchmark's PyTorch reference, `torch_train.py`).
///
/// ```swift
/// let data = try IMDB.load()                  // numWords 30000, maxLen 150
/// let (x, y) = data.train.tensors()           // int32 [N, 150], int32 [N]
/// ```
///
/// The pipeline, step by step:
/// 1. **Files.** `aclImdb/<split>/neg/*.txt` and `aclImdb/<split>/pos/*.txt`
///    (`<split>` is `train` or `test`; `unsup/` is not read). Within a folder
///    the files are ordered by their numeric id, the part of the name before
///    the first `_` (`12_7.txt` has id 12; ties by name). The two folders
///    are interleaved `neg[0], pos[0], neg[1], pos[1], ...`; label neg 0,
///    pos 1. Both folders must hold the same number of reviews.
/// 2. **Text.** Each file is read as UTF-8 (Python text mode: CR LF and lone
///    CR count as LF) and split into words with
///    ``TextTokenizer/kerasWords(_:)``: Python's `str.lower`, the Keras
///    filter characters plus TAB and LF become spaces, split on spaces,
///    empty strings dropped. `"<br />"` therefore gives the word `br`.
/// 3. **Ids.** `1` (start), then for each word `rank + 3`, where `rank` is
///    its value in `imdb_word_index.json` (1 = most frequent); `2` (OOV)
///    when the word is not in the index or `rank + 3 >= numWords`.
/// 4. **Length.** With `maxLen`, Keras's `pad_sequences` defaults: longer
///    sequences keep their LAST `maxLen` ids (so the start id is dropped),
///    shorter ones get `0`s in front (see ``padSequences(_:maxLen:padding:truncating:value:)``).
public enum IMDB {
    /// The dataset's directory name under `$WEFT_DATA_DIR` or the cache.
    public static let directoryName = "imdb"
    /// The Keras word index file, next to `aclImdb/`.
    public static let wordIndexFileName = "imdb_word_index.json"
    /// The review folders, relative to the dataset directory.
    public static let reviewDirectories = ["aclImdb/train/neg", "aclImdb/train/pos", "aclImdb/test/neg", "aclImdb/test/pos"]
    /// Padding id.
    public static let paddingID: Int32 = 0
    /// The id every sequence starts with.
    public static let startID: Int32 = 1
    /// The id of a word not in the index, or not among the `numWords` kept.
    public static let outOfVocabularyID: Int32 = 2
    /// Word ids are `rank + indexFrom`.
    public static let indexFrom = 3

    /// Where the raw reviews can be downloaded.
    public static let reviewsURL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
    /// Where Keras downloads the word index from.
    public static let wordIndexURL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"

    /// Loads, tokenises and numbers the training and test reviews.
    ///
    /// Where the files are looked for, in order: `directory` if given (and
    /// nothing else); otherwise `$WEFT_DATA_DIR/imdb/`, then
    /// `~/.cache/weft/datasets/imdb/`. A directory qualifies when it holds
    /// `imdb_word_index.json` (plain or `.gz`) and the four folders
    /// `aclImdb/{train,test}/{neg,pos}/`.
    ///
    /// When no directory qualifies, `download` is true and no `directory`
    /// was given, what the cache directory lacks is downloaded into it with
    /// curl: the word index (``wordIndexURL``, checked against Keras's MD5)
    /// and/or the reviews archive (``reviewsURL``, 84 MB, checked against its
    /// MD5 before anything is extracted). Only `aclImdb/README` and
    /// `aclImdb/{train,test}/{neg,pos}/*.txt` are extracted (not `unsup/`,
    /// the `.feat` or the `urls_*` files); they are written into a hidden
    /// staging directory and renamed to `aclImdb/` when complete, so an
    /// interrupted extraction never qualifies; the archive is then deleted.
    /// A downloaded copy is the full dataset: 25,000 training and 25,000
    /// test reviews (the copy shipped in `shared/datasets/imdb` is a subset
    /// of 2,000 + 2,000). Nothing is ever downloaded into `WEFT_DATA_DIR` or
    /// `directory`.
    ///
    /// - Parameters:
    ///   - directory: a directory that must hold the files.
    ///   - numWords: ids at or above this become 2 (OOV), as Keras's
    ///     `num_words`; nil keeps every word. Must be at least 3.
    ///   - maxLen: the length every sequence is padded or truncated to (see
    ///     the type's documentation); nil keeps the sequences as they are.
    ///   - download: whether missing files may be downloaded into the cache.
    ///   - environment: where `WEFT_DATA_DIR` and `HOME` come from.
    ///   - source: where to download from instead of the official URLs, with
    ///     the checksums to expect (a test hook: `file://` mirrors).
    /// - Throws: ``DatasetError``: `.missingFiles` naming what is missing,
    ///   every directory searched and how to get the files (also when the
    ///   download fails: no curl, no network); `.checksumMismatch` when a
    ///   download is not the expected file; `.corrupt` for a damaged archive or a
    ///   review that is not UTF-8, a review file name without a numeric id,
    ///   folders with different numbers of reviews, or a malformed word
    ///   index; `.ioError` when a file cannot be read.
    public static func load(
        directory: String? = nil, numWords: Int? = 30000, maxLen: Int? = 150,
        download: Bool = true, environment: DatasetEnvironment = .current, source: IMDBDownloadSource? = nil
    ) throws -> IMDBData {
        if let numWords { precondition(numWords >= 3, "IMDB.load: numWords must be at least 3, got \(numWords)") }
        if let maxLen { precondition(maxLen >= 0, "IMDB.load: maxLen must be >= 0, got \(maxLen)") }
        let root = try locate(
            explicitDirectory: directory, download: download, environment: environment, source: source ?? .official)
        guard let indexPath = resolveDatasetFile(wordIndexFileName, in: root) else {
            throw DatasetError.fileNotFound(joinPath(root, wordIndexFileName))
        }
        let indexBytes = try gunzipIfNeeded(readFileBytes(indexPath), file: indexPath)
        let index = try parseWordIndexFile(indexBytes, file: indexPath)
        let encoder = IMDBEncoder(table: index.table, numWords: numWords)
        let train = try loadSplit("train", root: root, encoder: encoder, maxLen: maxLen)
        let test = try loadSplit("test", root: root, encoder: encoder, maxLen: maxLen)
        return IMDBData(train: train, test: test, wordIndex: index.dictionary, numWords: numWords, maxLen: maxLen, encoder: encoder)
    }

    /// The first qualifying directory; else, when allowed, the cache
    /// directory after downloading what it lacks; else `.missingFiles`.
    private static func locate(
        explicitDirectory: String?, download: Bool, environment: DatasetEnvironment, source: IMDBDownloadSource
    ) throws -> String {
        let candidates = explicitDirectory.map { [$0] } ?? environment.searchDirectories(for: directoryName)
        var leastMissing: [String]?
        for candidate in candidates {
            let missing = missingEntries(in: candidate)
            if missing.isEmpty { return candidate }
            if leastMissing == nil || missing.count < leastMissing!.count { leastMissing = missing }
        }
        var hint = ""
        if explicitDirectory != nil {
            hint = "Files are only looked for in the directory given. "
        } else if download {
            if let cache = environment.cacheDirectory(for: directoryName) {
                do {
                    try downloadMissing(into: cache, source: source)
                    if missingEntries(in: cache).isEmpty { return cache }
                } catch DatasetError.downloadFailed(let url, let detail) {
                    hint = "Downloading \(url) failed (\(detail)). "
                }
                leastMissing = missingEntries(in: cache)
            } else {
                hint = "HOME is not set, so there is no cache directory to download into. "
            }
        } else {
            hint = "Downloading was disabled. "
        }
        let missing = leastMissing ?? missingEntries(in: "")
        let target = explicitDirectory ?? environment.cacheDirectory(for: directoryName) ?? "$WEFT_DATA_DIR/\(directoryName)"
        hint += "Get \(source.reviews.url) (\(source.reviews.checksumDescription)) and extract it in \(target)"
            + " (it creates aclImdb/), and put \(source.wordIndex.url) (\(source.wordIndex.checksumDescription);"
            + " plain or gzipped) next to aclImdb/"
        if explicitDirectory == nil {
            hint += ", or set WEFT_DATA_DIR to a directory that has an \(directoryName)/ subdirectory with them"
        }
        hint += "."
        throw DatasetError.missingFiles(dataset: "IMDB", files: missing, searched: candidates, hint: hint)
    }

    /// Downloads into `cache` whichever of the word index and the reviews it lacks.
    static func downloadMissing(into cache: String, source: IMDBDownloadSource) throws {
        if resolveDatasetFile(wordIndexFileName, in: cache) == nil {
            try WeftData.download(source.wordIndex, to: joinPath(cache, wordIndexFileName))
        }
        guard reviewDirectories.contains(where: { !isDirectory(joinPath(cache, $0)) }) else { return }
        let archivePath = joinPath(cache, source.reviews.fileName)
        if !fileMatches(source.reviews, at: archivePath) {
            try WeftData.download(source.reviews, to: archivePath)
        }
        let archive = try readFileBytes(archivePath)
        try extractReviews(archive, file: archivePath, into: cache)
        unlink(archivePath)
    }

    /// Whether an archive member is extracted: `aclImdb/README` and
    /// `aclImdb/{train,test}/{neg,pos}/*.txt`.
    static func isReviewMember(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.first == "aclImdb" else { return false }
        if parts.count == 2 { return parts[1] == "README" }
        return parts.count == 4 && (parts[1] == "train" || parts[1] == "test")
            && (parts[2] == "neg" || parts[2] == "pos") && parts[3].hasSuffix(".txt")
    }

    /// Extracts the reviews of an `aclImdb_v1.tar.gz` (or `.tar`) as
    /// `directory/aclImdb/`, all at once (see the type's `load`).
    ///
    /// - Returns: the number of files extracted.
    /// - Throws: `.corrupt` when the archive is damaged or one of the four
    ///   review folders has no `.txt` file in it.
    @discardableResult
    public static func extractReviews(_ archive: [UInt8], file: String, into directory: String) throws -> Int {
        let tar = try gunzipIfNeeded(archive, file: file, maxBytes: 4 << 30)
        var members: [(path: String, contents: ArraySlice<UInt8>)] = []
        var perFolder: [String: Int] = [:]
        try Tar.forEachFile(in: tar, file: file) { path, contents in
            guard isReviewMember(path) else { return }
            members.append((String(path.dropFirst("aclImdb/".count)), contents))
            perFolder[WeftData.directoryName(of: path), default: 0] += 1
        }
        let empty = reviewDirectories.filter { (perFolder[$0] ?? 0) == 0 }
        guard empty.isEmpty else {
            throw DatasetError.corrupt(
                file: file,
                detail: "the archive has no review (.txt) files in \(empty.map { $0 + "/" }.joined(separator: ", "))")
        }
        try installDirectoryAtomically(
            members, directories: reviewDirectories.map { String($0.dropFirst("aclImdb/".count)) },
            as: joinPath(directory, "aclImdb"))
        return members.count
    }

    /// What `directory` lacks: the word index file and review folders (with a trailing slash).
    private static func missingEntries(in directory: String) -> [String] {
        var missing: [String] = []
        if directory.isEmpty || resolveDatasetFile(wordIndexFileName, in: directory) == nil {
            missing.append(wordIndexFileName + "[.gz]")
        }
        for folder in reviewDirectories where directory.isEmpty || !isDirectory(joinPath(directory, folder)) {
            missing.append(folder + "/")
        }
        return missing
    }

    /// The `.txt` files of a review folder, ordered by numeric id then name.
    static func reviewFiles(in folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw DatasetError.ioError(path: folder, detail: "cannot list the directory: \(error.localizedDescription)")
        }
        var keyed: [(id: Int, name: String)] = []
        keyed.reserveCapacity(names.count)
        for name in names where name.hasSuffix(".txt") && isRegularFile(joinPath(folder, name)) {
            let prefix = name.split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard name.contains("_"), let id = Int(prefix), id >= 0 else {
                throw DatasetError.corrupt(
                    file: joinPath(folder, name),
                    detail: "a review file name must be <id>_<rating>.txt with a numeric id")
            }
            keyed.append((id, name))
        }
        keyed.sort { $0.id != $1.id ? $0.id < $1.id : $0.name < $1.name }
        return keyed.map { joinPath(folder, $0.name) }
    }

    private static func loadSplit(_ split: String, root: String, encoder: IMDBEncoder, maxLen: Int?) throws -> IMDBSplit {
        let negFolder = joinPath(root, "aclImdb/\(split)/neg")
        let posFolder = joinPath(root, "aclImdb/\(split)/pos")
        let neg = try reviewFiles(in: negFolder)
        let pos = try reviewFiles(in: posFolder)
        guard neg.count == pos.count else {
            throw DatasetError.corrupt(
                file: joinPath(root, "aclImdb/\(split)"),
                detail: "neg/ holds \(neg.count) reviews but pos/ holds \(pos.count); they are interleaved, "
                    + "so both must hold the same number")
        }
        var sequences: [[Int32]] = []
        var labels: [Int32] = []
        var files: [String] = []
        sequences.reserveCapacity(2 * neg.count)
        labels.reserveCapacity(2 * neg.count)
        files.reserveCapacity(2 * neg.count)
        for i in 0..<neg.count {
            for (label, path) in [(Int32(0), neg[i]), (Int32(1), pos[i])] {
                let bytes = try readFileBytes(path)
                guard let ids = encoder.encode(utf8: bytes, crIsSeparator: true) else {
                    throw DatasetError.corrupt(file: path, detail: "the review is not valid UTF-8 text")
                }
                if let maxLen {
                    sequences.append(padSequences([ids], maxLen: maxLen))
                } else {
                    sequences.append(ids)
                }
                labels.append(label)
                files.append("\(split)/\(label == 0 ? "neg" : "pos")/\(fileName(of: path))")
            }
        }
        return IMDBSplit(sequences: sequences, labels: labels, maxLen: maxLen, files: files)
    }
}

/// Where ``IMDB/load(directory:numWords:maxLen:download:environment:source:)``
/// downloads the reviews archive and the word index from.
public struct IMDBDownloadSource: Sendable, Equatable {
    /// The `aclImdb_v1.tar.gz` archive.
    public var reviews: DownloadSource
    /// `imdb_word_index.json`.
    public var wordIndex: DownloadSource

    public init(reviews: DownloadSource, wordIndex: DownloadSource) {
        self.reviews = reviews
        self.wordIndex = wordIndex
    }

    /// The official files: the Stanford archive with the MD5 torchtext lists,
    /// and the Keras word index with Keras's `file_hash` (an MD5).
    public static let official = IMDBDownloadSource(
        reviews: DownloadSource(url: IMDB.reviewsURL, md5: "7c2ac02c03563afcf9b574c7e56c153a"),
        wordIndex: DownloadSource(url: IMDB.wordIndexURL, md5: "bfafd718b763782e994055a2d397834f"))
}

/// Turns review text into Keras IMDB ids with a loaded word index.
struct IMDBEncoder: Sendable {
    let table: UTF8WordTable
    let numWords: Int?

    /// `[1] + [id of each word]`, unpadded; nil when `bytes` is not UTF-8.
    func encode(utf8 bytes: [UInt8], crIsSeparator: Bool) -> [Int32]? {
        guard let normalized = TextTokenizer.kerasNormalizedUTF8(bytes, crIsSeparator: crIsSeparator) else { return nil }
        let limit = numWords.map { Int64($0) } ?? Int64.max
        var ids: [Int32] = [IMDB.startID]
        ids.reserveCapacity(normalized.count / 4 + 1)
        table.withLookup { lookup in
            normalized.withUnsafeBufferPointer { buffer in
                TextTokenizer.forEachSpaceSeparatedWord(buffer) { word in
                    if let rank = lookup.value(for: word), Int64(rank) + Int64(IMDB.indexFrom) < limit {
                        ids.append(rank + Int32(IMDB.indexFrom))
                    } else {
                        ids.append(IMDB.outOfVocabularyID)
                    }
                }
            }
        }
        return ids
    }
}
