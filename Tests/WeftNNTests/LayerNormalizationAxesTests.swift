import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// LayerNormalization over several axes and with rms_scaling, against Keras 3.15.1 (torch backend;
// its results come back at float32 precision: compared at 1e-6). x = det([2, 3, 4], .29, .3),
// weights det(shape, .37 + .11·i, .1·i) + 1, det = 0.5·sin(a·k + b):
//
//   twoAxes = LayerNormalization(axis=[1, 2]); rms = LayerNormalization(rms_scaling=True)
//   rmsTwoAxes = LayerNormalization(axis=[-2, -1], rms_scaling=True, epsilon=1e-2)

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("LayerNormalization axes and rmsScaling against Keras 3")
struct LayerNormalizationAxesTests {
    func keras(_ l: LayerNormalization) throws -> LayerNormalization {
        _ = try l.build(inputShape: [3, 4])
        for (i, p) in l.parameters.enumerated() { p.value = det(p.value.shape, 0.37 + 0.11 * Double(i), 0.1 * Double(i)) + 1 }
        return l
    }

    @Test("Two axes, rmsScaling (no beta), both; non-trailing axes by the formula; gradients")
    func matchesKeras() throws {
        let x = det([2, 3, 4], 0.29, 0.3)
        let two = try keras(LayerNormalization(axes: [1, 2]))
        #expect(two.gamma?.value.shape == [3, 4] && two.beta?.value.shape == [3, 4])
        expectNear(two(x).doubles, [ 0.4682643413543701, 1.3233494758605957, 2.1771788597106934, 2.8212294578552246, 3.079359531402588, 2.8744101524353027, 2.260347843170166, 1.4060386419296265, 0.5360305905342102, -0.14891840517520905, -0.5405519604682922, -0.6543246507644653, 0.7762451767921448, 0.5029525756835938, 0.22146424651145935, 0.024873575195670128, -0.009343814104795456, 0.1449384093284607, 0.4508777856826782, 0.8258705139160156, 1.1792367696762085, 1.4528084993362427, 1.645456075668335, 1.8096989393234253], rtol: 1e-6, atol: 1e-6)
        let rms = try keras(LayerNormalization(rmsScaling: true))
        #expect(rms.beta == nil && rms.gamma?.value.shape == [4])
        expectNear(rms(x).doubles, [ 1.2127734422683716, 2.6960525512695312, 4.229391574859619, 5.470889091491699, 7.9563703536987305, 9.301526069641113, 9.547603607177734, 8.407710075378418, 1.5562856197357178, 0.8465383052825928, -0.24379821121692657, -1.5439043045043945, -3.5670673847198486, -5.659217357635498, -7.512099266052246, -8.649738311767578, -4.719227313995361, -4.97072696685791, -4.477316379547119, -3.1962761878967285, -0.5843530297279358, 0.4038316309452057, 1.657770037651062, 2.944977045059204], rtol: 1e-6, atol: 1e-6)
        expectNear(try keras(LayerNormalization(axes: [-2, -1], epsilon: 1e-2, rmsScaling: true))(x).doubles, [ 0.6432679295539856, 1.430014967918396, 2.243314266204834, 2.9018173217773438, 3.2406198978424072, 3.1713366508483887, 2.714749813079834, 1.9926906824111938, 1.1825170516967773, 0.4528323709964752, -0.09340303391218185, -0.4456354081630707, -1.041532278060913, -1.6524099111557007, -2.193424701690674, -2.5255990028381348, -2.5505459308624268, -2.248832941055298, -1.6892826557159424, -1.0052071809768677, -0.34712913632392883, 0.16888412833213806, 0.49653786420822144, 0.6645671725273132], rtol: 1e-6, atol: 1e-6)
        // The middle axis (Keras's torch backend cannot run it): the formula written out.
        let mid = LayerNormalization(axis: 1, center: false, scale: false)
        _ = try mid.build(inputShape: [3, 4])
        let m = x.mean(alongAxes: [1], keepingDims: true), v = x.variance(alongAxes: [1], keepingDims: true)
        expectNear(mid(x).doubles, ((x - m) * rsqrt(v + 1e-3)).doubles, rtol: 1e-12, atol: 1e-14)
        let model = Sequential { LayerNormalization(axes: [1, 2]); Flatten() }
        _ = try model.build(inputShape: [3, 4])
        setFloat64Parameters(model, seed: 3)
        let w = det([2, 12], 0.6, 0.2)
        ModelGradientTests().checkModel(model, x, loss: { ($0 * w).sum() }, names: ["0.gamma", "0.beta"])
    }
}
