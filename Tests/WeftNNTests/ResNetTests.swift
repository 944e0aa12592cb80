import Foundation
import Testing
@testable import Weft
@testable import WeftData
@testable import WeftNN

/// Deterministic values: offset + scale·sin(a·k + b), k = 0..<n (the same formula as the
/// PyTorch script that produced the reference numbers below).
private func sins(_ n: Int, _ a: Double, _ b: Double, scale: Double = 1, offset: Double = 0) -> [Double] {
    (0..<n).map { offset + scale * sin(a * Double($0) + b) }
}

/// Sets the parameters of a torchvision-style module, parameter j (in state_dict order) from
/// `sins` with phase j, as the reference script does: running_var 1 + 0.4 sin(0.7k + j),
/// running_mean 0.3 sin(0.9k + j), gamma 1 + 0.3 sin(1.3k + j), beta 0.2 sin(1.1k + j), conv
/// weights 0.5/√(fan-in) · sin(0.37k + j). float32, as a real model holds them.
private func setReferenceParameters(_ layer: some Layer) {
    for (j, (name, p)) in layer.namedParameters.enumerated() {
        let shape = p.value.shape, n = shape.elementCount, b = Double(j)
        let v: [Double]
        if name.hasSuffix("movingVariance") { v = sins(n, 0.7, b, scale: 0.4, offset: 1) }
        else if name.hasSuffix("movingMean") { v = sins(n, 0.9, b, scale: 0.3) }
        else if name.hasSuffix("gamma") { v = sins(n, 1.3, b, scale: 0.3, offset: 1) }
        else if name.hasSuffix("beta") { v = sins(n, 1.1, b, scale: 0.2) }
        else { v = sins(n, 0.37, b, scale: 0.5 / Double(n / shape[0]).squareRoot()) }
        p.value = nnTensor(shape, v, dtype: .float32)
    }
}

/// Reference numbers: /tmp/resnet/ref.py (PyTorch 2.x, float64): torchvision's v1.5 Bottleneck
/// (inChannels 8, width 4, stride 2, downsample 1×1/2 conv + BN), parameters as in
/// `setReferenceParameters`, input x[k] = sin(0.05k + 0.3) of shape [2, 8, 4, 4].
private enum BottleneckReference {
    static let input = sins(2 * 8 * 4 * 4, 0.05, 0.3)
    /// model.eval(), torch.no_grad().
    static let inference: [Double] = [
        0.192808918, 0.216138985, 0.248741206, 0.257424262, 0, 0, 0, 0, 0.325098878, 0.307077059, 0.247091254, 0.205356819, 0, 0, 0, 0, 0.677386947, 0.691108095, 0.678460626, 0.673414857, 0, 0, 0, 0, 0.696190254, 0.667822949, 0.568954566, 0.516634883, 0, 0, 0, 0, 0.454250862, 0.439654153, 0.359350159, 0.33342751, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.316634257, 0.303205845, 0.26722638, 0.265611369, 0.737259364, 0.793801792, 0.92155516, 0.973123364, 0.234475723, 0.202819408, 0.120374678, 0.0952172808, 0.202092958, 0.20517038, 0.214200004, 0.201252245, 0.207321028, 0.22477866, 0.243154549, 0.245602041, 0, 0, 0, 0, 0.327463511, 0.305920836, 0.228751111, 0.184684591, 0, 0, 0, 0, 0.672799711, 0.677662498, 0.645059905, 0.631230168, 0, 0, 0, 0, 0.681492943, 0.6490165, 0.534222292, 0.479913935, 0, 0, 0, 0, 0.422067217, 0.400835893, 0.306685521, 0.274924493, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.290019864, 0.276827365, 0.244787758, 0.242873353, 0.775384549, 0.82773933, 0.950017479, 0.995988676, 0.201745993, 0.173149221, 0.101513898, 0.081411932, 0.223531224, 0.224430069, 0.220235406, 0.204865432,
    ]
    /// model.train(): batch statistics.
    static let training: [Double] = [
        0, 0, 1.19414211, 0.76443584, 0, 0, 0.392340478, 1.03063679, 2.41132437, 3.48650214, 0, 0, 1.16669765, 0.857069144, 0, 0.234342473, 0.354422779, 0, 0.211314628, 0, 0, 0, 0.432501563, 1.03173665, 1.46773336, 2.45204562, 0, 0, 0.841498768, 1.15275059, 0, 0, 1.45017889, 0, 0.141758759, 0.282641698, 0, 0, 1.2023813, 1.95408602, 0.548551586, 2.15002897, 0, 0, 0.189218931, 0.744858116, 0, 0, 4.05409603, 0.150898611, 0, 0, 0, 0, 1.54587233, 2.35683553, 0.485982897, 0.857950547, 0.423792466, 0, 0, 0.775943642, 0.149687979, 0.135052252, 0, 0.534803078, 0.601428794, 0, 0, 0, 1.16764929, 2.14559164, 1.27866406, 1.28935545, 0, 0, 0, 0, 0.402934428, 1.52511365, 1.07383703, 0.569740773, 0, 0, 0, 0, 1.12743502, 1.74273301, 0.363258092, 0.569955187, 0, 0, 0, 0, 0, 0.508428227, 1.76304706, 0.204500912, 0.161054718, 0, 0, 0, 2.05830019, 2.69444359, 0.143057565, 1.11292465, 0, 0, 0, 0, 0, 0, 1.98579821, 0, 0, 0, 0, 0, 2.44003269, 2.89697505, 0.718791248, 1.24352144, 0, 0, 0, 0.0313099904, 0.159185941, 0.241689189,
    ]
    /// Training loss Σ y·w with w[k] = cos(0.1k), and its gradients.
    static let loss = 2.97760544833
    static let bn1MovingMean: [Double] = [0.0152485882, -0.154781851, -0.306924002, -0.104929307]
    /// PyTorch's running_var with the unbiased batch variance replaced by the biased one (Keras).
    static let bn3MovingVariance: [Double] = [
        1.27627482, 1.21484225, 1.02422054, 0.777541286, 0.590859835, 0.56842094, 0.68838944, 0.941608666, 1.14839578, 1.28341642, 1.20228158, 1.03034279, 0.757834518, 0.604010729, 0.55266555, 0.711049517,
    ]
    static let gradConv1: [Double] = [
        -0.761855679, 1.82251379, 3.30137084, 2.77766065, 0.569058776, -1.98472651, -3.33460333, -2.66175452, 0.101087762, -0.0134683095, -0.119854685, -0.153538817, -0.0940883629, 0.0224348297, 0.125349356, 0.152228645, -5.08449662, 0.862172348, 6.28585914, 7.89662813, 4.71740845, -1.32332789, -6.56135129, -7.81934704, 9.9802882, 0.550153187, -9.21369736, -13.3886427, -9.44221707, 0.231730757, 9.76511382, 13.3751099,
    ]
    static let gradBN2Gamma: [Double] = [0.434477843, -0.176361067, -0.652466753, 0.81064495]
    static let gradBN3Beta: [Double] = [
        3.86222328, 3.02862672, 2.45274551, 0.70854708, -0.645445805, -2.68214383, -3.21506555, -2.91035266, -5.77902866, -2.87199209, -2.26498875, -0.518128669, 0.477016217, 2.84986543, 4.23285825, 5.96798691,
    ]
    /// The first output channel's row of downsample.0.weight's gradient.
    static let gradDownsampleRow0: [Double] = [22.6194721, 4.68531575, -16.0908902, -27.1065781, -21.6797794, -3.10231749, 17.3569686, 27.2877505]
}

@Suite struct ResNetTests {
    func referenceBlock() -> Bottleneck {
        let b = Bottleneck(inChannels: 8, width: 4, stride: 2)
        setReferenceParameters(b)
        return b
    }

    @Test func parameterCountsAndNamesMatchTorchvision() throws {
        let m = ClassicModels.resnet50()
        // torchvision resnet50: 25,557,032 parameters, of which fc has 2048·1000 + 1000.
        #expect(m.trainableParameters.reduce(0) { $0 + $1.value.count } == 23_508_032)
        #expect(try m.build(inputShape: [3, 224, 224]) == [2048])
        let names = m.namedParameters.map(\.0)
        for n in ["conv1.weight", "bn1.gamma", "bn1.movingVariance", "layer1.0.conv1.weight", "layer1.0.downsample.0.weight",
                  "layer1.0.downsample.1.beta", "layer2.0.conv2.weight", "layer3.5.bn3.gamma", "layer4.2.conv3.weight"] {
            #expect(names.contains(n), "missing \(n)")
        }
        #expect(!names.contains("layer1.1.downsample.0.weight"))
        // 53 convolutions (1 stem + 16 blocks × 3 + 4 downsamples), all without bias, and their shapes.
        let convs = m.namedParameters.filter { $0.1.value.rank == 4 }
        #expect(convs.count == 53)
        let shapes = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.0, $0.1.value.shape) })
        #expect(shapes["conv1.weight"] == [64, 3, 7, 7])
        #expect(shapes["layer2.0.conv2.weight"] == [128, 128, 3, 3])
        #expect(shapes["layer2.0.downsample.0.weight"] == [512, 256, 1, 1])
        #expect(shapes["layer4.2.conv3.weight"] == [2048, 512, 1, 1])
        // v1.5: the stride is on the 3×3 convolution of the first block of layers 2–4.
        let b = m.blocks
        #expect(b.map(\.stride) == [1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1])
        #expect(b.allSatisfy { $0.conv2.strides == ($0.stride, $0.stride) && $0.conv1.strides == (1, 1) })

        let top = ClassicModels.resnet50(includeTop: true)
        #expect(top.trainableParameters.reduce(0) { $0 + $1.value.count } == 25_557_032)
        #expect(try top.build(inputShape: [3, 224, 224]) == [1000])
        let ten = ClassicModels.resnet50(includeTop: true, classes: 10)
        #expect(try ten.build(inputShape: [3, 32, 32]) == [10])
        #expect(throws: ShapeError.self) { try m.build(inputShape: [1, 224, 224]) }
    }

    @Test func bottleneckMatchesPyTorchInInferenceFoldedAndUnfolded() {
        let block = referenceBlock()
        let x = nnTensor([2, 8, 4, 4], BottleneckReference.input, dtype: .float32)
        let folded = withoutGradient { block(x) }
        #expect(folded.shape == [2, 16, 2, 2])
        expectNear(folded.doubles, BottleneckReference.inference, rtol: 1e-5, atol: 1e-6, "folded")
        block.foldBatchNormInInference = false
        let plain = withoutGradient { block(x) }
        expectNear(plain.doubles, BottleneckReference.inference, rtol: 1e-5, atol: 1e-6, "unfolded")
        // Inference leaves the moving statistics alone.
        expectNear(block.bn1.movingMean!.value.doubles, sins(4, 0.9, 3, scale: 0.3), rtol: 1e-7, atol: 1e-7)
    }

    @Test func bottleneckMatchesPyTorchInTrainingWithGradients() {
        let block = referenceBlock()
        let x = nnTensor([2, 8, 4, 4], BottleneckReference.input, dtype: .float32)
        let w = nnTensor([2, 16, 2, 2], (0..<128).map { cos(0.1 * Double($0)) }, dtype: .float32)
        var out: Tensor?
        let (loss, grads) = withTrainingMode {
            valueWithGradient(at: block) { b -> Tensor in
                let y = b(x)
                out = y
                return (y * w).sum()
            }
        }
        expectNear(out!.doubles, BottleneckReference.training, rtol: 1e-4, atol: 1e-5, "training output")
        #expect(Swift.abs(loss.item - BottleneckReference.loss) <= 1e-4 * BottleneckReference.loss)
        expectNear(block.bn1.movingMean!.value.doubles, BottleneckReference.bn1MovingMean, rtol: 1e-5, atol: 1e-6, "bn1 moving mean")
        expectNear(block.bn3.movingVariance!.value.doubles, BottleneckReference.bn3MovingVariance, rtol: 1e-5, atol: 1e-6,
                   "bn3 moving variance")
        let g = Dictionary(uniqueKeysWithValues: zip(grads.names, grads.tensors))
        #expect(grads.names.count == 12)   // 4 convs + 4 BN × (gamma, beta); moving statistics get none
        expectNear(g["conv1.weight"]!.doubles, BottleneckReference.gradConv1, rtol: 1e-4, atol: 1e-4, "conv1.weight")
        expectNear(g["bn2.gamma"]!.doubles, BottleneckReference.gradBN2Gamma, rtol: 1e-4, atol: 1e-4, "bn2.gamma")
        expectNear(g["bn3.beta"]!.doubles, BottleneckReference.gradBN3Beta, rtol: 1e-4, atol: 1e-4, "bn3.beta")
        expectNear(Array(g["downsample.0.weight"]!.doubles.prefix(8)), BottleneckReference.gradDownsampleRow0,
                   rtol: 1e-4, atol: 1e-4, "downsample.0.weight")
        // Every trainable parameter got a finite, non-zero gradient.
        for (name, t) in zip(grads.names, grads.tensors) {
            let v = t.doubles
            #expect(v.allSatisfy(\.isFinite) && v.contains { $0 != 0 }, "gradient of \(name)")
        }
    }

    /// conv2d(adding:) (oneDNN sum post-op) equals conv2d + residual (+ ReLU), whether the
    /// residual comes straight from another convolution (blocked copy reused) or is a plain
    /// tensor, and its result feeds the next convolution correctly (blocked copy kept).
    @Test func convolutionAddingResidualEqualsComposition() {
        let x = nnTensor([2, 16, 6, 6], sins(2 * 16 * 36, 0.13, 0.2), dtype: .float32)
        let w = nnTensor([16, 16, 3, 3], sins(16 * 16 * 9, 0.37, 1, scale: 0.1), dtype: .float32)
        let b = nnTensor([16], sins(16, 1.1, 2, scale: 0.2), dtype: .float32)
        let w2 = nnTensor([16, 16, 1, 1], sins(256, 0.21, 3, scale: 0.2), dtype: .float32)
        let fromConv = conv2d(x, weight: w2)          // holds oneDNN's blocked copy
        let plainResidual = nnTensor([2, 16, 6, 6], sins(2 * 16 * 36, 0.07, 0.9), dtype: .float32)
        for residual in [fromConv, plainResidual] {
            for fuse in [false, true] {
                let fused = withoutGradient {
                    conv2d(x, weight: w, bias: b, padding: .explicit(1, 1), adding: residual, fuseReLU: fuse)
                }
                var expected = nnTensor([2, 16, 6, 6], conv2d(x, weight: w, bias: b, padding: .explicit(1, 1)).doubles)
                    + nnTensor([2, 16, 6, 6], residual.doubles)
                if fuse { expected = relu(expected) }
                expectNear(fused.doubles, expected.doubles, rtol: 1e-5, atol: 1e-5, "fused relu \(fuse)")
                // The next convolution reads the fused result (through its kept blocked copy).
                let next = withoutGradient { conv2d(fused, weight: w2) }
                let nextPlain = conv2d(nnTensor([2, 16, 6, 6], fused.doubles, dtype: .float32), weight: w2)
                expectNear(next.doubles, nextPlain.doubles, rtol: 1e-5, atol: 1e-5, "next convolution")
            }
        }
        // With gradients recorded it is the differentiable composition.
        let xg = x.requiringGradient()
        let y = conv2d(xg, weight: w, padding: .explicit(1, 1), adding: plainResidual, fuseReLU: true)
        let g = gradients(of: y.sum(), wrt: [xg])[0]
        let yr = relu(conv2d(xg, weight: w, padding: .explicit(1, 1)) + plainResidual)
        let gr = gradients(of: yr.sum(), wrt: [xg])[0]
        expectNear(g.doubles, gr.doubles, rtol: 1e-6, atol: 1e-6, "gradient")
    }

    @Test func bottleneckShapeErrors() throws {
        let b = Bottleneck(inChannels: 8, width: 4, stride: 2)
        #expect(try b.build(inputShape: [8, 9, 9]) == [16, 5, 5])
        #expect(throws: ShapeError.self) { try b.build(inputShape: [6, 9, 9]) }
        let noShortcut = Bottleneck(inChannels: 8, width: 4, stride: 2, downsample: false)
        #expect(throws: ShapeError.self) { try noShortcut.build(inputShape: [8, 9, 9]) }
        #expect(Bottleneck(inChannels: 16, width: 4).downsample.isEmpty)
    }

    /// The whole network on a small image: [1, 2048] features; the folded inference path
    /// equals the layer-by-layer one with non-trivial moving statistics.
    @Test func resnet50FoldedInferenceEqualsUnfolded() throws {
        let m = ClassicModels.resnet50()
        // Non-trivial BatchNormalization state; moving variances chosen so activations stay O(1).
        for (j, (name, p)) in m.namedParameters.enumerated() where p.value.rank == 1 {
            let n = p.value.count, b = Double(j)
            let v: [Double]
            if name.hasSuffix("movingVariance") { v = sins(n, 0.7, b, scale: 0.5, offset: 2) }
            else if name.hasSuffix("movingMean") { v = sins(n, 0.9, b, scale: 0.1) }
            else if name.hasSuffix("gamma") { v = sins(n, 1.3, b, scale: 0.2, offset: 0.8) }
            else { v = sins(n, 1.1, b, scale: 0.1) }
            p.value = nnTensor([n], v, dtype: .float32)
        }
        let x = nnTensor([1, 3, 64, 64], sins(3 * 64 * 64, 0.01, 0.5), dtype: .float32)
        let folded = withoutGradient { m(x) }
        #expect(folded.shape == [1, 2048])
        m.foldBatchNormInInference = false
        let plain = withoutGradient { m(x) }
        let a = folded.doubles, e = plain.doubles
        let scale = e.map { Swift.abs($0) }.max()!
        #expect(scale > 0 && a.allSatisfy(\.isFinite))
        expectNear(a, e, rtol: 1e-4, atol: 1e-4 * scale, "folded vs unfolded")
        // And the two differ from a training-mode pass (batch statistics), so the comparison sees the moving ones.
        let train = withoutGradient { withTrainingMode { m(nnTensor([2, 3, 64, 64], sins(2 * 3 * 64 * 64, 0.01, 0.5), dtype: .float32)) } }
        #expect(train.shape == [2, 2048])
        #expect(!nnIsClose(Array(train.doubles.prefix(2048)), e, rtol: 1e-2, atol: 1e-2 * scale))
    }
}

/// CIFAR-10 binary batches in the official format: `count` records, label byte then 3072 pixels.
private func craftedCIFAR10(count: Int, seed: Int) -> [UInt8] {
    var out: [UInt8] = []
    for r in 0..<count {
        let label = (r * 7 + seed) % 10
        out.append(UInt8(label))
        // Class-dependent brightness of the red plane, so that the task is learnable.
        for c in 0..<3 { for i in 0..<1024 { out.append(UInt8(truncatingIfNeeded: c == 0 ? label * 25 + i % 7 : (i * 13 + r * 5 + c) % 256)) } }
    }
    return out
}

@Suite struct CIFAR10TrainingTests {
    func withDirectory(_ body: (String) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "weft-cifar-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    @Test func oneEpochOnCraftedFiles() throws {
        try withDirectory { dir in
            try Data(craftedCIFAR10(count: 64, seed: 1)).write(to: URL(fileURLWithPath: dir + "/data_batch_1.bin"))
            try Data(craftedCIFAR10(count: 20, seed: 3)).write(to: URL(fileURLWithPath: dir + "/test_batch.bin"))
            for task in CIFAR10Task.allCases {
                let r = try ClassicModels.trainCIFAR10(task, directory: dir, download: false, epochs: 1, seed: 3)
                #expect(r.epochs == 1 && r.trainSamples == 64 && r.testSamples == 20)
                #expect(r.batchSize == (task == .cnn ? 32 : 64))
                #expect(r.history["loss"]?.count == 1 && r.history["loss"]![0].isFinite)
                #expect(r.testAccuracy >= 0 && r.testAccuracy <= 1 && r.testLoss.isFinite)
                // Inputs are pixel/255: a first-epoch loss near ln 10 (it would be far larger on raw 0…255 pixels).
                #expect(Swift.abs(r.history["loss"]![0] - 2.3026) < 0.5, "\(task): loss \(r.history["loss"]![0])")
            }
            let limited = try ClassicModels.trainCIFAR10(.cnn, directory: dir, download: false, epochs: 1, batchSize: 16, limit: 40)
            #expect(limited.trainSamples == 40 && limited.batchSize == 16)
        }
    }

    @Test func missingDataNamesTheDirectory() throws {
        try withDirectory { dir in
            do {
                _ = try ClassicModels.trainCIFAR10(.vgg, directory: dir, download: false, epochs: 1)
                Issue.record("expected DatasetError.missingFiles")
            } catch let e as DatasetError {
                guard case .missingFiles(let dataset, _, let searched, _) = e else { Issue.record("got \(e)"); return }
                #expect(dataset == "CIFAR-10")
                #expect(searched.contains(dir))
                #expect(e.description.contains(dir))
            }
        }
    }
}
