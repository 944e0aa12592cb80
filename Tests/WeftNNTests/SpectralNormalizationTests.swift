import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// SpectralNormalization against Keras 3.15.1, torch backend, float64 (its u vector and parts of
// the power iteration come back at float32 precision: compared at 1e-6), det(shape, a, b) =
// 0.5·sin(a·k + b):
//
//   sn = SpectralNormalization(Dense(3), power_iterations=2); kernel det([4, 3], .37, 0), bias det([3], .48, .1)
//   sn.vector_u.assign(det([1, 3], .7, .2)); x = det([2, 4], .29, .3)
//   denseOut = sn(x, training=True), then sn.layer.kernel, sn.vector_u; denseInference = sn(x, training=False)
//   sc = SpectralNormalization(Conv2D(3, 3, data_format="channels_first")) with the OIHW kernel det([3, 2, 3, 3], .43, .5)
//   (given to Keras as HWIO), bias det([3], .48, .1), u det([1, 3], .7, .2); convOut = sc(det([2, 2, 5, 5], .31, .6), training=True)

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("SpectralNormalization against Keras 3")
struct SpectralNormalizationTests {
    @Test("Dense: one training call normalizes the kernel and moves u; inference leaves them")
    func dense() throws {
        let sn = SpectralNormalization(Dense(3), powerIterations: 2)
        #expect(try sn.build(inputShape: [4]) == [3])
        let d = sn.layer as! Dense
        d.weight!.value = det([4, 3], 0.37, 0)
        d.bias!.value = det([3], 0.48, 0.1)
        sn.vectorU!.value = det([1, 3], 0.7, 0.2)
        #expect(sn.vectorU!.trainable == false)
        let x = det([2, 4], 0.29, 0.3)
        let y = withTrainingMode { sn(x) }
        expectNear(y.doubles, [0.26838082954591014, 0.40813413145326405, 0.4678051577832109, 0.38836094126408793, 0.6046533274867418, 0.7142654763485796], rtol: 1e-6, atol: 1e-7)
        expectNear(d.weight!.value.doubles, [0.0, 0.1681165573454946, 0.3134793273246993, 0.4164141409485096, 0.46298925408198277, 0.4469009436562361, 0.3703266870137184, 0.2436304505649174, 0.08395997555426479, -0.08707408827360691, -0.24632308273665973, -0.3722334035051242], rtol: 1e-6, atol: 1e-7)
        expectNear(sn.vectorU!.value.doubles, [0.4928003251552582, 0.601491391658783, 0.6287733912467957], rtol: 1e-6, atol: 1e-7)
        let kernel = d.weight!.value.doubles
        expectNear(sn(x).doubles, [0.26838082954591014, 0.40813413145326405, 0.4678051577832109, 0.38836094126408793, 0.6046533274867418, 0.7142654763485796], rtol: 1e-6, atol: 1e-7)
        #expect(d.weight!.value.doubles == kernel)
        // The largest singular value of the normalized kernel is ~1 after more iterations.
        for _ in 0..<30 { _ = withTrainingMode { sn(x) } }
        let (w, _) = try sn.normalized()
        expectNear(w.doubles, d.weight!.value.doubles, rtol: 1e-6, atol: 1e-8)
    }

    @Test("Conv2D (channels-first weights) gives Keras's result; fit trains through it")
    func conv() throws {
        let sc = SpectralNormalization(Conv2D(3, kernel: 3))
        #expect(try sc.build(inputShape: [2, 5, 5]) == [3, 3, 3])
        let c = sc.layer as! Conv2D
        c.weight!.value = det([3, 2, 3, 3], 0.43, 0.5)
        c.bias!.value = det([3], 0.48, 0.1)
        sc.vectorU!.value = det([1, 3], 0.7, 0.2)
        let y = withTrainingMode { sc(det([2, 2, 5, 5], 0.31, 0.6)) }
        expectNear(y.doubles, [0.17446899118222609, 0.36589739928850384, 0.5272024643480789, 0.6993420473702675, 0.6345029051989554, 0.5139334888293541, -0.04762619834250956, -0.2417512440414927, -0.4080707496045183, 0.16445191514495527, 0.3175224562143574, 0.46644501803008886, 0.7562839222460586, 0.7697852311824271, 0.7360230569525077, 0.40362954611606694, 0.25112051983556116, 0.10079380082109118, 0.28670383528607796, 0.1300943799638415, 0.0026647269340011603, -0.10354520659215277, -0.035634921958719035, 0.07725461334307321, 0.5632047555386219, 0.7226385762108808, 0.8547632661354652, 0.061627435241549094, -0.13988849053642743, -0.323309743820842, -0.6084484396409561, -0.5848170903433404, -0.5006747525350753, 0.010824801638325804, 0.21332354709509968, 0.4002442512308595, 0.4812768867910365, 0.3336353262568484, 0.18030970048134728, -0.173172152991165, -0.217935500250323, -0.21580008824122648, 0.04814881639979343, 0.19392868473769265, 0.3473431215632292, 0.4716135609181934, 0.6395454640012264, 0.7880897403888243, 0.9928219263730951, 0.9590082594081917, 0.8753516637250915, 0.42389256138447157, 0.2545543595375861, 0.10253083414634173], rtol: 1e-6, atol: 1e-7)
        expectNear(c.weight!.value.doubles, [0.14273338355998375, 0.23865630275894648, 0.29112742674386055, 0.29059341664336036, 0.23715149887577602, 0.14053176328092445, 0.018325620251781947, -0.10721704098008787, -0.21323885631655898, -0.2804365928031044, -0.29657565931052954, -0.25871764019793325, -0.17375528824273356, -0.05715757147713102, 0.06984673862812109, 0.18413415775604294, 0.26489654686282893, 0.2974296188548764, 0.2758101260930472, 0.20397429720930618, 0.09500117386148245, -0.03126867077131318, -0.15184547539945015, -0.24477600199108823, -0.2931405289050508, -0.28813339924145553, -0.23066625359071447, -0.1312020489981064, -0.007850084062175149, 0.11693113390893507, 0.22042287564991375, 0.28378255491230064, 0.29547436989111353, 0.25336960936328007, 0.16513422394833982, 0.04683309797308616, -0.07999485993093314, -0.19225827362760178, -0.26951751170729144, -0.29770610053145385, -0.27169178599742794, -0.1962109553478673, -0.08500629024697134, 0.041675342665028904, 0.1607692084239228, 0.2505920654543494, 0.29479000085265755, 0.2853159627890425, 0.2238948751688497, 0.1217095833233942, -0.0026351898725158742, -0.12650017799940833, -0.22733346838596133, -0.286776495035866], rtol: 1e-6, atol: 1e-7)
        expectNear(sc.vectorU!.value.doubles, [-0.4781685173511505, 0.6223266124725342, 0.6197292804718018], rtol: 1e-6, atol: 1e-7)
        // In a model: fit's gradient step acts on the normalized kernel.
        let model = Sequential { SpectralNormalization(Dense(2)); Dense(1) }
        _ = try model.build(inputShape: [3])
        model.compile(optimizer: SGD(learningRate: 0.05), loss: .meanSquaredError)
        let h = try model.fit(det([16, 3], 0.3, 0.1), det([16, 1], 0.5, 0.2), batchSize: 8, epochs: 3)
        #expect(h.history["loss"]!.allSatisfy { $0.isFinite })
        #expect(model.namedParameters.map(\.0) == ["0.vectorU", "0.layer.weight", "0.layer.bias", "1.weight", "1.bias"])
        #expect(throws: ShapeError.self) { try SpectralNormalization(Flatten()).build(inputShape: [3]) }
    }
}
