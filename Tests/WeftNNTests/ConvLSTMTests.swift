import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// ConvLSTM1D / ConvLSTM2D / ConvLSTM3D against Keras 3.15.1 (torch backend, floatx float64, data_format
// "channels_first"); references in KerasConvLSTMReference.swift, from:
//
//   det = lambda shape, a, b: (0.5 * np.sin(a * np.arange(np.prod(shape)) + b)).reshape(shape)
//   c2Same    = ConvLSTM2D(3, (2, 3), padding="same", return_sequences=True)           x (2, 3, 2, 4, 5)
//   c2Strided = ConvLSTM2D(2, (3, 3), strides=2, return_state=True, go_backwards=True,
//                          activation="relu", recurrent_activation="hard_sigmoid")      x (2, 3, 2, 5, 6)
//   c1Dilated = ConvLSTM1D(3, 3, padding="same", dilation_rate=2, return_sequences=True) x (2, 4, 2, 7)
//   c3Same    = ConvLSTM3D(2, (2, 3, 2), padding="same", return_sequences=True)         x (2, 3, 2, 3, 4, 3)
//               (this one with keras.config.set_dtype_policy("float64") too)
//   layer.build(x.shape); k, r, b = layer.get_weights()
//   layer.set_weights([det(k.shape, .37, .1), det(r.shape, .53, .2), det(b.shape, .61, .4)])
//   outputs = layer(det(x.shape, .29, .3))   (c2Strided: [last h, h, c])
//
// Keras's kernels are (KH, KW, C, 4F) / (K, C, 4F); Weft's the OIHW / OIK permutations.

private func det(_ shape: Shape, _ a: Double, _ b: Double, dtype: DType = .float64) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { 0.5 * Foundation.sin(a * Double($0) + b) }, dtype: dtype)
}

/// Sets a built layer's weights from Keras's layouts of `det`.
private func setKerasWeights(_ l: some ConvLSTMLayer, kernelH: Int?, kernelW: Int, channels c: Int, dtype: DType = .float64) {
    let f = l.core.filters
    if l.core.rank == 3 {
        let k = l.core.kernel
        l.kernel!.value = det([k[0], k[1], k[2], c, 4 * f], 0.37, 0.1, dtype: dtype).permuted([4, 3, 0, 1, 2])
        l.recurrentKernel!.value = det([k[0], k[1], k[2], f, 4 * f], 0.53, 0.2, dtype: dtype).permuted([4, 3, 0, 1, 2])
    } else if let kh = kernelH {
        l.kernel!.value = det([kh, kernelW, c, 4 * f], 0.37, 0.1, dtype: dtype).permuted([3, 2, 0, 1])
        l.recurrentKernel!.value = det([kh, kernelW, f, 4 * f], 0.53, 0.2, dtype: dtype).permuted([3, 2, 0, 1])
    } else {
        l.kernel!.value = det([kernelW, c, 4 * f], 0.37, 0.1, dtype: dtype).permuted([2, 1, 0])
        l.recurrentKernel!.value = det([kernelW, f, 4 * f], 0.53, 0.2, dtype: dtype).permuted([2, 1, 0])
    }
    l.bias!.value = det([4 * f], 0.61, 0.4, dtype: dtype)
}

@Suite("ConvLSTM2D and ConvLSTM1D against Keras 3")
struct ConvLSTMTests {
    @Test("ConvLSTM2D same padding (even kernel height), return sequences: float64 and float32")
    func conv2DSame() throws {
        for dtype in [DType.float64, .float32] {
            let l = ConvLSTM2D(3, kernel: (2, 3), padding: .same, returnSequences: true)
            #expect(try l.build(inputShape: [3, 2, 4, 5]) == [3, 3, 4, 5])
            setKerasWeights(l, kernelH: 2, kernelW: 3, channels: 2, dtype: dtype)
            let y = l(det([2, 3, 2, 4, 5], 0.29, 0.3, dtype: dtype))
            #expect(y.shape == [2, 3, 3, 4, 5] && y.dtype == dtype)
            let tol = dtype == .float64 ? (1e-6, 1e-7) : (1e-4, 1e-5)
            expectNear(y.doubles, KerasConvLSTMReference.c2Same0, rtol: tol.0, atol: tol.1, "\(dtype)")
        }
    }

    @Test("ConvLSTM2D strides 2, valid, relu / hard sigmoid, goBackwards, returnState [h, h, c]")
    func conv2DStridedStates() throws {
        let l = ConvLSTM2D(2, kernel: (3, 3), strides: (2, 2), activation: .relu, recurrentActivation: .hardSigmoid,
                           returnState: true, goBackwards: true)
        #expect(try l.build(inputShapes: [[3, 2, 5, 6]]) == [[2, 2, 2], [2, 2, 2], [2, 2, 2]])
        setKerasWeights(l, kernelH: 3, kernelW: 3, channels: 2)
        let out = l.call([det([2, 3, 2, 5, 6], 0.29, 0.3)])
        #expect(out.map(\.shape) == [[2, 2, 2, 2], [2, 2, 2, 2], [2, 2, 2, 2]])
        expectNear(out[0].doubles, KerasConvLSTMReference.c2Strided0, rtol: 1e-6, atol: 1e-7, "output")
        expectNear(out[1].doubles, KerasConvLSTMReference.c2Strided1, rtol: 1e-6, atol: 1e-7, "h")
        expectNear(out[2].doubles, KerasConvLSTMReference.c2Strided2, rtol: 1e-6, atol: 1e-7, "c")
        #expect(!nnIsClose(out[1].doubles, out[2].doubles, rtol: 1e-3, atol: 1e-4))
    }

    @Test("ConvLSTM1D same padding, dilation 2, return sequences")
    func conv1DDilated() throws {
        let l = ConvLSTM1D(3, kernel: 3, padding: .same, dilation: 2, returnSequences: true)
        #expect(try l.build(inputShape: [4, 2, 7]) == [4, 3, 7])
        #expect(l.kernel!.value.shape == [12, 2, 3] && l.recurrentKernel!.value.shape == [12, 3, 3])
        setKerasWeights(l, kernelH: nil, kernelW: 3, channels: 2)
        let y = l(det([2, 4, 2, 7], 0.29, 0.3))
        #expect(y.shape == [2, 4, 3, 7])
        expectNear(y.doubles, KerasConvLSTMReference.c1Dilated0, rtol: 1e-6, atol: 1e-7)
    }

    @Test("ConvLSTM3D same padding (even kernel sizes), return sequences; its orthogonal recurrent kernel as Keras flattens it")
    func conv3DSame() throws {
        let l = ConvLSTM3D(2, kernel: (2, 3, 2), padding: .same, returnSequences: true)
        #expect(try l.build(inputShape: [3, 2, 3, 4, 3]) == [3, 2, 3, 4, 3])
        #expect(l.kernel!.value.shape == [8, 2, 2, 3, 2] && l.recurrentKernel!.value.shape == [8, 2, 2, 3, 2])
        // The (KD·KH·KW·F) × 4F flattening of the fresh recurrent kernel has orthonormal columns.
        let u = l.recurrentKernel!.value.cast(to: .float64).permuted([2, 3, 4, 1, 0]).reshaped(to: [24, 8])
        expectNear(matmul(u.transposed(), u).doubles, Tensor.eye(8, 8, dtype: .float64).doubles, rtol: 0, atol: 1e-5)
        setKerasWeights(l, kernelH: nil, kernelW: 0, channels: 2)
        let y = l(det([2, 3, 2, 3, 4, 3], 0.29, 0.3))
        #expect(y.shape == [2, 3, 2, 3, 4, 3])
        expectNear(y.doubles, KerasConvLSTMReference.c3Same0, rtol: 1e-6, atol: 1e-7)
        #expect(throws: ShapeError.self) { try ConvLSTM3D(2, kernel: (3, 3, 3)).build(inputShape: [3, 2, 2, 4, 4]) == [] }
    }

    @Test("Parameters as Keras (count, forget-gate bias 1, orthogonal recurrent kernel); shape mistakes name the layer")
    func parametersAndShapes() throws {
        let l = ConvLSTM2D(4, kernel: 3)
        #expect(try l.build(inputShape: [5, 2, 8, 8]) == [4, 6, 6])
        #expect(l.parameterCount == 4 * 4 * (2 * 9) + 4 * 4 * (4 * 9) + 4 * 4)      // Keras's count
        #expect(l.namedParameters.map(\.0) == ["kernel", "recurrentKernel", "bias"])
        #expect(l.bias!.value.doubles == [0, 0, 0, 0, 1, 1, 1, 1] + [Double](repeating: 0, count: 8))
        // Keras's orthogonal recurrent kernel: the (KH·KW·F) × 4F flattening has orthonormal columns.
        let u = l.recurrentKernel!.value.cast(to: .float64).permuted([2, 3, 1, 0]).reshaped(to: [36, 16])
        let gram = matmul(u.transposed(), u).doubles
        expectNear(gram, Tensor.eye(16, 16, dtype: .float64).doubles, rtol: 0, atol: 1e-5)
        let model = Sequential { ConvLSTM2D(2, kernel: 3, padding: .same, returnSequences: true); ConvLSTM2D(3, kernel: 3) }
        _ = try model.build(inputShape: [5, 1, 8, 8])
        let text = model.summary()
        #expect(text.contains("conv_lstm2d (ConvLSTM2D)") && text.contains("conv_lstm2d_1 (ConvLSTM2D)"))
        #expect(text.contains("(None, 5, 2, 8, 8)") && text.contains("(None, 3, 6, 6)"))
        func layerName(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let e as ShapeError { return e.layer } catch { return "other" }
        }
        #expect(layerName { _ = try ConvLSTM2D(2, kernel: 3).build(inputShape: [3, 1, 8]) } == "ConvLSTM2D")
        #expect(layerName { _ = try ConvLSTM2D(2, kernel: 5).build(inputShape: [3, 1, 4, 8]) } == "ConvLSTM2D")
        #expect(layerName { _ = try ConvLSTM2D(2, kernel: 3).build(inputShapes: [[3, 1, 8, 8], [2, 5, 5], [2, 6, 6]]) } == "ConvLSTM2D")
        #expect(layerName { _ = try ConvLSTM1D(2, kernel: 3).build(inputShape: [3, 1, 4, 8]) } == "ConvLSTM1D")
    }

    @Test("Initial states are used (zeros = none); gradients against central differences")
    func initialStatesAndGradients() throws {
        let l = ConvLSTM2D(2, kernel: (2, 2), padding: .same, returnSequences: true)
        _ = try l.build(inputShape: [2, 1, 3, 3])
        setKerasWeights(l, kernelH: 2, kernelW: 2, channels: 1)
        let x = det([1, 2, 1, 3, 3], 0.29, 0.3)
        let zeros = Tensor.zeros([1, 2, 3, 3], dtype: .float64)
        expectNear(l.call([x, zeros, zeros])[0].doubles, l(x).doubles, rtol: 0, atol: 0)
        let h0 = det([1, 2, 3, 3], 0.41, 0.7), c0 = det([1, 2, 3, 3], 0.17, 0.2)
        #expect(!nnIsClose(l.call([x, h0, c0])[0].doubles, l(x).doubles, rtol: 1e-3, atol: 1e-4))

        let m = Sequential { ConvLSTM2D(2, kernel: (2, 2), padding: .same, activation: .elu, returnSequences: true) }
        _ = try m.build(inputShape: [2, 1, 3, 3])
        setFloat64Parameters(m, seed: 31)
        let w = nnTensor([1, 2, 2, 3, 3], nnRandom(36, seed: 12))
        // The convolutions compute in float32 on the CPU, hence the wide step and loose tolerances.
        let (_, grads) = valueWithGradient(at: m) { ($0(x) * w).sum() }
        #expect(grads.names == ["0.kernel", "0.recurrentKernel", "0.bias"])
        let numeric = ModelGradientTests().numericGradients(m, h: 1e-2) { (m(x) * w).sum().item }
        for (k, (g, n)) in zip(grads.tensors, numeric).enumerated() {
            expectNear(g.doubles, n, rtol: 1e-2, atol: 1e-3, "gradient of \(grads.names[k])")
        }
    }

    @Test("dropout / recurrentDropout only in training: inference unchanged, training differs and gradients flow")
    func dropoutInTraining() throws {
        let l = ConvLSTM2D(2, kernel: (3, 3), padding: .same, dropout: 0.3, recurrentDropout: 0.4, generator: RandomGenerator(seed: 3))
        let plain = ConvLSTM2D(2, kernel: (3, 3), padding: .same)
        for layer in [l, plain] {
            _ = try layer.build(inputShape: [3, 2, 4, 4])
            setKerasWeights(layer, kernelH: 3, kernelW: 3, channels: 2)
        }
        let x = det([2, 3, 2, 4, 4], 0.29, 0.3)
        expectNear(l(x).doubles, plain(x).doubles, rtol: 0, atol: 0)
        let (value, grads) = withTrainingMode { valueWithGradient(at: [l.kernel!.value, l.recurrentKernel!.value]) { v -> Tensor in
            l.kernel!.value = v[0]; l.recurrentKernel!.value = v[1]
            return l(x).sum()
        } }
        #expect(Swift.abs(value.item - plain(x).sum().item) > 1e-6)
        #expect(grads.allSatisfy { $0.doubles.contains { $0 != 0 } })
    }
}
