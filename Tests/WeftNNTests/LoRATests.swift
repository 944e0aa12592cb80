import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// LoRA on Dense, EinsumDense and Embedding against Keras 3.15.1 (torch backend, float64),
// det(shape, a, b) = 0.5·sin(a·k + b) over the row-major index k, x = det((5, 4), .7, .3):
//
//   d = Dense(3); d.build((None, 4)); d.enable_lora(2, lora_alpha=3); d._kernel = det((4, 3), .9, .1),
//       d.bias = det((3,), 1.1, .2), d.lora_kernel_a = det((4, 2), .5, .4), d.lora_kernel_b = det((2, 3), 1.3, .6); d(x)
//       (trainable_weights: bias, lora_kernel_a, lora_kernel_b; non-trainable: kernel)
//   e = EinsumDense("ab,bcd->acd", output_shape=(2, 3), bias_axes="d", lora_rank=2); _kernel = det((4, 2, 3), .6, .2),
//       bias = det((3,), .8, .9), lora_kernel_a = det((4, 2, 2), .45, .7), lora_kernel_b = det((2, 3), 1.7, .3); e(x)
//   m = Embedding(6, 4); m.build((None, 3)); m.enable_lora(3, lora_alpha=1.5); _embeddings = det((6, 4), .35, .1), lora_embeddings_a = det((6, 3), .75, .5),
//       lora_embeddings_b = det((3, 4), 1.9, .25); m([[0, 5, 2], [3, 3, 1]])
//
// Keras keeps LoRA factors in float32 whatever the policy, so values compare at 1e-6. Keras
// 3.15.1's Dense and Embedding drop a `lora_alpha` given to the constructor when they build
// (they call enable_lora(rank) without it; EinsumDense and the convolutions pass it); Weft keeps
// it, so the references enable LoRA explicitly with the alpha.

private func det(_ s: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(s, a, b) }
private let x = det([5, 4], 0.7, 0.3)

@Suite("LoRA (Keras's enable_lora) on Dense, EinsumDense and Embedding")
struct LoRATests {
    @Test("Outputs equal Keras's with the same factors; the kernel is frozen and the factors train")
    func keras() throws {
        let d = Dense(3, loraRank: 2, loraAlpha: 3)
        _ = try d.build(inputShape: [4])
        d.weight!.value = det([4, 3], 0.9, 0.1); d.bias!.value = det([3], 1.1, 0.2)
        d.loraKernelA!.value = det([4, 2], 0.5, 0.4); d.loraKernelB!.value = det([2, 3], 1.3, 0.6)
        expectNear(d(x).doubles, [0.16702395007980447, 0.7013077826891034, 0.41120566964607397, -0.0626923359833898, 0.30644770876503874, 0.3994647914217011, 0.3369762383498011, 0.5926527248416036, 0.14792474151115576, -0.18646078481304068, 0.4481752605829327, 0.6336789035842911, 0.4002587877310572, 0.4342300312314122, -0.030157873625944465],
                   rtol: 0, atol: 1e-6, "Dense")
        #expect(d.namedParameters.filter { $0.1.trainable }.map(\.0) == ["bias", "loraKernelA", "loraKernelB"])
        #expect(d.nonTrainableParameters.count == 1 && d.nonTrainableParameters[0] === d.weight)

        let e = EinsumDense("ab,bcd->acd", outputShape: [2, 3], biasAxes: "d", loraRank: 2)
        _ = try e.build(inputShape: [4])
        #expect(e.loraKernelA!.value.shape == [4, 2, 2] && e.loraKernelB!.value.shape == [2, 3] && e.loraAlpha == 2)
        e.kernel!.value = det([4, 2, 3], 0.6, 0.2); e.bias!.value = det([3], 0.8, 0.9)
        e.loraKernelA!.value = det([4, 2, 2], 0.45, 0.7); e.loraKernelB!.value = det([2, 3], 1.7, 0.3)
        expectNear(e(x).doubles, [0.3560812945466748, 0.3817127530345325, 0.2862543205743976, 0.4316349204771289, 0.4877361174013077,
                                  0.3658794301973456, 0.45077478684272143, 0.7309384712708101, 0.3569596220023632, 0.39042433853839686,
                                  0.5129446048798394, 0.18940237224244427, 0.31585357983203377, 0.1669076817100954, 0.20344098683764728,
                                  0.3540270352249867, 0.47168169942794264, 0.4395682453442867, 0.4754116384868886, 0.8805667849719938,
                                  0.42203306093199466, 0.4638263218076956, 0.5242308746647623, 0.1446215542803149, 0.3096545105009278,
                                  0.09974647310286588, 0.16362702468712553, 0.2933129435056884, 0.46646776633297166, 0.45026640443201443],
                   rtol: 0, atol: 1e-6, "EinsumDense")

        let m = Embedding(inputDim: 6, outputDim: 4, loraRank: 3, loraAlpha: 1.5)
        _ = try m.build(inputShape: [3])
        m.embeddings!.value = det([6, 4], 0.35, 0.1)
        m.loraEmbeddingsA!.value = det([6, 3], 0.75, 0.5); m.loraEmbeddingsB!.value = det([3, 4], 1.9, 0.25)
        let ids = Tensor(shape: [2, 3], scalars: [Int64(0), 5, 2, 3, 3, 1])
        expectNear(m(ids).doubles, [0.21236188099091743, 0.11636038030205598, 0.2616165082435884, 0.6202623183358269, 0.35380144546939396, 0.3074220089187805, 0.6084478762958153, 0.5599913149152629, 0.03329502564901392, -0.16093406504871507, -0.06585233096997414, -0.35524106186432275, -0.28903817572259716, -0.5303300737981942, -0.6282671446700931, -0.27424300357953557, -0.28903817572259716, -0.5303300737981942, -0.6282671446700931, -0.27424300357953557, 0.4381627022973695, 0.6461642001795902, 0.3578069411845354, 0.14334321577426073],
                   rtol: 0, atol: 1e-6, "Embedding")
        expectNear(m(ids).doubles, m.effectiveEmbeddings!.indexSelect(axis: 0, indices: ids.reshaped(to: [6])).doubles, rtol: 1e-14, atol: 1e-15)
    }

    @Test("enableLoRA keeps the function (B starts at zero), trains only the factors, and refuses misuse")
    func behaviour() throws {
        let d = Dense(3)
        #expect(throws: LoRAError("Dense: cannot enable LoRA on a layer that isn't built yet")) { try d.enableLoRA(rank: 2) }
        _ = try d.build(inputShape: [4])
        setFloat64Parameters(d, seed: 4)
        let before = d(x).doubles, kernel = d.weight!.value.doubles
        try d.enableLoRA(rank: 2, alpha: 4)
        #expect(d(x).doubles == before)
        #expect(throws: LoRAError("Dense: LoRA is already enabled; it can be enabled once per layer")) { try d.enableLoRA(rank: 2) }
        #expect(throws: LoRAError("Dense: LoRA is incompatible with kernel constraints; remove the kernel constraint")) {
            let c = Dense(2, kernelConstraint: .nonNeg)
            _ = try c.build(inputShape: [4])
            try c.enableLoRA(rank: 1)
        }
        // Training moves the factors and the bias, not the kernel.
        let m = Sequential(layers: [d])
        m.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        let y = det([5, 3], 1.2, 0.4)
        _ = try m.fit(x.cast(to: TensorDefaults.floatType), y.cast(to: TensorDefaults.floatType), batchSize: 5, epochs: 3, verbose: .silent)
        #expect(d.weight!.value.doubles == kernel)
        #expect(d.loraKernelB!.value.doubles.contains { $0 != 0 })
        #expect(d(x).doubles != before)
        // Gradients of the factors against central differences (float64).
        let e = Dense(2, loraRank: 2)
        _ = try e.build(inputShape: [4])
        setFloat64Parameters(e, seed: 8)
        let a = e.loraKernelA!
        let f = { (v: Tensor) -> Tensor in a.value = v; return square(e(x)).sum() }
        let a0 = a.value
        let g = gradient(at: a0) { f($0) }
        let h = 1e-6
        let numeric = (0..<8).map { k -> Double in
            var up = a0.doubles, down = a0.doubles
            up[k] += h; down[k] -= h
            return (f(nnTensor([4, 2], up)).doubles[0] - f(nnTensor([4, 2], down)).doubles[0]) / (2 * h)
        }
        a.value = a0
        expectNear(g.doubles, numeric, rtol: 1e-6, atol: 1e-9, "∂/∂A")
        // The factors take the kernel's regularizer.
        let r = Dense(2, kernelRegularizer: .l2(0.5), loraRank: 1)
        _ = try r.build(inputShape: [3])
        setFloat64Parameters(r, seed: 2)
        let expected = 0.5 * (square(r.loraKernelA!.value).sum().doubles[0] + square(r.loraKernelB!.value).sum().doubles[0])
        expectNear(Sequential(layers: [r]).regularizationLoss()!.doubles, [expected], rtol: 1e-12, atol: 0, "regularizer on A and B only")
    }
}
