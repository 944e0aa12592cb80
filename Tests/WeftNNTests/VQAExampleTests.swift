import Testing
import Weft
@testable import WeftNN

/// The README's functional-API example: a two-input visual-question-answering model (a CNN
/// for the image, an LSTM for the question, concatenated, a softmax over answers — the shape of
/// the Keras VQA example and of the DAQUAR framework comparison), trained on synthetic data
/// whose answers need both inputs.
@Suite struct VQAExampleTests {
    /// Images [N, 3, 16, 16] with one bright quadrant q; questions of 6 token ids, some
    /// containing token 7 ("which corner?" vs "which other corner?"); answer = q, or 4 + (q + 1) % 4.
    static func data(count n: Int, seed: UInt64) -> (images: Tensor, questions: Tensor, answers: Tensor) {
        var r = nnRandom(n * 12 + n * 3 * 16 * 16, seed: seed).makeIterator()
        var pixels = [Float](), tokens = [Int32](), answers = [Int32]()
        for _ in 0..<n {
            let q = Int((r.next()! + 1) * 1.999), other = r.next()! > 0
            for c in 0..<3 {
                for y in 0..<16 {
                    for x in 0..<16 {
                        let inQuadrant = (y < 8 ? 0 : 2) + (x < 8 ? 0 : 1) == q
                        pixels.append(Float(0.2 * (r.next()! + 1)) + (inQuadrant ? 0.8 : 0) + Float(c) * 0.01)
                    }
                }
            }
            var words = (0..<6).map { _ in Int32(1 + Int((r.next()! + 1) * 2.99)) }   // 1…6: filler words
            if other { words[Int((r.next()! + 1) * 2.99)] = 7 }
            tokens += words
            answers.append(Int32(other ? 4 + (q + 1) % 4 : q))
        }
        return (Tensor(shape: [n, 3, 16, 16], scalars: pixels), Tensor(shape: [n, 6], scalars: tokens), Tensor(shape: [n], scalars: answers))
    }

    @Test func twoInputModelLearnsFromImageAndQuestion() throws {
        Random.seed(3)
        // --- the README example (sizes scaled down for a debug-build test) ---
        let vision = Sequential {
            Conv2D(8, kernel: 3, padding: .same, activation: .relu)
            MaxPool2D(2)
            Conv2D(16, kernel: 3, padding: .same, activation: .relu)
            MaxPool2D(2)
            Flatten()
        }
        let image = Input(shape: [3, 16, 16], name: "image")
        let question = Input(shape: [6], dtype: .int32, name: "question")
        let encodedImage = try vision(image)
        let encodedQuestion = try LSTM(16)(try Embedding(inputDim: 8, outputDim: 8)(question))
        let merged = try Concatenate()([encodedQuestion, encodedImage])
        let answer = try Dense(8)(merged)
        let vqa = Model(inputs: [image, question], outputs: answer, name: "vqa")
        vqa.compile(optimizer: Adam(learningRate: 3e-3), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        // ---
        let train = Self.data(count: 256, seed: 1), test = Self.data(count: 128, seed: 2)
        let summary = vqa.summary()
        #expect(summary.contains("image (InputLayer)") && summary.contains("│ question ") && summary.contains("question[0][0]"))
        #expect(summary.contains("lstm (LSTM)") && summary.contains("(Sequential)") && summary.contains("Total params: 5,240"))
        let history = try vqa.fit([train.images, train.questions], train.answers, batchSize: 32, epochs: 25, verbose: .silent)
        #expect(history["loss"]!.last! < 0.25 * history["loss"]!.first!)
        let result = try vqa.evaluate([test.images, test.questions], test.answers, batchSize: 64)
        // Chance is 1/8; an image-only or question-only model cannot pass 1/2.
        #expect(result["accuracy"]! > 0.9, "test accuracy \(result["accuracy"]!)")
    }
}
