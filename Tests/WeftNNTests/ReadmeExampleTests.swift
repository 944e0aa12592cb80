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

    /// The README's bounding-box example on a small batch.
    @Test func boundingBoxPipeline() {
        let images = Tensor.randomUniform([2, 3, 40, 50], generator: RandomGenerator(seed: 1))
        let xyxyBoxes = Tensor(shape: [2, 2, 4], scalars: [2.0, 3, 20, 30, 10, 5, 45, 38, 0, 0, 50, 40, 5, 5, 6, 6])
        let classIds = Tensor(shape: [2, 2], scalars: [Int32(1), 4, 2, 7])
        let masks = Tensor(shape: [2, 40, 50], scalars: (0..<4000).map { Int32($0 % 3) })
        let boxes = BoundingBoxes(boxes: xyxyBoxes, labels: classIds, format: .xyxy)   // [N, M, 4], [N, M]
        let augment = Pipeline([RandomFlip(.horizontal), RandomRotation(factor: 0.05), Resizing(height: 224, width: 224),
                                MaxNumBoundingBoxes(maxNumber: 32)])
        let out = withTrainingMode { augment(ImageBatch(images: images, boundingBoxes: boxes, segmentationMasks: masks)) }
        #expect(out.images.shape == [2, 3, 224, 224])
        #expect(out.segmentationMasks!.shape == [2, 224, 224] && out.segmentationMasks!.dtype == .int32)
        #expect(out.boundingBoxes!.boxes.shape == [2, 32, 4] && out.boundingBoxes!.labels.dtype == .int32)
        let b = out.boundingBoxes!.boxes.doubles
        #expect(b[0..<8].allSatisfy { $0 >= 0 && $0 <= 224 } && b[8..<12].allSatisfy { $0 == -1 })
    }
}
