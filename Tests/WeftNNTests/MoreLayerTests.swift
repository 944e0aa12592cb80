import Testing
@testable import Weft
@testable import WeftNN

/// Normalization, Embedding, reshaping, global pooling and noise layers: shapes (build and
/// forward), hand-computed values, float64 gradients against finite differences, shape errors.
@Suite struct MoreLayerTests {
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

    /// Build-time per-sample shape agrees with the forward pass.
    func expectShapes(_ layer: some Layer, _ input: Tensor, _ expected: Shape, training: Bool = false,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let built = try layer.build(inputShape: Array(input.shape.dropFirst()))
        #expect(built == expected, sourceLocation: sourceLocation)
        let y = withTrainingMode(training) { layer(input) }
        #expect(y.shape == [input.shape[0]] + expected, sourceLocation: sourceLocation)
    }

    // MARK: shapes

    @Test func outputShapes() throws {
        let img = nnTensor([2, 3, 4, 5], nnRandom(120, seed: 1))
        try expectShapes(BatchNormalization(), img, [3, 4, 5], training: true)
        try expectShapes(BatchNormalization(), nnTensor([4, 6], nnRandom(24, seed: 2)), [6], training: true)
        try expectShapes(LayerNormalization(), img, [3, 4, 5])
        try expectShapes(Reshape([5, -1]), img, [5, 12])
        try expectShapes(Reshape([60]), img, [60])
        try expectShapes(Permute([3, 1, 2]), img, [5, 3, 4])
        try expectShapes(RepeatVector(3), nnTensor([2, 4], nnRandom(8, seed: 3)), [3, 4])
        try expectShapes(ZeroPadding2D((1, 2)), img, [3, 6, 9])
        try expectShapes(ZeroPadding2D(top: 1, bottom: 0, left: 2, right: 3), img, [3, 5, 10])
        try expectShapes(UpSampling2D((2, 3)), img, [3, 8, 15])
        try expectShapes(Cropping2D(top: 1, bottom: 2, left: 0, right: 1), img, [3, 1, 4])
        try expectShapes(GlobalAveragePooling2D(), img, [3])
        try expectShapes(GlobalMaxPooling2D(), img, [3])
        try expectShapes(GaussianNoise(0.1), img, [3, 4, 5], training: true)
        try expectShapes(SpatialDropout2D(0.5), img, [3, 4, 5], training: true)
        let ids = Tensor(shape: [2, 3], scalars: [Int64(0), 1, 2, 3, 4, 0])
        try expectShapes(Embedding(inputDim: 5, outputDim: 7), ids, [3, 7])
        try expectShapes(Embedding(inputDim: 5, outputDim: 7), ids.cast(to: .int32), [3, 7])
    }

    @Test func typeNamesAndParameters() throws {
        #expect(BatchNormalization().typeName == "BatchNormalization")
        #expect(GlobalAveragePooling2D().typeName == "GlobalAveragePooling2D")
        #expect(kerasName(UpSampling2D().typeName) == "up_sampling2d")
        #expect(kerasName(ZeroPadding2D().typeName) == "zero_padding2d")
        #expect(kerasName(SpatialDropout2D(0.1).typeName) == "spatial_dropout2d")
        let bn = BatchNormalization()
        _ = try bn.build(inputShape: [3, 4, 4])
        #expect(bn.namedParameters.map(\.0) == ["gamma", "beta", "movingMean", "movingVariance"])
        #expect(bn.trainableParameters.count == 2)
        #expect(bn.parameterCount == 12)
        let e = Embedding(inputDim: 10, outputDim: 4)
        _ = try e.build(inputShape: [6])
        let table = e.embeddings!.value.doubles
        #expect(table.count == 40 && table.allSatisfy { $0 >= -0.05 && $0 < 0.05 })
    }

    // MARK: values

    @Test func batchNormTrainingAndInference() throws {
        // x: [N=2, C=2, 1, 2]; channel 0 holds 1,2,3,4 and channel 1 holds 10,10,20,20.
        let x = nnTensor([2, 2, 1, 2], [1, 2, 10, 10, 3, 4, 20, 20])
        let bn = BatchNormalization()
        _ = try bn.build(inputShape: [2, 1, 2])
        for p in bn.parameters { p.value = p.value.cast(to: .float64) }
        let y = withTrainingMode { bn(x) }
        let m0 = 2.5, v0 = 1.25, m1 = 15.0, v1 = 25.0
        let e = 1e-3
        let n0 = { (v: Double) in (v - m0) / (v0 + e).squareRoot() }
        let n1 = { (v: Double) in (v - m1) / (v1 + e).squareRoot() }
        expectNear(y.doubles, [n0(1), n0(2), n1(10), n1(10), n0(3), n0(4), n1(20), n1(20)], rtol: 1e-12, atol: 1e-12)
        expectNear(bn.movingMean!.value.doubles, [0.99 * 0 + 0.01 * m0, 0.01 * m1], rtol: 1e-12)
        expectNear(bn.movingVariance!.value.doubles, [0.99 + 0.01 * v0, 0.99 + 0.01 * v1], rtol: 1e-12)

        // Inference: moving statistics, unchanged afterwards; gamma/beta applied.
        bn.gamma!.value = nnTensor([2], [2, 3])
        bn.beta!.value = nnTensor([2], [0.5, -1])
        let mm = bn.movingMean!.value.doubles, mv = bn.movingVariance!.value.doubles
        let z = bn(x)
        var expected: [Double] = []
        for (i, v) in x.doubles.enumerated() {
            let c = (i / 2) % 2
            expected.append((v - mm[c]) / (mv[c] + e).squareRoot() * [2.0, 3][c] + [0.5, -1][c])
        }
        expectNear(z.doubles, expected, rtol: 1e-12, atol: 1e-12)
        #expect(bn.movingMean!.value.doubles == mm)
        #expect(bn.movingVariance!.value.doubles == mv)
    }

    @Test func layerNormRows() throws {
        let x = nnTensor([3, 4], nnRandom(12, seed: 9).map { $0 * 5 + 1 })
        let ln = LayerNormalization(epsilon: 1e-12)
        _ = try ln.build(inputShape: [4])
        for p in ln.parameters { p.value = p.value.cast(to: .float64) }
        let y = ln(x).doubles
        for r in 0..<3 {
            let row = Array(y[r * 4..<(r + 1) * 4])
            let mean = row.reduce(0, +) / 4
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            #expect(Swift.abs(mean) < 1e-12)
            #expect(Swift.abs(variance - 1) < 1e-9)
        }
        // Scale and centre apply per feature.
        ln.gamma!.value = nnTensor([4], [1, 2, 3, 4])
        ln.beta!.value = nnTensor([4], [0, 1, 0, -1])
        let z = ln(x).doubles
        expectNear(z, y.enumerated().map { i, v in v * [1.0, 2, 3, 4][i % 4] + [0.0, 1, 0, -1][i % 4] }, rtol: 1e-12, atol: 1e-12)
    }

    @Test func embeddingPicksRowsAndGetsGradient() throws {
        let e = Embedding(inputDim: 4, outputDim: 2)
        _ = try e.build(inputShape: [3])
        e.embeddings!.value = nnTensor([4, 2], [0, 1, 10, 11, 20, 21, 30, 31])
        let ids = Tensor(shape: [2, 3], scalars: [Int32(3), 0, 1, 1, 1, 2])
        let y = e(ids)
        #expect(y.shape == [2, 3, 2])
        #expect(y.doubles == [30, 31, 0, 1, 10, 11, 10, 11, 10, 11, 20, 21])
        let (_, grads) = valueWithGradient(at: e) { l in l(ids).sum() }
        #expect(grads.tensors[0].doubles == [1, 1, 3, 3, 1, 1, 1, 1])
    }

    @Test func reshapingValues() throws {
        // x: [1, 1, 2, 2] = [[1, 2], [3, 4]]
        let x = nnTensor([1, 1, 2, 2], [1, 2, 3, 4])
        #expect(UpSampling2D((2, 3))(x).doubles == [1, 1, 1, 2, 2, 2,
                                                   1, 1, 1, 2, 2, 2,
                                                   3, 3, 3, 4, 4, 4,
                                                   3, 3, 3, 4, 4, 4])
        #expect(ZeroPadding2D(top: 1, bottom: 0, left: 0, right: 1)(x).doubles == [0, 0, 0,
                                                                                 1, 2, 0,
                                                                                 3, 4, 0])
        let big = nnTensor([1, 1, 3, 4], (0..<12).map(Double.init))
        #expect(Cropping2D(top: 1, bottom: 1, left: 1, right: 0)(big).doubles == [5, 6, 7])
        // Permute([2, 1]) on [1, 2, 3] → [1, 3, 2]; transpose of each sample.
        let p = nnTensor([1, 2, 3], [1, 2, 3, 4, 5, 6])
        let q = Permute([2, 1])(p)
        #expect(q.shape == [1, 3, 2])
        #expect(q.doubles == [1, 4, 2, 5, 3, 6])
        #expect(RepeatVector(2)(nnTensor([2, 2], [1, 2, 3, 4])).doubles == [1, 2, 1, 2, 3, 4, 3, 4])
        #expect(Reshape([3, 2])(p).doubles == [1, 2, 3, 4, 5, 6])
        let g = nnTensor([1, 2, 1, 3], [1, 5, 3, -1, -4, -2])
        #expect(GlobalAveragePooling2D()(g).doubles == [3, -7.0 / 3])
        #expect(GlobalMaxPooling2D()(g).doubles == [5, -1])
        // keepDims keeps the spatial axes as 1s (Keras's keepdims), in 1-D, 2-D and 3-D.
        #expect(GlobalAveragePooling2D(keepDims: true)(g).shape == [1, 2, 1, 1])
        #expect(try GlobalMaxPooling2D(keepDims: true).build(inputShape: [2, 1, 3]) == [2, 1, 1])
        let g1 = nnTensor([1, 2, 3], [1, 5, 3, -1, -4, -2])
        #expect(GlobalAveragePooling1D()(g1).doubles == [3, -7.0 / 3] && GlobalMaxPooling1D(keepDims: true)(g1).shape == [1, 2, 1])
        let g3 = nnTensor([1, 2, 1, 1, 3], [1, 5, 3, -1, -4, -2])
        #expect(GlobalMaxPooling3D()(g3).doubles == [5, -1] && GlobalAveragePooling3D(keepDims: true)(g3).shape == [1, 2, 1, 1, 1])
        #expect(throws: ShapeError.self) { try GlobalAveragePooling3D().build(inputShape: [2, 3]) }
    }

    @Test func dropoutNoiseShape() throws {
        // [nil, 1, nil] on [N, T, F]: each (sample, feature) is kept or dropped for every step.
        let x = nnTensor([4, 5, 6], [Double](repeating: 1, count: 120))
        let d = Dropout(0.5, noiseShape: [nil, 1, nil], generator: RandomGenerator(seed: 3))
        _ = try d.build(inputShape: [5, 6])
        #expect(d(x).doubles == x.doubles)
        let y = withTrainingMode { d(x) }.doubles
        #expect(Set(y) == [0, 2])
        for n in 0..<4 {
            for f in 0..<6 {
                let column = (0..<5).map { y[(n * 5 + $0) * 6 + f] }
                #expect(Set(column).count == 1, "sample \(n) feature \(f) differs across steps")
            }
        }
        #expect(throws: ShapeError.self) { try Dropout(0.5, noiseShape: [nil, 2, nil]).build(inputShape: [5, 6]) }
    }

    @Test func noiseLayersOnlyInTraining() throws {
        let x = nnTensor([4, 8, 3, 3], nnRandom(288, seed: 4).map { $0 + 2 })
        let noise = GaussianNoise(0.5, generator: RandomGenerator(seed: 7))
        #expect(noise(x).doubles == x.doubles)
        let noisy = withTrainingMode { noise(x) }.doubles
        #expect(noisy != x.doubles)
        let diffs = zip(noisy, x.doubles).map { $0 - $1 }
        let sd = (diffs.map { $0 * $0 }.reduce(0, +) / Double(diffs.count)).squareRoot()
        #expect(sd > 0.35 && sd < 0.65)
        // Same seed, same noise.
        let again = withTrainingMode { GaussianNoise(0.5, generator: RandomGenerator(seed: 7))(x) }.doubles
        #expect(again == noisy)

        let sd2 = SpatialDropout2D(0.5, generator: RandomGenerator(seed: 3))
        #expect(sd2(x).doubles == x.doubles)
        let y = withTrainingMode { sd2(x) }.doubles
        var dropped = 0
        for map in 0..<32 {
            let out = Array(y[map * 9..<(map + 1) * 9]), inp = Array(x.doubles[map * 9..<(map + 1) * 9])
            if out.allSatisfy({ $0 == 0 }) { dropped += 1 }
            else { expectNear(out, inp.map { $0 * 2 }, rtol: 1e-12) }
        }
        #expect(dropped > 4 && dropped < 28)
    }

    // MARK: gradients

    /// Gradients of sum(layer(x) · w) w.r.t. x, gamma and beta against float64 central differences.
    func checkNormGradient(_ layer: some Layer, gamma: () -> Parameter, beta: () -> Parameter,
                           _ x: Tensor, training: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let gp = gamma(), bp = beta()
        gp.value = nnTensor(gp.value.shape, nnRandom(gp.value.count, seed: 31).map { $0 + 1.5 })
        bp.value = nnTensor(bp.value.shape, nnRandom(bp.value.count, seed: 32))
        let w = nnTensor(x.shape, nnRandom(x.count, seed: 33))
        let f = { (ts: [Tensor]) -> Tensor in
            let (g0, b0) = (gp.value, bp.value)
            gp.value = ts[1]; bp.value = ts[2]
            defer { gp.value = g0; bp.value = b0 }
            return withTrainingMode(training) { (layer(ts[0]) * w).sum() }
        }
        let inputs = [x, gp.value, bp.value]
        let (_, grads) = valueWithGradient(at: inputs, in: f)
        let h = 1e-6
        for (k, t) in inputs.enumerated() {
            let base = t.doubles
            var numeric = [Double](repeating: 0, count: base.count)
            withoutGradient {
                for i in base.indices {
                    var plus = base, minus = base
                    plus[i] += h; minus[i] -= h
                    var ip = inputs, im = inputs
                    ip[k] = nnTensor(t.shape, plus); im[k] = nnTensor(t.shape, minus)
                    numeric[i] = (f(ip).item - f(im).item) / (2 * h)
                }
            }
            #expect(grads[k].dtype == .float64, sourceLocation: sourceLocation)
            expectNear(grads[k].doubles, numeric, rtol: 1e-6, atol: 1e-8, "gradient \(k)", sourceLocation: sourceLocation)
        }
    }

    @Test func batchNormGradients() throws {
        let x = nnTensor([3, 2, 2, 2], nnRandom(24, seed: 21).map { $0 * 2 })
        let bn = BatchNormalization()
        _ = try bn.build(inputShape: [2, 2, 2])
        for p in bn.parameters { p.value = p.value.cast(to: .float64) }
        checkNormGradient(bn, gamma: { bn.gamma! }, beta: { bn.beta! }, x, training: true)
        checkNormGradient(bn, gamma: { bn.gamma! }, beta: { bn.beta! }, x, training: false)
        let bn2 = BatchNormalization(axis: -1)
        let x2 = nnTensor([5, 3], nnRandom(15, seed: 22))
        _ = try bn2.build(inputShape: [3])
        for p in bn2.parameters { p.value = p.value.cast(to: .float64) }
        checkNormGradient(bn2, gamma: { bn2.gamma! }, beta: { bn2.beta! }, x2, training: true)
    }

    @Test func layerNormGradients() throws {
        let x = nnTensor([2, 3, 4], nnRandom(24, seed: 23).map { $0 * 3 })
        let ln = LayerNormalization()
        _ = try ln.build(inputShape: [3, 4])
        for p in ln.parameters { p.value = p.value.cast(to: .float64) }
        checkNormGradient(ln, gamma: { ln.gamma! }, beta: { ln.beta! }, x, training: false)
    }

    // MARK: errors

    func expectMentions(_ e: ShapeError?, _ layer: String, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e else { return }
        #expect(e.layer == layer, sourceLocation: sourceLocation)
        for p in parts { #expect(e.description.contains(p), "\(e) should mention \(p)", sourceLocation: sourceLocation) }
    }

    @Test func shapeErrors() throws {
        expectMentions(shapeError { _ = try Reshape([7, -1]).build(inputShape: [3, 4]) }, "Reshape", ["[3, 4]", "[7, -1]"])
        expectMentions(shapeError { _ = try Reshape([5]).build(inputShape: [3, 4]) }, "Reshape", ["[3, 4]", "[5]"])
        expectMentions(shapeError { _ = try Permute([2, 1]).build(inputShape: [3, 4, 5]) }, "Permute", ["[2, 1]", "[3, 4, 5]"])
        expectMentions(shapeError { _ = try RepeatVector(2).build(inputShape: [3, 4]) }, "RepeatVector", ["[3, 4]"])
        expectMentions(shapeError { _ = try ZeroPadding2D().build(inputShape: [3, 4]) }, "ZeroPadding2D", ["[3, 4]"])
        expectMentions(shapeError { _ = try UpSampling2D().build(inputShape: [3]) }, "UpSampling2D", ["[3]"])
        expectMentions(shapeError { _ = try Cropping2D(2).build(inputShape: [1, 4, 4]) }, "Cropping2D", ["[1, 4, 4]"])
        expectMentions(shapeError { _ = try GlobalAveragePooling2D().build(inputShape: [3, 4]) }, "GlobalAveragePooling2D", ["[3, 4]"])
        expectMentions(shapeError { _ = try GlobalMaxPooling2D().build(inputShape: [3]) }, "GlobalMaxPooling2D", ["[3]"])
        expectMentions(shapeError { _ = try SpatialDropout2D(0.2).build(inputShape: [3]) }, "SpatialDropout2D", ["[3]"])
        expectMentions(shapeError { _ = try BatchNormalization(axis: 3).build(inputShape: [4, 5]) }, "BatchNormalization", ["[4, 5]"])
        expectMentions(shapeError { _ = try LayerNormalization().build(inputShape: []) }, "LayerNormalization", ["[]"])
        let bn = BatchNormalization()
        _ = try bn.build(inputShape: [3, 4, 4])
        expectMentions(shapeError { _ = try bn.build(inputShape: [5, 4, 4]) }, "BatchNormalization", ["[5, 4, 4]", "3"])
        let ln = LayerNormalization()
        _ = try ln.build(inputShape: [6])
        expectMentions(shapeError { _ = try ln.build(inputShape: [7]) }, "LayerNormalization", ["[7]", "6"])
        // In a model, the error names the layer.
        let m = Sequential {
            Flatten()
            RepeatVector(2)
            GlobalAveragePooling2D()
        }
        expectMentions(shapeError { _ = try m.build(inputShape: [2, 3]) }, "GlobalAveragePooling2D", ["[2, 6]"])
    }

    /// Keras 3.15.1 (torch backend; its renorm path rounds to float32, so 1e-6):
    /// BatchNormalization(renorm=True, renorm_clipping={"rmin": .8, "rmax": 1.2, "dmax": .1},
    /// renorm_momentum=.7, momentum=.6) on [N, 3], gamma = 1 + det((3,), .9, .3), beta = det((3,), 1.3, .1);
    /// training calls on x1 = 3·(0.5 + det((6, 3), .37, .2)) then x2 = 2·(−0.2 + det((6, 3), .53, .9)),
    /// the statistics after, and an inference call on x1. det(shape, a, b) = 0.5·sin(a·k + b).
    @Test func batchRenormalization() throws {
        let bn = BatchNormalization(momentum: 0.6, renorm: true, renormClipping: .init(rmin: 0.8, rmax: 1.2, dmax: 0.1), renormMomentum: 0.7)
        _ = try bn.build(inputShape: [3])
        bn.gamma!.value = kerasDet([3], 0.9, 0.3, offset: 1); bn.beta!.value = kerasDet([3], 1.3, 0.1)
        let x1 = kerasDet([6, 3], 0.37, 0.2, offset: 0.5) * 3, x2 = kerasDet([6, 3], 0.53, 0.9, offset: -0.2) * 2
        expectNear(withTrainingMode { bn(x1) }.doubles, [0.5236420035362244, 1.7996782064437866, 2.0219945907592773, 1.8450279235839844, 2.7989418506622314, 2.193366527557373, 1.3188883066177368, 1.3703428506851196, 0.24831300973892212, -0.47040602564811707, -0.8994061946868896, -1.6528403759002686, -1.5355266332626343, -1.4893476963043213, -1.3985260725021362, -0.6934690475463867, 0.2557529807090759, 0.7287948131561279], rtol: 0, atol: 2e-6, "first training call")
        expectNear(withTrainingMode { bn(x2) }.doubles, [0.7019293904304504, 1.7374212741851807, 1.4374971389770508, 0.45681795477867126, 0.2464446723461151, -0.6999688744544983, -1.5014184713363647, -1.6688315868377686, -1.528877854347229, -1.1811009645462036, -0.1042986512184143, 0.6404224038124084, 0.7648336887359619, 1.7508914470672607, 1.3860194683074951, 0.36978262662887573, 0.11511027812957764, -0.811915397644043], rtol: 0, atol: 2e-6, "second training call")
        expectNear(bn.movingMean!.value.doubles, [0.28846731781959534, 0.2760588824748993, 0.24337999522686005], rtol: 0, atol: 1e-6, "moving mean")
        expectNear(bn.movingVariance!.value.doubles, [0.7581814527511597, 0.7731719613075256, 0.7986136078834534], rtol: 0, atol: 1e-6, "moving variance")
        expectNear(bn.movingStddev!.value.doubles, [0.8713101744651794, 0.8798704147338867, 0.8942111730575562], rtol: 0, atol: 1e-6, "moving stddev")
        expectNear(bn.renormMean!.value.doubles, [0.26090842485427856, 0.2525826096534729, 0.2289811670780182], rtol: 0, atol: 1e-6, "renorm mean")
        expectNear(bn.renormStddev!.value.doubles, [0.9042672514915466, 0.9107158184051514, 0.9220078587532043], rtol: 0, atol: 1e-6, "renorm stddev")
        expectNear(bn(x1).doubles, [2.038400650024414, 3.8807101249694824, 4.16481351852417, 3.5549509525299072, 5.016404151916504, 4.356459617614746, 2.9511020183563232, 3.3927571773529053, 2.18129825592041, 0.8975347876548767, 0.8131170868873596, 0.05523034930229187, -0.3249009847640991, 0.14263030886650085, 0.3396310806274414, 0.6415260434150696, 2.1259913444519043, 2.718623161315918], rtol: 0, atol: 5e-6, "inference")
        #expect(bn.nonTrainableParameters.count == 5)
    }
}
