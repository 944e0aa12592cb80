import Foundation
import Weft
import WeftData

// Keras's lookup and text layers: StringLookup, IntegerLookup and TextVectorization, on one
// index table with Keras's layout and rules (IndexLookup): in `.int` output the mask token
// (if any) is index 0, then `numOovIndices` out-of-vocabulary indices, then the vocabulary;
// `adapt` orders the vocabulary by frequency, ties by the token descending (bytes for strings);
// several OOV indices take the token's FarmHash fingerprint (strings) or its value (integers)
// modulo their count; the other output modes encode over the table without the mask token
// (masked entries count nowhere), tf-idf weights being log(1 + documents / (1 + document
// frequency)) with the OOV weight their mean. Strings are compared, hashed and counted by
// their UTF-8 bytes, as TensorFlow does.

/// A vocabulary given to a lookup layer (or read from a file) that cannot be used.
public struct VocabularyError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let message: String
    public init(_ source: String, _ message: String) { self.source = source; self.message = message }
    public var description: String { "\(source): \(message)" }
}

/// The output of a lookup layer: ids, or an encoding over the vocabulary per sample.
public enum LookupOutputMode: Hashable, Sendable { case int, oneHot, multiHot, count, tfIdf }

enum CategoricalMode { case oneHot, multiHot, count, weighted([Double]) }

/// Keras's `encode_categorical_inputs`: ids (negative ones skipped) to one-hot (a depth axis
/// appended, or replacing a last axis of 1), or multi-hot / counts / weighted counts over the
/// last axis (rank 1 as one id per sample). Float output.
func encodeCategorical(_ ids: [Int64], shape: Shape, depth: Int, _ mode: CategoricalMode) -> Tensor {
    let outShape: Shape
    let per: Int
    switch mode {
    case .oneHot:
        outShape = (shape.last == 1 ? Array(shape.dropLast()) : shape) + [depth]
        per = 1
    default:
        outShape = (shape.count <= 1 ? [shape.first ?? 1] : Array(shape.dropLast())) + [depth]
        per = shape.count <= 1 ? 1 : shape.last!
    }
    var out = [Double](repeating: 0, count: outShape.elementCount)
    for (i, id) in ids.enumerated() where id >= 0 {
        precondition(id < depth, "encoding: id \(id) is not in [0, \(depth))")
        let k = (i / Swift.max(per, 1)) * depth + Int(id)
        switch mode {
        case .oneHot, .multiHot: out[k] = 1
        case .count: out[k] += 1
        case .weighted(let w): out[k] += w[Int(id)]
        }
    }
    return Tensor(shape: outShape, scalars: out).cast(to: TensorDefaults.floatType)
}

/// The per-sample output shape of `encodeCategorical` (`.count` standing for every
/// reducing mode).
func categoricalShape(_ s: Shape, depth: Int, _ mode: CategoricalMode, layer: String) throws -> Shape {
    switch mode {
    case .oneHot: return (s.last == 1 ? Array(s.dropLast()) : s) + [depth]
    default:
        guard s.count <= 1 else { throw ShapeError(layer: layer, "encodes ids [N] or [N, L], got per-sample shape \(s)") }
        return [depth]
    }
}

/// Keras's IndexLookup table over `Key` (UTF-8 bytes or Int64).
struct LookupTable<Key: Hashable> {
    let layer: String
    let maskToken: Key?
    let oovToken: Key
    let numOovIndices: Int
    let outputMode: LookupOutputMode
    let maxTokens: Int?
    let padToMaxTokens: Bool
    let describe: (Key) -> String
    /// The learned or given tokens, without the special ones.
    private(set) var tokens: [Key] = []
    private(set) var index: [Key: Int] = [:]
    /// tf-idf weights of every output position (OOV ones first).
    private(set) var idf: [Double]?

    var oovStart: Int { maskToken != nil && outputMode == .int ? 1 : 0 }
    var tokenStart: Int { oovStart + numOovIndices }
    /// Keras's `get_vocabulary()`: [mask] + OOV tokens + tokens.
    var vocabulary: [Key] {
        (oovStart == 1 ? [maskToken!] : []) + [Key](repeating: oovToken, count: numOovIndices) + tokens
    }
    var vocabularySize: Int { tokenStart + tokens.count }
    /// The width of a non-int output.
    var depth: Int { padToMaxTokens ? maxTokens ?? vocabularySize : vocabularySize }

    init(layer: String, maskToken: Key?, oovToken: Key, numOovIndices: Int, outputMode: LookupOutputMode,
         maxTokens: Int?, padToMaxTokens: Bool, describe: @escaping (Key) -> String) {
        precondition(numOovIndices >= 0, "\(layer): numOovIndices must be ≥ 0, got \(numOovIndices)")
        precondition(!padToMaxTokens || maxTokens != nil, "\(layer): padToMaxTokens needs maxTokens")
        self.layer = layer
        self.maskToken = maskToken
        self.oovToken = oovToken
        self.numOovIndices = numOovIndices
        self.outputMode = outputMode
        self.maxTokens = maxTokens
        self.padToMaxTokens = padToMaxTokens
        self.describe = describe
        if let m = maxTokens { precondition(m > tokenStart, "\(layer): maxTokens (\(m)) must exceed the \(tokenStart) special indices") }
    }

    /// Keras's `set_vocabulary`: the special tokens may lead the list in Keras's layout.
    mutating func set(_ given: [Key], idfWeights: [Double]?, source: String) throws {
        var v = given[...], weights = idfWeights?[...]
        let special = vocabulary.prefix(tokenStart)
        if v.count >= special.count && Array(v.prefix(special.count)) == Array(special) && !special.isEmpty {
            v = v.dropFirst(special.count)
            if let w = weights, w.count == given.count { weights = w.dropFirst(special.count) }
        }
        var seen: [Key: Int] = [:]
        for (i, t) in v.enumerated() {
            if t == oovToken || t == maskToken {
                throw VocabularyError(source, "the vocabulary holds the \(t == oovToken ? "OOV" : "mask") token \(describe(t)) at position \(i + given.count - v.count); put the special tokens first in Keras's layout or leave them out")
            }
            if let j = seen[t] { throw VocabularyError(source, "token \(describe(t)) appears twice (positions \(j) and \(i))") }
            seen[t] = i
        }
        if let m = maxTokens, v.count + tokenStart > m {
            throw VocabularyError(source, "\(v.count) tokens and \(tokenStart) special indices exceed maxTokens \(m)")
        }
        if outputMode == .tfIdf {
            guard let w = weights, w.count == v.count else {
                throw VocabularyError(source, "tf-idf output needs one idf weight per token (\(v.count)), got \(weights?.count ?? 0)")
            }
            setIDF(Array(w))
        } else if weights != nil {
            throw VocabularyError(source, "idf weights are only for tf-idf output")
        }
        tokens = Array(v)
        index = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($0.element, $0.offset + tokenStart) })
    }

    private mutating func setIDF(_ w: [Double]) {
        let mean = w.isEmpty ? 0 : w.reduce(0, +) / Double(w.count)
        var all = [Double](repeating: mean, count: tokenStart) + w
        if padToMaxTokens, let m = maxTokens, all.count < m { all += [Double](repeating: 0, count: m - all.count) }
        idf = all
    }

    /// Keras's `adapt`: counts over documents, most frequent first, ties by `descending`.
    mutating func adapt(_ documents: [[Key]], descending: (Key, Key) -> Bool) {
        var counts: [Key: Int] = [:], docs: [Key: Int] = [:]
        for d in documents {
            for t in d { counts[t, default: 0] += 1 }
            if outputMode == .tfIdf { for t in Set(d) { docs[t, default: 0] += 1 } }
        }
        counts[oovToken] = nil
        if let m = maskToken { counts[m] = nil }
        var sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : descending($0.key, $1.key) }.map(\.key)
        if let m = maxTokens { sorted = Array(sorted.prefix(m - tokenStart)) }
        tokens = sorted
        index = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($0.element, $0.offset + tokenStart) })
        if outputMode == .tfIdf {
            let n = Double(documents.count)
            setIDF(tokens.map { Foundation.log(1 + n / (1 + Double(docs[$0]!))) })
        }
    }

    /// One token's id: its index, an OOV index (`bucket` picks among several), 0 for the mask
    /// in `.int` output and −1 (counted nowhere) in the others.
    func id(_ t: Key, bucket: (Key) -> Int) -> Int64 {
        if let i = index[t] { return Int64(i) }
        if let m = maskToken, t == m { return oovStart == 1 ? 0 : -1 }
        precondition(numOovIndices > 0, "\(layer): \(describe(t)) is not in the vocabulary and numOovIndices is 0")
        return Int64(oovStart + (numOovIndices == 1 ? 0 : bucket(t)))
    }

    /// The ids (shaped `shape`) as the output mode wants them.
    func encode(_ ids: [Int64], shape: Shape) -> Tensor {
        switch outputMode {
        case .int: return Tensor(shape: shape, scalars: ids)
        case .oneHot: return encodeCategorical(ids, shape: shape, depth: depth, .oneHot)
        case .multiHot: return encodeCategorical(ids, shape: shape, depth: depth, .multiHot)
        case .count: return encodeCategorical(ids, shape: shape, depth: depth, .count)
        case .tfIdf:
            precondition(idf != nil, "\(layer): tf-idf output needs adapt(_:) or a vocabulary with idf weights first")
            return encodeCategorical(ids, shape: shape, depth: depth, .weighted(idf!))
        }
    }

    func outputShape(_ s: Shape) throws -> Shape {
        switch outputMode {
        case .int: return s
        case .oneHot: return try categoricalShape(s, depth: depth, .oneHot, layer: layer)
        default: return try categoricalShape(s, depth: depth, .count, layer: layer)
        }
    }
}

/// UTF-8 bytes ordered as TensorFlow (and numpy) order strings.
func bytesDescending(_ a: [UInt8], _ b: [UInt8]) -> Bool { b.lexicographicallyPrecedes(a) }

/// Reads a vocabulary file: one token per line (Keras's vocabulary path), UTF-8.
public func readVocabularyFile(_ path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { throw VocabularyError(path, "cannot read the vocabulary file") }
    guard String(data: data, encoding: .utf8) != nil else { throw VocabularyError(path, "the vocabulary file is not UTF-8") }
    // Lines of bytes (a Swift String holds "\r\n" as one character).
    var lines = Array(data).split(separator: 10, omittingEmptySubsequences: false).map { $0.last == 13 ? $0.dropLast() : $0[...] }
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines.map { String(decoding: $0, as: UTF8.self) }
}

/// Keras `StringLookup`: strings to vocabulary ids ([N] or rectangular [N, L] batches) or to
/// one-/multi-hot, count or tf-idf encodings; `tokens(for:)` maps ids back (Keras's
/// `invert=True`). The vocabulary is given or learned with `adapt`.
public final class StringLookup {
    var table: LookupTable<[UInt8]>

    public init(maxTokens: Int? = nil, numOovIndices: Int = 1, maskToken: String? = nil, oovToken: String = "[UNK]",
                vocabulary: [String]? = nil, idfWeights: [Double]? = nil, outputMode: LookupOutputMode = .int,
                padToMaxTokens: Bool = false) throws {
        table = LookupTable(layer: "StringLookup", maskToken: maskToken.map { Array($0.utf8) }, oovToken: Array(oovToken.utf8),
                            numOovIndices: numOovIndices, outputMode: outputMode, maxTokens: maxTokens,
                            padToMaxTokens: padToMaxTokens, describe: { "\"\(String(decoding: $0, as: UTF8.self))\"" })
        if let v = vocabulary { try setVocabulary(v, idfWeights: idfWeights) }
    }

    public var outputMode: LookupOutputMode { table.outputMode }

    public func setVocabulary(_ vocabulary: [String], idfWeights: [Double]? = nil) throws {
        try table.set(vocabulary.map { Array($0.utf8) }, idfWeights: idfWeights, source: "StringLookup vocabulary")
    }

    /// Keras's `get_vocabulary()`: with the special tokens first unless `includeSpecialTokens` is false.
    public func vocabulary(includeSpecialTokens: Bool = true) -> [String] {
        (includeSpecialTokens ? table.vocabulary : table.tokens).map { String(decoding: $0, as: UTF8.self) }
    }

    public var vocabularySize: Int { table.vocabularySize }
    /// The tf-idf weights of every output position.
    public var idfWeights: [Double]? { table.idf }

    /// Learns the vocabulary from documents (a document's tokens each).
    public func adapt(_ documents: [[String]]) { table.adapt(documents.map { $0.map { Array($0.utf8) } }, descending: bytesDescending) }
    /// Learns the vocabulary, one token per document.
    public func adapt(_ tokens: [String]) { adapt(tokens.map { [$0] }) }

    func id(_ s: String) -> Int64 {
        table.id(Array(s.utf8)) { Int(StringHash.fingerprint64($0) % UInt64(table.numOovIndices)) }
    }

    /// One token per sample: ids [N] (one-hot [N, V]; the reducing modes one token per sample).
    public func callAsFunction(_ tokens: [String]) -> Tensor { table.encode(tokens.map(id), shape: [tokens.count]) }

    /// A rectangular batch [N, L]: ids [N, L] or encodings [N, V] (one-hot [N, L, V]).
    public func callAsFunction(_ rows: [[String]]) -> Tensor {
        let l = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == l }, "StringLookup: rows must have equal lengths (pad them first)")
        return table.encode(rows.flatMap { $0.map(id) }, shape: [rows.count, l])
    }

    /// Keras's `invert=True`: ids (any shape, row-major) back to tokens; OOV indices give the OOV
    /// token, the mask index the mask token.
    public func tokens(for ids: Tensor) -> [String] {
        precondition(table.outputMode == .int, "StringLookup: only .int ids map back to tokens")
        let vocab = vocabulary()
        return ids.detached().doubles.map { d in
            let i = Int(d)
            return i >= 0 && i < vocab.count ? vocab[i] : String(decoding: table.oovToken, as: UTF8.self)
        }
    }
}

/// Keras `IntegerLookup`: integer values to vocabulary ids (or encodings), a layer on tensors
/// (any integer or integral float dtype); several OOV indices take value mod their count
/// (floor modulo). With `invert`, ids back to values (OOV indices to `oovToken`).
public final class IntegerLookup: Layer {
    var table: LookupTable<Int64>
    public let invert: Bool

    public init(maxTokens: Int? = nil, numOovIndices: Int = 1, maskToken: Int64? = nil, oovToken: Int64 = -1,
                vocabulary: [Int64]? = nil, idfWeights: [Double]? = nil, outputMode: LookupOutputMode = .int,
                padToMaxTokens: Bool = false, invert: Bool = false) throws {
        precondition(!invert || outputMode == .int, "IntegerLookup: invert needs .int output")
        table = LookupTable(layer: "IntegerLookup", maskToken: maskToken, oovToken: oovToken, numOovIndices: numOovIndices,
                            outputMode: outputMode, maxTokens: maxTokens, padToMaxTokens: padToMaxTokens, describe: { "\($0)" })
        self.invert = invert
        if let v = vocabulary { try setVocabulary(v, idfWeights: idfWeights) }
    }

    public var typeName: String { "IntegerLookup" }
    public var outputMode: LookupOutputMode { table.outputMode }

    public func setVocabulary(_ vocabulary: [Int64], idfWeights: [Double]? = nil) throws {
        try table.set(vocabulary, idfWeights: idfWeights, source: "IntegerLookup vocabulary")
    }

    public func vocabulary(includeSpecialTokens: Bool = true) -> [Int64] { includeSpecialTokens ? table.vocabulary : table.tokens }
    public var vocabularySize: Int { table.vocabularySize }
    public var idfWeights: [Double]? { table.idf }

    /// Learns the vocabulary from [N] (a value per document) or [N, L] (a row per document).
    public func adapt(_ data: Tensor) {
        let v = data.detached().doubles.map { Int64($0) }
        let per = data.rank <= 1 ? 1 : Array(data.shape.dropFirst()).elementCount
        let docs = per == 0 ? [] : stride(from: 0, to: v.count, by: per).map { Array(v[$0..<($0 + per)]) }
        table.adapt(docs, descending: >)
    }

    public func build(inputShape s: Shape) throws -> Shape { invert ? s : try table.outputShape(s) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let values = x.detached().doubles.map { Int64($0) }
        if invert {
            let vocab = vocabulary()
            return Tensor(shape: x.shape, scalars: values.map { $0 >= 0 && $0 < Int64(vocab.count) ? vocab[Int($0)] : table.oovToken })
        }
        let n = Int64(table.numOovIndices)
        return table.encode(values.map { v in table.id(v) { Int((($0 % n) + n) % n) } }, shape: x.shape)
    }
}

/// Keras `TextVectorization`: strings → standardize → split → n-grams → vocabulary ids
/// ([N, L], 0-padded to the longest or to `outputSequenceLength`, 1 the OOV id) or
/// multi-hot / count / tf-idf encodings [N, V]. The defaults are Keras's: ASCII lowercase and
/// ASCII punctuation stripped, split on ASCII whitespace runs.
public final class TextVectorization {
    public enum Standardize: Sendable {
        case lowerAndStripPunctuation, lower, stripPunctuation, none
        case custom(@Sendable (String) -> String)
    }
    public enum Split: Sendable {
        case whitespace, character, none
        case custom(@Sendable (String) -> [String])
    }

    public let standardize: Standardize
    public let split: Split
    public let ngrams: [Int]
    public let outputSequenceLength: Int?
    let lookup: StringLookup

    /// `ngrams`: Keras's integer n (widths 1…n) as `[Int](1...n)`, or the widths wanted.
    public init(maxTokens: Int? = nil, standardize: Standardize = .lowerAndStripPunctuation, split: Split = .whitespace,
                ngrams: [Int] = [1], outputMode: LookupOutputMode = .int, outputSequenceLength: Int? = nil,
                padToMaxTokens: Bool = false, vocabulary: [String]? = nil, idfWeights: [Double]? = nil) throws {
        precondition(outputMode != .oneHot, "TextVectorization: output modes are int, multiHot, count and tfIdf")
        precondition(!ngrams.isEmpty && ngrams.allSatisfy { $0 > 0 }, "TextVectorization: ngrams must be positive widths")
        if case .none = split { precondition(ngrams == [1], "TextVectorization: ngrams need a split") }
        precondition(outputSequenceLength == nil || outputMode == .int, "TextVectorization: outputSequenceLength is for .int output")
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.outputSequenceLength = outputSequenceLength
        lookup = try StringLookup(maxTokens: maxTokens, maskToken: "", vocabulary: vocabulary, idfWeights: idfWeights,
                                  outputMode: outputMode, padToMaxTokens: padToMaxTokens)
    }

    public func vocabulary(includeSpecialTokens: Bool = true) -> [String] { lookup.vocabulary(includeSpecialTokens: includeSpecialTokens) }
    public var vocabularySize: Int { lookup.vocabularySize }
    public var idfWeights: [Double]? { lookup.idfWeights }
    public func setVocabulary(_ vocabulary: [String], idfWeights: [Double]? = nil) throws {
        try lookup.setVocabulary(vocabulary, idfWeights: idfWeights)
    }

    static let punctuation: Set<UInt8> = Set(Array("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'".utf8))

    /// The tokens of one string after standardization, split and n-grams.
    public func tokens(_ text: String) -> [String] {
        var bytes: [UInt8]
        switch standardize {
        case .custom(let f): bytes = Array(f(text).utf8)
        default:
            let (lower, strip): (Bool, Bool)
            switch standardize {
            case .lowerAndStripPunctuation: (lower, strip) = (true, true)
            case .lower: (lower, strip) = (true, false)
            case .stripPunctuation: (lower, strip) = (false, true)
            default: (lower, strip) = (false, false)
            }
            bytes = Array(text.utf8)
            if lower { bytes = bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } }
            if strip { bytes.removeAll { Self.punctuation.contains($0) } }
        }
        let words: [String]
        switch split {
        case .custom(let f): words = f(String(decoding: bytes, as: UTF8.self))
        case .none: return [String(decoding: bytes, as: UTF8.self)]
        case .character: words = String(decoding: bytes, as: UTF8.self).unicodeScalars.map { String($0) }
        case .whitespace:
            // ASCII whitespace: space, \t, \n, \v, \f, \r.
            words = bytes.split(whereSeparator: { $0 == 32 || ($0 >= 9 && $0 <= 13) }).map { String(decoding: $0, as: UTF8.self) }
        }
        guard ngrams != [1] else { return words }
        var out: [String] = []
        for n in ngrams where n <= words.count {
            for i in 0...(words.count - n) { out.append(words[i..<(i + n)].joined(separator: " ")) }
        }
        return out
    }

    /// Learns the vocabulary (and tf-idf weights) from the texts, one document each.
    public func adapt(_ texts: [String]) { lookup.adapt(texts.map(tokens)) }

    /// Keras `ragged=True`: each text's token ids, as many as it has tokens (`.int` output;
    /// `outputSequenceLength`, if set, truncates).
    public func ragged(_ texts: [String]) -> [[Int64]] {
        precondition(lookup.outputMode == .int, "TextVectorization: ragged output is for .int output")
        return texts.map { text in
            let t = tokens(text)
            return t.prefix(outputSequenceLength ?? t.count).map { lookup.id($0) }
        }
    }

    /// Vectorizes a batch of texts.
    public func callAsFunction(_ texts: [String]) -> Tensor {
        let toks = texts.map(tokens)
        guard lookup.outputMode == .int else {
            // Each text's tokens as one row: pad with the mask token, which counts nowhere.
            let l = toks.map(\.count).max() ?? 0
            return lookup(toks.map { $0 + [String](repeating: "", count: l - $0.count) })
        }
        let l = outputSequenceLength ?? toks.map(\.count).max() ?? 0
        var ids = [Int64](repeating: 0, count: texts.count * l)
        for (r, t) in toks.enumerated() {
            for (c, token) in t.prefix(l).enumerated() { ids[r * l + c] = lookup.id(token) }
        }
        return Tensor(shape: [texts.count, l], scalars: ids)
    }
}
