import Testing
@testable import Weft
@testable import WeftNN

/// `summary()` against the Keras 3 table (the layout `model.summary()` prints when captured:
/// 76 columns, column widths 33/24/15, lines between rows, totals with byte sizes). Weft is
/// NCHW, so convolution shapes print channels first. Expected tables are written out literally.
@Suite struct SummaryTests {
    @Test func mnistMLPMatchesKerasTable() throws {
        let m = ClassicModels.mnistMLP()
        _ = try m.build(inputShape: [784])
        let expected = """
            Model: "sequential"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
            ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
            │ dense (Dense)                   │ (None, 512)            │       401,920 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dropout (Dropout)               │ (None, 512)            │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense_1 (Dense)                 │ (None, 512)            │       262,656 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dropout_1 (Dropout)             │ (None, 512)            │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense_2 (Dense)                 │ (None, 10)             │         5,130 │
            └─────────────────────────────────┴────────────────────────┴───────────────┘
             Total params: 669,706 (2.55 MB)
             Trainable params: 669,706 (2.55 MB)
             Non-trainable params: 0 (0.00 B)

            """
        #expect(m.parameterCount == 669_706)
        let actual = m.summary()
        expectSameText(actual, expected)
    }

    @Test func mnistCNNMatchesKerasTable() throws {
        let m = ClassicModels.mnistCNN()
        _ = try m.build(inputShape: [1, 28, 28])
        let expected = """
            Model: "sequential"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
            ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
            │ conv2d (Conv2D)                 │ (None, 32, 26, 26)     │           320 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ conv2d_1 (Conv2D)               │ (None, 64, 24, 24)     │        18,496 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ max_pooling2d (MaxPooling2D)    │ (None, 64, 12, 12)     │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dropout (Dropout)               │ (None, 64, 12, 12)     │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ flatten (Flatten)               │ (None, 9216)           │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense (Dense)                   │ (None, 128)            │     1,179,776 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dropout_1 (Dropout)             │ (None, 128)            │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense_1 (Dense)                 │ (None, 10)             │         1,290 │
            └─────────────────────────────────┴────────────────────────┴───────────────┘
             Total params: 1,199,882 (4.58 MB)
             Trainable params: 1,199,882 (4.58 MB)
             Non-trainable params: 0 (0.00 B)

            """
        #expect(m.parameterCount == 1_199_882)
        let actual = m.summary()
        expectSameText(actual, expected)
    }

    /// The per-layer counts of mnist-cnn: Conv32 (1·9+1)·32, Conv64 (32·9+1)·64,
    /// Dense128 (64·12·12+1)·128, Dense10 (128+1)·10.
    @Test func mnistCNNPerLayerParameterCounts() throws {
        let m = ClassicModels.mnistCNN()
        _ = try m.build(inputShape: [1, 28, 28])
        #expect(m.layers.map(\.parameterCount) == [320, 18_496, 0, 0, 0, 1_179_776, 0, 1_290])
        #expect(m.namedParameters.map(\.0) == ["0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias", "7.weight", "7.bias"])
        #expect(m.namedParameters.map { $0.1.value.shape } == [[32, 1, 3, 3], [32], [64, 32, 3, 3], [64], [9216, 128], [128], [128, 10], [10]])
    }

    @Test func mnistMLPPerLayerParameterCounts() throws {
        let m = ClassicModels.mnistMLP()
        _ = try m.build(inputShape: [784])
        // (784+1)·512, (512+1)·512, (512+1)·10
        #expect(m.layers.map(\.parameterCount) == [401_920, 0, 262_656, 0, 5_130])
    }

    @Test func layerNamesAndOutputShapes() throws {
        let mlp = ClassicModels.mnistMLP()
        _ = try mlp.build(inputShape: [784])
        let mlpRows = try #require(mlp.summaryRows)
        #expect(mlpRows.map(\.name) == ["dense", "dropout", "dense_1", "dropout_1", "dense_2"])
        #expect(mlpRows.map(\.outputShape) == [[512], [512], [512], [512], [10]])

        let cnn = ClassicModels.mnistCNN()
        _ = try cnn.build(inputShape: [1, 28, 28])
        let cnnRows = try #require(cnn.summaryRows)
        #expect(cnnRows.map(\.name) == ["conv2d", "conv2d_1", "max_pooling2d", "dropout", "flatten", "dense", "dropout_1", "dense_1"])
        #expect(cnnRows.map(\.outputShape) == [[32, 26, 26], [64, 24, 24], [64, 12, 12], [64, 12, 12], [9216], [128], [128], [10]])
    }

    /// Keras's class names in the "(type)" column: MaxPooling2D, AveragePooling2D.
    @Test func poolingLayersShowKerasClassNames() {
        #expect(MaxPool2D(2).typeName == "MaxPooling2D")
        #expect(AvgPool2D(2).typeName == "AveragePooling2D")
    }

    @Test func otherLayersShowKerasClassNames() {
        #expect(Dense(3).typeName == "Dense")
        #expect(Conv2D(3, kernel: 3).typeName == "Conv2D")
        #expect(Dropout(0.5).typeName == "Dropout")
        #expect(Flatten().typeName == "Flatten")
        #expect(ActivationLayer(.relu).typeName == "Activation")
    }

    /// Frozen parameters count as non-trainable; sizes come from the dtype (Keras counts bytes
    /// per weight dtype); the model name is in the header.
    @Test func trainableSplitSizesAndName() throws {
        let m = Sequential {
            Dense(3, activation: .relu)
            Activation.tanh
            Dense(2)
        }
        m.name = "tiny"
        _ = try m.build(inputShape: [4])
        // float32: 4·3+3 = 15 and 3·2+2 = 8 → 23 params, 92 bytes; freeze the second kernel (6).
        m.parameters[2].trainable = false
        let expected = """
            Model: "tiny"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
            ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
            │ dense (Dense)                   │ (None, 3)              │            15 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ activation (Activation)         │ (None, 3)              │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense_1 (Dense)                 │ (None, 2)              │             8 │
            └─────────────────────────────────┴────────────────────────┴───────────────┘
             Total params: 23 (92.00 B)
             Trainable params: 17 (68.00 B)
             Non-trainable params: 6 (24.00 B)

            """
        let actual = m.summary()
        expectSameText(actual, expected)
    }

    @Test func float64ParametersCountEightBytes() throws {
        let m = Sequential { Dense(16) }
        _ = try m.build(inputShape: [63])
        setFloat64Parameters(m)
        // 63·16+16 = 1024 params · 8 bytes = 8192 bytes = 8.00 KB
        let s = m.summary()
        #expect(s.contains(" Total params: 1,024 (8.00 KB)\n"), "\(s)")
        #expect(s.contains(" Trainable params: 1,024 (8.00 KB)\n"), "\(s)")
        #expect(s.contains(" Non-trainable params: 0 (0.00 B)\n"), "\(s)")
    }

    @Test func unbuiltModelShowsUnknownShape() {
        let m = Sequential { Dense(3) }
        let s = m.summary()
        #expect(s.contains("?"), "\(s)")
        #expect(s.contains(" Total params: 0 (0.00 B)"), "\(s)")
    }
}
