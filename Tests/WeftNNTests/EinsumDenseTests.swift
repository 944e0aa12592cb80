import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Keras EinsumDense. References (KerasEinsumDenseReference.swift) from Keras 3.15.1, torch
// backend, float64: per case (equation, output_shape, bias_axes, input shape) the kernel and bias
// shapes Keras builds and its output with weights det(shape, .37 + .11·i, .1·i), input
// det(shape, .29, .3), det(shape, a, b) = 0.5·sin(a·k + b):
//
//   l = layers.EinsumDense(eq, output_shape=osh, bias_axes=ba); l(x)
//   l.set_weights([det(w.shape, .37 + .11 * i, .1 * i) for i, w in enumerate(l.get_weights())]); y = l(x)
//
// Cases: "ab,bc->ac"; "abc,cd->abd" (output_shape (None, 5)); "...b,bc->...c"; "ab...,bc->ac..."
// (bias [4, 1]); "abc,cde->abde" and "abcd,cde->abe" (MultiHeadAttention's projections);
// "abc,cd->abd" without bias.

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("EinsumDense against Keras 3")
struct EinsumDenseTests {
    @Test("Kernel and bias shapes and outputs equal Keras's", arguments: 0..<KerasEinsumDenseReference.cases.count)
    func matchesKeras(_ k: Int) throws {
        let (eq, outShape, biasAxes, inShape, kernelShape, biasShape, yShape, ref) = KerasEinsumDenseReference.cases[k]
        let layer = EinsumDense(eq, outputShape: outShape, biasAxes: biasAxes)
        #expect(try layer.build(inputShape: Array(inShape.dropFirst())) == Array(yShape.dropFirst()), "\(eq)")
        #expect(layer.kernel?.value.shape == kernelShape, "\(eq)")
        #expect(layer.bias?.value.shape == biasShape, "\(eq)")
        for (i, p) in layer.parameters.enumerated() { p.value = det(p.value.shape, 0.37 + 0.11 * Double(i), 0.1 * Double(i)) }
        let y = layer(det(inShape, 0.29, 0.3))
        #expect(y.shape == yShape)
        expectNear(y.doubles, ref, rtol: 1e-12, atol: 1e-13, eq)
    }

    @Test("Equals Dense for \"ab,bc->ac\"; gradients against central differences; shape mistakes throw")
    func denseAndGradients() throws {
        let e = EinsumDense("ab,bc->ac", outputShape: 3, activation: .tanh, biasAxes: "c"), d = Dense(3, activation: .tanh)
        _ = try e.build(inputShape: [4]); _ = try d.build(inputShape: [4])
        e.kernel!.value = det([4, 3], 0.5, 0.3)
        d.weight!.value = e.kernel!.value
        d.bias!.value = det([3], 0.7, 0.1)
        e.bias!.value = d.bias!.value
        let x = det([5, 4], 0.3, 0.9)
        expectNear(e(x).doubles, d(x).doubles, rtol: 1e-12, atol: 1e-14)
        let model = Sequential { EinsumDense("abc,cde->abde", outputShape: [nil, 2, 3], biasAxes: "de"); Flatten() }
        _ = try model.build(inputShape: [3, 4])
        setFloat64Parameters(model, seed: 4)
        let w = det([2, 18], 0.45, 0.2)
        ModelGradientTests().checkModel(model, det([2, 3, 4], 0.61, 0.5), loss: { ($0 * w).sum() }, names: ["0.kernel", "0.bias"])
        #expect(throws: ShapeError.self) { try EinsumDense("ab,bc->ac", outputShape: 3).build(inputShape: [4, 2]) }
        #expect(throws: ShapeError.self) { try EinsumDense("ab,bc", outputShape: 3).build(inputShape: [4]) }
        #expect(throws: ShapeError.self) { try EinsumDense("ab,bc->ad", outputShape: 3).build(inputShape: [4]) }
        #expect(throws: ShapeError.self) { try EinsumDense("ab,bc->ac", outputShape: [3, 2]).build(inputShape: [4]) }
        #expect(throws: ShapeError.self) { try EinsumDense("ab,bc->ac", outputShape: 3, biasAxes: "x").build(inputShape: [4]) }
        #expect(model.summary().contains("einsum_dense (EinsumDense)"))
    }
}
