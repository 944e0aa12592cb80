import Testing
@testable import Weft
@testable import WeftNN

/// Keras regularizers (penalties added to the loss) and constraints (projections after updates).
@Suite struct RegularizerTests {
    func t(_ v: [Double], _ shape: Shape) -> Tensor { Tensor(shape: shape, scalars: v) }

    func close(_ a: [Double], _ b: [Double], _ tol: Double = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tol * Swift.max(1, Swift.abs($1)) }
    }

    /// A built Dense 2 → 2 with hand-set weights.
    func dense(_ w: [Double], _ b: [Double], kr: Regularizer? = nil, br: Regularizer? = nil,
               kc: Constraint? = nil, bc: Constraint? = nil) throws -> Dense {
        let d = Dense(2, kernelRegularizer: kr, biasRegularizer: br, kernelConstraint: kc, biasConstraint: bc)
        _ = try d.build(inputShape: [2])
        d.weight!.value = t(w, [2, 2])
        d.bias!.value = t(b, [2])
        return d
    }

    @Test func penaltyValues() {
        let w = t([1, -2, 3, -4], [2, 2])
        #expect(Regularizer.l2(0.1).penalty(w).doubles == [0.1 * 30])     // no ½
        #expect(Regularizer.l1(0.5).penalty(w).doubles == [0.5 * 10])
        #expect(close(Regularizer.l1l2(l1: 0.5, l2: 0.1).penalty(w).doubles, [5 + 3]))
        #expect(Regularizer.l2().l2 == 0.01 && Regularizer.l1().l1 == 0.01)
        #expect(Regularizer.l1l2() == Regularizer(l1: 0.01, l2: 0.01))
        #expect(Regularizer(l1: 0, l2: 0).penalty(w).doubles == [0])
        #expect(Regularizer.l2(1).penalty(t([2], [1]).cast(to: .float32)).dtype == .float32)
    }

    /// Keras 3.15.1 `OrthogonalRegularizer(factor, mode)(w)` (torch backend, float64) for
    /// w = 0.5·sin(0.7·k + 0.4) over the row-major index k:
    /// (4, 3) rows 0.05 → 0.030010696252187094, (4, 3) columns 0.05 → 0.03226464887460073,
    /// (3, 5) rows 1.0 → 0.8668558796246847, (3, 5) columns 0.3 → 0.22339914321899412 (Keras mixes
    /// float32 into the factor, so 1e-7).
    @Test func orthogonalRegularizer() {
        func w(_ shape: Shape) -> Tensor { kerasDet(shape, 0.7, 0.4) }
        let cases: [(Shape, Regularizer.OrthogonalMode, Double, Double)] = [
            ([4, 3], .rows, 0.05, 0.030010696252187094), ([4, 3], .columns, 0.05, 0.03226464887460073),
            ([3, 5], .rows, 1.0, 0.8668558796246847), ([3, 5], .columns, 0.3, 0.22339914321899412),
        ]
        for (shape, mode, factor, expected) in cases {
            expectNear(Regularizer.orthogonal(factor: factor, mode: mode).penalty(w(shape)).doubles, [expected], rtol: 1e-7, "\(shape) \(mode)")
        }
        // Orthonormal rows cost nothing; the L2 part adds on top.
        let rotation = t([0.6, 0.8, -0.8, 0.6], [2, 2])
        #expect(Swift.abs(Regularizer.orthogonal(factor: 1).penalty(rotation).doubles[0]) < 1e-15)
        #expect(close(Regularizer(l2: 0.5, orthogonal: .init(factor: 1, mode: .rows)).penalty(rotation).doubles, [1]))
        // Gradient against central differences.
        let x = w([4, 3])
        let g = gradient(at: x) { Regularizer.orthogonal(factor: 0.3, mode: .columns).penalty($0) }
        let h = 1e-6
        let numeric = (0..<12).map { k -> Double in
            var up = x.doubles, down = x.doubles
            up[k] += h; down[k] -= h
            let r = Regularizer.orthogonal(factor: 0.3, mode: .columns)
            return (r.penalty(t(up, [4, 3])).doubles[0] - r.penalty(t(down, [4, 3])).doubles[0]) / (2 * h)
        }
        expectNear(g.doubles, numeric, rtol: 1e-6, atol: 1e-9, "gradient")
    }

    @Test func modelRegularizationLoss() throws {
        let a = try dense([1, -2, 3, -4], [1, -1], kr: .l2(0.1), br: .l1(0.5))
        let b = try dense([0.5, 0.5, -0.5, 1], [2, 2], kr: .l1l2(l1: 0.2, l2: 0.3))
        let plain = try dense([9, 9, 9, 9], [9, 9])
        let model = Sequential(layers: [a, plain, b])
        // 0.1·30 + 0.5·2 + 0.2·2.5 + 0.3·1.75
        let loss = try #require(model.regularizationLoss())
        #expect(close(loss.doubles, [3 + 1 + 0.5 + 0.525], 1e-12))
        #expect(loss.shape == [])
        #expect(Sequential(layers: [plain]).regularizationLoss() == nil)
        // A layer used twice counts once; a frozen parameter is not regularized (Keras 3).
        #expect(close(Sequential(layers: [a, a]).regularizationLoss()!.doubles, [4], 1e-12))
        a.weight!.trainable = false
        #expect(close(Sequential(layers: [a]).regularizationLoss()!.doubles, [1], 1e-12))
    }

    @Test func conv2DRegularizer() throws {
        let c = Conv2D(1, kernel: (1, 2), kernelRegularizer: .l2(0.5), biasRegularizer: .l2(2))
        _ = try c.build(inputShape: [1, 3, 3])
        c.weight!.value = t([3, -1], [1, 1, 1, 2])
        c.bias!.value = t([0.5], [1])
        #expect(close(c.regularizationLoss()!.doubles, [0.5 * 10 + 2 * 0.25], 1e-12))
    }

    /// Every layer with a kernel regularizer and constraint applies them (Conv1D once did not).
    @Test func everyKernelRegularizerCounts() throws {
        let cases: [(String, any Layer, Shape, () -> Parameter?)] = {
            let d = Dense(2), c1 = Conv1D(2, kernel: 2), c2 = Conv2D(2, kernel: 2), c3 = Conv3D(2, kernel: (1, 2, 2))
            let t1 = Conv1DTranspose(2, kernel: 2), t2 = Conv2DTranspose(2, kernel: (2, 2)), t3 = Conv3DTranspose(2, kernel: (1, 2, 2))
            let e = EinsumDense("ab,bc->ac", outputShape: 2), r = SimpleRNN(2), l = LSTM(2), g = GRU(2), m = Embedding(inputDim: 5, outputDim: 3)
            return [("Dense", d, [3], { d.weight }), ("Conv1D", c1, [1, 4], { c1.weight }), ("Conv2D", c2, [1, 3, 3], { c2.weight }),
                    ("Conv3D", c3, [1, 2, 3, 3], { c3.weight }), ("Conv1DTranspose", t1, [1, 3], { t1.weight }),
                    ("Conv2DTranspose", t2, [1, 3, 3], { t2.weight }), ("Conv3DTranspose", t3, [1, 2, 3, 3], { t3.weight }),
                    ("EinsumDense", e, [3], { e.kernel }), ("SimpleRNN", r, [4, 3], { r.kernel }), ("LSTM", l, [4, 3], { l.kernel }),
                    ("GRU", g, [4, 3], { g.kernel }), ("Embedding", m, [2], { m.embeddings })]
        }()
        for (name, layer, shape, kernel) in cases {
            _ = try layer.build(inputShape: shape)
            setFloat64Parameters(layer, seed: 13)
            guard let rl = layer as? any RegularizedLayer, let w = kernel() else { Issue.record("\(name) has no regularized kernel"); continue }
            // The kernel regularizer, set after construction as Keras allows.
            switch layer {
            case let x as Dense: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as Conv1D: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as Conv2D: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as Conv3D: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as Conv1DTranspose: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as Conv2DTranspose: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as Conv3DTranspose: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as EinsumDense: x.kernelRegularizer = .l2(0.5); x.kernelConstraint = .nonNeg
            case let x as SimpleRNN: x.options.kernelRegularizer = .l2(0.5); x.options.kernelConstraint = .nonNeg
            case let x as LSTM: x.options.kernelRegularizer = .l2(0.5); x.options.kernelConstraint = .nonNeg
            case let x as GRU: x.options.kernelRegularizer = .l2(0.5); x.options.kernelConstraint = .nonNeg
            case let x as Embedding: x.embeddingsRegularizer = .l2(0.5); x.embeddingsConstraint = .nonNeg
            default: Issue.record("\(name): no case"); continue
            }
            let expected = 0.5 * w.value.doubles.map { $0 * $0 }.reduce(0, +)
            #expect(close(rl.regularizationLoss()?.doubles ?? [], [expected], 1e-12), "\(name): the kernel penalty")
            #expect(w.value.doubles.contains { $0 < 0 })
            rl.applyConstraints()
            #expect(w.value.doubles.allSatisfy { $0 >= 0 }, "\(name): the kernel constraint")
        }
    }

    @Test func normalizationOptions() throws {
        let bn = BatchNormalization(gammaInitializer: .constant(2), movingVarianceInitializer: .constant(3),
                                    betaRegularizer: .l1(0.5), gammaRegularizer: .l2(0.25), betaConstraint: .nonNeg)
        _ = try bn.build(inputShape: [3, 2, 2])
        #expect(bn.gamma!.value.doubles == [2, 2, 2] && bn.movingVariance!.value.doubles == [3, 3, 3] && bn.beta!.value.doubles == [0, 0, 0])
        bn.beta!.value = t([-1, 2, -3], [3])
        #expect(close(bn.regularizationLoss()!.doubles, [0.5 * 6 + 0.25 * 12], 1e-12))
        bn.applyConstraints()
        #expect(bn.beta!.value.doubles == [0, 2, 0])
        let ln = LayerNormalization(betaInitializer: .constant(0.5), gammaRegularizer: .l2(1), gammaConstraint: .maxNorm(1))
        _ = try ln.build(inputShape: [4])
        #expect(ln.beta!.value.doubles == [0.5, 0.5, 0.5, 0.5])
        #expect(close(ln.regularizationLoss()!.doubles, [4], 1e-12))
        ln.applyConstraints()
        #expect(close(ln.gamma!.value.doubles, [0.5, 0.5, 0.5, 0.5], 1e-6))
    }

    /// d/dw l2·Σw² = 2·l2·w and d/dw l1·Σ|w| = l1·sign(w).
    @Test func penaltyGradients() throws {
        let w: [Double] = [1, -2, 3, -4], bv: [Double] = [0.5, -0.25]
        let d = try dense(w, bv, kr: .l2(0.1), br: .l1(0.5))
        let model = Sequential(layers: [d])
        let (value, grads) = valueWithGradient(at: model) { $0.regularizationLoss()! }
        #expect(close(value.doubles, [3 + 0.375], 1e-12))
        let gw = grads.tensors[try #require(grads.parameters.firstIndex { $0 === d.weight! })]
        let gb = grads.tensors[try #require(grads.parameters.firstIndex { $0 === d.bias! })]
        #expect(close(gw.doubles, w.map { 2 * 0.1 * $0 }))
        #expect(close(gb.doubles, bv.map { 0.5 * ($0 > 0 ? 1 : -1) }))
        // Both at once on one parameter.
        let e = try dense(w, bv, kr: .l1l2(l1: 0.3, l2: 0.2))
        let (_, g2) = valueWithGradient(at: e) { $0.regularizationLoss()! }
        #expect(close(g2.tensors[g2.parameters.firstIndex { $0 === e.weight! }!].doubles,
                      w.map { 0.3 * ($0 > 0 ? 1 : -1) + 2 * 0.2 * $0 }))
    }

    @Test func constraintValues() {
        let eps = 1e-7
        // Dense kernel [in, out]: norms over axis 0 (per unit): columns (3, 4) → 5, (0, 1) → 1.
        let w = t([3, 0, 4, 1], [2, 2])
        let m = Constraint.maxNorm(2)(w).doubles
        #expect(close(m, [3 * 2 / (5 + eps), 0, 4 * 2 / (5 + eps), 1 / (1 + eps)], 1e-12))
        let u = Constraint.unitNorm()(w).doubles
        #expect(close(u, [0.6, 0, 0.8, 1], 1e-6))
        #expect(Constraint.nonNeg(t([1, -2, 0, 3], [4])).doubles == [1, 0, 0, 3])
        // minMaxNorm(min 2, max 4, rate 0.5): norm 5 → 0.5·4 + 0.5·5 = 4.5; norm 1 → 0.5·2 + 0.5 = 1.5.
        let mm = Constraint.minMaxNorm(min: 2, max: 4, rate: 0.5)(w).doubles
        #expect(close(mm, [3 * 4.5 / 5, 0, 4 * 4.5 / 5, 1.5], 1e-6))
        // Explicit axes: per row (axis 1): rows (3, 0) → 3, (4, 1) → √17.
        let r = Constraint.maxNorm(1, axes: [1])(w).doubles
        #expect(close(r, [1, 0, 4 / 17.0.squareRoot(), 1 / 17.0.squareRoot()], 1e-6))
        #expect(close(Constraint.maxNorm(1, axes: [-1])(w).doubles, r, 1e-12))
        // OIHW conv weight: per output filter (axes 1, 2, 3).
        let c = t([3, 4, 0, 0, 0, 0, 0, 0.5], [2, 1, 2, 2])
        #expect(close(Constraint.unitNorm()(c).doubles, [0.6, 0.8, 0, 0, 0, 0, 0, 1], 1e-6))
        // Float32 stays float32.
        #expect(Constraint.maxNorm(2)(w.cast(to: .float32)).dtype == .float32)
    }

    @Test func applyConstraintsOverModel() throws {
        let d = try dense([3, 0, 4, 1], [-1, 2], kc: .maxNorm(2), bc: .nonNeg)
        let c = Conv2D(2, kernel: (1, 2), kernelConstraint: .unitNorm())
        _ = try c.build(inputShape: [1, 2, 2])
        c.weight!.value = t([3, 4, 0, 2], [2, 1, 1, 2])
        let frozen = try dense([-1, -1, -1, -1], [-1, -1], kc: .nonNeg, bc: .nonNeg)
        frozen.weight!.trainable = false
        frozen.bias!.trainable = false
        let model = Sequential(layers: [d, c, frozen])
        model.applyConstraints()
        #expect(close(d.weight!.value.doubles, [1.2, 0, 1.6, 1], 1e-6))
        #expect(d.bias!.value.doubles == [0, 2])
        #expect(close(c.weight!.value.doubles, [0.6, 0.8, 0, 1], 1e-6))
        #expect(frozen.weight!.value.doubles == [-1, -1, -1, -1])   // frozen: untouched

        // After an optimizer step, as fit does: the update may break the constraint, then it holds again.
        let e = try dense([1, 0, 0, 1], [0, 0], kc: .maxNorm(1))
        let opt = SGD(learningRate: 1)
        opt.update([e.weight!], gradients: [t([-3, 0, -4, 0], [2, 2])])
        #expect(e.weight!.value.doubles == [4, 0, 4, 1])
        e.applyConstraints()
        let v = e.weight!.value.doubles
        #expect(close([(v[0] * v[0] + v[2] * v[2]).squareRoot()], [1], 1e-6))
        #expect(close([v[1], v[3]], [0, 1], 1e-6))
    }
}

/// `fit` adds the regularisation penalty to the loss and applies constraints after each update.
@Suite struct FitRegularizationTests {
    @Test func fitAddsPenaltyAndAppliesConstraints() throws {
        let x = Tensor(shape: [4, 2], scalars: [1, 0, 0, 1, 1, 1, 0, 0] as [Double])
        let y = Tensor(shape: [4], scalars: [0, 1, 1, 0] as [Int32])
        let dense = Dense(2, useBias: false, kernelRegularizer: .l2(0.5), kernelConstraint: .nonNeg)
        let model = Sequential { dense }
        _ = try model.build(inputShape: [2])
        let w0: [Double] = [0.5, -0.25, 0.75, 1.0]
        dense.weight!.value = Tensor(shape: [2, 2], scalars: w0)
        model.compile(optimizer: SGD(learningRate: 0), loss: .softmaxCrossEntropy)
        let history = try model.fit(x, y, batchSize: 4, epochs: 1, shuffle: false, verbose: .silent)
        // lr 0: weights unchanged by the update, so the reported loss is CE(w0) + 0.5·Σw0².
        let logits = matmul(x, Tensor(shape: [2, 2], scalars: w0))
        let ce = softmaxCrossEntropy(logits: logits, labels: y).item
        let penalty = 0.5 * w0.map { $0 * $0 }.reduce(0, +)
        #expect(Swift.abs(history["loss"]![0] - (ce + penalty)) < 1e-9)
        // The non-negativity constraint ran after the update: the negative weight is now 0.
        #expect(dense.weight!.value.doubles == [0.5, 0, 0.75, 1.0])
    }
}
