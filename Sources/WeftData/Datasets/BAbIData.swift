import Weft

/// The examples of one bAbI file: one per question, as words.
public struct BAbISplit: Sendable {
    /// Per question: every statement of its story before it, concatenated, as tokens.
    public let stories: [[String]]
    /// Per question: the question's tokens (e.g. `["Where", "is", "Mary", "?"]`).
    public let queries: [[String]]
    /// Per question: the answer field as it is in the file (one vocabulary word).
    public let answers: [String]
    /// Per question: the supporting facts, as the line ids of the file
    /// (counted from 1 within the story, question lines included).
    public let supportingFacts: [[Int]]
    /// Every word of `stories`, `queries` and `answers`.
    let words: Set<String>

    /// Creates a split from examples; the four arrays must have the same length.
    public init(stories: [[String]], queries: [[String]], answers: [String], supportingFacts: [[Int]]) {
        var words = Set(answers)
        for story in stories { words.formUnion(story) }
        for query in queries { words.formUnion(query) }
        self.init(stories: stories, queries: queries, answers: answers, supportingFacts: supportingFacts, words: words)
    }

    init(stories: [[String]], queries: [[String]], answers: [String], supportingFacts: [[Int]], words: Set<String>) {
        precondition(
            stories.count == answers.count && queries.count == answers.count && supportingFacts.count == answers.count,
            "BAbISplit: \(stories.count) stories, \(queries.count) queries, \(answers.count) answers and "
                + "\(supportingFacts.count) supporting-fact lists; they must be the same number")
        self.stories = stories
        self.queries = queries
        self.answers = answers
        self.supportingFacts = supportingFacts
        self.words = words
    }

    /// The number of questions.
    public var count: Int { answers.count }

    /// The longest story, in tokens (0 when empty).
    public var longestStory: Int { stories.reduce(0) { Swift.max($0, $1.count) } }

    /// The longest query, in tokens (0 when empty).
    public var longestQuery: Int { queries.reduce(0) { Swift.max($0, $1.count) } }

    /// The examples as ids, flat and row-major: stories `[count, storyMaxLen]`
    /// and queries `[count, queryMaxLen]`, left-padded with 0 (and, if
    /// longer, keeping their last ids: Keras's `pad_sequences` defaults),
    /// answers `[count]`.
    ///
    /// - Precondition: every word is in `wordIDs` (use the vocabulary built
    ///   from this split, e.g. ``BAbIData/wordIDs``).
    public func vectorized(wordIDs: [String: Int32], storyMaxLen: Int, queryMaxLen: Int)
        -> (story: [Int32], query: [Int32], answer: [Int32])
    {
        func ids(_ words: [String]) -> [Int32] {
            words.map { word in
                guard let id = wordIDs[word] else {
                    preconditionFailure("BAbISplit.vectorized: the word \"\(word)\" is not in the vocabulary")
                }
                return id
            }
        }
        return (
            padSequences(stories.map(ids), maxLen: storyMaxLen),
            padSequences(queries.map(ids), maxLen: queryMaxLen),
            ids(answers)
        )
    }

    /// ``vectorized(wordIDs:storyMaxLen:queryMaxLen:)`` as int32 tensors:
    /// story `[count, storyMaxLen]`, query `[count, queryMaxLen]`, answer `[count]`.
    public func tensors(wordIDs: [String: Int32], storyMaxLen: Int, queryMaxLen: Int)
        -> (story: Tensor, query: Tensor, answer: Tensor)
    {
        let v = vectorized(wordIDs: wordIDs, storyMaxLen: storyMaxLen, queryMaxLen: queryMaxLen)
        return (
            Tensor(shape: [count, storyMaxLen], scalars: v.story),
            Tensor(shape: [count, queryMaxLen], scalars: v.query),
            Tensor(shape: [count], scalars: v.answer)
        )
    }
}

extension BAbISplit: Equatable {
    public static func == (a: BAbISplit, b: BAbISplit) -> Bool {
        a.stories == b.stories && a.queries == b.queries && a.answers == b.answers
            && a.supportingFacts == b.supportingFacts
    }
}

/// One bAbI task: both splits with the shared vocabulary and lengths.
public struct BAbIData: Sendable, Equatable {
    public let train: BAbISplit
    public let test: BAbISplit
    /// Every story, query and answer word of train and test, sorted by
    /// Unicode code points (Python's `sorted`); the id of `vocabulary[i]` is `i + 1`.
    public let vocabulary: [String]
    /// Word → id (1...vocabulary.count); 0 is padding.
    public let wordIDs: [String: Int32]
    /// The longest story of train and test, in tokens.
    public let storyMaxLen: Int
    /// The longest query of train and test, in tokens.
    public let queryMaxLen: Int

    /// `vocabulary.count + 1`: the number of ids, padding included (the
    /// embedding's input size and the answer classifier's output size).
    public var vocabSize: Int { vocabulary.count + 1 }

    /// Builds the vocabulary and lengths of two splits (the Keras recipe).
    public init(train: BAbISplit, test: BAbISplit) {
        self.train = train
        self.test = test
        vocabulary = train.words.union(test.words).sorted {
            $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars)
        }
        var ids: [String: Int32] = [:]
        for (i, word) in vocabulary.enumerated() { ids[word] = Int32(i + 1) }
        wordIDs = ids
        storyMaxLen = Swift.max(train.longestStory, test.longestStory)
        queryMaxLen = Swift.max(train.longestQuery, test.longestQuery)
    }

    /// A split's examples as flat ids with this task's vocabulary and lengths
    /// (see ``BAbISplit/vectorized(wordIDs:storyMaxLen:queryMaxLen:)``).
    public func vectorized(_ split: BAbISplit) -> (story: [Int32], query: [Int32], answer: [Int32]) {
        split.vectorized(wordIDs: wordIDs, storyMaxLen: storyMaxLen, queryMaxLen: queryMaxLen)
    }

    /// A split's examples as int32 tensors: story `[N, storyMaxLen]`, query
    /// `[N, queryMaxLen]`, answer `[N]`. Pass ``train`` or ``test``.
    public func tensors(_ split: BAbISplit) -> (story: Tensor, query: Tensor, answer: Tensor) {
        split.tensors(wordIDs: wordIDs, storyMaxLen: storyMaxLen, queryMaxLen: queryMaxLen)
    }
}
