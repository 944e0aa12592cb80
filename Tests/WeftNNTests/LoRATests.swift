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

    /// Keras 3.15.1, data_format="channels_first": Conv2D(3, (2, 3), lora_rank=2, lora_alpha=3) on
    /// det((2, 2, 4, 5), .7, .3) with _kernel = det((2, 3, 2, 3), .9, .1), bias = det((3,), 1.1, .2),
    /// lora_kernel_a = det((2, 3, 2, 2), .5, .4), lora_kernel_b = det((2, 3), 1.3, .6); Conv1D(2, 3, lora_rank=1)
    /// on det((2, 2, 6), .35, .1) with _kernel = det((3, 2, 2), .6, .2), bias = det((2,), .8, .9),
    /// lora_kernel_a = det((3, 2, 1), .45, .7), lora_kernel_b = det((1, 2), 1.7, .3). The factors are
    /// given here in Weft's layouts (kernels and A [rank, in, k…] transposed from Keras's (k…, in, ·), B
    /// [out, rank] = Bᵀ). Weft convolves in float32: 1e-5.
    @Test("Conv1D / Conv2D LoRA equal Keras's (factors in Weft's layouts)")
    func convolutions() throws {
        let c = Conv2D(3, kernel: (2, 3), loraRank: 2, loraAlpha: 3)
        _ = try c.build(inputShape: [2, 4, 5])
        #expect(c.loraKernelA!.value.shape == [2, 2, 2, 3] && c.loraKernelB!.value.shape == [3, 2] && !c.weight!.trainable)
        c.weight!.value = nnTensor([3, 2, 2, 3], [0.04991670832341408, -0.35277016278519596, -0.4977181266531887, -0.2790261356433897, 0.14352632566386253, 0.4612164084615429, 0.16749407507795233, 0.47036527833988656, 0.4295809074282479, 0.07493860483147792, -0.3344549101890108, -0.4994909024734747, 0.42073549240394825, 0.05827460242524638, -0.3467625423885612, -0.4984500330207982, -0.2859628275547819, 0.1354528941539328, -0.2649180704542467, 0.15954918117467606, 0.4674475277623415, 0.43382205032083454, 0.08324000176857962, -0.32815837808889387, 0.47315004384370724, 0.4252183103142822, 0.06661602070997111, -0.34065688277774997, -0.49904101398969825, -0.2928186699871502, -0.4968455018167322, -0.2720105554446849, 0.15155917837285113, 0.4643976170386202, 0.4379405399054455, 0.091517864490294])
        c.bias!.value = det([3], 1.1, 0.2)
        c.loraKernelA!.value = nnTensor([2, 2, 2, 3], [0.19470917115432526, 0.3377315902755755, -0.475801036944758, 0.05827460242524682, 0.4272994540441402, -0.41391323454282686, 0.49272486499423007, -0.1277705510134156, -0.3863822437779936, 0.44935404790581346, 0.012387712726678882, -0.45966426283233786, 0.3916634548137417, 0.11962466460699121, -0.49122630631216624, 0.28921988219410005, 0.2505104282289423, -0.4977181266531887, 0.47315004384370724, -0.3438830795919869, -0.186938332415118, 0.499470670919886, -0.22876794688766067, -0.30906855611851664])
        c.loraKernelB!.value = nnTensor([3, 2], [0.2823212366975177, -0.4887650588325485, 0.47315004384370724, -0.23230108970687868, -0.029187071713790043, 0.36448452006293797])
        expectNear(c(det([2, 2, 4, 5], 0.7, 0.3)).doubles, [-0.20591155713439663, -0.5133733283848265, -0.5326689563329197, 0.591686181665707, 0.7620705638726339, 0.6207598974926527, -0.517550851884736, -0.5292042688894822, -0.24524600390728424, 0.24441360789546818, 0.4994951317579246, 0.7462445256347356, 0.5955607177104041, 0.32856271371313767, 0.13362476682939733, 0.506041450274212, 0.7510240590848254, 0.8693765531400477, 0.3824991744332642, 0.9573807832166421, 1.2408316942741133, -0.02295262989135266, -0.476228530168766, -0.5466862673234882, 0.9684943060690578, 1.2425591932907598, 1.091069520493122, 0.2336876583508746, 0.620427124462207, 0.7620886647811451, -0.2542680993286875, -0.5325057730970963, -0.513579015862291, 0.62724901978895, 0.7616246141909393, 0.5845148971094742, 0.7940624555129056, 0.5702402516032686, 0.30481338242173045, 0.2712261700558033, 0.5321396520486374, 0.7693677760784068, 0.563843114797946, 0.29899696867454967, 0.12011611153383345, 0.5408136916582678, -0.07827378433008825, -0.5017074323781139, 0.4586497397018259, 1.0111344000762381, 1.246907196792245, -0.0918197303971997, -0.507488164075249, -0.5256365403591367], rtol: 0, atol: 1e-5, "Conv2D")
        let c1 = Conv1D(2, kernel: 3, loraRank: 1)
        _ = try c1.build(inputShape: [2, 6])
        c1.weight!.value = nnTensor([2, 2, 3], [0.09933466539753061, 0.2577506859107321, -0.4794621373315692, 0.49272486499423007, -0.30592894547135946, -0.0415447014087482, 0.3586780454497614, -0.029187071713790043, -0.3156333189361608, 0.4546487134128409, -0.475801036944758, 0.24705667556930408])
        c1.bias!.value = det([2], 0.8, 0.9)
        c1.loraKernelA!.value = nnTensor([1, 2, 3], [0.3221088436188455, 0.49978680152075255, 0.2992360720519783, 0.4563819701302605, 0.44368118431668774, 0.09521132368051352])
        c1.loraKernelB!.value = nnTensor([2, 1], [0.14776010333066977, 0.45464871341284085])
        expectNear(c1(det([2, 2, 6], 0.35, 0.1)).doubles, [0.4711326986034108, 0.47284476329928843, 0.4647132229932085, 0.44772406414343074, 0.7256799618469374, 0.7309002272348042, 0.7076174439321614, 0.6586547559170122, 0.3361047034846229, 0.36002193384390135, 0.3877758433587486, 0.416001143545635, 0.3344583185358452, 0.4035434663827413, 0.483819070222188, 0.5655513458835365], rtol: 0, atol: 1e-5, "Conv1D")
        // A fresh Conv3D keeps its function when LoRA is enabled (B starts at zero).
        let c3 = Conv3D(2, kernel: (1, 2, 2))
        let x3 = det([1, 2, 2, 3, 3], 0.4, 0.2)
        _ = try c3.build(inputShape: [2, 2, 3, 3])
        let before = c3(x3).doubles
        try c3.enableLoRA(rank: 2)
        #expect(c3(x3).doubles == before && c3.loraKernelA!.value.shape == [2, 2, 1, 2, 2])
    }
}
