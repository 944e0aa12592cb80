import Testing
@testable import Weft
@testable import WeftNN

/// Keras layer names, and output shapes of the shape-changing layers (build-time shapes must
/// agree with what the forward pass produces).
@Suite struct LayerShapeTests {
    /// Keras's `to_snake_case` of the class names (and its pooling aliases).
    @Test func kerasNames() {
        #expect(kerasName("Dense") == "dense")
        #expect(kerasName("Conv2D") == "conv2d")
        #expect(kerasName("MaxPool2D") == "max_pooling2d")
        #expect(kerasName("MaxPooling2D") == "max_pooling2d")
        #expect(kerasName("AvgPool2D") == "average_pooling2d")
        #expect(kerasName("Dropout") == "dropout")
        #expect(kerasName("Flatten") == "flatten")
        #expect(kerasName("Activation") == "activation")
        #expect(kerasName("BatchNormalization") == "batch_normalization")
        #expect(kerasName("Conv2DTranspose") == "conv2d_transpose")
        #expect(kerasName("GlobalAveragePooling2D") == "global_average_pooling2d")
        #expect(kerasName("LSTM") == "lstm")
        #expect(kerasName("SimpleRNN") == "simple_rnn")
        #expect(kerasName("ReLU") == "re_lu")
        #expect(kerasName("UpSampling2D") == "up_sampling2d")
        #expect(kerasName("MultiHeadAttention") == "multi_head_attention")
    }

    /// Repeated layer types get `_1`, `_2`, … per type, as Keras numbers them.
    @Test func summaryRowNamesCountPerType() throws {
        let m = Sequential {
            Dense(4)
            Activation.relu
            Dense(4)
            Activation.relu
            Dense(4)
        }
        _ = try m.build(inputShape: [3])
        let rows = try #require(m.summaryRows)
        #expect(rows.map(\.name) == ["dense", "activation", "dense_1", "activation_1", "dense_2"])
    }

    func forwardShape(_ layer: some Layer, _ perSample: Shape, batch: Int = 2) -> Shape {
        let x = nnTensor([batch] + perSample, nnRandom(batch * perSample.elementCount, seed: 17), dtype: .float32)
        return layer(x).shape
    }

    /// "same": output = ceil(input / stride); the extra padding row/column goes to the bottom/right.
    @Test func conv2DSamePaddingShapes() throws {
        let cases: [(kernel: (Int, Int), stride: (Int, Int), input: Shape, output: Shape)] = [
            ((3, 3), (1, 1), [3, 7, 7], [4, 7, 7]),
            ((3, 3), (2, 2), [3, 7, 7], [4, 4, 4]),
            ((4, 4), (2, 2), [3, 8, 8], [4, 4, 4]),
            ((1, 5), (1, 3), [3, 6, 10], [4, 6, 4]),
            ((5, 5), (1, 1), [2, 3, 3], [4, 3, 3]),    // kernel larger than the input is fine with "same"
        ]
        for c in cases {
            let conv = Conv2D(4, kernel: c.kernel, strides: c.stride, padding: .same)
            #expect(try conv.build(inputShape: c.input) == c.output, "kernel \(c.kernel) stride \(c.stride) on \(c.input)")
            #expect(forwardShape(conv, c.input) == [2] + c.output, "forward: kernel \(c.kernel) stride \(c.stride) on \(c.input)")
        }
    }

    @Test func conv2DValidShapes() throws {
        let conv = Conv2D(6, kernel: 3, strides: 2)
        // (9 − 3) / 2 + 1 = 4
        #expect(try conv.build(inputShape: [1, 9, 9]) == [6, 4, 4])
        #expect(forwardShape(conv, [1, 9, 9]) == [2, 6, 4, 4])
        #expect(conv.parameterCount == (1 * 9 + 1) * 6)
    }

    /// With all-ones 3×3 kernels on an all-ones input, each output counts the input cells under
    /// the kernel: stride 1 gives corners 4, edges 6, centre 9; stride 2 on 4×4 pads one
    /// row/column at the bottom/right only (TensorFlow's rule), so the top-left output sees 9.
    @Test func conv2DSamePaddingValues() throws {
        let c1 = Conv2D(1, kernel: (3, 3), padding: .same, kernelInitializer: .ones)
        let y1 = c1(nnTensor([1, 1, 3, 3], Array(repeating: 1, count: 9), dtype: .float32))
        #expect(y1.shape == [1, 1, 3, 3])
        #expect(y1.floats == [4, 6, 4, 6, 9, 6, 4, 6, 4])

        let c2 = Conv2D(1, kernel: (3, 3), strides: (2, 2), padding: .same, kernelInitializer: .ones)
        let y2 = c2(nnTensor([1, 1, 4, 4], Array(repeating: 1, count: 16), dtype: .float32))
        #expect(y2.shape == [1, 1, 2, 2])
        #expect(y2.floats == [9, 6, 6, 4])
    }

    @Test func maxPoolShapesAndValues() throws {
        #expect(try MaxPool2D(2).build(inputShape: [64, 24, 24]) == [64, 12, 12])
        #expect(try MaxPool2D(2).build(inputShape: [3, 7, 7]) == [3, 3, 3])
        #expect(try MaxPool2D(2, padding: .same).build(inputShape: [3, 7, 7]) == [3, 4, 4])
        #expect(try MaxPool2D(3, strides: 1).build(inputShape: [2, 5, 6]) == [2, 3, 4])
        #expect(forwardShape(MaxPool2D(2), [3, 7, 7]) == [2, 3, 3, 3])
        #expect(forwardShape(MaxPool2D(2, padding: .same), [3, 7, 7]) == [2, 3, 4, 4])
        #expect(forwardShape(MaxPool2D(3, strides: 1), [2, 5, 6]) == [2, 2, 3, 4])
        // 0…15 in a 4×4 grid: the maxima of the 2×2 blocks.
        let y = MaxPool2D(2)(nnTensor([1, 1, 4, 4], (0..<16).map(Double.init), dtype: .float32))
        #expect(y.floats == [5, 7, 13, 15])
    }

    @Test func avgPoolShapes() throws {
        #expect(try AvgPool2D(2).build(inputShape: [3, 6, 5]) == [3, 3, 2])
        #expect(forwardShape(AvgPool2D(2), [3, 6, 5]) == [2, 3, 3, 2])
    }

    @Test func flattenShapesAndOrder() throws {
        let f = Flatten()
        #expect(try f.build(inputShape: [64, 12, 12]) == [9216])
        #expect(try f.build(inputShape: [10]) == [10])
        #expect(try f.build(inputShape: [2, 3, 4, 5]) == [120])
        let x = nnTensor([2, 3, 4, 5], (0..<120).map(Double.init))
        let y = f(x)
        #expect(y.shape == [2, 60])
        #expect(y.doubles == (0..<120).map(Double.init))   // NCHW order kept
        #expect(f(nnTensor([3, 4], (0..<12).map(Double.init))).shape == [3, 4])
    }

    /// Dense acts on the last axis (Keras), whatever comes before it.
    @Test func denseOnHigherRankInput() throws {
        let d = Dense(3)
        #expect(try d.build(inputShape: [5, 7]) == [5, 3])
        #expect(forwardShape(d, [5, 7]) == [2, 5, 3])
    }

    @Test func sequentialBuildShapeMatchesForward() throws {
        let m = ClassicModels.mnistCNN()
        #expect(try m.build(inputShape: [1, 12, 12]) == [10])
        // conv 3 → 10, conv 3 → 8, pool → 4: Dense sees 64·4·4.
        #expect(m.parameters[4].value.shape == [64 * 4 * 4, 128])
        #expect(forwardShape(m, [1, 12, 12], batch: 1) == [1, 10])
    }

    @Test func activationLayerAppliesFunction() {
        let x = nnTensor([1, 4], [-2, -0.5, 0, 3])
        #expect(ActivationLayer(.relu)(x).doubles == [0, 0, 0, 3])
        #expect(ActivationLayer(.linear)(x).doubles == [-2, -0.5, 0, 3])
        #expect(ActivationLayer(.leakyRelu(0.1))(x).doubles == [-0.2, -0.05, 0, 3])
        let s = ActivationLayer(.softmax)(x).doubles
        #expect(Swift.abs(s.reduce(0, +) - 1) < 1e-15)
    }
}
