import Testing
@testable import Weft
@testable import WeftNN

/// float64 `s·sin(a·i + b)` for i = 0..<count, shaped: the deterministic inputs and weights of
/// the PyTorch reference scripts below.
func attnWave(_ shape: Shape, _ a: Double, _ b: Double, _ s: Double = 1) -> Tensor {
    sin(Tensor.arange(0, Double(shape.elementCount), dtype: .float64) * a + b).reshaped(to: shape) * s
}

/// `sum(y · cos(0.37·i))`, the scalar whose gradients the references give.
func attnLoss(_ y: Tensor) -> Tensor {
    (y * cos(Tensor.arange(0, Double(y.count), dtype: .float64) * 0.37).reshaped(to: y.shape)).sum()
}

/// MultiHeadAttention and TransformerEncoder against PyTorch (float64), masks, dropout, the
/// Keras parameter layout and counts, finite-difference gradients, shape errors.
@Suite struct AttentionTests {
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

    // MARK: MultiHeadAttention

    /// Cross-attention with a separate key, keyDim 3 ≠ dim/heads, valueDim 2: N=2, Tq=3, Tv=4,
    /// query dim 4, value dim 5, key dim 3 (weights as in `AttentionRef`'s script).
    func crossSetup() throws -> (MultiHeadAttention, q: Tensor, v: Tensor, k: Tensor) {
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2)
        #expect(try mha.build(inputShapes: [[3, 4], [4, 5], [4, 3]]) == [[3, 4]])
        let weights = [attnWave([4, 2, 3], 1.1, 0.5, 0.4), attnWave([2, 3], 0.9, 0.3, 0.1),
                       attnWave([3, 2, 3], 1.3, 0.2, 0.4), attnWave([2, 3], 0.8, 0.7, 0.1),
                       attnWave([5, 2, 2], 0.6, 0.4, 0.4), attnWave([2, 2], 1.7, 0.1, 0.1),
                       attnWave([2, 2, 4], 0.75, 0.9, 0.4), attnWave([4], 1.2, 0.6, 0.1)]
        #expect(mha.parameters.map(\.value.shape) == weights.map(\.shape))
        for (p, w) in zip(mha.parameters, weights) { p.value = w }
        return (mha, attnWave([2, 3, 4], 0.7, 0.1), attnWave([2, 4, 5], 0.3, 0.2), attnWave([2, 4, 3], 0.5, 1.0))
    }

    @Test func crossAttentionMatchesTorch() throws {
        let (mha, q, v, k) = try crossSetup()
        let (out, scores) = mha(query: q, value: v, key: k, returnAttentionScores: true)
        #expect(out.shape == [2, 3, 4])
        #expect(scores?.shape == [2, 2, 3, 4])
        expectNear(out.doubles, AttentionRef.out, rtol: 1e-10, atol: 1e-14, "output")
        expectNear(scores?.doubles ?? [], AttentionRef.scores, rtol: 1e-10, atol: 1e-14, "scores")
        #expect(mha(query: q, value: v, key: k, returnAttentionScores: false).scores == nil)
    }

    @Test func crossAttentionGradientsMatchTorch() throws {
        let (mha, q, v, k) = try crossSetup()
        let params = mha.parameters
        let f = { (ts: [Tensor]) -> Tensor in
            let saved = params.map(\.value)
            for (p, t) in zip(params, ts.dropFirst(3)) { p.value = t }
            defer { for (p, s) in zip(params, saved) { p.value = s } }
            return attnLoss(mha(query: ts[0], value: ts[1], key: ts[2]))
        }
        let (_, grads) = valueWithGradient(at: [q, v, k] + params.map(\.value), in: f)
        let expected = [AttentionRef.gq, AttentionRef.gv, AttentionRef.gk, AttentionRef.gqK, AttentionRef.gqB, AttentionRef.gkK, AttentionRef.gkB, AttentionRef.gvK, AttentionRef.gvB, AttentionRef.goK, AttentionRef.goB]
        let names = ["query", "value", "key"] + mha.namedParameters.map(\.0)
        #expect(grads.count == expected.count)
        for (i, (g, e)) in zip(grads, expected).enumerated() {
            #expect(g.shape == ([q, v, k] + params.map(\.value))[i].shape)
            expectNear(g.doubles, e, rtol: 1e-9, atol: 1e-14, "gradient of \(names[i])")
        }
        // Gradients reach the parameters through the layer API too.
        let (_, pg) = valueWithGradient(at: mha) { attnLoss($0(query: q, value: v, key: k)) }
        expectNear(pg["outputKernel"]?.doubles ?? [], AttentionRef.goK, rtol: 1e-9, atol: 1e-14, "outputKernel via valueWithGradient(at: layer)")
    }

    /// Self-attention N=2, T=4, dim 4, 2 heads of size 2, with the causal mask, an explicit mask
    /// ((b + 2q + 3k) mod 4 ≠ 0, and sample 1's query 2 fully masked) and both.
    @Test func masksMatchTorch() throws {
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 2)
        _ = try mha.build(inputShape: [4, 4])
        let weights = [attnWave([4, 2, 2], 1.1, 0.5, 0.5), attnWave([2, 2], 0.9, 0.3, 0.1),
                       attnWave([4, 2, 2], 1.3, 0.2, 0.5), attnWave([2, 2], 0.8, 0.7, 0.1),
                       attnWave([4, 2, 2], 0.6, 0.4, 0.5), attnWave([2, 2], 1.7, 0.1, 0.1),
                       attnWave([2, 2, 4], 0.75, 0.9, 0.5), attnWave([4], 1.2, 0.6, 0.1)]
        for (p, w) in zip(mha.parameters, weights) { p.value = w }
        let x = attnWave([2, 4, 4], 0.45, 0.3)
        var bits: [Bool] = []
        for b in 0..<2 { for i in 0..<4 { for j in 0..<4 { bits.append((b + 2 * i + 3 * j) % 4 != 0 && !(b == 1 && i == 2)) } } }
        let mask = Tensor(shape: [2, 4, 4], scalars: bits)

        let causal = mha(query: x, value: x, useCausalMask: true, returnAttentionScores: true)
        expectNear(causal.output.doubles, AttentionRef.causalOut, rtol: 1e-10, atol: 1e-14, "causal output")
        expectNear(causal.scores!.doubles, AttentionRef.causalScores, rtol: 1e-10, atol: 1e-14, "causal scores")
        let explicit = mha(query: x, value: x, attentionMask: mask, returnAttentionScores: true)
        expectNear(explicit.output.doubles, AttentionRef.explicitOut, rtol: 1e-10, atol: 1e-14, "explicit output")
        expectNear(explicit.scores!.doubles, AttentionRef.explicitScores, rtol: 1e-10, atol: 1e-14, "explicit scores")
        let both = mha(query: x, value: x, attentionMask: mask, useCausalMask: true, returnAttentionScores: true)
        expectNear(both.output.doubles, AttentionRef.bothOut, rtol: 1e-10, atol: 1e-14, "mask and causal output")
        expectNear(both.scores!.doubles, AttentionRef.bothScores, rtol: 1e-10, atol: 1e-14, "mask and causal scores")
        // A 0/1 float mask is the same mask; a [T, T] mask broadcasts over the batch.
        expectNear(mha(query: x, value: x, attentionMask: mask.cast(to: .float64)).doubles, AttentionRef.explicitOut, rtol: 1e-10, atol: 1e-14, "0/1 mask")
        let tril = Tensor(shape: [4, 4], scalars: (0..<16).map { $0 / 4 >= $0 % 4 })
        expectNear(mha(query: x, value: x, attentionMask: tril).doubles, AttentionRef.causalOut, rtol: 1e-10, atol: 1e-14, "[T, T] mask")
        // Without a mask it differs (the masks matter), and the one-input call is self-attention.
        let plain = mha(x)
        #expect(!nnIsClose(plain.doubles, AttentionRef.causalOut, rtol: 1e-6, atol: 1e-9))
        #expect(plain.doubles == mha(query: x, value: x).doubles)
    }

    @Test func maskedGradientsMatchFiniteDifferences() throws {
        // Gradients w.r.t. the input through masked (and fully masked) rows.
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2, outputShape: 3)
        _ = try mha.build(inputShape: [3, 4])
        setFloat64Parameters(mha, seed: 5)
        let mask = Tensor(shape: [2, 3, 3], scalars: [true, false, true, false, false, false, true, true, false,
                                                     false, true, true, true, true, true, false, false, true])
        let f = { (x: Tensor) in attnLoss(mha(query: x, value: x, attentionMask: mask, useCausalMask: true)) }
        let x = attnWave([2, 3, 4], 0.8, 0.2)
        let (_, g) = valueWithGradient(at: x, in: f)
        let h = 1e-6
        let numeric = withoutGradient {
            x.doubles.indices.map { i -> Double in
                var p = x.doubles, m = x.doubles
                p[i] += h; m[i] -= h
                return (f(nnTensor(x.shape, p)).item - f(nnTensor(x.shape, m)).item) / (2 * h)
            }
        }
        expectNear(g.doubles, numeric, rtol: 1e-6, atol: 1e-9, "input gradient")
        #expect(g.doubles.contains { Swift.abs($0) > 1e-3 })
    }

    @Test func dropoutOnlyInTrainingAndScoresBeforeDropout() throws {
        let x = attnWave([2, 5, 4], 0.45, 0.3)
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 2, dropout: 0.5, generator: RandomGenerator(seed: 3))
        let ref = MultiHeadAttention(numHeads: 2, keyDim: 2)
        _ = try mha.build(inputShape: [5, 4])
        _ = try ref.build(inputShape: [5, 4])
        setFloat64Parameters(mha, seed: 9)
        copyParameters(from: mha, to: ref)
        #expect(mha(x).doubles == ref(x).doubles)
        let trained = withTrainingMode { mha(query: x, value: x, returnAttentionScores: true) }
        #expect(!nnIsClose(trained.output.doubles, ref(x).doubles, rtol: 1e-6, atol: 1e-9))
        let inference = ref(query: x, value: x, returnAttentionScores: true)
        expectNear(trained.scores!.doubles, inference.scores!.doubles, rtol: 1e-14, atol: 0, "scores are the probabilities before dropout")
    }

    @Test func multiIOInputs() throws {
        let (mha, q, v, k) = try crossSetup()
        let outs = mha.call([q, v, k])
        #expect(outs.count == 1)
        expectNear(outs[0].doubles, AttentionRef.out, rtol: 1e-10, atol: 1e-14, "call([q, v, k])")
        // Two inputs: key = value.
        let selfKV = MultiHeadAttention(numHeads: 2, keyDim: 3)
        #expect(try selfKV.build(inputShapes: [[3, 4], [4, 5]]) == [[3, 4]])
        setFloat64Parameters(selfKV)
        #expect(selfKV.keyKernel!.value.shape == [5, 2, 3])
        #expect(selfKV.call([q, v])[0].doubles == selfKV(query: q, value: v, key: v).doubles)
        let asLayer: any MultiIOLayer = selfKV
        #expect(asLayer.call([q, v])[0].shape == [2, 3, 4])
        // One input: self-attention.
        let selfAttn = MultiHeadAttention(numHeads: 2, keyDim: 3)
        #expect(try selfAttn.build(inputShapes: [[3, 4]]) == [[3, 4]])
        setFloat64Parameters(selfAttn)
        #expect(selfAttn.call([q])[0].doubles == selfAttn(q).doubles)
        #expect(selfAttn(q).doubles == selfAttn(query: q, value: q).doubles)

        // In a functional model: query [3, 4] attends over value [4, 5] and key [4, 3].
        let qi = Input(shape: [3, 4]), vi = Input(shape: [4, 5]), ki = Input(shape: [4, 3])
        let (cross, _, _, _) = try crossSetup()
        let model = Model(inputs: [qi, vi, ki], outputs: try cross([qi, vi, ki]))
        expectNear(model.call([q, v, k])[0].doubles, AttentionRef.out, rtol: 1e-10, atol: 1e-14, "functional model")
        #expect(model.parameterCount == cross.parameterCount)
    }

    @Test func parameterLayoutAndCount() throws {
        // Keras's example layer: num_heads=2, key_dim=2, target [8, 16], source [4, 16]:
        // query/key/value 16·2·2 + 2·2 = 68 each, output 2·2·16 + 16 = 80.
        let a = MultiHeadAttention(numHeads: 2, keyDim: 2)
        #expect(try a.build(inputShapes: [[8, 16], [4, 16]]) == [[8, 16]])
        #expect(a.parameterCount == 284)
        #expect(a.namedParameters.map(\.0) == ["queryKernel", "queryBias", "keyKernel", "keyBias",
                                               "valueKernel", "valueBias", "outputKernel", "outputBias"])
        #expect(a.parameters.map(\.value.shape) == [[16, 2, 2], [2, 2], [16, 2, 2], [2, 2], [16, 2, 2], [2, 2], [2, 2, 16], [16]])
        // glorot_uniform with Keras's fans for a [16, 2, 2] kernel: fanIn 32, fanOut 32.
        let limit = (6.0 / 64).squareRoot()
        let qk = a.queryKernel!.value.doubles
        #expect(qk.allSatisfy { Swift.abs($0) <= limit } && qk.contains { Swift.abs($0) > limit / 2 })
        #expect(a.queryBias!.value.doubles.allSatisfy { $0 == 0 })
        // valueDim, outputShape, no bias: 12·4·8 + 7·4·8 + 7·4·6 + 4·6·10 = 1016 (+ 32 + 32 + 24 + 10 with bias).
        let b = MultiHeadAttention(numHeads: 4, keyDim: 8, valueDim: 6, useBias: false, outputShape: 10)
        #expect(try b.build(inputShapes: [[3, 12], [5, 7]]) == [[3, 10]])
        #expect(b.parameterCount == 1016 && b.parameters.count == 4)
        let c = MultiHeadAttention(numHeads: 4, keyDim: 8, valueDim: 6, outputShape: 10)
        _ = try c.build(inputShapes: [[3, 12], [5, 7]])
        #expect(c.parameterCount == 1114)
        #expect(a.typeName == "MultiHeadAttention" && kerasName(a.typeName) == "multi_head_attention")
    }

    @Test func attentionShapeErrors() throws {
        let e1 = shapeError { _ = try MultiHeadAttention(numHeads: 2, keyDim: 2).build(inputShapes: [[3, 4], [4, 5], [5, 3]]) }
        #expect(e1?.layer == "MultiHeadAttention")
        #expect(e1?.message.contains("[4, 5]") == true && e1?.message.contains("[5, 3]") == true)
        let e2 = shapeError { _ = try MultiHeadAttention(numHeads: 2, keyDim: 2).build(inputShapes: [[3, 4], [3, 4], [3, 4], [3, 4]]) }
        #expect(e2?.message.contains("4 inputs") == true)
        let e3 = shapeError { _ = try MultiHeadAttention(numHeads: 2, keyDim: 2).build(inputShape: [4]) }
        #expect(e3?.message.contains("[4]") == true)
        let built = MultiHeadAttention(numHeads: 2, keyDim: 2)
        _ = try built.build(inputShape: [3, 4])
        let e4 = shapeError { _ = try built.build(inputShape: [3, 6]) }
        #expect(e4?.layer == "MultiHeadAttention" && e4?.message.contains("6") == true)
        #expect(try built.build(inputShape: [7, 4]) == [7, 4])  // other lengths are fine
    }

    // MARK: TransformerEncoder

    /// Keras-layout weights of the torch reference (N=2, T=3, dim 4, 2 heads, intermediate 6),
    /// in the layer's parameter order.
    func encoderWeights() -> [Tensor] {
        [attnWave([4, 2, 2], 1.1, 0.5, 0.5), attnWave([2, 2], 0.9, 0.3, 0.1),
         attnWave([4, 2, 2], 1.3, 0.2, 0.5), attnWave([2, 2], 0.8, 0.7, 0.1),
         attnWave([4, 2, 2], 0.6, 0.4, 0.5), attnWave([2, 2], 1.7, 0.1, 0.1),
         attnWave([2, 2, 4], 0.75, 0.9, 0.5), attnWave([4], 1.2, 0.6, 0.1),
         attnWave([4], 0.5, 0.1, 0.2) + 1, attnWave([4], 0.4, 0.2, 0.1),
         attnWave([4], 0.35, 0.6, 0.2) + 1, attnWave([4], 0.55, 0.8, 0.1),
         attnWave([4, 6], 0.95, 0.15, 0.6), attnWave([6], 0.65, 0.25, 0.1),
         attnWave([6, 4], 0.85, 0.35, 0.6), attnWave([4], 0.45, 0.45, 0.1)]
    }

    @Test func encoderMatchesTorch() throws {
        let x = attnWave([2, 3, 4], 0.45, 0.3, 1.5)
        let padding = Tensor(shape: [2, 3], scalars: [true, true, false, true, true, true])
        for (normalizeFirst, plain, padded, causal) in [(false, AttentionRef.post, AttentionRef.postPad, AttentionRef.postCausal),
                                                         (true, AttentionRef.pre, AttentionRef.prePad, AttentionRef.preCausal)] {
            let enc = TransformerEncoder(intermediateDim: 6, numHeads: 2, normalizeFirst: normalizeFirst)
            #expect(try enc.build(inputShape: [3, 4]) == [3, 4])
            #expect(enc.parameters.map(\.value.shape) == encoderWeights().map(\.shape))
            for (p, w) in zip(enc.parameters, encoderWeights()) { p.value = w }
            expectNear(enc(x).doubles, plain, rtol: 1e-10, atol: 1e-13, "normalizeFirst \(normalizeFirst)")
            expectNear(enc(x, paddingMask: padding).doubles, padded, rtol: 1e-10, atol: 1e-13, "padding, normalizeFirst \(normalizeFirst)")
            expectNear(enc(x, paddingMask: padding.cast(to: .int64)).doubles, padded, rtol: 1e-10, atol: 1e-13, "0/1 padding")
            expectNear(enc(x, useCausalMask: true).doubles, causal, rtol: 1e-10, atol: 1e-13, "causal, normalizeFirst \(normalizeFirst)")
        }
    }

    @Test func encoderLayoutAndCount() throws {
        let enc = TransformerEncoder(intermediateDim: 6, numHeads: 2)
        _ = try enc.build(inputShape: [3, 4])
        // KerasHub: attention 4·(4·2·2 + 4) = 80, two layer norms 8 + 8, dense 4·6 + 6 and 6·4 + 4.
        #expect(enc.parameterCount == 154)
        #expect(enc.selfAttentionLayer?.keyDim == 2)
        #expect(enc.selfAttentionLayerNorm?.epsilon == 1e-5)
        #expect(enc.namedParameters.map(\.0) == [
            "selfAttentionLayer.queryKernel", "selfAttentionLayer.queryBias", "selfAttentionLayer.keyKernel",
            "selfAttentionLayer.keyBias", "selfAttentionLayer.valueKernel", "selfAttentionLayer.valueBias",
            "selfAttentionLayer.outputKernel", "selfAttentionLayer.outputBias",
            "selfAttentionLayerNorm.gamma", "selfAttentionLayerNorm.beta",
            "feedforwardLayerNorm.gamma", "feedforwardLayerNorm.beta",
            "feedforwardIntermediateDense.weight", "feedforwardIntermediateDense.bias",
            "feedforwardOutputDense.weight", "feedforwardOutputDense.bias"])
        #expect(kerasName(enc.typeName) == "transformer_encoder")
        let e = shapeError { _ = try TransformerEncoder(intermediateDim: 6, numHeads: 8).build(inputShape: [3, 4]) }
        #expect(e?.layer == "TransformerEncoder" && e?.message.contains("[3, 4]") == true)
        let e2 = shapeError { _ = try TransformerEncoder(intermediateDim: 6, numHeads: 2).build(inputShape: [4]) }
        #expect(e2?.layer == "TransformerEncoder")
        let e3 = shapeError { _ = try enc.build(inputShape: [3, 6]) }
        #expect(e3 != nil)
        // In a Sequential model.
        let m = Sequential { TransformerEncoder(intermediateDim: 6, numHeads: 2); Dense(1) }
        #expect(try m.build(inputShape: [5, 4]) == [5, 1])
        #expect(m.parameterCount == 159)
    }

    @Test func encoderGradientsMatchFiniteDifferences() throws {
        // float64, N=2, T=3, dim 4, 2 heads, intermediate 5, with a padding mask.
        for normalizeFirst in [false, true] {
            let enc = TransformerEncoder(intermediateDim: 5, numHeads: 2, normalizeFirst: normalizeFirst)
            _ = try enc.build(inputShape: [3, 4])
            setFloat64Parameters(enc, seed: 17)
            let x = attnWave([2, 3, 4], 0.6, 0.4, 1.2)
            let padding = Tensor(shape: [2, 3], scalars: [true, true, false, true, true, true])
            let loss = { (m: TransformerEncoder, x: Tensor) in attnLoss(m(x, paddingMask: padding)) }
            let (_, grads) = valueWithGradient(at: enc) { loss($0, x) }
            #expect(grads.names.count == 16)
            let h = 1e-6
            withoutGradient {
                for (k, p) in enc.trainableParameters.enumerated() {
                    let original = p.value, base = original.doubles
                    var numeric = [Double](repeating: 0, count: base.count)
                    for i in base.indices {
                        var plus = base, minus = base
                        plus[i] += h; minus[i] -= h
                        p.value = nnTensor(original.shape, plus)
                        let lp = loss(enc, x).item
                        p.value = nnTensor(original.shape, minus)
                        numeric[i] = (lp - loss(enc, x).item) / (2 * h)
                    }
                    p.value = original
                    expectNear(grads.tensors[k].doubles, numeric, rtol: 1e-6, atol: 1e-8, "gradient of \(grads.names[k]), normalizeFirst \(normalizeFirst)")
                }
            }
            let (_, gx) = valueWithGradient(at: x) { loss(enc, $0) }
            let numericX = withoutGradient {
                x.doubles.indices.map { i -> Double in
                    var p = x.doubles, m = x.doubles
                    p[i] += h; m[i] -= h
                    return (loss(enc, nnTensor(x.shape, p)).item - loss(enc, nnTensor(x.shape, m)).item) / (2 * h)
                }
            }
            expectNear(gx.doubles, numericX, rtol: 1e-6, atol: 1e-8, "input gradient, normalizeFirst \(normalizeFirst)")
        }
    }

    @Test func functionalWithUnknownLength() throws {
        // Input [None, 4] → TransformerEncoder → TimeDistributed(Dense(2)): any length runs.
        let x = Input(shape: [-1, 4])
        let enc = TransformerEncoder(intermediateDim: 6, numHeads: 2)
        let head = TimeDistributed(Dense(2))
        let y = try head(try enc(x))
        #expect(y.shape == [-1, 2])
        let model = Model(inputs: x, outputs: y)
        setFloat64Parameters(model, seed: 41)
        #expect(model.parameterCount == 154 + 10)
        for t in [3, 5] {
            let input = attnWave([2, t, 4], 0.3, 0.1)
            let out = model(input)
            #expect(out.shape == [2, t, 2])
            #expect(out.doubles == head(enc(input)).doubles)
        }
        // A value of unknown length with a key of known length is accepted; unknown features are not.
        #expect(try MultiHeadAttention(numHeads: 1, keyDim: 2).build(inputShapes: [[3, 4], [-1, 4], [6, 4]]) == [[3, 4]])
        let e = shapeError { _ = try MultiHeadAttention(numHeads: 1, keyDim: 2).build(inputShapes: [[3, -1], [5, 4]]) }
        #expect(e?.message.contains("[3, -1]") == true)
    }

    // MARK: Keras masks (Embedding(maskZero:) in a Sequential)

    @Test func kerasMaskFromEmbedding() throws {
        // ids with padding 0: sample 0 has 3 real tokens, sample 1 has 4.
        let ids = Tensor(shape: [2, 4], scalars: [Int64(3), 1, 2, 0, 4, 4, 1, 2])
        let real = Tensor(shape: [2, 4], scalars: [true, true, true, false, true, true, true, true])
        let emb = Embedding(inputDim: 5, outputDim: 4, maskZero: true)
        let enc = TransformerEncoder(intermediateDim: 6, numHeads: 2)
        let model = Sequential { emb; enc }
        _ = try model.build(inputShape: [4])
        setFloat64Parameters(model, seed: 23)
        let x = emb(ids)
        let y = model(ids)
        let padded = enc(x, paddingMask: real)
        // Real positions: as the explicit padding mask (KerasHub); they differ from no mask.
        let realIdx = [0, 1, 2, 4, 5, 6, 7]
        func rows(_ t: Tensor) -> [Double] { realIdx.flatMap { i in Array(t.doubles[i * 4..<(i + 1) * 4]) } }
        expectNear(rows(y), rows(padded), rtol: 1e-12, atol: 1e-14, "real positions")
        #expect(!nnIsClose(rows(enc(x)), rows(padded), rtol: 1e-6, atol: 1e-9))
        // The padded position attends to nothing: its attention output is the output bias.
        let outer = logicalAnd(real.reshaped(to: [2, 4, 1]), real.reshaped(to: [2, 1, 4]))
        expectNear(y.doubles, enc(x, attentionMask: outer).doubles, rtol: 1e-12, atol: 1e-14, "query and key masks")
        let attn = enc.selfAttentionLayer!
        let scores = attn(query: x, value: x, attentionMask: outer, returnAttentionScores: true).scores!.doubles
        #expect(Array(scores[12..<16]) == [0, 0, 0, 0] && Array(scores[28..<32]) == [0, 0, 0, 0])
        // MultiHeadAttention alone: the mask is its query and value mask.
        let mha = MultiHeadAttention(numHeads: 2, keyDim: 3)
        _ = try mha.build(inputShape: [4, 4])
        setFloat64Parameters(mha, seed: 29)
        let masked = mha(x, mask: real.cast(to: .float64))
        #expect(masked.doubles == mha(query: x, value: x, attentionMask: outer).doubles)
        expectNear(Array(masked.doubles[12..<16]), mha.outputBias!.value.doubles, rtol: 1e-12, atol: 0, "padded query → output bias")
        #expect(mha(x, mask: nil).doubles == mha(x).doubles)
    }
}

/// Reference values from PyTorch 2.15 (float64).
///
/// `out` … `goB`: the cross-attention case of `crossSetup`, computed in torch with the same
/// Keras-layout weights through einsum:
///     q = einsum("btd,dhk->bhtk", query, qK) + qB;  k, v likewise;  q = q / sqrt(keyDim)
///     s = einsum("bhqk,bhsk->bhqs", q, k);  p = softmax(s, -1)   (masked: where(m, s, -1e9),
///     softmax, where(m, p, 0))
///     out = einsum("bqhv,hvo->bqo", einsum("bhqs,bhsv->bqhv", p, v), oK) + oB
/// `scores` is p; `g…` are autograd gradients of sum(out · cos(0.37·i)) w.r.t. query, value,
/// key and the eight weights. `causal…`, `explicit…`, `both…`: `masksMatchTorch`'s layer
/// with the same formula and the masks described there.
/// `post…`/`pre…`: torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0,
/// activation="relu", layer_norm_eps=1e-5, batch_first=True, norm_first=False/True) in train
/// mode (dropout 0, no fused path), with in_proj_weight = cat(qK, kK, vK reshaped [4, 4],
/// each transposed), in_proj_bias = cat of the biases, out_proj.weight = oK reshaped
/// [4, 4] transposed, norm1/norm2 = the two layer norms, linear1/2.weight = the Dense kernels
/// transposed; `…Pad` with src_key_padding_mask [[F, F, T], [F, F, F]], `…Causal` with
/// generate_square_subsequent_mask(3), is_causal=True.
enum AttentionRef {
    static let out: [Double] = [
        0.047822620896581292, 0.090742675752484611, 0.013033744510204313, -0.082093386164858076,
        0.034544833405219667, 0.071573164827232055, -0.0017407035299588473, -0.084544473589089578,
        0.045570334033428174, 0.088312585235594099, 0.011729891010228193, -0.081571325833116978,
        0.038459476856731803, 0.076507238650604423, 0.0015650668080555361, -0.084640956693705208,
        0.041497758454740692, 0.083087781031827776, 0.0081566044330337595, -0.081575589657009465,
        0.043242319456227009, 0.083134282904704759, 0.0064800932370791785, -0.084075460691131032]
    static let scores: [Double] = [
        0.31598728722566549, 0.31220430609684818, 0.19122930886922956, 0.18057909780825671,
        0.18288252577487524, 0.21125280713986597, 0.31612936856137902, 0.2897352985238798,
        0.30755165095729781, 0.27590335384096876, 0.20158971800814968, 0.21495527719358387,
        0.25726441593503502, 0.33476200304722714, 0.23565089209996595, 0.17232268891777167,
        0.20664669694637844, 0.18493052870605814, 0.27856806328887285, 0.32985471105869052,
        0.27525297556995354, 0.29639327108456553, 0.22618414450381868, 0.20216960884166219,
        0.20550665144363214, 0.24286037227448923, 0.29502120878273513, 0.25661176749914361,
        0.27274969984719549, 0.23814546508530834, 0.22868630893924571, 0.2604185261282505,
        0.23266485139148435, 0.29850601239183638, 0.265389285930895, 0.2034398502857844,
        0.21203318473661961, 0.21795396472197831, 0.28362169554717942, 0.28639115499422274,
        0.27670151151965511, 0.24619536675075485, 0.2260690353039124, 0.25103408642567754,
        0.20716209216203221, 0.2729851470439521, 0.29420783399411565, 0.22564492679990009]
    static let gq: [Double] = [
        0.0021494670945589578, 0.0057242472459962477, 0.008729265500590019, 0.010865417919043378,
        0.0001576734434158882, -0.001456520410188215, -0.0029257397726431852, -0.00410374616492156,
        -0.0022892530367690251, -0.0062011833880321818, -0.0094958800912709682, -0.011845406116079409,
        -0.00055180479885875153, 0.00041422338677050779, 0.0013390219237803119, 0.0021305411598756111,
        0.0022055752673215954, 0.0063865922559102313, 0.0099319209589101062, 0.012488677735914529,
        0.00093938804810615294, 0.00071258159111578273, 0.00041484845650961331, 7.582345708246794e-05]
    static let gv: [Double] = [
        0.011246014972721138, -0.030710651823458279, 0.034045668336865675, -0.019499471922554395,
        -0.005288092232736484, 0.012610008549163429, -0.020884443704678679, 0.018190106531646519,
        -0.0059420967782451524, -0.00942677688881478, 0.023671769840982182, -0.043776674089025948,
        0.040889518880107799, -0.01652667441836729, -0.016516187170307142, 0.022575484594322417,
        -0.053161086939375553, 0.055825818246552139, -0.029170128140535198, -0.012806079901825099,
        -0.033176992717200537, 0.1011391808799942, -0.11598180003459332, 0.069909320045346987,
        0.012880413516192249, -0.029110101324124567, 0.090828153755857233, -0.10484211822344153,
        0.063791684448139013, 0.010762943791745624, -0.030826948647598891, 0.089850471253939745,
        -0.10168339703454998, 0.060110924642385308, 0.013032560901213242, -0.034819085406605957,
        0.099481044831031415, -0.11189430914115284, 0.065539275899999611, 0.01523780880158572]
    static let gk: [Double] = [
        0.0050776929093817452, 0.0042640688346681707, -0.0046175536548165343, 0.0021891715132403905,
        -0.0017621814161159286, -0.0023793299920688263, -0.004410127974187497, -0.0039161797533246046,
        0.0039875297230083763, -0.0028567364484346387, 0.0014142923347723625, 0.0030093539238769851,
        -0.0027898823032575164, 0.00030698130627778764, 0.0028230089142276989, -0.00068245103854992469,
        0.0011012695680250534, 0.00080128996394120177, 0.0023091541293432925, -6.7984326077714951e-05,
        -0.0023164903751536781, 0.0011631792124641486, -0.0013402665482251264, -0.0013078085030152229]
    static let gqK: [Double] = [
        -0.0036530347515254902, 0.0017651977129812075, 0.0045974113925520482, 0.0023386977521389187,
        0.0012660547416203565, -0.0016613614314228209, 0.0021886938496073153, -0.00085796300285762061,
        -0.0026477020461426162, -0.0012409397171059158, -0.0018779847992517074, 0.00023622224915668998,
        0.007001045533985042, -0.003077610312410794, -0.0086475598410507403, -0.0042369438471778946,
        -0.0041387787447137612, 0.0020227069148833548, 0.0085206961093755064, -0.0038498094030495157,
        -0.010580335120862868, -0.0052402470818482703, -0.0044530403763351281, 0.0028578809128729978]
    static let gqB: [Double] = [
        0.011153419357113859, -0.0026270306657157111, -0.012558874608793534, -0.0047643712762716478,
        -0.0067051503089318879, 0.0011771315694895129]
    static let gkK: [Double] = [
        0.0091822616276668184, 0.0069161659686863925, -0.0023243908502599592, -0.0055615529193370353,
        -0.0025130746834195945, 0.0031413677666921737, 0.015460111343825156, 0.01118774967117819,
        -0.0044608239603572825, 1.0383125253967881e-05, 0.0010656349994560598, 0.0010347460935141316,
        0.017952786612782171, 0.012720182067755069, -0.0055050917882846452, 0.0055797770186586469,
        0.004383440069144982, -0.0013252175113878]
    static let gkB: [Double] = [
        -2.927345865710862e-18, -5.2041704279304213e-18, 1.3552527156068805e-18, -4.9873299934333204e-18,
        -3.4694469519536142e-18, -6.5052130349130266e-19]
    static let gvK: [Double] = [
        0.10489467354301857, -0.10419759354570685, 0.11991718274607355, -0.11750576491151432,
        0.11397993810442508, -0.11522600769219887, 0.11755034963811117, -0.11708957157437061,
        0.11288371425585181, -0.11596162574354363, 0.1046830938914472, -0.10621411553064658,
        0.10170392440886206, -0.10633873713007, 0.08246480914001153, -0.085850868878888098,
        0.081439225894265249, -0.087216925832240277, 0.052880188589016774, -0.057818819795633219]
    static let gvB: [Double] = [
        0.8250893968875147, -0.78628583270969554, 0.73174475224414892, -0.66255779558722339]
    static let goK: [Double] = [
        0.031026788754483205, 0.022454725176174542, 0.010843519885148355, -0.0022353049530812498,
        0.1381300851143013, 0.094398541762574187, 0.037890598626860901, -0.023745659280164269,
        -0.013313763338014161, -0.010793420683594984, -0.0068122391738766296, -0.0019090530496326695,
        -0.090158075931196735, -0.067133554518173322, -0.035022821438856294, 0.0018280862227272737]
    static let goB: [Double] = [
        1.2113985119326425, 0.85574914066524088, 0.38427813770949426, -0.13920310845499395]
    static let causalOut: [Double] = [
        0.077739474720359358, 0.12311135169336529, 0.030484490458678792, -0.088925028977651338,
        0.054892542671281103, 0.092941151538971367, 0.0091810232584264937, -0.08992984846094372,
        0.039708626514162688, 0.079594234306941652, 0.0048333578706322433, -0.082945207968588106,
        0.037285660615610131, 0.078970734343062676, 0.0063439078025578008, -0.080111202862573033,
        0.065001419416731807, 0.099640057475618465, 0.0088751763279307505, -0.097076323986836785,
        0.041310369174218445, 0.077600220406711995, 0.00031361966022103518, -0.087565278345921538,
        0.028427540556975356, 0.067984666520611914, -0.00087473921556759093, -0.079688742383105346,
        0.039204900556350022, 0.080538595337790564, 0.0067190407373855926, -0.08113010267177799]
    static let causalScores: [Double] = [
        1, 0, 0, 0,
        0.46136343260971163, 0.53863656739028831, 0, 0,
        0.36061665538349613, 0.33130954260021106, 0.30807380201629275, 0,
        0.21838385110074252, 0.24028519335930551, 0.2964355469893673, 0.24489540855058464,
        1, 0, 0, 0,
        0.52475842079657975, 0.47524157920342031, 0, 0,
        0.3778475097239003, 0.33056669295439828, 0.29158579732170142, 0,
        0.20689393313700358, 0.2392425017841861, 0.31391672599356785, 0.23994683908524245,
        1, 0, 0, 0,
        0.54288961065272978, 0.45711038934727022, 0, 0,
        0.30998440933810301, 0.33042579542025591, 0.35958979524164109, 0,
        0.22485639682169192, 0.30120783607453283, 0.26447957642388253, 0.20945619067989277,
        1, 0, 0, 0,
        0.61092022398769952, 0.38907977601230054, 0, 0,
        0.29477271162526258, 0.34236155936617924, 0.36286572900855829, 0,
        0.23021586464527727, 0.28669033324805221, 0.26331620701448505, 0.21977759509218542]
    static let explicitOut: [Double] = [
        0.027640661407752003, 0.068985767244086879, 0.0013771284456321128, -0.077394510102826858,
        0.056212155329187462, 0.098541668767580318, 0.01605708283273858, -0.085468093185077837,
        0.032005837122282478, 0.074015755971227226, 0.0043727262555204108, -0.078040807683731062,
        0.055433301330041596, 0.097610353972496261, 0.015473071493923428, -0.085391407581808063,
        0.059073370370364503, 0.10395353943479317, 0.021115478845530292, -0.083477619738459852,
        0.037329930278532847, 0.078368830520496757, 0.0054188254854269265, -0.080863043908480425,
        0.056464247339503539, 0.097384763087819529, 0.014112000805986721, -0.08715757724135878,
        0.028248007683361821, 0.068246152223976841, -0.00031255398491050745, -0.079127538735436209]
    static let explicitScores: [Double] = [
        0, 0.33201127076773324, 0.38211556551975456, 0.28587316371251226,
        0.32635902191894661, 0.38102045129350581, 0, 0.29262052678754763,
        0, 0.33602274092926648, 0.31245644948697271, 0.35152080958376081,
        0.31039636833022632, 0.34152548829193641, 0, 0.34807814337783727,
        0, 0.32945234109751131, 0.3718670939562882, 0.29868056494620049,
        0.36914565924909665, 0.33431262673464429, 0, 0.29654171401625912,
        0, 0.33904318460185179, 0.29906272899144598, 0.36189408640670229,
        0.30155804838213257, 0.34870767273936371, 0, 0.34973427887850378,
        0.35411847016163367, 0, 0.3328005722454373, 0.31308095759292914,
        0.38301482774494194, 0.32249660630964166, 0.29448856594541645, 0,
        0, 0, 0, 0,
        0.28443255664107414, 0.3810134650647396, 0.33455397829418632, 0,
        0.36622940008288868, 0, 0.29101947050496774, 0.34275112941214358,
        0.44085111054354215, 0.28076702097933637, 0.27838186847712137, 0,
        0, 0, 0, 0,
        0.29506441137444384, 0.36744693749460511, 0.337488651130951, 0]
    static let bothOut: [Double] = [
        0.056464247339503539, 0.097384763087819529, 0.014112000805986721, -0.08715757724135878,
        0.054892542671281103, 0.092941151538971367, 0.0091810232584264937, -0.08992984846094372,
        0.016583338011440532, 0.052458708835333066, -0.011750877503881728, -0.080078683341610182,
        0.055433301330041596, 0.097610353972496261, 0.015473071493923428, -0.085391407581808063,
        0.065001419416731807, 0.099640057475618465, 0.0088751763279307505, -0.097076323986836785,
        0.041310369174218445, 0.077600220406711995, 0.00031361966022103518, -0.087565278345921538,
        0.056464247339503539, 0.097384763087819529, 0.014112000805986721, -0.08715757724135878,
        0.028248007683361821, 0.068246152223976841, -0.00031255398491050745, -0.079127538735436209]
    static let bothScores: [Double] = [
        0, 0, 0, 0,
        0.46136343260971163, 0.53863656739028831, 0, 0,
        0, 0.51817042997722673, 0.48182957002277343, 0,
        0.31039636833022632, 0.34152548829193641, 0, 0.34807814337783727,
        0, 0, 0, 0,
        0.52475842079657975, 0.47524157920342031, 0, 0,
        0, 0.53132744483221295, 0.46867255516778705, 0,
        0.30155804838213257, 0.34870767273936371, 0, 0.34973427887850378,
        1, 0, 0, 0,
        0.54288961065272978, 0.45711038934727022, 0, 0,
        0, 0, 0, 0,
        0.28443255664107414, 0.3810134650647396, 0.33455397829418632, 0,
        1, 0, 0, 0,
        0.61092022398769952, 0.38907977601230054, 0, 0,
        0, 0, 0, 0,
        0.29506441137444384, 0.36744693749460511, 0.337488651130951, 0]
    static let post: [Double] = [
        -1.6821248661468424, -0.068538367171470702, 1.0032797052796423, 1.2114925457415666,
        1.2458070917562316, 0.93567568717134453, -0.21438638168898674, -1.7552971577232508,
        1.8633277197019225, -0.0083645700552299092, -1.230193091987025, -0.42547180407876944,
        -1.4104868999849265, -0.45556578164761685, 0.66218511506384425, 1.6609958083220784,
        0.60482206723810283, 1.2616426346579224, 0.30266273708531061, -1.9207150024708171,
        1.4872741364965751, 0.74695004426308054, -0.46685813803262066, -1.5669567346939572]
    static let postPad: [Double] = [
        -1.7026922210160309, -0.021456401747822099, 1.0312149921106852, 1.1569984267848217,
        1.2486132889879145, 0.93416523071900015, -0.21778818569840297, -1.7533423966810229,
        1.8607131603531497, 0.072406610199749685, -1.1865217079064532, -0.54988947034661584,
        -1.4104868999849265, -0.45556578164761685, 0.66218511506384425, 1.6609958083220784,
        0.60482206723810283, 1.2616426346579224, 0.30266273708531061, -1.9207150024708171,
        1.4872741364965751, 0.74695004426308054, -0.46685813803262066, -1.5669567346939572]
    static let postCausal: [Double] = [
        -1.7281246239558272, 0.044701088632761198, 1.0748130023823086, 1.0723195613595722,
        1.2486132889879145, 0.93416523071900015, -0.21778818569840297, -1.7533423966810229,
        1.8633277197019225, -0.0083645700552299092, -1.230193091987025, -0.42547180407876944,
        -1.4348001008932558, -0.42958390189364881, 0.6883547003066729, 1.6340799746955337,
        0.61688296067438275, 1.2582812956251286, 0.29252696969489644, -1.9200529153281869,
        1.4872741364965751, 0.74695004426308054, -0.46685813803262066, -1.5669567346939572]
    static let pre: [Double] = [
        0.48922693019127161, 1.1048155398422408, 1.449123037067382, 1.5254839721317366,
        1.4120999085834762, 1.1105690189847772, 0.42981931694471032, -0.40680535977261334,
        -0.9750692310013428, -1.178735017049849, -1.2832306158588278, -1.2024071756808068,
        -0.88906947122145963, -0.20950383502573239, 0.48899973886292414, 1.1137584842352815,
        1.5896483498333254, 1.7988431091557167, 1.4819855061981213, 0.8134344485417766,
        0.23807324534290461, -0.25884375527422204, -0.84357911712460643, -1.3286538919512263]
    static let prePad: [Double] = [
        0.41206939977876561, 1.0252801723252003, 1.4095937879703919, 1.5459773579313414,
        1.3989121788500896, 1.1091423293100977, 0.44091339190687706, -0.38909720306745305,
        -1.0356411836242474, -1.2381548369354725, -1.3078864005634059, -1.1779560405196958,
        -0.88906947122145963, -0.20950383502573239, 0.48899973886292414, 1.1137584842352815,
        1.5896483498333254, 1.7988431091557167, 1.4819855061981213, 0.8134344485417766,
        0.23807324534290461, -0.25884375527422204, -0.84357911712460643, -1.3286538919512263]
    static let preCausal: [Double] = [
        0.42946434080492296, 1.0564562153337635, 1.4379112823814229, 1.5565658811761027,
        1.3989121788500896, 1.1091423293100977, 0.44091339190687706, -0.38909720306745305,
        -0.9750692310013428, -1.178735017049849, -1.2832306158588278, -1.2024071756808068,
        -0.80929916643178634, -0.10145651344533115, 0.56773750762895137, 1.1216484504265236,
        1.5934484499189798, 1.8055741760067805, 1.4880596509552615, 0.81568184810278255,
        0.23807324534290461, -0.25884375527422204, -0.84357911712460643, -1.3286538919512263]
}
