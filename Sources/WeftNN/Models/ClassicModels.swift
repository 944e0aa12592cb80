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

    /// cifar10-cnn (the Keras cifar10_cnn example): Conv32 same, Conv32, MaxPool2, Dropout .25,
    /// Conv64 same, Conv64, MaxPool2, Dropout .25, Flatten, Dense512 relu, Dropout .5, Dense10;
    /// RMSprop lr 1e-4; batch 32. Input [3, 32, 32].
    public static func cifar10CNN() -> Sequential {
        let m = Sequential {
            Conv2D(32, kernel: 3, padding: .same, activation: .relu)
            Conv2D(32, kernel: 3, activation: .relu)
            MaxPool2D(2)
            Dropout(0.25)
            Conv2D(64, kernel: 3, padding: .same, activation: .relu)
            Conv2D(64, kernel: 3, activation: .relu)
            MaxPool2D(2)
            Dropout(0.25)
            Flatten()
            Dense(512, activation: .relu)
            Dropout(0.5)
            Dense(10)
        }
        m.compile(optimizer: RMSprop(learningRate: 1e-4), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        return m
    }

    /// cifar10-vgg (ilkarman/DeepLearningFrameworks): Conv50 ×2, MaxPool2, Dropout .25, Conv100 ×2,
    /// MaxPool2, Dropout .25, Flatten, Dense512 relu, Dropout .5, Dense10 (all 3×3 same, relu);
    /// SGD lr .01 momentum .9; batch 64. Input [3, 32, 32].
    public static func cifar10VGG() -> Sequential {
        let m = Sequential {
            Conv2D(50, kernel: 3, padding: .same, activation: .relu)
            Conv2D(50, kernel: 3, padding: .same, activation: .relu)
            MaxPool2D(2)
            Dropout(0.25)
            Conv2D(100, kernel: 3, padding: .same, activation: .relu)
            Conv2D(100, kernel: 3, padding: .same, activation: .relu)
            MaxPool2D(2)
            Dropout(0.25)
            Flatten()
            Dense(512, activation: .relu)
            Dropout(0.5)
            Dense(10)
        }
        m.compile(optimizer: SGD(learningRate: 0.01, momentum: 0.9), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        return m
    }
}
