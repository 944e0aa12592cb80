import Testing
@testable import Weft
@testable import WeftNN

/// Shape mistakes are reported by `build(inputShape:)` — before any data flows — with a
/// `ShapeError` naming the layer and the shapes involved.
@Suite struct ShapeErrorTests {
    /// Runs `body`, which must throw a ShapeError, and returns it.
    func shapeError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ShapeError? {
        do {
            try body()
            Issue.record("expected a ShapeError, nothing was thrown", sourceLocation: sourceLocation)
        } catch let e as ShapeError {
            return e
        } catch {
            Issue.record("expected a ShapeError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    func expectMentions(_ e: ShapeError?, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e else { return }
        for p in parts {
            #expect(e.description.contains(p), "\"\(e.description)\" should mention \(p)", sourceLocation: sourceLocation)
        }
    }

    /// mnist-mlp's first Dense is built for 784 features; feeding 400 (a 20×20 image) names the
    /// layer, the new input shape and the existing kernel shape.
    @Test func denseAfterWrongInput() throws {
        let m = Sequential {
            Flatten()
            Dense(10)
        }
        _ = try m.build(inputShape: [1, 28, 28])
        let e = shapeError { _ = try m.build(inputShape: [1, 20, 20]) }
        #expect(e?.layer == "Dense")
        expectMentions(e, ["Dense", "[400]", "[784, 10]"])
    }

    @Test func denseWithoutFeatureDimension() {
        let e = shapeError { _ = try Dense(3).build(inputShape: []) }
        #expect(e?.layer == "Dense")
        expectMentions(e, ["Dense", "[]"])
    }

    @Test func conv2DWithRank2Input() {
        let e = shapeError { _ = try Conv2D(8, kernel: 3).build(inputShape: [28, 28]) }
        #expect(e?.layer == "Conv2D")
        expectMentions(e, ["Conv2D", "[28, 28]", "[channels, height, width]"])
    }

    /// mnist-cnn given the flat MLP input shape.
    @Test func cnnGivenFlatInput() {
        let m = ClassicModels.mnistCNN()
        let e = shapeError { _ = try m.build(inputShape: [784]) }
        #expect(e?.layer == "Conv2D")
        expectMentions(e, ["Conv2D", "[784]"])
    }

    @Test func maxPoolWindowLargerThanInput() {
        let e = shapeError { _ = try MaxPool2D(5).build(inputShape: [2, 3, 3]) }
        #expect(e?.layer == "MaxPool2D")
        expectMentions(e, ["MaxPool2D", "5×5", "[2, 3, 3]"])
        // Only the width is too small; a stride different from the window.
        let e2 = shapeError { _ = try MaxPool2D((2, 4)).build(inputShape: [1, 4, 3]) }
        expectMentions(e2, ["MaxPool2D", "2×4", "[1, 4, 3]"])
        let e3 = shapeError { _ = try MaxPool2D(3, strides: 2).build(inputShape: [1, 2, 2]) }
        expectMentions(e3, ["MaxPool2D", "3×3", "[1, 2, 2]"])
        // Rank check.
        let e4 = shapeError { _ = try MaxPool2D(2).build(inputShape: [10]) }
        expectMentions(e4, ["MaxPool2D", "[10]"])
    }

    @Test func maxPoolWindowEqualToInputIsFine() throws {
        #expect(try MaxPool2D(3).build(inputShape: [2, 3, 3]) == [2, 1, 1])
    }

    @Test func conv2DKernelLargerThanInput() {
        let e = shapeError { _ = try Conv2D(4, kernel: 5).build(inputShape: [1, 3, 3]) }
        #expect(e?.layer == "Conv2D")
        expectMentions(e, ["Conv2D", "5×5", "[1, 3, 3]"])
        // Larger in one dimension only.
        let e2 = shapeError { _ = try Conv2D(4, kernel: (2, 6)).build(inputShape: [1, 8, 5]) }
        expectMentions(e2, ["Conv2D", "2×6", "[1, 8, 5]"])
    }

    /// With stride 2, (4 − 5) / 2 + 1 truncates to 1 in integer division; a 5×5 kernel still
    /// does not fit a 4×4 input (Keras/PyTorch both reject it).
    @Test func conv2DKernelLargerThanInputWithStride() {
        let e = shapeError { _ = try Conv2D(4, kernel: 5, strides: 2).build(inputShape: [1, 4, 4]) }
        expectMentions(e, ["Conv2D", "[1, 4, 4]"])
        // Dilation 2 makes a 3×3 kernel span 5×5.
        let e2 = shapeError {
            _ = try Conv2D(4, kernel: (3, 3), strides: (2, 2), dilation: (2, 2)).build(inputShape: [1, 4, 4])
        }
        expectMentions(e2, ["Conv2D", "[1, 4, 4]"])
    }

    /// A deeper layer of a Sequential: the second convolution of mnist-cnn no longer fits.
    @Test func deeperLayerInSequential() {
        let m = ClassicModels.mnistCNN()
        let e = shapeError { _ = try m.build(inputShape: [1, 4, 4]) }
        // conv 3×3: [1, 4, 4] → [32, 2, 2]; the next 3×3 kernel does not fit [32, 2, 2].
        expectMentions(e, ["Conv2D", "3×3", "[32, 2, 2]"])
    }

    @Test func conv2DRebuiltWithOtherChannelCount() throws {
        let c = Conv2D(4, kernel: 3)
        _ = try c.build(inputShape: [3, 8, 8])
        let e = shapeError { _ = try c.build(inputShape: [2, 8, 8]) }
        expectMentions(e, ["Conv2D", "[2, 8, 8]", "[4, 3, 3, 3]"])
    }

    @Test func conv2DGroupsMustDivideChannels() {
        let c = Conv2D(4, kernel: (3, 3), groups: 2)
        let e = shapeError { _ = try c.build(inputShape: [3, 8, 8]) }
        expectMentions(e, ["Conv2D", "2 groups", "3"])
    }

    /// `fit` and `evaluate` validate shapes first and wrap the error.
    @Test func fitReportsShapeErrorBeforeTraining() throws {
        let m = Sequential { Dense(2) }
        _ = try m.build(inputShape: [3])
        m.compile(optimizer: SGD(), loss: .softmaxCrossEntropy)
        let x = nnTensor([4, 5], Array(repeating: 0.5, count: 20), dtype: .float32)
        let y = nnLabels([0, 1, 0, 1])
        do {
            try m.fit(x, y, epochs: 1, verbose: .silent)
            Issue.record("fit accepted a [5]-feature input for a [3]-feature model")
        } catch let TrainingError.shape(e) {
            #expect(e.layer == "Dense")
            #expect(e.description.contains("[5]") && e.description.contains("[3, 2]"), "\(e)")
        } catch {
            Issue.record("expected TrainingError.shape, got \(error)")
        }
        #expect(throws: TrainingError.self) { _ = try m.evaluate(x, y) }
        #expect(throws: TrainingError.self) { _ = try m.predict(x) }
    }
}
