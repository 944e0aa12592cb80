import Testing
import WeftData

@Suite("Sequence padding")
struct SequenceTests {
    @Test("pre-padding and pre-truncation are the Keras defaults")
    func kerasDefaults() {
        let seqs: [[Int32]] = [[1, 2, 3], [4, 5, 6, 7, 8], [], [9]]
        #expect(padSequences(seqs, maxLen: 4) == [
            0, 1, 2, 3,
            5, 6, 7, 8,
            0, 0, 0, 0,
            0, 0, 0, 9,
        ])
    }

    @Test("post padding, post truncation and a padding value")
    func postVariants() {
        let seqs: [[Int32]] = [[1, 2, 3], [4, 5, 6, 7, 8]]
        #expect(padSequences(seqs, maxLen: 4, padding: .post) == [1, 2, 3, 0, 5, 6, 7, 8])
        #expect(padSequences(seqs, maxLen: 4, truncating: .post) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(padSequences(seqs, maxLen: 4, padding: .post, truncating: .post, value: -1) == [1, 2, 3, -1, 4, 5, 6, 7])
        #expect(padSequences(seqs, maxLen: 2, truncating: .pre) == [2, 3, 7, 8])
    }

    @Test("maxLen nil pads to the longest; zero width and no sequences")
    func edgeCases() {
        #expect(padSequences([[1], [2, 3, 4]]) == [0, 0, 1, 2, 3, 4])
        #expect(padSequences([[1], [2, 3, 4]], padding: .post) == [1, 0, 0, 2, 3, 4])
        #expect(padSequences([[1, 2], []], maxLen: 0) == [])
        #expect(padSequences([], maxLen: 5) == [])
        #expect(padSequences([]) == [])
        #expect(padSequences([[1, 2, 3]], maxLen: 3) == [1, 2, 3])
    }
}

/// Expected values come from Python 3 (the Keras rules as torch_train.py
/// writes them):
///   F = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
///   kerasWords(t) == [w for w in t.lower().translate(str.maketrans({c: ' ' for c in F})).split(' ') if w]
///   splitOnNonWordRuns(s) == [x.strip() for x in re.split(r'(\W+)', s) if x.strip()]
@Suite("Sequence tokenizers")
struct SequenceTokenizerTests {
    @Test("Keras words: lowercase, filters to spaces, split on spaces")
    func kerasWords() {
        #expect(TextTokenizer.kerasWords("Don't <br />stop!") == ["don't", "br", "stop"])
        // TAB and LF are filters; CR is not (it is only a separator when read from a file in text mode).
        #expect(TextTokenizer.kerasWords("Tab\there\nnew-line\r\nCR") == ["tab", "here", "new", "line\r", "cr"])
        // Only U+0020 splits: a no-break space stays inside the word.
        #expect(TextTokenizer.kerasWords("a\u{A0}b  c") == ["a\u{A0}b", "c"])
        #expect(TextTokenizer.kerasWords("x_y@z.com 3.5/10") == ["x", "y", "z", "com", "3", "5", "10"])
        #expect(TextTokenizer.kerasWords("C'était «génial»…") == ["c'était", "«génial»…"])
        #expect(TextTokenizer.kerasWords("") == [])
        #expect(TextTokenizer.kerasWords(" !!! ") == [])
    }

    @Test("Python str.lower: full mappings and the final sigma")
    func pythonLowercase() {
        #expect(TextTokenizer.kerasWords("ÉCOLE Straße") == ["école", "straße"])
        #expect(TextTokenizer.kerasWords("ΟΔΟΣ Σ ΑΣ. ΣΑ") == [
            "\u{3BF}\u{3B4}\u{3BF}\u{3C2}", "\u{3C3}", "\u{3B1}\u{3C2}", "\u{3C3}\u{3B1}",
        ])
        // U+0130 lowercases to two scalars, i + combining dot above.
        let istanbul = TextTokenizer.kerasWords("İstanbul")
        #expect(istanbul.count == 1)
        #expect(istanbul.first.map { Array($0.unicodeScalars.map(\.value).prefix(3)) } == [0x69, 0x307, 0x73])
        #expect(TextTokenizer.pythonLowercased("HeLLo WÖRLD") == "hello wörld")
    }

    @Test("bAbI split: word runs and stripped non-word runs")
    func nonWordRuns() {
        #expect(TextTokenizer.splitOnNonWordRuns("Where is Mary? ") == ["Where", "is", "Mary", "?"])
        #expect(TextTokenizer.splitOnNonWordRuns("Mary went to the kitchen.") == ["Mary", "went", "to", "the", "kitchen", "."])
        #expect(TextTokenizer.splitOnNonWordRuns("a. \"b") == ["a", ". \"", "b"])
        #expect(TextTokenizer.splitOnNonWordRuns("Café déjà-vu") == ["Café", "déjà", "-", "vu"])
        #expect(TextTokenizer.splitOnNonWordRuns("x1_2+3") == ["x1_2", "+", "3"])
        #expect(TextTokenizer.splitOnNonWordRuns("½ and ² Ⅻ") == ["½", "and", "²", "Ⅻ"])
        #expect(TextTokenizer.splitOnNonWordRuns("a\u{1C}b") == ["a", "b"])
        #expect(TextTokenizer.splitOnNonWordRuns("n,w") == ["n", ",", "w"])
        #expect(TextTokenizer.splitOnNonWordRuns("  ") == [])
        #expect(TextTokenizer.splitOnNonWordRuns("") == [])
    }
}
