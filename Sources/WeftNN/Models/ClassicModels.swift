import Weft

/// The classic benchmark models (DESIGN.md §5), with the exact architectures and optimizers of
/// the Keras examples and the peer scripts.
public enum ClassicModels {
    /// mnist-mlp: Dense512 relu, Dropout .2, Dense512 relu, Dropout .2, Dense10 (logits); RMSprop; batch 128.
    public static func mnistMLP() -> Sequential {
        let m = Sequential {
            Dense(512, activation: .relu)
            Dropout(0.2)
            Dense(512, activation: .relu)
            Dropout(0.2)
            Dense(10)
        }
        m.compile(optimizer: RMSprop(), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        return m
    }

    /// mnist-cnn (and fashion-cnn): Conv32 3×3 relu, Conv64 3×3 relu, MaxPool2, Dropout .25,
    /// Flatten, Dense128 relu, Dropout .5, Dense10; Adadelta lr 1.0; batch 128. Input [1, 28, 28].
    public static func mnistCNN() -> Sequential {
        let m = Sequential {
            Conv2D(32, kernel: 3, activation: .relu)
            Conv2D(64, kernel: 3, activation: .relu)
            MaxPool2D(2)
            Dropout(0.25)
            Flatten()
            Dense(128, activation: .relu)
            Dropout(0.5)
            Dense(10)
        }
        m.compile(optimizer: Adadelta(learningRate: 1.0), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        return m
    }
}
