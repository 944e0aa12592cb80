import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Keras's Hashing, StringLookup, IntegerLookup and TextVectorization. References
// (KerasTextPreprocessingReference.swift) from Keras 3.15.1 with TensorFlow 2.21.0 (the string
// ops these layers run on), made by this script (abridged; R = the reference enum):
//
//   import os; os.environ["KERAS_BACKEND"] = "torch"
//   import numpy as np, keras, tensorflow as tf; from keras import layers
//   fastMod2p62[i]   = tf.strings.to_hash_bucket_fast([s], 2**62)            for s in hashStrings
//   strongMod2p62[i] = tf.strings.to_hash_bucket_strong([s], 2**62, key=[3, 5])
//   ints = [[1, 2, -3], [0, 11, 12345]]; sv = [["a", "bb"], ["ccc", "dd"]]
//   hashInts = Hashing(5)(ints); hashIntsMasked = Hashing(5, mask_value=0)(ints)
//   hashFloats = Hashing(7)([1.7, -2.2, 3.0]); hashSalted = Hashing(5, salt=7)(sv)
//   hashSaltPair = Hashing(5, salt=[9, 4])(sv); hashMultiHot = Hashing(4, output_mode="multi_hot")(sv)
//   hashCount = Hashing(3, output_mode="count")([["a", "bb", "a"], ["ccc", "dd", "e"]])
//   docs = [["b", "a", "c"], ["a", "b", "d"], ["a", "e", "b"], ["f", "c", "g"]]
//   StringLookup().adapt(docs) → slVocab, slIds = (["a", "z", "g"])
//   StringLookup(mask_token="", num_oov_indices=2, vocabulary=["x", "y"]) → sl2Vocab,
//       sl2Ids = (["x", "", "q", "r", "s", "y", "hello", "abc"])
//   StringLookup(vocabulary=["x", "y"], output_mode="multi_hot", mask_token="") → sl3Vocab,
//       sl3MultiHot = ([["x", "", "q"], ["y", "y", ""]])
//   sl6OneHot = StringLookup(vocabulary=["x", "y"], output_mode="one_hot")(["x", "q", "y"])
//   StringLookup(output_mode="tf_idf").adapt(docs) → sl7Idf = idf_weights, sl7TfIdf = ([["a", "a", "z", "g"]])
//   StringLookup(max_tokens=4).adapt(docs) → sl8Vocab
//   sl9Count = StringLookup(max_tokens=6, pad_to_max_tokens=True, output_mode="count", vocabulary=["x", "y"])([["x", "y", "x"]])
//   invTokens = StringLookup(vocabulary=["x", "y"], invert=True, mask_token="")([[0, 1, 2, 3]])
//   IntegerLookup().adapt([[5, 3, 5], [7, 3, 5], [9, 0, 0]]) → ilVocab, ilIds = ([[5, 3, 0, 4, 9]])
//   IntegerLookup(vocabulary=[12, 36], mask_token=0, num_oov_indices=3) → il2Vocab, il2Ids = ([[12, 0, 7, 8, 9, 36, -4]])
//   il3MultiHot = IntegerLookup(vocabulary=[12, 36], output_mode="multi_hot")([[12, 7, 12], [36, 36, 1]])
//   il4Inverted = IntegerLookup(vocabulary=[12, 36], invert=True)([[0, 1, 2]])
//   TextVectorization().adapt(texts) → tvVocab, tvIds = (texts)
//   TextVectorization(max_tokens=8, output_sequence_length=4).adapt(texts) → tv2Vocab, tv2Ids
//   TextVectorization(ngrams=2, output_mode="count").adapt(texts[:3]) → tv3Vocab, tv3Counts = (["the cat the cat ate", "dog dog"])
//   TextVectorization(output_mode="tf_idf", max_tokens=6, pad_to_max_tokens=True).adapt(texts[:3])
//       → tv4Vocab, tv4TfIdf = (["the cat the cat ate", "dog zebra"])
//   TextVectorization(split="character", standardize="lower", output_mode="multi_hot").adapt(["Abc", "Ébb"])
//       → tv5Vocab, tv5MultiHot = (["cab", "éz"])
//   tv6Ids = TextVectorization(standardize=None, vocabulary=["The", "cat", "mat."])(["The cat sat on the mat."])
//   tv7Ids = TextVectorization(standardize="strip_punctuation", ngrams=(2, 3),
//                              vocabulary=["The cat", "cat sat", "The cat sat"])(["The cat sat, The cat."])

private typealias R = KerasTextPreprocessingReference

private func ints(_ t: Tensor) -> [Int64] { t.doubles.map { Int64($0) } }

@Suite("Text and lookup preprocessing against Keras 3")
struct TextPreprocessingTests {
    @Test("FarmHash Fingerprint64 and SipHash-2-4 equal TensorFlow's buckets (every length class)")
    func stringHashes() {
        for (i, s) in R.hashStrings.enumerated() {
            let b = Array(s.utf8)
            #expect(StringHash.fingerprint64(b) % (1 << 62) == UInt64(R.fastMod2p62[i]), "fast \(s.utf8.count) bytes")
            #expect(StringHash.sipHash24(b, key: (3, 5)) % (1 << 62) == UInt64(R.strongMod2p62[i]), "strong \(s.utf8.count) bytes")
        }
        // A different key gives different hashes.
        #expect(StringHash.sipHash24(Array("hello".utf8), key: (5, 3)) % (1 << 62) != UInt64(R.strongMod2p62[5]))
    }

    @Test("Hashing: integers as decimal strings, floats truncated, mask bin 0, salt, multi-hot and count")
    func hashing() throws {
        let x = Tensor(shape: [2, 3], scalars: [Int64(1), 2, -3, 0, 11, 12345])
        #expect(ints(Hashing(numBins: 5)(x)) == R.hashInts)
        #expect(ints(Hashing(numBins: 5, maskValue: 0)(x)) == R.hashIntsMasked)
        #expect(ints(Hashing(numBins: 7)(Tensor(shape: [3], scalars: [1.7, -2.2, 3.0]))) == R.hashFloats)
        let sv = [["a", "bb"], ["ccc", "dd"]]
        #expect(ints(Hashing(numBins: 5, salt: [7])(sv)) == R.hashSalted)
        #expect(ints(Hashing(numBins: 5, salt: [9, 4])(sv)) == R.hashSaltPair)
        let mh = Hashing(numBins: 4, outputMode: .multiHot)
        #expect(try mh.build(inputShape: [2]) == [4])
        #expect(mh(sv).doubles == R.hashMultiHot)
        #expect(Hashing(numBins: 3, outputMode: .count)([["a", "bb", "a"], ["ccc", "dd", "e"]]).doubles == R.hashCount)
        #expect(try Hashing(numBins: 3).build(inputShape: [4]) == [4])
    }

    @Test("StringLookup: adapt order, mask and several OOV buckets, multi-/one-hot, tf-idf, maxTokens, inversion")
    func stringLookup() throws {
        let docs = [["b", "a", "c"], ["a", "b", "d"], ["a", "e", "b"], ["f", "c", "g"]]
        let sl = try StringLookup()
        sl.adapt(docs)
        #expect(sl.vocabulary() == R.slVocab)
        #expect(ints(sl([["a", "z", "g"]])) == R.slIds)
        #expect(sl(["a", "z"]).shape == [2])
        let sl2 = try StringLookup(numOovIndices: 2, maskToken: "", vocabulary: ["x", "y"])
        #expect(sl2.vocabulary() == R.sl2Vocab)
        #expect(ints(sl2([["x", "", "q", "r", "s", "y", "hello", "abc"]])) == R.sl2Ids)
        let sl3 = try StringLookup(maskToken: "", vocabulary: ["x", "y"], outputMode: .multiHot)
        #expect(sl3.vocabulary() == R.sl3Vocab)
        #expect(sl3([["x", "", "q"], ["y", "y", ""]]).doubles == R.sl3MultiHot)
        let sl6 = try StringLookup(vocabulary: ["x", "y"], outputMode: .oneHot)
        #expect(sl6(["x", "q", "y"]).doubles == R.sl6OneHot)
        #expect(sl6([["x", "q"]]).shape == [1, 2, 3])
        let sl7 = try StringLookup(outputMode: .tfIdf)
        sl7.adapt(docs)
        expectNear(try #require(sl7.idfWeights), R.sl7Idf, rtol: 1e-6, atol: 1e-7)
        expectNear(sl7([["a", "a", "z", "g"]]).doubles, R.sl7TfIdf, rtol: 1e-6, atol: 1e-7)
        let sl8 = try StringLookup(maxTokens: 4)
        sl8.adapt(docs)
        #expect(sl8.vocabulary() == R.sl8Vocab)
        let sl9 = try StringLookup(maxTokens: 6, vocabulary: ["x", "y"], outputMode: .count, padToMaxTokens: true)
        #expect(sl9([["x", "y", "x"]]).doubles == R.sl9Count)
        let inv = try StringLookup(maskToken: "", vocabulary: ["x", "y"])
        #expect(inv.tokens(for: Tensor(shape: [1, 4], scalars: [Int64(0), 1, 2, 3])) == R.invTokens)
        // Bytes, not canonical equivalence: precomposed é and e + combining accent are two tokens.
        let nfc = try StringLookup(vocabulary: ["\u{E9}"])
        #expect(ints(nfc(["\u{E9}", "e\u{301}"])) == [1, 0])
    }

    @Test("A bad vocabulary is a typed error naming the token; the special tokens may lead it")
    func vocabularyErrors() throws {
        #expect(throws: VocabularyError.self) { try StringLookup(vocabulary: ["a", "b", "a"]) }
        #expect(throws: VocabularyError.self) { try StringLookup(vocabulary: ["a", "[UNK]"]) }
        #expect(throws: VocabularyError.self) { try StringLookup(maxTokens: 3, vocabulary: ["a", "b", "c"]) }
        #expect(throws: VocabularyError.self) { try StringLookup(vocabulary: ["a"], outputMode: .tfIdf) }
        do { _ = try StringLookup(vocabulary: ["a", "b", "a"]); Issue.record("no error") } catch let e as VocabularyError {
            #expect(e.description.contains("\"a\"") && e.description.contains("twice"))
        }
        let led = try StringLookup(maskToken: "", vocabulary: ["", "[UNK]", "x"])
        #expect(led.vocabulary() == ["", "[UNK]", "x"])
        // A vocabulary file: one token per line.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weft-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("vocab.txt").path
        try "x\r\ny\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try readVocabularyFile(path) == ["x", "y"])
        #expect(throws: VocabularyError.self) { try readVocabularyFile(dir.appendingPathComponent("missing.txt").path) }
    }

    @Test("IntegerLookup: adapt order (ties by value, descending), mask, floor-modulo OOV buckets, multi-hot, invert")
    func integerLookup() throws {
        let il = try IntegerLookup()
        il.adapt(Tensor(shape: [3, 3], scalars: [Int64(5), 3, 5, 7, 3, 5, 9, 0, 0]))
        #expect(il.vocabulary() == R.ilVocab)
        #expect(ints(il(Tensor(shape: [1, 5], scalars: [Int64(5), 3, 0, 4, 9]))) == R.ilIds)
        let il2 = try IntegerLookup(numOovIndices: 3, maskToken: 0, vocabulary: [12, 36])
        #expect(il2.vocabulary() == R.il2Vocab)
        #expect(ints(il2(Tensor(shape: [1, 7], scalars: [Int64(12), 0, 7, 8, 9, 36, -4]))) == R.il2Ids)
        let il3 = try IntegerLookup(vocabulary: [12, 36], outputMode: .multiHot)
        #expect(try il3.build(inputShape: [3]) == [3])
        #expect(il3(Tensor(shape: [2, 3], scalars: [Int64(12), 7, 12, 36, 36, 1])).doubles == R.il3MultiHot)
        let il4 = try IntegerLookup(vocabulary: [12, 36], invert: true)
        #expect(ints(il4(Tensor(shape: [1, 3], scalars: [Int64(0), 1, 2]))) == R.il4Inverted)
        // In a model: ids into an Embedding.
        let model = Sequential { try! IntegerLookup(vocabulary: [12, 36]); Embedding(inputDim: 3, outputDim: 2) }
        #expect(try model.build(inputShape: [4]) == [4, 2])
    }

    @Test("TextVectorization: Keras's standardization, whitespace split, adapt order, padding, truncation, n-grams, tf-idf, characters")
    func textVectorization() throws {
        let tv = try TextVectorization()
        tv.adapt(R.texts)
        #expect(tv.vocabulary() == R.tvVocab)
        let ids = tv(R.texts)
        #expect(ids.shape == [5, 7] && ids.dtype == .int64)
        #expect(ints(ids) == R.tvIds)
        let tv2 = try TextVectorization(maxTokens: 8, outputSequenceLength: 4)
        tv2.adapt(R.texts)
        #expect(tv2.vocabulary() == R.tv2Vocab)
        #expect(ints(tv2(R.texts)) == R.tv2Ids)
        let tv3 = try TextVectorization(ngrams: [1, 2], outputMode: .count)
        tv3.adapt(Array(R.texts.prefix(3)))
        #expect(tv3.vocabulary() == R.tv3Vocab)
        #expect(tv3(["the cat the cat ate", "dog dog"]).doubles == R.tv3Counts)
        let tv4 = try TextVectorization(maxTokens: 6, outputMode: .tfIdf, padToMaxTokens: true)
        tv4.adapt(Array(R.texts.prefix(3)))
        #expect(tv4.vocabulary() == R.tv4Vocab)
        expectNear(tv4(["the cat the cat ate", "dog zebra"]).doubles, R.tv4TfIdf, rtol: 1e-6, atol: 1e-7)
        let tv5 = try TextVectorization(standardize: .lower, split: .character, outputMode: .multiHot)
        tv5.adapt(["Abc", "Ébb"])
        #expect(tv5.vocabulary() == R.tv5Vocab)
        #expect(tv5(["cab", "éz"]).doubles == R.tv5MultiHot)
        let tv6 = try TextVectorization(standardize: .none, vocabulary: ["The", "cat", "mat."])
        #expect(ints(tv6(["The cat sat on the mat."])) == R.tv6Ids)
        let tv7 = try TextVectorization(standardize: .stripPunctuation, ngrams: [2, 3], vocabulary: ["The cat", "cat sat", "The cat sat"])
        #expect(ints(tv7(["The cat sat, The cat."])) == R.tv7Ids)
        // Custom standardization and split.
        let custom = try TextVectorization(standardize: .custom { $0.uppercased() }, split: .custom { $0.split(separator: "|").map(String.init) },
                                           vocabulary: ["A", "B"])
        #expect(ints(custom(["a|b|c", "b"])) == [2, 3, 1, 3, 0, 0])
    }

    /// Keras 3.15.1 with the TensorFlow backend (ragged output needs it), texts = ["The cat sat on
    /// the mat.", "A dog!", "", "the THE the dog sat"]: TextVectorization(ragged=True).adapt(texts),
    /// then on texts + ["unknown cat words"]; and TextVectorization(ragged=True, ngrams=2, max_tokens=8).
    @Test("TextVectorization's ragged output: one id per token, no padding")
    func ragged() throws {
        let texts = ["The cat sat on the mat.", "A dog!", "", "the THE the dog sat"]
        let tv = try TextVectorization()
        tv.adapt(texts)
        #expect(tv.vocabulary() == ["", "[UNK]", "the", "sat", "dog", "on", "mat", "cat", "a"])
        #expect(tv.ragged(texts + ["unknown cat words"]) == [[2, 7, 3, 5, 2, 6], [8, 4], [], [2, 2, 2, 4, 3], [1, 7, 1]])
        let bigrams = try TextVectorization(maxTokens: 8, ngrams: [1, 2])
        bigrams.adapt(texts)
        #expect(bigrams.vocabulary() == ["", "[UNK]", "the", "the the", "sat", "dog", "the mat", "the dog"])
        #expect(bigrams.ragged(texts) == [[2, 1, 4, 1, 2, 1, 1, 1, 1, 1, 6], [1, 5, 1], [], [2, 2, 2, 5, 4, 3, 3, 7, 1]])
        #expect(try TextVectorization(outputSequenceLength: 2, vocabulary: ["a", "b"]).ragged(["a b a", "b"]) == [[2, 3], [3]])
    }
}

// HashedCrossing against Keras 3.15.1 (TensorFlow 2.21's tf.sparse.cross_hashed):
//   ints = HashedCrossing(1000)(([3, 5, -2, 0], [12, 7, 7, -9])); strings = HashedCrossing(97)((["a", "b", "", "héllo"], ["d", "x", "y", "z"]))
//   mixed = HashedCrossing(1000)(([3, 4, 5, 6], ["d", "e", "f", "g"])); three = HashedCrossing(50)((["a".."d"], [1, 2, 3, 4], ["p".."s"]))
//   onehot = HashedCrossing(5, output_mode="one_hot")(([3, 5], [12, 7]))
@Suite("HashedCrossing against Keras 3")
struct HashedCrossingTests {
    @Test("Integer, string, mixed and three-way crosses; one-hot")
    func crosses() {
        func ints(_ v: [Int64]) -> HashedCrossing.Feature { .ints(Tensor(shape: [v.count], scalars: v)) }
        func bins(_ t: Tensor) -> [Int64] { t.doubles.map { Int64($0) } }
        #expect(bins(HashedCrossing(numBins: 1000)(ints([3, 5, -2, 0]), ints([12, 7, 7, -9]))) == [870, 929, 36, 547])
        #expect(bins(HashedCrossing(numBins: 97)(.strings(["a", "b", "", "héllo"]), .strings(["d", "x", "y", "z"]))) == [28, 12, 59, 83])
        #expect(bins(HashedCrossing(numBins: 1000)(ints([3, 4, 5, 6]), .strings(["d", "e", "f", "g"]))) == [197, 641, 939, 558])
        #expect(bins(HashedCrossing(numBins: 50)(.strings(["a", "b", "c", "d"]), ints([1, 2, 3, 4]), .strings(["p", "q", "r", "s"]))) == [26, 41, 40, 33])
        #expect(HashedCrossing(numBins: 5, outputMode: .oneHot)(ints([3, 5]), ints([12, 7])).doubles == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        // The order of the features matters.
        #expect(bins(HashedCrossing(numBins: 1000)(ints([12, 7]), ints([3, 5]))) != [870, 929])
    }
}
