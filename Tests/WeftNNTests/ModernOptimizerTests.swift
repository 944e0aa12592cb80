import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Muon and ScheduleFreeAdamW: three train_on_batch steps of Sequential([Input((4,)),
// Dense(3, "tanh"), Dense(2)]) with weights det(shape, .37 + .11·i, .1·i), x = det([6, 4], .29, .3),
// y = det([6, 2], .41, .7), "mse", det = 0.5·sin(a·k + b); all weights after the steps.
//
// Muon: Keras 3.15.1's update rule written out over PyTorch autograd gradients in float64
// (tight), and Keras 3.15.1 itself on the torch backend (within 1e-6: parts of its Newton–Schulz
// step run in float32 there; its TensorFlow backend computes the AdamW-side biases in float32):
//   muon = Muon(learning_rate=0.05)
//   muonOptions = Muon(0.05, nesterov=False, weight_decay=0.1, adam_weight_decay=0.0, adam_lr_ratio=0.5, rms_rate=None)
//   per step: w −= w·λ·η; 2-D: m += g + m(μ − 1), d = g + μm (Nesterov) or m, w −= η·NS5(d)·√max(rows, cols)·rms_rate,
//   NS5: X = d (transposed if tall) / (‖d‖_F + 1e-7), 5× {A = XXᵀ; X = aX + (bA + cA²)X}; others AdamW
//   (α = η·ratio·√(1 − β₂ᵗ)/(1 − β₁ᵗ), ε = 1e-7)
//
// ScheduleFreeAdamW: Keras 3.15.1's update rule written out over PyTorch autograd gradients
// (float64), because neither Keras backend runs it as written here: on torch `momentum.value`
// aliases the slot, so x_old is recovered from the updated z; on TensorFlow its weights after
// three steps are near zero, far from both (not investigated). Per step t, parameter w, gradient g:
//   v += (g² − v)(1 − β₂); z_new = z − η_t·g / (√(v / (1 − β₂ᵗ)) + ε)
//   x_old = (w − (1 − β₁)·z_old) / β₁; x_new = (1 − 1/t)·x_old + z_new / t; w = (1 − β₁)·z_new + β₁·x_new
//   scheduleFree: η = 0.05; scheduleFreeWarmup: η_t = 0.05·min(t / 2, 1)

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("Muon and ScheduleFreeAdamW")
struct ModernOptimizerTests {
    func trained(_ opt: any Optimizer) throws -> [Double] {
        let m = Sequential { Dense(3, activation: .tanh); Dense(2) }
        _ = try m.build(inputShape: [4])
        for (i, p) in m.parameters.enumerated() { p.value = det(p.value.shape, 0.37 + 0.11 * Double(i), 0.1 * Double(i)) }
        m.compile(optimizer: opt, loss: .meanSquaredError)
        let x = det([6, 4], 0.29, 0.3), y = det([6, 2], 0.41, 0.7)
        for _ in 0..<3 { try m.trainOnBatch(x, y) }
        return m.parameters.flatMap(\.value.doubles)
    }

    @Test("Muon: Newton–Schulz steps on kernels, AdamW on biases, weight decays, options")
    func muon() throws {
        let plain = try trained(Muon(learningRate: 0.05))
        let options = try trained(Muon(learningRate: 0.05, adamWeightDecay: 0, weightDecay: 0.1, adamLearningRateRatio: 0.5, nesterov: false, rmsRate: nil))
        expectNear(plain, [0.015207136883081058, 0.20876379617901275, 0.35111354040057846, 0.45271676326549765, 0.52167321483816, 0.4732580826972984, 0.39267990468759206, 0.27985651563186015, 0.0624819491428147, -0.1090070979089206, -0.25431010802657167, -0.44620761025029526, -0.09810318435762128, 0.12622932655377628, 0.29105701001439255, 0.11585864749365038, 0.35191415741845555, 0.476518344181114, 0.44884726770487904, 0.26920348916572934, -0.03675462097942452, 0.0019225871165748712, 0.27220811686394847], rtol: 1e-12, atol: 1e-14)
        expectNear(options, [0.03968958549635341, 0.24686071200549317, 0.36813898418826735, 0.451944116651906, 0.5508238551148906, 0.4581881573453629, 0.3733065165050747, 0.3049533325210465, 0.023647465312267843, -0.13950282643662507, -0.23150751072389963, -0.5042348158586177, -0.02460779380715223, 0.1996986840787347, 0.36413879359778195, 0.10402074334815539, 0.35017334648921694, 0.42718540202174293, 0.4257100681574033, 0.25089505028907855, -0.09585570032036488, 0.07355662732654362, 0.3461415015249524], rtol: 1e-12, atol: 1e-14)
        // Keras 3.15.1 (torch backend), within its float32 parts.
        expectNear(plain, [0.015207021307145744, 0.20876383726406067, 0.35111358402430104, 0.4527166930032371, 0.5216732402540079, 0.47325810331929946, 0.3926803417765626, 0.27985636563689964, 0.06248177602339916, -0.10900738981266679, -0.2543100109310315, -0.4462075020268478, -0.09810318429182477, 0.12622932693973912, 0.29105701146622653, 0.11585869507440268, 0.3519141309899131, 0.4765183294425753, 0.44884727518420464, 0.2692034958320382, -0.03675462650538946, 0.001922587704717156, 0.272208116817381], rtol: 0, atol: 1e-6)
        expectNear(options, [0.039689205947787014, 0.24686082589860897, 0.36813917721658257, 0.45194434692416935, 0.5508237824815544, 0.45818802199617786, 0.3733070531753812, 0.3049531640681971, 0.02364719945065001, -0.13950336107397493, -0.2315073380479685, -0.5042345706566435, -0.02460779388388144, 0.19969868416410985, 0.3641387938022579, 0.10402071087656892, 0.3501733605046082, 0.42718512166581246, 0.42571022046297713, 0.2508952125724651, -0.09585578334234951, 0.07355662750869996, 0.3461415014564441], rtol: 0, atol: 1e-6)
        // A tall matrix is orthogonalised through its transpose: same result as the wide one, transposed.
        let g = det([5, 3], 0.7, 0.2)
        expectNear(Muon().orthogonalized(g).doubles, Muon().orthogonalized(g.transposed()).transposed().doubles, rtol: 1e-12, atol: 1e-14)
        let model = Sequential { Embedding(inputDim: 5, outputDim: 2); Flatten(); Dense(1) }
        _ = try model.build(inputShape: [3])
        let excluded = Muon.embeddingParameters(of: model)
        #expect(excluded.count == 1 && Muon(excluded: excluded).usesAdam(excluded[0]))
        #expect(!Muon().usesAdam(model.parameters[1]))
    }

    @Test("ScheduleFreeAdamW with and without warm-up")
    func scheduleFree() throws {
        expectNear(try trained(ScheduleFreeAdamW(learningRate: 0.05)), [0.0986939239980606, 0.2796723679434007, 0.4189276735537348, 0.5468840124582806, 0.596467049450964, 0.5564788437924154, 0.4981791325565038, 0.3591951083717444, 0.1058024938046064, -0.1866086036175994, -0.36620437717490983, -0.49959920172356936, -0.042676316195980335, 0.18170229453683173, 0.3674885700198503, 0.12193668274797034, 0.3803785199593105, 0.4248896242079111, 0.37946201800396473, 0.19743581221830242, -0.09406593929221078, 0.056787503839930184, 0.32318517752011544], rtol: 1e-12, atol: 1e-14)
        expectNear(try trained(ScheduleFreeAdamW(learningRate: 0.05, warmupSteps: 2)), [0.0768892619933949, 0.2565237455561714, 0.40417095880603887, 0.5243181689227147, 0.5731029116687327, 0.5443690277733026, 0.47250434258248675, 0.33505185958369343, 0.11425841248497552, -0.17259838061098906, -0.346278572504402, -0.4776486571063223, -0.024135732587290622, 0.20139364928714965, 0.3755729785259874, 0.14372364531848852, 0.4060215682281346, 0.4303860262875234, 0.39310954601753545, 0.20921111182963503, -0.07574096496380352, 0.07561990564145975, 0.34510874753808884], rtol: 1e-12, atol: 1e-14)
    }
}

@Suite("LossScaleOptimizer")
struct LossScaleOptimizerTests {
    @Test("Power-of-two scaling leaves the steps bit-identical; growth, overflow skips and halving")
    func scaling() throws {
        func model() throws -> Sequential {
            let m = Sequential { Dense(3, activation: .tanh); Dense(2) }
            _ = try m.build(inputShape: [4])
            setFloat64Parameters(m, seed: 3)
            for p in m.parameters { p.value = p.value.cast(to: .float32) }
            return m
        }
        let x = nnTensor([6, 4], nnRandom(24, seed: 1), dtype: .float32), y = nnTensor([6, 2], nnRandom(12, seed: 2), dtype: .float32)
        let plain = try model(), scaled = try model()
        plain.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let lso = LossScaleOptimizer(SGD(learningRate: 0.1), initialScale: 1024, dynamicGrowthSteps: 2)
        scaled.compile(optimizer: lso, loss: .meanSquaredError)
        for _ in 0..<3 {
            let a = try plain.trainOnBatch(x, y), b = try scaled.trainOnBatch(x, y)
            #expect(a["loss"] == b["loss"])
        }
        for (p, q) in zip(plain.parameters, scaled.parameters) { #expect(p.value.doubles == q.value.doubles) }
        #expect(lso.dynamicScale == 2048 && lso.stepCounter == 1 && lso.iterations == 3)
        // An infinite gradient: no step, the scale halves, the count starts over.
        let before = scaled.parameters.map(\.value.doubles)
        lso.update(scaled.parameters, gradients: scaled.parameters.map { Tensor.full($0.value.shape, value: .infinity, dtype: .float32) })
        #expect(scaled.parameters.map(\.value.doubles) == before)
        #expect(lso.dynamicScale == 1024 && lso.stepCounter == 0 && lso.iterations == 3)
        lso.learningRate = 0.5
        #expect(lso.inner.learningRate == 0.5)
    }
}

@Suite("MultiOptimizer")
struct MultiOptimizerTests {
    @Test("Parameters go to the optimizer their name matches; the same steps as the optimizers alone")
    func routing() throws {
        func model() throws -> Sequential {
            let m = Sequential { Dense(3, activation: .tanh); Dense(2) }
            _ = try m.build(inputShape: [4])
            setFloat64Parameters(m, seed: 8)
            return m
        }
        let x = nnTensor([6, 4], nnRandom(24, seed: 1)), y = nnTensor([6, 2], nnRandom(12, seed: 2))
        let routed = try model()
        let adam = Adam(learningRate: 0.01), sgd = SGD(learningRate: 0.1)
        let multi = try MultiOptimizer(model: routed, defaultOptimizer: sgd, patterns: [("0\\..*", adam)])
        #expect(multi.optimizerIndex(for: routed.parameters[0]) == 1 && multi.optimizerIndex(for: routed.parameters[2]) == 0)
        routed.compile(optimizer: multi, loss: .meanSquaredError)
        for _ in 0..<3 { try routed.trainOnBatch(x, y) }
        // The same model with a frozen half, trained by each optimizer alone, gives the same weights.
        let a = try model(), b = try model()
        let firstOnly = Adam(learningRate: 0.01), secondOnly = SGD(learningRate: 0.1)
        for _ in 0..<3 {
            let (_, g) = valueWithGradient(at: a) { m in Loss.meanSquaredError(m(x), y) }
            firstOnly.update(Array(g.parameters.prefix(2)), gradients: Array(g.tensors.prefix(2)))
            secondOnly.update(Array(g.parameters.suffix(2)), gradients: Array(g.tensors.suffix(2)))
        }
        for (p, q) in zip(routed.parameters, a.parameters) { expectNear(p.value.doubles, q.value.doubles, rtol: 1e-12, atol: 1e-14) }
        #expect(adam.iterations == 3 && sgd.iterations == 3 && multi.iterations == 3)
        multi.learningRate = 0.5
        #expect(adam.learningRate == 0.5 && sgd.learningRate == 0.5)
        // By selector: biases without decay, say.
        let plain = SGD(learningRate: 0.1), other = SGD(learningRate: 0.2)
        let bySelector = MultiOptimizer(model: b) { name, _ in name.hasSuffix("bias") ? other : plain }
        #expect(bySelector.optimizers.count == 2 && bySelector.optimizerIndex(for: b.parameters[1]) == 1)
        #expect(throws: (any Error).self) { try MultiOptimizer(model: b, defaultOptimizer: plain, patterns: [("(", other)]) }
    }
}
