import Testing
@testable import Weft
@testable import WeftNN

// RMSNormalization against PyTorch 2.15 (float64), pattern(shape, a, b)[i] = ((i·a + b) mod 23 − 11) / 8:
//
//   x = pattern([2, 3, 4], 5, 3); s1 = 1 + 0.1 * pattern([4], 7, 1); s2 = 1 + 0.1 * pattern([3, 4], 7, 1)
//   lastAxis = F.rms_norm(x, (4,), s1, 1e-6); twoAxes = F.rms_norm(x, (3, 4), s2, 1e-3)

private func pattern(_ shape: Shape, _ a: Int, _ b: Int) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { Double(($0 * a + b) % 23 - 11) / 8 })
}

private let lastAxis: [Double] = [-1.2472178619103198, -0.5144773680380069, 0.37416535857309596, 1.4187103179229887, -1.4593376603540338, -0.8756025962124204, -0.15920047203862187, 0.6898687121673615, 1.1772094292812092, -1.2949303722093302, -0.6278450289499783, 0.17004136200728576, 0.7245683956679178, 1.4612129312636342, -1.014395753935085, -0.31397963812276436, 0.37310101242578214, 1.094429636448961, -1.4924040497031286, -0.808385526922528, 0.0, 0.7001152570218376, 1.527524197138555, -1.3238543041867477]
private let twoAxes: [Double] = [-1.10706475404347, -0.45666421104293137, 0.33211942621304097, 1.259286157724447, -1.6309436108676119, -0.9726354624810485, -0.17594421983905148, 0.5772551931798093, 1.4233689694844613, -1.5479137543143515, -0.5614399824077597, 0.1541983050274833, 0.7438469647055597, 1.5000913788228787, -1.0413857505877837, -0.32233368470574253, 0.3984894453779784, 1.161818116302017, -1.5762471394951145, -0.6464384336131649, 0.0, 0.7704129277307581, 1.2574555831927317, -1.10514406184826]

@Suite("RMSNormalization")
struct RMSNormalizationTests {
    @Test("Matches torch rms_norm over the last axis and over two axes")
    func matchesTorch() throws {
        let x = pattern([2, 3, 4], 5, 3)
        let l = RMSNormalization()
        #expect(try l.build(inputShape: [3, 4]) == [3, 4])
        #expect(l.scale?.value.shape == [4])
        l.scale!.value = pattern([4], 7, 1) * 0.1 + 1
        expectNear(l(x).doubles, lastAxis, rtol: 1e-12, atol: 1e-13)
        let l2 = RMSNormalization(axes: [-2, -1], epsilon: 1e-3)
        _ = try l2.build(inputShape: [3, 4])
        #expect(l2.scale?.value.shape == [3, 4])
        l2.scale!.value = pattern([3, 4], 7, 1) * 0.1 + 1
        expectNear(l2(x).doubles, twoAxes, rtol: 1e-12, atol: 1e-13)
        // Non-adjacent axes (Keras allows them): the formula written out.
        let l3 = RMSNormalization(axes: [1, 3])
        _ = try l3.build(inputShape: [3, 2, 4])
        #expect(l3.scale?.value.shape == [3, 4])
        let x3 = pattern([2, 3, 2, 4], 3, 2)
        let ref = x3 * rsqrt(square(x3).mean(alongAxes: [1, 3], keepingDims: true) + 1e-6)
        expectNear(l3(x3).doubles, ref.doubles, rtol: 1e-12, atol: 1e-14)
        #expect(throws: ShapeError.self) { try RMSNormalization(axes: [3]).build(inputShape: [3, 4]) }
    }

    @Test("Gradients against central differences; a model summary names it")
    func gradients() throws {
        let model = Sequential { Dense(4); RMSNormalization() }
        _ = try model.build(inputShape: [3])
        setFloat64Parameters(model, seed: 2)
        model.parameters[2].value = pattern([4], 7, 1) * 0.1 + 1
        let w = nnTensor([2, 4], nnRandom(8, seed: 4))
        ModelGradientTests().checkModel(model, nnTensor([2, 3], nnRandom(6, seed: 3)), loss: { ($0 * w).sum() },
                                        names: ["0.weight", "0.bias", "1.scale"])
        #expect(model.summary().contains("rms_normalization (RMSNormalization)"))
    }
}
