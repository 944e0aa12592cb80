import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// DepthwiseConv1D and SeparableConv1D against Keras 3.15.1 (torch backend, float64 policy,
// data_format "channels_first"), x = det((2,3,7), .29, .3), the i-th weight (Keras layout)
// det(shape, .37 + .1·i, .1), det(shape, a, b) = (0.5 * np.sin(a * np.arange(n) + b)):
//   DepthwiseConv1D(3, strides=2, padding="same", depth_multiplier=2)
//   SeparableConv1D(4, 3, padding="same", dilation_rate=2, depth_multiplier=2, activation="tanh")

private func det(_ shape: Shape, _ a: Double, _ b: Double) -> Tensor { kerasDet(shape, a, b) }

@Suite("DepthwiseConv1D and SeparableConv1D against Keras 3")
struct Conv1DVariantTests {
    @Test func depthwise() throws {
        let l = DepthwiseConv1D(kernel: 3, strides: 2, padding: .same, depthMultiplier: 2)
        #expect(try l.build(inputShape: [3, 7]) == [6, 4])
        #expect(l.weight!.value.shape == [6, 1, 3] && l.parameterCount == 3 * 3 * 2 + 6)
        // Keras's (K, C, m) kernel → [C·m, 1, K].
        l.weight!.value = det([3, 3, 2], 0.37, 0.1).permuted([1, 2, 0]).reshaped(to: [6, 1, 3])
        l.bias!.value = det([6], 0.47, 0.1)
        let y = l(det([2, 3, 7], 0.29, 0.3))
        #expect(y.shape == [2, 6, 4])
        expectNear(y.doubles, KerasConv1DVariantsReference.depthwise, rtol: 1e-6, atol: 1e-7)
        #expect(throws: ShapeError.self) { try DepthwiseConv1D(kernel: 9).build(inputShape: [3, 7]) == [] }
    }

    @Test func separable() throws {
        let l = SeparableConv1D(4, kernel: 3, padding: .same, depthMultiplier: 2, dilation: 2, activation: .tanh)
        #expect(try l.build(inputShape: [3, 7]) == [4, 7])
        #expect(l.namedParameters.map(\.0) == ["depthwise_kernel", "pointwise_kernel", "bias"])
        #expect(l.parameterCount == 3 * 3 * 2 + 6 * 4 + 4)
        l.depthwise_kernel!.value = det([3, 3, 2], 0.37, 0.1).permuted([1, 2, 0]).reshaped(to: [6, 1, 3])
        l.pointwise_kernel!.value = det([1, 6, 4], 0.47, 0.1).reshaped(to: [6, 4]).transposed().reshaped(to: [4, 6, 1])
        l.bias!.value = det([4], 0.57, 0.1)
        let y = l(det([2, 3, 7], 0.29, 0.3))
        #expect(y.shape == [2, 4, 7])
        expectNear(y.doubles, KerasConv1DVariantsReference.separable, rtol: 1e-6, atol: 1e-7)
        #expect(throws: ShapeError.self) { try SeparableConv1D(2, kernel: 3).build(inputShape: [3, 7, 1]) == [] }
    }
}
