import Weft

/// One split (train or test) of the IMDB reviews, as Keras word ids.
public struct IMDBSplit: Sendable, Equatable {
    /// One id sequence per review (see ``IMDB`` for the ids). With a
    /// `maxLen` every sequence has exactly that length (padded with 0 in
    /// front, or its last `maxLen` ids kept); without, each is `[1] + words`.
    public let sequences: [[Int32]]
    /// 0 (negative) or 1 (positive) per review; they alternate 0, 1, 0, 1, ...
    public let labels: [Int32]
    /// The length the sequences were padded or truncated to, if any.
    public let maxLen: Int?
    /// Where each review came from, e.g. `"train/neg/0_3.txt"`.
    public let files: [String]

    /// Creates a split; the arrays must have the same length.
    public init(sequences: [[Int32]], labels: [Int32], maxLen: Int?, files: [String]) {
        precondition(sequences.count == labels.count, "IMDBSplit: \(sequences.count) sequences for \(labels.count) labels")
        precondition(files.count == labels.count, "IMDBSplit: \(files.count) file names for \(labels.count) labels")
        self.sequences = sequences
        self.labels = labels
        self.maxLen = maxLen
        self.files = files
    }

    /// The number of reviews.
    public var count: Int { labels.count }

    /// The sequences as one row-major `[count, width]` matrix, `width` being
    /// `maxLen` or, without one, the longest sequence (shorter ones padded
    /// with 0 in front, as Keras's `pad_sequences(maxlen=None)`).
    public func paddedSequences() -> (ids: [Int32], width: Int) {
        let width = maxLen ?? sequences.reduce(0) { Swift.max($0, $1.count) }
        return (padSequences(sequences, maxLen: width), width)
    }

    /// `x`: int32 `[count, width]` (see ``paddedSequences()``); `y`: int32 `[count]` labels.
    public func tensors() -> (x: Tensor, y: Tensor) {
        let (ids, width) = paddedSequences()
        return (Tensor(shape: [count, width], scalars: ids), Tensor(shape: [count], scalars: labels))
    }
}

/// The IMDB training and test splits with the word index that numbered them.
public struct IMDBData: Sendable {
    /// Training reviews (the files of `aclImdb/train/`).
    public let train: IMDBSplit
    /// Test reviews (the files of `aclImdb/test/`).
    public let test: IMDBSplit
    /// Keras's word index: word → rank (1 = most frequent); a word's id is
    /// `rank + 3` (when below `numWords`).
    public let wordIndex: [String: Int]
    /// Ids at or above this were replaced by 2 (nil: none were).
    public let numWords: Int?
    /// The sequence length used, if any.
    public let maxLen: Int?
    let encoder: IMDBEncoder

    init(train: IMDBSplit, test: IMDBSplit, wordIndex: [String: Int], numWords: Int?, maxLen: Int?, encoder: IMDBEncoder) {
        self.train = train
        self.test = test
        self.wordIndex = wordIndex
        self.numWords = numWords
        self.maxLen = maxLen
        self.encoder = encoder
    }

    /// Numbers new text exactly as the reviews were: `[1]` followed by
    /// each word's id (2 for unknown words), then padded or truncated to
    /// ``maxLen`` when one was used. Useful to run a trained model on new text.
    public func encode(_ text: String) -> [Int32] {
        let ids = encoder.encode(utf8: Array(text.utf8), crIsSeparator: false)!
        guard let maxLen else { return ids }
        return padSequences([ids], maxLen: maxLen)
    }
}
