import Weft

// The recurrent classic models (DESIGN.md §5) with the architectures and optimizers of the Keras
// examples and of ../shared/bench/peers/torch_train.py.

extension ClassicModels {
    /// mnist-hrnn (Keras mnist_hierarchical_rnn): TimeDistributed(LSTM128) over the 28 rows of
    /// 28 one-feature pixels, LSTM128 over the 28 row codes, Dense10 (logits); RMSprop 1e-3;
    /// batch 32. Input [1, 28, 28] (or [28, 28, 1]).
    public static func mnistHRNN() -> Sequential {
        let m = Sequential {
            Reshape([28, 28, 1])
            TimeDistributed(LSTM(128))
            LSTM(128)
            Dense(10)
        }
        m.compile(optimizer: RMSprop(), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        return m
    }

    /// imdb-gru: Embedding(30000, 125), GRU100 (last state), Dense2 (logits); Adam 1e-3; batch 64.
    /// Input: int ids [150].
    public static func imdbGRU(vocabulary: Int = 30000) -> Sequential {
        let m = Sequential {
            Embedding(inputDim: vocabulary, outputDim: 125)
            GRU(100)
            Dense(2)
        }
        m.compile(optimizer: Adam(), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        return m
    }

    /// babi-rnn (Keras babi_rnn), a two-input functional model: story ids → Embedding(V, 50) →
    /// LSTM100; query ids → Embedding(V, 50) → LSTM100; concatenated; Dense V (logits);
    /// Adam 1e-3; batch 32.
    public static func babiRNN(vocabulary: Int, storyLength: Int, queryLength: Int) -> Model {
        do {
            let story = Input(shape: [storyLength], dtype: .int32, name: "story")
            let query = Input(shape: [queryLength], dtype: .int32, name: "query")
            let s = try LSTM(100)(try Embedding(inputDim: vocabulary, outputDim: 50)(story))
            let q = try LSTM(100)(try Embedding(inputDim: vocabulary, outputDim: 50)(query))
            let merged = try Concatenate()([s, q])
            let answer = try Dense(vocabulary)(merged)
            let m = Model(inputs: [story, query], outputs: [answer], name: "babi_rnn")
            m.compile(optimizer: Adam(), loss: .softmaxCrossEntropy, metrics: [.accuracy])
            return m
        } catch {
            preconditionFailure("babiRNN: \(error)")
        }
    }

    /// pm25-lstm (Brownlee's multivariate forecasting): LSTM50 over 1 step × 8 features, Dense1;
    /// mean absolute error; Adam 1e-3; batch 72; no shuffling. Input [1, 8].
    public static func pm25LSTM() -> Sequential {
        let m = Sequential {
            LSTM(50)
            Dense(1)
        }
        m.compile(optimizer: Adam(), loss: .meanAbsoluteError)
        return m
    }
}
