import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Keras 3 parity for the recurrent layers' `activation` and `recurrent_activation` other than
// tanh / sigmoid (they run composed; the defaults stay on oneDNN's fused kernels). References
// (KerasRNNActivationReference.swift) from Keras 3.15.1, torch backend, floatx float64:
//
//   import os; os.environ["KERAS_BACKEND"] = "torch"
//   import numpy as np, keras; keras.config.set_floatx("float64")
//   det = lambda shape, a, b: (0.5 * np.sin(a * np.arange(np.prod(shape)) + b)).reshape(shape)
//   for layer in [SimpleRNN(5, activation="sigmoid"), SimpleRNN(5, activation="elu"),
//                 LSTM(5, activation="relu", recurrent_activation="hard_sigmoid"),
//                 GRU(5, activation="softplus", recurrent_activation="hard_sigmoid"),
//                 GRU(5, activation="relu", recurrent_activation="silu", reset_after=False)]:
//       (return_sequences=True)  layer.build((2, 3, 4)); k, r, b = layer.get_weights()
//       layer.set_weights([det(k.shape, .37, .1), det(r.shape, .53, .2), det(b.shape, .61, .4)])
//       y = layer(det([2, 3, 4], .29, .3))

private let (N, T, C, H) = (2, 3, 4, 5)

private func det(_ shape: Shape, _ a: Double, _ b: Double, dtype: DType = .float64) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { 0.5 * Foundation.sin(a * Double($0) + b) }, dtype: dtype)
}

private func referenceLayer<L: RecurrentLayer>(_ layer: L, dtype: DType) throws -> L {
    _ = try layer.build(inputShape: [T, C])
    layer.kernel!.value = det(layer.kernel!.value.shape, 0.37, 0.1, dtype: dtype)
    layer.recurrentKernel!.value = det(layer.recurrentKernel!.value.shape, 0.53, 0.2, dtype: dtype)
    layer.bias!.value = det(layer.bias!.value.shape, 0.61, 0.4, dtype: dtype)
    return layer
}

@Suite("Recurrent layers with other activations than tanh / sigmoid, against Keras 3")
struct RecurrentActivationTests {
    static let cases: [(String, @Sendable () -> any RecurrentLayer, [Double])] = [
        ("SimpleRNN sigmoid", { SimpleRNN(H, activation: .sigmoid, returnSequences: true) }, KerasRNNActivationReference.simpleSigmoid),
        ("SimpleRNN elu", { SimpleRNN(H, activation: .elu, returnSequences: true) }, KerasRNNActivationReference.simpleElu),
        ("LSTM relu / hard sigmoid", { LSTM(H, activation: .relu, recurrentActivation: .hardSigmoid, returnSequences: true) },
         KerasRNNActivationReference.lstmReluHardSigmoid),
        ("GRU softplus / hard sigmoid", { GRU(H, activation: .softplus, recurrentActivation: .hardSigmoid, returnSequences: true) },
         KerasRNNActivationReference.gruSoftplusHardSigmoid),
        ("GRU reset-before relu / silu", { GRU(H, activation: .relu, recurrentActivation: .silu, returnSequences: true, resetAfter: false) },
         KerasRNNActivationReference.gruResetBeforeReluSilu),
    ]

    @Test("Outputs match Keras in float64 and float32", arguments: 0..<cases.count)
    func matchesKeras(_ i: Int) throws {
        let (name, make, ref) = Self.cases[i]
        let x = det([N, T, C], 0.29, 0.3)
        let l64 = try referenceLayer(make(), dtype: .float64)
        #expect(l64.opActivations != nil, "\(name) must not take the fused kernel")
        expectNear(l64(x).doubles, ref, rtol: 1e-6, atol: 1e-7, name)
        let l32 = try referenceLayer(make(), dtype: .float32)
        let y32 = l32(x.cast(to: .float32))
        #expect(y32.dtype == .float32)
        expectNear(y32.doubles, ref, rtol: 1e-4, atol: 1e-5, "\(name) float32")
        // The same weights with the default activations compute something else.
        let plain: any RecurrentLayer
        switch l64.cell {
        case .lstm: plain = LSTM(H, returnSequences: true)
        case .gru: plain = GRU(H, returnSequences: true)
        case .gruResetBefore: plain = GRU(H, returnSequences: true, resetAfter: false)
        default: plain = SimpleRNN(H, returnSequences: true)
        }
        let p = try referenceLayer(plain, dtype: .float64)
        #expect(!nnIsClose(p(x).doubles, ref, rtol: 1e-3, atol: 1e-4), "\(name): the activation must matter")
    }

    @Test("The defaults (and SimpleRNN relu) stay on the fused kernel; Bidirectional's copy keeps the activations")
    func fusedAndBidirectional() throws {
        #expect(LSTM(3).opActivations == nil && GRU(3).opActivations == nil && GRU(3, resetAfter: false).opActivations == nil)
        #expect(SimpleRNN(3).opActivations == nil && SimpleRNN(3, activation: .relu).opActivations == nil)
        #expect(SimpleRNN(3, activation: .relu).cell == .vanillaReLU)
        #expect(LSTM(3, recurrentActivation: .hardSigmoid).opActivations != nil)
        #expect(GRU(3, activation: .relu).opActivations != nil)
        let bi = Bidirectional(LSTM(H, activation: .relu, recurrentActivation: .hardSigmoid, returnSequences: true))
        let back = try #require(bi.backwardLayer as? LSTM)
        #expect(back.activation == .relu && back.recurrentActivation == .hardSigmoid && back.options.goBackwards)
        // The backward copy is the forward layer run over the reversed sequence.
        let x = det([N, T, C], 0.29, 0.3)
        _ = try bi.build(inputShape: [T, C])
        for l in [bi.forwardLayer, bi.backwardLayer].map({ $0 as! any RecurrentLayer }) {
            l.kernel!.value = det(l.kernel!.value.shape, 0.37, 0.1)
            l.recurrentKernel!.value = det(l.recurrentKernel!.value.shape, 0.53, 0.2)
            l.bias!.value = det(l.bias!.value.shape, 0.61, 0.4)
        }
        let y = bi(x)
        let reversed = Tensor(shape: [T], scalars: (0..<T).reversed().map { Int32($0) })
        let f = try referenceLayer(LSTM(H, activation: .relu, recurrentActivation: .hardSigmoid, returnSequences: true), dtype: .float64)
        let bwd = f(x.indexSelect(axis: 1, indices: reversed)).indexSelect(axis: 1, indices: reversed)
        expectNear(y.doubles, concatenate([f(x), bwd], axis: -1).doubles, rtol: 1e-12, atol: 1e-14)
    }

    @Test("Gradients of LSTM(elu, sigmoid) and GRU(selu, softplus) against central differences in float64")
    func gradients() throws {
        for layer in [LSTM(3, activation: .elu) as any RecurrentLayer, GRU(3, activation: .selu, recurrentActivation: .softplus)] {
            let m = Sequential { layer; Dense(2) }
            _ = try m.build(inputShape: [T, C])
            setFloat64Parameters(m, seed: 23)
            let x = nnTensor([N, T, C], nnRandom(N * T * C, seed: 9))
            let w = nnTensor([N, 2], nnRandom(2 * N, seed: 10))
            ModelGradientTests().checkModel(m, x, loss: { ($0 * w).sum() }, names: ["0.kernel", "0.recurrentKernel", "0.bias", "1.weight", "1.bias"])
        }
    }
}
