import Testing
import Weft
import WeftData
@testable import WeftNN

/// The README's data example, on a tiny synthetic stand-in for CIFAR, so that the documented
/// calls keep compiling and working.
@Suite struct ReadmeExampleTests {
    @Test func dataLoaderWithTransformsFeedsFit() throws {
        let images = Tensor.randomUniform([8, 3, 32, 32], generator: RandomGenerator(seed: 4))
        let labels = Tensor(shape: [8], scalars: (0..<8).map { Int32($0 % 10) })
        let train = TensorDataset(images, labels)
        let loader = DataLoader(train, batchSize: 4, shuffle: true, seed: 0, workers: 2,
                                transform: Compose { RandomCrop(size: 32, padding: 4); RandomHorizontalFlip() })
        let model = Sequential {
            Conv2D(4, kernel: 3, activation: .relu)
            MaxPool2D(2)
            Flatten()
            Dense(10)
        }
        model.compile(optimizer: Adadelta(learningRate: 1.0), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let history = try model.fit(loader, epochs: 2, verbose: .silent)
        #expect(history["loss"]?.count == 2)
        #expect(history["loss"]!.allSatisfy { $0.isFinite && $0 > 0 })
    }
}
