import Weft
import WeftData

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

// MARK: - CIFAR-10 training (weft train cifar10-cnn | cifar10-vgg)

/// The two CIFAR-10 benchmark models with their Keras settings.
public enum CIFAR10Task: String, Sendable, CaseIterable {
    /// `ClassicModels.cifar10CNN()`: RMSprop 1e-4, batch 32, 25 epochs (DESIGN.md §5: ~75% after 25).
    case cnn = "cifar10-cnn"
    /// `ClassicModels.cifar10VGG()`: SGD 0.01 momentum 0.9, batch 64, 10 epochs (~77% after 10).
    case vgg = "cifar10-vgg"

    public var defaultEpochs: Int { self == .cnn ? 25 : 10 }
    public var defaultBatchSize: Int { self == .cnn ? 32 : 64 }
    /// A fresh model, compiled with the task's optimizer and loss.
    public func makeModel() -> Sequential { self == .cnn ? ClassicModels.cifar10CNN() : ClassicModels.cifar10VGG() }
}

/// What `ClassicModels.trainCIFAR10` returns.
public struct CIFAR10TrainingResult {
    public let model: Sequential
    public let history: History
    public let testAccuracy: Double
    public let testLoss: Double
    public let epochs: Int
    public let batchSize: Int
    public let trainSamples: Int
    public let testSamples: Int
    /// Training time, the sum of the epochs' times.
    public var seconds: Double { history.epochSeconds.reduce(0, +) }
}

extension ClassicModels {
    /// Trains `task`'s model on CIFAR-10 loaded with `CIFAR.load10(directory:download:)` (the
    /// official binary batches: `data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin`,
    /// plain or gzipped, in `directory` or its `cifar-10-batches-bin/`; without a directory,
    /// `$WEFT_DATA_DIR/cifar-10`, then the cache, downloaded when `download`). Inputs are the
    /// pixels / 255 as float32 NCHW [N, 3, 32, 32]; the test split is evaluated at the end.
    ///
    /// - Throws: `DatasetError` (e.g. `.missingFiles`, naming every directory searched) when
    ///   the data cannot be read; training errors from `fit`.
    public static func trainCIFAR10(
        _ task: CIFAR10Task, directory: String?, download: Bool = true, epochs: Int? = nil, batchSize: Int? = nil,
        limit: Int? = nil, seed: UInt64 = 0, verbose: Verbosity = .silent, model: Sequential? = nil
    ) throws -> CIFAR10TrainingResult {
        let data = try CIFAR.load10(directory: directory, download: download)
        return try trainCIFAR10(task, data: data, epochs: epochs, batchSize: batchSize, limit: limit, seed: seed,
                                verbose: verbose, model: model)
    }

    /// Trains on CIFAR-10 data already loaded (see the directory form). `limit` keeps the first
    /// N training samples; `model` replaces the task's fresh model (it must be compiled).
    public static func trainCIFAR10(
        _ task: CIFAR10Task, data: CIFARData, epochs: Int? = nil, batchSize: Int? = nil, limit: Int? = nil,
        seed: UInt64 = 0, verbose: Verbosity = .silent, model: Sequential? = nil
    ) throws -> CIFAR10TrainingResult {
        var xTrain = data.train.imageTensor(), yTrain = data.train.labelTensor()
        if let limit, limit < xTrain.shape[0] {
            xTrain = xTrain.sliced(axis: 0, start: 0, end: limit)
            yTrain = yTrain.sliced(axis: 0, start: 0, end: limit)
        }
        let xTest = data.test.imageTensor(), yTest = data.test.labelTensor()
        let m = model ?? task.makeModel()
        let nEpochs = epochs ?? task.defaultEpochs, batch = batchSize ?? task.defaultBatchSize
        _ = try m.build(inputShape: Array(xTrain.shape.dropFirst()))
        let history = try m.fit(xTrain, yTrain, batchSize: batch, epochs: nEpochs, shuffle: true, seed: seed, verbose: verbose)
        let result = try m.evaluate(xTest, yTest, batchSize: 1000)
        return CIFAR10TrainingResult(model: m, history: history, testAccuracy: result["accuracy"] ?? .nan,
                                     testLoss: result["loss"] ?? .nan, epochs: nEpochs, batchSize: batch,
                                     trainSamples: xTrain.shape[0], testSamples: xTest.shape[0])
    }
}
