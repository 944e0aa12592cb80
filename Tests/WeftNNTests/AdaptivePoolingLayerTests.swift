import Testing
@testable import Weft
@testable import WeftNN

@Suite("Adaptive pooling layers and Keras's alias names")
struct AdaptivePoolingLayerTests {
    @Test("Output shapes for any input size, values from the op, summary names, aliases")
    func layers() throws {
        let l2 = AdaptiveAveragePooling2D((2, 3))
        #expect(try l2.build(inputShape: [4, 7, 9]) == [4, 2, 3])
        #expect(try l2.build(inputShape: [4, 5, 5]) == [4, 2, 3])
        #expect(throws: ShapeError.self) { try l2.build(inputShape: [4, 5]) }
        #expect(try AdaptiveMaxPooling1D(4).build(inputShape: [2, 9]) == [2, 4])
        #expect(try AdaptiveMaxPooling3D(2).build(inputShape: [1, 3, 4, 5]) == [1, 2, 2, 2])
        #expect(try AdaptiveAveragePooling3D((1, 2, 3)).build(inputShape: [1, 3, 4, 5]) == [1, 1, 2, 3])
        let x = nnTensor([2, 3, 6, 5], nnRandom(180, seed: 2))
        #expect(l2(x).doubles == adaptiveAvgPool(x, outputSize: [2, 3]).doubles)
        #expect(AdaptiveMaxPooling2D(2)(x).doubles == adaptiveMaxPool(x, outputSize: [2, 2]).doubles)
        let model = Sequential { Conv2D(4, kernel: 3); AdaptiveAveragePooling2D(1); Flatten(); Dense(2) }
        _ = try model.build(inputShape: [3, 10, 12])
        #expect(model.summary().contains("adaptive_average_pooling2d (AdaptiveAveragePooling2D)"))
        #expect(model(nnTensor([1, 3, 17, 9], nnRandom(459, seed: 1))).shape == [1, 2])
        // Keras's other names are the same layers.
        #expect(Convolution2D.self == Conv2D.self && GlobalAvgPool2D.self == GlobalAveragePooling2D.self && MaxPooling2D.self == MaxPool2D.self)
    }
}
