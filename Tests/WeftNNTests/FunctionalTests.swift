import Testing
@testable import Weft
@testable import WeftNN
import WeftData
#if canImport(Glibc)
import Glibc
#endif

/// The functional API: `Input`, layers called on symbolic tensors, `Model(inputs:outputs:)`,
/// nesting, shared layers, multi-input/multi-output training and the Keras 3 summary.
@Suite struct FunctionalTests {
    /// Central differences of `loss()` with respect to every element of every trainable
    /// parameter of `model` (float64 parameters).
    static func numericGradients(_ model: some Layer, h: Double = 1e-6, _ loss: () -> Double) -> [[Double]] {
        withoutGradient {
            model.trainableParameters.map { p in
                let original = p.value
                let base = original.doubles
                var out = [Double](repeating: 0, count: base.count)
                for i in base.indices {
                    var plus = base, minus = base
                    plus[i] += h
                    minus[i] -= h
                    p.value = nnTensor(original.shape, plus)
                    let lp = loss()
                    p.value = nnTensor(original.shape, minus)
                    let lm = loss()
                    out[i] = (lp - lm) / (2 * h)
                }
                p.value = original
                return out
            }
        }
    }

    static func shapeError(_ body: () throws -> Any) -> ShapeError? {
        do { _ = try body(); return nil } catch let e as ShapeError { return e } catch { return nil }
    }

    // MARK: - Building and running

    /// The same architecture as a `Sequential` and as a functional model gives identical outputs
    /// from the same weights.
    @Test func functionalMatchesSequential() throws {
        let seq = Sequential {
            Conv2D(4, kernel: 3, activation: .relu)
            MaxPool2D(2)
            Flatten()
            Dropout(0.5)
            Dense(5, activation: .tanh)
            Dense(3)
        }
        _ = try seq.build(inputShape: [2, 7, 7])
        setFloat64Parameters(seq, seed: 3)

        let x = Input(shape: [2, 7, 7], dtype: .float64)
        var h = try Conv2D(4, kernel: 3, activation: .relu)(x)
        h = try MaxPool2D(2)(h)
        h = try Flatten()(h)
        #expect(h.shape == [16])
        h = try Dropout(0.5)(h)
        h = try Dense(5, activation: .tanh)(h)
        let out = try Dense(3)(h)
        let fn = Model(inputs: x, outputs: out)
        #expect(fn.name == "functional")
        #expect(fn.typeName == "Functional")
        #expect(out.shape == [3])
        #expect(fn.namedParameters.map(\.0) == ["conv2d.weight", "conv2d.bias", "dense.weight", "dense.bias", "dense_1.weight", "dense_1.bias"])
        #expect(fn.namedChildren.map(\.0) == ["conv2d", "max_pooling2d", "flatten", "dropout", "dense", "dense_1"])
        #expect(fn.parameterCount == seq.parameterCount)
        copyParameters(from: seq, to: fn)

        let input = nnTensor([3, 2, 7, 7], nnRandom(3 * 98, seed: 9))
        let a = seq(input), b = fn(input)
        #expect(b.shape == [3, 3])
        #expect(a.doubles == b.doubles)
        #expect(try fn.predict(input, batchSize: 2).doubles == a.doubles)
        #expect(fn.call([input])[0].doubles == a.doubles)
    }

    /// Symbolic tensors carry the per-sample shape and dtype; integer inputs (token ids) run
    /// through `Embedding` unchanged.
    @Test func intInputsThroughEmbedding() throws {
        let ids = Input(shape: [5], dtype: .int64)
        #expect(ids.shape == [5] && ids.dtype == .int64)
        let e = try Embedding(inputDim: 10, outputDim: 4)(ids)
        #expect(e.shape == [5, 4])
        #expect(e.dtype.isFloatingPoint)
        let pooled = try GlobalAveragePooling1D()(e)
        let out = try Dense(2)(pooled)
        let m = Model(inputs: ids, outputs: out)
        let x = Tensor(shape: [4, 5], scalars: (0..<20).map { Int64($0 % 10) })
        let y = nnLabels([0, 1, 0, 1])
        m.compile(optimizer: Adam(learningRate: 0.05), loss: .softmaxCrossEntropy)
        let h = try m.fit(x, y, batchSize: 2, epochs: 3, verbose: .silent)
        #expect(h["loss"]?.count == 3)
        #expect(try m.predict(x).shape == [4, 2])
    }

    /// A layer called twice is one set of parameters, and its gradient is the sum over both
    /// calls (checked against central differences, float64).
    @Test func sharedLayerHasOneSetOfParametersAndSummedGradient() throws {
        let a = Input(shape: [3], dtype: .float64), b = Input(shape: [3], dtype: .float64)
        let shared = Dense(2, activation: .tanh)
        let sa = try shared(a), sb = try shared(b)
        let out = try Dense(1)(Concatenate()([sa, try Multiply()([sa, sb])]))
        let m = Model(inputs: [a, b], outputs: out)
        #expect(m.namedParameters.map(\.0) == ["dense.weight", "dense.bias", "dense_1.weight", "dense_1.bias"])
        #expect(m.parameterCount == 3 * 2 + 2 + 4 * 1 + 1)
        setFloat64Parameters(m, seed: 21)
        let xa = nnTensor([4, 3], nnRandom(12, seed: 1)), xb = nnTensor([4, 3], nnRandom(12, seed: 2))
        let target = nnTensor([4, 1], nnRandom(4, seed: 3))
        let loss = { (o: Tensor) in ((o - target) * (o - target)).mean() }
        let (value, grads) = valueWithGradient(at: m) { loss($0.call([xa, xb])[0]) }
        #expect(Swift.abs(value.item - loss(m.call([xa, xb])[0]).item) <= 1e-14)
        let numeric = Self.numericGradients(m) { loss(m.call([xa, xb])[0]).item }
        #expect(grads.tensors.count == 4)
        for (k, (g, n)) in zip(grads.tensors, numeric).enumerated() {
            expectNear(g.doubles, n, rtol: 1e-6, atol: 1e-9, "gradient of \(grads.names[k])")
        }
        // The shared kernel's gradient differs from either call's alone: both calls contribute.
        let (_, onlyA) = valueWithGradient(at: m) { m in
            let da = shared(xa), db = withoutGradient { shared(xb) }
            return loss(linear(concatenate([da, da * db], axis: 1), weight: m.parameters[2].value, bias: m.parameters[3].value))
        }
        #expect(!nnIsClose(onlyA.tensors[0].doubles, grads.tensors[0].doubles, rtol: 1e-6, atol: 1e-9))
    }

    /// Models nest: a Sequential inside a functional model, a functional model inside a
    /// functional model and inside a Sequential.
    @Test func nestedModels() throws {
        let inner = Sequential {
            Dense(3, activation: .tanh)
            Dense(2)
        }
        let x = Input(shape: [4], dtype: .float64)
        let h = try inner(x)
        #expect(h.shape == [2])
        let out = try Dense(1)(h)
        let outer = Model(inputs: x, outputs: out)
        #expect(outer.namedParameters.map(\.0) == ["sequential.0.weight", "sequential.0.bias", "sequential.1.weight", "sequential.1.bias",
                                                   "dense.weight", "dense.bias"])
        setFloat64Parameters(outer, seed: 5)
        let xs = nnTensor([3, 4], nnRandom(12, seed: 4))
        let expected = linear(inner(xs), weight: outer.parameters[4].value, bias: outer.parameters[5].value)
        #expect(outer(xs).doubles == expected.doubles)

        // Functional in functional, then gradients through both levels.
        let y = Input(shape: [4], dtype: .float64)
        let z = try Dense(2)(try outer(y))
        let twice = Model(inputs: y, outputs: z, name: "twice")
        #expect(twice.namedChildren.map(\.0) == ["functional", "dense"])
        #expect(twice.parameterCount == outer.parameterCount + 4)
        setFloat64Parameters(twice, seed: 8)
        let (_, grads) = valueWithGradient(at: twice) { ($0(xs) * $0(xs)).sum() }
        let numeric = Self.numericGradients(twice) { (twice(xs) * twice(xs)).sum().item }
        for (k, (g, n)) in zip(grads.tensors, numeric).enumerated() {
            expectNear(g.doubles, n, rtol: 1e-6, atol: 1e-9, "gradient of \(grads.names[k])")
        }

        // Functional inside a Sequential.
        let seq = Sequential {
            outer
            Dense(2)
        }
        _ = try seq.build(inputShape: [4])
        #expect(seq.namedParameters.count == 8)
        let s = seq(xs)
        #expect(s.shape == [3, 2])
        #expect(s.doubles == linear(outer(xs), weight: seq.parameters[6].value, bias: seq.parameters[7].value).doubles)
        // A shape mismatch with the nested model's input is a build error naming the model.
        #expect(Self.shapeError { try Sequential { outer }.build(inputShape: [5]) }?.layer == "functional")
    }

    /// A multi-output model nested with `outputs(_:)` gives all its outputs.
    @Test func multiOutputLayersGiveAllOutputs() throws {
        let a = Input(shape: [3])
        let m = Model(inputs: a, outputs: [try Dense(2)(a), try Dense(4)(a)])
        let b = Input(shape: [3])
        let outs = try m.outputs([b])
        #expect(outs.map(\.shape) == [[2], [4]])
        #expect(outs.map(\.outputIndex) == [0, 1])
        // Calling it as a one-output layer is a mistake named in the error.
        #expect(Self.shapeError { try m(b) }?.message.contains("2 outputs") == true)
        let both = Model(inputs: b, outputs: try Concatenate()(outs))
        let t = Tensor.ones([2, 3])
        let direct = m.call([t])
        #expect(both(t).doubles == concatenate(direct, axis: 1).doubles)
        let p = try m.predict([t])
        #expect(p.map(\.shape) == [[2, 2], [2, 4]])
    }

    /// Shape mistakes throw `ShapeError` from the symbolic call, naming the layer and shapes.
    @Test func shapeMistakesThrowNamingTheLayer() throws {
        let x = Input(shape: [4])
        let d = Dense(3)
        _ = try d(x)
        let e = Self.shapeError { try d(Input(shape: [5])) }
        #expect(e?.layer == "Dense")
        #expect(e?.message.contains("[5]") == true, "\(String(describing: e))")
        let c = Self.shapeError { try Conv2D(2, kernel: 3)(x) }
        #expect(c?.layer == "Conv2D", "\(String(describing: c))")
        let cat = Self.shapeError { try Concatenate()([x, Input(shape: [2, 4])]) }
        #expect(cat?.layer == "Concatenate")
        let multi = Self.shapeError { try Dense(2).outputs([x, x]) }
        #expect(multi?.layer == "Dense")
    }

    /// Running with the wrong number of inputs or a wrong per-sample shape stops with a message
    /// naming the model, the input and the shapes.
    @Test func wrongInputsStopWithAClearMessage() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Input(shape: [3]), b = Input(shape: [2])
            let m = Model(inputs: [a, b], outputs: try! Concatenate()([a, b]))
            _ = m.call([Tensor.zeros([2, 3])])
        }
        if let r { #expect(String(decoding: r.standardErrorContent, as: UTF8.self).contains("functional: expects 2 input(s), got 1")) }
        let s = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Input(shape: [3])
            let m = Model(inputs: a, outputs: try! Dense(2)(a))
            _ = m(Tensor.zeros([2, 4]))
        }
        if let s {
            let text = String(decoding: s.standardErrorContent, as: UTF8.self)
            #expect(text.contains("input 0 ('input_layer') expects per-sample shape [3]") && text.contains("[2, 4]"), "\(text.prefix(400))")
        }
    }

    /// fit/evaluate/predict check the number of arrays and the shapes before starting.
    @Test func fitChecksArraysAndShapes() throws {
        let a = Input(shape: [3]), b = Input(shape: [2])
        let m = Model(inputs: [a, b], outputs: try Dense(1)(Concatenate()([a, b])))
        m.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let xa = Tensor.ones([4, 3]), xb = Tensor.ones([4, 2]), y = Tensor.ones([4, 1])
        #expect(throws: TrainingError.arrayCountMismatch(what: "input", expected: 2, got: 1)) { try m.fit([xa], y, verbose: .silent) }
        #expect(throws: TrainingError.arrayCountMismatch(what: "target", expected: 1, got: 2)) { try m.fit([xa, xb], [y, y], verbose: .silent) }
        #expect(throws: TrainingError.inconsistentSampleCounts([4, 3])) { try m.fit([xa, Tensor.ones([3, 2])], y, verbose: .silent) }
        #expect(throws: TrainingError.sampleCountMismatch(inputs: 4, targets: 2)) { try m.evaluate([xa, xb], Tensor.ones([2, 1])) }
        do {
            _ = try m.fit([xb, xa], y, verbose: .silent)
            Issue.record("expected a shape error")
        } catch let TrainingError.shape(e) {
            #expect(e.layer == "functional")
            #expect(e.message.contains("expects per-sample shape [3], got [2]"), "\(e)")
        }
        #expect(throws: TrainingError.arrayCountMismatch(what: "input", expected: 2, got: 1)) { try m.predict([xa]) }
    }

    /// Keras's implicit masks flow through a functional model as through a Sequential
    /// (Embedding(maskZero:) → LSTM skips the padded steps); an LSTM with returnState gives its
    /// three outputs through `outputs(_:)`.
    @Test func masksAndRecurrentStates() throws {
        let seq = Sequential {
            Embedding(inputDim: 10, outputDim: 3, maskZero: true)
            LSTM(4)
        }
        _ = try seq.build(inputShape: [5])
        let ids = Input(shape: [5], dtype: .int64)
        let emb = try Embedding(inputDim: 10, outputDim: 3, maskZero: true)(ids)
        let fn = Model(inputs: ids, outputs: try LSTM(4)(emb))
        copyParameters(from: seq, to: fn)
        let x = Tensor(shape: [2, 5], scalars: [3, 1, 4, 0, 0, 2, 7, 1, 8, 0] as [Int64])
        #expect(fn(x).doubles == seq(x).doubles)
        // Without the mask the padded steps change the result, so the mask did something.
        let emb2 = try Embedding(inputDim: 10, outputDim: 3)(ids)
        let unmasked = Model(inputs: ids, outputs: try LSTM(4)(emb2))
        copyParameters(from: seq, to: unmasked)
        #expect(!nnIsClose(unmasked(x).doubles, seq(x).doubles, rtol: 1e-6, atol: 1e-7))

        let lstm = LSTM(4, returnState: true)
        let states = try lstm.outputs([emb])
        #expect(states.map(\.shape) == [[4], [4], [4]])
        let m = Model(inputs: ids, outputs: states)
        let r = m.call([x])
        #expect(r.count == 3)
        #expect(r[0].doubles == r[1].doubles)   // an LSTM's last output is its h
        // Initial states as extra inputs: zero states give the default run.
        let h0 = Input(shape: [4]), c0 = Input(shape: [4])
        let withStates = try lstm.outputs([emb, h0, c0])
        let ms = Model(inputs: [ids, h0, c0], outputs: withStates[0])
        #expect(ms.call([x, Tensor.zeros([2, 4]), Tensor.zeros([2, 4])])[0].doubles == r[0].doubles)
        #expect(ms.call([x, Tensor.ones([2, 4]), Tensor.zeros([2, 4])])[0].doubles != r[0].doubles)
        #expect(ms.graphLayers.count == 5)   // three inputs, the embedding, the LSTM
    }

    /// A -1 dimension in `Input(shape:)` accepts any size (Keras's None): sequences of any
    /// length through an LSTM; the summary prints None.
    @Test func variableLengthInput() throws {
        let x = Input(shape: [-1, 3])
        let m = Model(inputs: x, outputs: try Dense(2)(LSTM(4)(x)))
        #expect(m(Tensor.ones([2, 5, 3])).shape == [2, 2])
        #expect(m(Tensor.ones([1, 7, 3])).shape == [1, 2])
        #expect(m.summary().contains("│ input_layer (InputLayer)        │ (None, None, 3)        │             0 │"), "\(m.summary())")
    }

    // MARK: - Training

    /// Two inputs: the label says which input has the larger sum; two Dense branches,
    /// Concatenate and a Dense classifier learn it. Validation split, class weights and
    /// stepsPerEpoch work with several inputs.
    @Test func multiInputModelTrains() throws {
        let n = 96
        let ra = nnRandom(3 * n, seed: 11), rb = nnRandom(3 * n, seed: 12)
        var labels: [Int] = []
        for i in 0..<n {
            let sa = ra[3 * i] + ra[3 * i + 1] + ra[3 * i + 2], sb = rb[3 * i] + rb[3 * i + 1] + rb[3 * i + 2]
            labels.append(sa > sb ? 1 : 0)
        }
        let xa = nnTensor([n, 3], ra, dtype: .float32), xb = nnTensor([n, 3], rb, dtype: .float32), y = nnLabels(labels)

        let a = Input(shape: [3]), b = Input(shape: [3])
        let ha = try Dense(8, activation: .relu)(a), hb = try Dense(8, activation: .relu)(b)
        let out = try Dense(2)(Concatenate()([ha, hb]))
        let m = Model(inputs: [a, b], outputs: out)
        let g = RandomGenerator(seed: 5)
        for p in m.parameters where p.value.rank == 2 {
            let s = p.value.shape
            p.value = Initializer.glorotUniform.make(s, fanIn: s[0], fanOut: s[1], dtype: .float32, generator: g)
        }
        m.compile(optimizer: Adam(learningRate: 0.02), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let before = try m.evaluate([xa, xb], y)["loss"]!
        let h = try m.fit([xa, xb], y, batchSize: 16, epochs: 40, validationSplit: 0.25, seed: 3,
                          classWeight: [0: 1.0, 1: 1.0], verbose: .silent)
        #expect(Set(h.history.keys) == ["loss", "accuracy", "val_loss", "val_accuracy"])
        let after = try m.evaluate([xa, xb], y)
        #expect(after["loss"]! < 0.3 * before, "loss \(before) → \(after["loss"]!)")
        #expect(after["accuracy"]! > 0.9, "\(after)")
        #expect(h["loss"]!.last! < h["loss"]!.first!)
        // stepsPerEpoch with validationData given as arrays.
        let counter = LogRecorder()
        let h2 = try m.fit([xa, xb], y, batchSize: 8, epochs: 2, validationData: ([xa, xb], y), stepsPerEpoch: 3, verbose: .silent,
                           callbacks: [counter])
        #expect(h2["val_loss"]?.count == 2)
        #expect(counter.batches == 6)
        #expect(counter.epochKeys == ["loss", "accuracy", "val_loss", "val_accuracy"])
        let p = try m.predict([xa, xb], batchSize: 40)
        #expect(p.count == 1 && p[0].shape == [n, 2])
    }

    /// Two outputs with two losses: the total is the weighted sum, per-output losses and
    /// metrics are logged as `<output>_loss` / `<output>_<metric>`, and both heads learn.
    @Test func multiOutputModelWithTwoLosses() throws {
        let n = 64
        let r = nnRandom(4 * n, seed: 31)
        var reg: [Double] = [], labels: [Int] = []
        for i in 0..<n {
            let v = Array(r[(4 * i)..<(4 * i + 4)])
            reg.append(0.5 * v[0] - v[1] + 0.25 * v[2])
            labels.append(v[3] > v[0] ? 1 : 0)
        }
        let x = nnTensor([n, 4], r, dtype: .float32), y1 = nnTensor([n, 1], reg, dtype: .float32), y2 = nnLabels(labels)

        let input = Input(shape: [4])
        let trunk = try Dense(16, activation: .tanh)(input)
        let regression = try Dense(1)(trunk), classes = try Dense(2)(trunk)
        let m = Model(inputs: input, outputs: [regression, classes])
        #expect(m.outputNames == ["dense_1", "dense_2"])
        m.compile(optimizer: Adam(learningRate: 0.02), losses: [.meanSquaredError, .softmaxCrossEntropy], lossWeights: [1, 0.5],
                  metrics: [[.meanAbsoluteError], [.accuracy]])
        let before = try m.evaluate([x], [y1, y2])
        #expect(Set(before.keys) == ["loss", "dense_1_loss", "dense_2_loss", "dense_1_mae", "dense_2_accuracy"], "\(before.keys)")
        // The total is Σ wₖ·lossₖ, and each output's loss is the plain loss of its prediction.
        #expect(Swift.abs(before["loss"]! - (before["dense_1_loss"]! + 0.5 * before["dense_2_loss"]!)) <= 1e-6 * before["loss"]!)
        let p = try m.predict([x])
        #expect(Swift.abs(before["dense_1_loss"]! - Loss.meanSquaredError(p[0], y1).item) <= 1e-5 * before["dense_1_loss"]!)
        #expect(Swift.abs(before["dense_2_loss"]! - Loss.softmaxCrossEntropy(p[1], y2).item) <= 1e-5 * before["dense_2_loss"]!)

        m.outputNames = ["reg", "cls"]
        let h = try m.fit([x], [y1, y2], batchSize: 16, epochs: 40, validationSplit: 0.25, verbose: .silent)
        #expect(Set(h.history.keys) == ["loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy",
                                        "val_loss", "val_reg_loss", "val_cls_loss", "val_reg_mae", "val_cls_accuracy"], "\(h.history.keys)")
        let after = try m.evaluate([x], [y1, y2])
        #expect(after["reg_loss"]! < 0.3 * before["dense_1_loss"]!, "\(before) → \(after)")
        #expect(after["cls_loss"]! < 0.7 * before["dense_2_loss"]!, "\(before) → \(after)")
        let recorder = LogRecorder()
        _ = try m.fit([x], [y1, y2], batchSize: 32, epochs: 1, verbose: .silent, callbacks: [recorder])
        #expect(recorder.batches == 2)
        #expect(recorder.epochKeys == ["loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy"])
        #expect(throws: TrainingError.classWeightWithMultipleOutputs) {
            try m.fit([x], [y1, y2], classWeight: [0: 1, 1: 2], verbose: .silent)
        }
    }

    /// A multi-input model trains from a DataLoader whose samples carry two inputs.
    @Test func dataLoaderWithTwoInputs() throws {
        let a = Input(shape: [2]), b = Input(shape: [2])
        let m = Model(inputs: [a, b], outputs: try Dense(1)(Add()([a, b])))
        m.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let xa = nnTensor([8, 2], nnRandom(16, seed: 1), dtype: .float32), xb = nnTensor([8, 2], nnRandom(16, seed: 2), dtype: .float32)
        let y = (xa + xb).sum(alongAxes: [1], keepingDims: true)
        let loader = DataLoader(TensorDataset(inputs: [xa, xb], targets: [y]), batchSize: 4)
        let h = try m.fit(loader, epochs: 2, verbose: .silent)
        #expect(h["loss"]?.count == 2)
        #expect(try m.evaluate(loader)["loss"] != nil)
        let single = DataLoader(TensorDataset(xa, y), batchSize: 4)
        #expect(throws: BatchLayoutError(inputs: 1, targets: 1, expectedInputs: 2, expectedTargets: 1)) { try m.fit(single, verbose: .silent) }
    }

    // MARK: - Summary

    /// Keras 3.15's text for this two-input model (torch backend, fresh session, captured at 80
    /// columns), from
    ///     a = keras.Input(shape=(4,)); b = keras.Input(shape=(3,))
    ///     x = layers.Dense(8, activation="relu")(a); y = layers.Dense(8)(b)
    ///     keras.Model(inputs=[a, b], outputs=layers.Dense(2)(layers.Concatenate()([x, y]))).summary()
    /// Input rows, wrapped names, "Connected to" cut with "…".
    @Test func twoInputSummaryMatchesKeras() throws {
        let a = Input(shape: [4]), b = Input(shape: [3])
        let x = try Dense(8, activation: .relu)(a), y = try Dense(8)(b)
        let out = try Dense(2)(Concatenate()([x, y]))
        let m = Model(inputs: [a, b], outputs: out)
        let expected = """
            Model: "functional"
            ┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
            ┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
            ┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
            │ input_layer         │ (None, 4)         │          0 │ -                 │
            │ (InputLayer)        │                   │            │                   │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ input_layer_1       │ (None, 3)         │          0 │ -                 │
            │ (InputLayer)        │                   │            │                   │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ dense (Dense)       │ (None, 8)         │         40 │ input_layer[0][0] │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ dense_1 (Dense)     │ (None, 8)         │         32 │ input_layer_1[0]… │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ concatenate         │ (None, 16)        │          0 │ dense[0][0],      │
            │ (Concatenate)       │                   │            │ dense_1[0][0]     │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ dense_2 (Dense)     │ (None, 2)         │         34 │ concatenate[0][0] │
            └─────────────────────┴───────────────────┴────────────┴───────────────────┘
             Total params: 106 (424.00 B)
             Trainable params: 106 (424.00 B)
             Non-trainable params: 0 (0.00 B)

            """
        expectSameText(m.summary(), expected)
        #expect(m.graphLayers.map { $0.typeName } == ["InputLayer", "InputLayer", "Dense", "Dense", "Concatenate", "Dense"])
        let rows = try #require(m.summaryRows)
        #expect(rows.map(\.name) == ["dense", "dense_1", "concatenate", "dense_2"])
        #expect(rows.map(\.outputShape) == [[8], [8], [16], [2]])
    }

    /// Shared layer (two calls: `dense[0][0]`, `dense[1][0]`), a nested Sequential with its
    /// total parameters, two outputs, rows ordered by depth as Keras does
    /// (Keras 3.15, fresh session, from
    ///     x1 = keras.Input(shape=(4,)); x2 = keras.Input(shape=(4,))
    ///     shared = layers.Dense(4); s1 = shared(x1); s2 = shared(x2)
    ///     ad = layers.Add()([s1, s2])
    ///     inner = keras.Sequential([layers.Dense(5, name="inner_a"), layers.Dense(3, name="inner_b")])
    ///     cat = layers.Concatenate()([inner(s1), ad])
    ///     out1 = layers.Dense(1)(ad); out2 = layers.Dense(3)(cat)
    ///     keras.Model([x1, x2], [out1, out2]).summary()
    /// with the inner layers named so that they take no `dense_k` names; Keras named that model
    /// "functional_1" because building the Sequential used "functional" — the rest is Keras's text).
    @Test func sharedNestedMultiOutputSummaryMatchesKeras() throws {
        let x1 = Input(shape: [4]), x2 = Input(shape: [4])
        let shared = Dense(4)
        let s1 = try shared(x1), s2 = try shared(x2)
        let added = try Add()([s1, s2])
        let inner = Sequential {
            Dense(5)
            Dense(3)
        }
        let n = try inner(s1)
        let cat = try Concatenate()([n, added])
        let out1 = try Dense(1)(added)
        let out2 = try Dense(3)(cat)
        let m = Model(inputs: [x1, x2], outputs: [out1, out2])
        let expected = """
            Model: "functional"
            ┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
            ┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
            ┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
            │ input_layer         │ (None, 4)         │          0 │ -                 │
            │ (InputLayer)        │                   │            │                   │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ input_layer_1       │ (None, 4)         │          0 │ -                 │
            │ (InputLayer)        │                   │            │                   │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ dense (Dense)       │ (None, 4)         │         20 │ input_layer[0][0… │
            │                     │                   │            │ input_layer_1[0]… │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ add (Add)           │ (None, 4)         │          0 │ dense[0][0],      │
            │                     │                   │            │ dense[1][0]       │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ sequential          │ (None, 3)         │         43 │ dense[0][0]       │
            │ (Sequential)        │                   │            │                   │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ concatenate         │ (None, 7)         │          0 │ sequential[0][0], │
            │ (Concatenate)       │                   │            │ add[0][0]         │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ dense_1 (Dense)     │ (None, 1)         │          5 │ add[0][0]         │
            ├─────────────────────┼───────────────────┼────────────┼───────────────────┤
            │ dense_2 (Dense)     │ (None, 3)         │         24 │ concatenate[0][0] │
            └─────────────────────┴───────────────────┴────────────┴───────────────────┘
             Total params: 92 (368.00 B)
             Trainable params: 92 (368.00 B)
             Non-trainable params: 0 (0.00 B)

            """
        expectSameText(m.summary(), expected)
        #expect(m.parameterCount == 92)
    }

    /// A chain of layers prints Keras's three-column table, with the input row (Keras 3.15:
    /// `a = keras.Input(shape=(4,)); keras.Model(a, layers.Dense(2)(layers.Dense(3)(a))).summary()`).
    @Test func chainSummaryUsesTheSequentialLayout() throws {
        let a = Input(shape: [4])
        let m = Model(inputs: a, outputs: try Dense(2)(Dense(3)(a)))
        let expected = """
            Model: "functional"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
            ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
            │ input_layer (InputLayer)        │ (None, 4)              │             0 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense (Dense)                   │ (None, 3)              │            15 │
            ├─────────────────────────────────┼────────────────────────┼───────────────┤
            │ dense_1 (Dense)                 │ (None, 2)              │             8 │
            └─────────────────────────────────┴────────────────────────┴───────────────┘
             Total params: 23 (92.00 B)
             Trainable params: 23 (92.00 B)
             Non-trainable params: 0 (0.00 B)

            """
        expectSameText(m.summary(), expected)
    }

    /// Rich's cell wrapping: words fill a line, a word wider than the cell is cut with "…".
    @Test func richWrapping() {
        #expect(richWrap("input_layer (InputLayer)", width: 19) == ["input_layer", "(InputLayer)"])
        #expect(richWrap("dense[0][0], dense_1[0][0]", width: 17) == ["dense[0][0],", "dense_1[0][0]"])
        #expect(richWrap("input_layer_1[0][0]", width: 17) == ["input_layer_1[0]…"])
        #expect(richWrap("(None, 4)", width: 17) == ["(None, 4)"])
        #expect(richWrap("a b c", width: 3) == ["a b", "c"])
    }
}

/// Counts batches and keeps the keys of the last epoch's logs.
private final class LogRecorder: Callback {
    var batches = 0
    var epochKeys: Set<String> = []
    func onBatchEnd(_ batch: Int, logs: [String: Double]) throws { batches += 1 }
    func onEpochEnd(_ epoch: Int, logs: [String: Double]) throws { epochKeys = Set(logs.keys) }
}
