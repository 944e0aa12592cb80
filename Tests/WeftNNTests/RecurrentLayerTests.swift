import Testing
@testable import Weft
@testable import WeftNN

private func seq(_ n: Int, _ t: Int, _ c: Int, seed: UInt64, dtype: DType = .float32) -> Tensor {
    nnTensor([n, t, c], nnRandom(n * t * c, seed: seed), dtype: dtype)
}

@Suite("Recurrent layers")
struct RecurrentLayerTests {
    @Test("Parameter counts and shapes follow Keras (LSTM, GRU reset_after, SimpleRNN, Bidirectional)")
    func counts() throws {
        let lstm = LSTM(32), gru = GRU(32), simple = SimpleRNN(32), bi = Bidirectional(LSTM(32, returnSequences: true))
        #expect(try lstm.build(inputShape: [10, 8]) == [32])
        #expect(try gru.build(inputShape: [10, 8]) == [32])
        #expect(try simple.build(inputShape: [10, 8]) == [32])
        #expect(try bi.build(inputShape: [10, 8]) == [10, 64])
        #expect(lstm.parameterCount == 4 * (8 * 32 + 32 * 32 + 32))
        #expect(gru.parameterCount == 3 * (8 * 32 + 32 * 32 + 2 * 32))
        #expect(gru.bias!.value.shape == [2, 96])
        #expect(simple.parameterCount == 8 * 32 + 32 * 32 + 32)
        #expect(bi.parameterCount == 2 * lstm.parameterCount)
        #expect(lstm.namedParameters.map(\.0) == ["kernel", "recurrentKernel", "bias"])
        // unit_forget_bias: the forget gate's bias starts at 1, the others at 0.
        let b = lstm.bias!.value.doubles
        #expect(Array(b[32..<64]) == [Double](repeating: 1, count: 32))
        #expect(Array(b[0..<32]) + Array(b[64...]) == [Double](repeating: 0, count: 96))
        // The recurrent kernel is orthogonal per Keras (rows of the [H, 4H] matrix orthonormal).
        let r = lstm.recurrentKernel!.value.cast(to: .float64)
        let gram = matmul(r, r.transposed(0, 1)).doubles
        let eye = Tensor.eye(32, dtype: .float64).doubles
        expectNear(gram, eye, rtol: 0, atol: 1e-5, "R·Rᵀ")
    }

    @Test("returnSequences / returnState shapes, and a shape mistake names the layer")
    func shapes() throws {
        let l = LSTM(6, returnSequences: true, returnState: true)
        #expect(try l.build(inputShapes: [[5, 3]]) == [[5, 6], [6], [6]])
        let outs = l.call([seq(2, 5, 3, seed: 1)])
        #expect(outs.map(\.shape) == [[2, 5, 6], [2, 6], [2, 6]])
        // The last step of the sequence is the final hidden state.
        expectNear(outs[0].sliced(axis: 1, start: 4, end: 5).doubles, outs[1].doubles, rtol: 0, atol: 0)
        let g = GRU(4, returnState: true)
        #expect(try g.build(inputShapes: [[7, 3]]) == [[4], [4]])
        #expect(throws: ShapeError.self) { try g.build(inputShape: [7, 5]) }
        #expect(throws: ShapeError.self) { try LSTM(3).build(inputShape: [7]) }
        do { _ = try g.build(inputShape: [7, 5]) } catch let e as ShapeError { #expect(e.layer == "GRU") }
    }

    @Test("The layer is the fused op with Keras's bias layout; initial states are used")
    func layerEqualsOp() throws {
        let x = seq(3, 4, 5, seed: 2)
        let g = GRU(6, returnSequences: true)
        _ = try g.build(inputShape: [4, 5])
        setFloat64Parameters(g, seed: 3)
        for p in g.parameters { p.value = p.value.cast(to: .float32) }
        let b = g.bias!.value.doubles
        let opBias = Tensor(shape: [24], scalars: (0..<12).map { Float(b[$0] + b[18 + $0]) } + (12..<18).map { Float(b[$0]) } + (30..<36).map { Float(b[$0]) })
        let expected = rnn(x, cell: .gru, weightsLayer: g.kernel!.value, weightsIter: g.recurrentKernel!.value, bias: opBias)
        expectNear(g(x).doubles, expected.output.doubles, rtol: 1e-6, atol: 1e-7)
        // Initial states through call([x, h0, c0]).
        let l = LSTM(6, returnState: true)
        _ = try l.build(inputShape: [4, 5])
        let h0 = nnTensor([3, 6], nnRandom(18, seed: 9), dtype: .float32), c0 = nnTensor([3, 6], nnRandom(18, seed: 10), dtype: .float32)
        let outs = l.call([x, h0, c0])
        let ref = rnn(x, cell: .lstm, weightsLayer: l.kernel!.value, weightsIter: l.recurrentKernel!.value, bias: l.bias!.value,
                      initialHidden: h0, initialCell: c0)
        expectNear(outs[1].doubles, ref.hidden.doubles, rtol: 1e-6, atol: 1e-7)
        expectNear(outs[2].doubles, ref.cell!.doubles, rtol: 1e-6, atol: 1e-7)
        #expect(!nnIsClose(outs[1].doubles, l(x).doubles, rtol: 1e-3, atol: 1e-4), "the initial state must change the result")
    }

    @Test("goBackwards returns the sequence last step first; Bidirectional concatenates aligned directions")
    func directions() throws {
        let x = seq(2, 5, 3, seed: 4)
        let fwd = SimpleRNN(4, returnSequences: true)
        _ = try fwd.build(inputShape: [5, 3])
        let back = SimpleRNN(4, returnSequences: true, goBackwards: true)
        _ = try back.build(inputShape: [5, 3])
        copyParameters(from: fwd, to: back)
        // Running backwards over x = running forwards over x reversed in time.
        let rev = x.indexSelect(axis: 1, indices: Tensor(shape: [5], scalars: [Int32(4), 3, 2, 1, 0]))
        expectNear(back(x).doubles, fwd(rev).doubles, rtol: 1e-5, atol: 1e-6)

        let bi = Bidirectional(SimpleRNN(4, returnSequences: true))
        _ = try bi.build(inputShape: [5, 3])
        let y = bi(x)
        #expect(y.shape == [2, 5, 8])
        let fl = try #require(bi.forwardLayer as? SimpleRNN), bl = try #require(bi.backwardLayer as? SimpleRNN)
        let f = rnn(x, cell: .vanillaTanh, weightsLayer: fl.kernel!.value, weightsIter: fl.recurrentKernel!.value, bias: fl.bias!.value)
        let b = rnn(x, cell: .vanillaTanh, weightsLayer: bl.kernel!.value, weightsIter: bl.recurrentKernel!.value, bias: bl.bias!.value, reverse: true)
        expectNear(y.doubles, concatenate([f.output, b.output], axis: -1).doubles, rtol: 1e-6, atol: 1e-7)
        let summed = Bidirectional(GRU(3), mergeMode: .sum)
        #expect(try summed.build(inputShape: [5, 3]) == [3])
        let bs = Bidirectional(LSTM(3, returnState: true))
        #expect(try bs.build(inputShapes: [[5, 3]]) == [[6], [3], [3], [3], [3]])
        #expect(bi.namedParameters.count == 6)
    }

    @Test("Embedding(maskZero:) masks left padding: the LSTM sees only the real tokens")
    func masking() throws {
        let emb = Embedding(inputDim: 10, outputDim: 3, maskZero: true)
        let lstm = LSTM(4)
        let model = Sequential { emb; lstm; Dense(2) }
        _ = try model.build(inputShape: [5])
        let padded = Tensor(shape: [2, 5], scalars: [Int64(0), 0, 3, 7, 2, 0, 0, 0, 0, 9])
        let a = Tensor(shape: [1, 3], scalars: [Int64(3), 7, 2]), b = Tensor(shape: [1, 1], scalars: [Int64(9)])
        let y = model(padded)
        expectNear(y.sliced(axis: 0, start: 0, end: 1).doubles, model(a).doubles, rtol: 1e-5, atol: 1e-6, "first row")
        expectNear(y.sliced(axis: 0, start: 1, end: 2).doubles, model(b).doubles, rtol: 1e-5, atol: 1e-6, "second row")
        // Without the mask the padding changes the result.
        let unmasked = Sequential { Embedding(inputDim: 10, outputDim: 3); LSTM(4); Dense(2) }
        _ = try unmasked.build(inputShape: [5])
        copyParameters(from: model, to: unmasked)
        #expect(!nnIsClose(unmasked(padded).sliced(axis: 0, start: 0, end: 1).doubles, model(a).doubles, rtol: 1e-3, atol: 1e-4))
        // Masking(maskValue:) on float sequences does the same.
        let m2 = Sequential { Masking(maskValue: 0); GRU(3) }
        _ = try m2.build(inputShape: [4, 2])
        let xs = Tensor(shape: [1, 4, 2], scalars: [Float(0), 0, 0, 0, 0.5, -0.2, 0.3, 0.9])
        expectNear(m2(xs).doubles, m2(xs.sliced(axis: 1, start: 2, end: 4)).doubles, rtol: 1e-5, atol: 1e-6)
    }

    @Test("An Embedding + GRU + Dense model learns which token comes first")
    func trains() throws {
        Random.seed(7)
        var ids: [Int64] = [], labels: [Int64] = []
        var r = nnRandom(64 * 6, seed: 11).makeIterator()
        for _ in 0..<64 {
            let row = (0..<6).map { _ in Int64(1 + Int((r.next()! + 1) * 3.99)) }   // tokens 1…8
            ids += row
            labels.append(row[0] > 4 ? 1 : 0)
        }
        let x = Tensor(shape: [64, 6], scalars: ids), y = Tensor(shape: [64], scalars: labels)
        let model = Sequential { Embedding(inputDim: 9, outputDim: 8); GRU(16); Dense(2) }
        model.compile(optimizer: Adam(learningRate: 0.02), loss: .softmaxCrossEntropy, metrics: [.accuracy])
        let h = try model.fit(x, y, batchSize: 16, epochs: 15, verbose: .silent)
        let losses = h["loss"]!
        #expect(losses.last! < 0.5 * losses.first!, "loss \(losses.first!) → \(losses.last!)")
        #expect(h["accuracy"]!.last! > 0.9)
    }

    @Test("Gradients reach every recurrent parameter; summary names follow Keras")
    func gradientsAndSummary() throws {
        let model = Sequential { Bidirectional(LSTM(3, returnSequences: true)); GRU(2, returnSequences: true); SimpleRNN(2); Dense(1) }
        _ = try model.build(inputShape: [4, 2])
        let x = seq(2, 4, 2, seed: 5)
        let params = model.parameters
        for p in params { p.value = p.value.requiringGradient() }
        let loss = model(x).sum()
        let gs = Weft.gradients(of: loss, wrt: params.map(\.value))
        for (p, g) in zip(params, gs) {
            #expect(g.shape == p.value.shape)
            #expect(Weft.abs(g).max(alongAxes: Array(0..<g.rank)).item > 0)
        }
        for p in params { p.value = p.value.detached() }
        let text = model.summary()
        #expect(text.contains("bidirectional (Bidirectional)"))
        #expect(text.contains("gru (GRU)"))
        #expect(text.contains("simple_rnn (SimpleRNN)"))
        #expect(text.contains("(None, 4, 6)"))
    }
}
