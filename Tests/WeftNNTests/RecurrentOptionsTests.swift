import Foundation
import Testing
@testable import Weft
@testable import WeftNN

// Keras 3 parity for GRU(reset_after=False) and the recurrent layers' dropout / recurrent_dropout.
// The references (KerasRNNReference.swift) come from Keras 3.15.1 on its torch backend in float64,
// with the same deterministic weights and inputs as here and the dropout masks below preset in the
// Keras cells (`cell._dropout_mask`, `cell._recurrent_dropout_mask`), by this script. Keras computed
// parts of these in float32 (its results agree with Weft's float64 to about 1e-7, not 1e-12):
//
//   det(shape, a, b) = 0.5·sin(a·i + b) over the flat index i
//   mask(shape, rate, k) = 0 where (7·i + k) mod 5 == 0, else 1/(1 − rate)
//   layer.set_weights([det([C, G·H], .37, .1), det([H, G·H], .53, .2), det(bias, .61, .4)])
//   cell._dropout_mask = [mask([N, C], .3, g) for g in gates]       (SimpleRNN: one mask, k = 0)
//   cell._recurrent_dropout_mask = [mask([N, H], .4, 10 + g) …]     (SimpleRNN: k = 10)
//   y = layer(det([N, T, C], .29, .3), training=True)

private let (N, T, C, H) = (2, 3, 4, 5)

private func det(_ shape: Shape, _ a: Double, _ b: Double, dtype: DType = .float64) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { 0.5 * Foundation.sin(a * Double($0) + b) }, dtype: dtype)
}

private func gateMask(gates: Int, _ width: Int, rate: Double, offset: Int, dtype: DType = .float64) -> Tensor {
    let per = N * width
    var values: [Double] = []
    for g in 0..<gates {
        for i in 0..<per {
            let dropped = (7 * i + offset + g) % 5 == 0
            values.append(dropped ? 0 : 1 / (1 - rate))
        }
    }
    return nnTensor([gates, N, width], values, dtype: dtype)
}

/// A built layer with the reference weights.
private func referenceLayer<L: RecurrentLayer>(_ layer: L, dtype: DType) throws -> L {
    _ = try layer.build(inputShape: [T, C])
    let g = layer.cell.gates
    layer.kernel!.value = det([C, g * H], 0.37, 0.1, dtype: dtype)
    layer.recurrentKernel!.value = det([H, g * H], 0.53, 0.2, dtype: dtype)
    layer.bias!.value = det(layer.bias!.value.shape, 0.61, 0.4, dtype: dtype)
    return layer
}

/// The op run with the layer's weights and the reference masks, as the layer would in training.
private func withReferenceMasks(_ layer: any RecurrentLayer, dtype: DType) -> Tensor {
    let g = layer.cell.gates
    let x = det([N, T, C], 0.29, 0.3, dtype: dtype)
    let masks = RNNGateMasks(input: gateMask(gates: g, C, rate: 0.3, offset: 0, dtype: dtype),
                             recurrent: gateMask(gates: g, H, rate: 0.4, offset: 10, dtype: dtype))
    return rnn(x, cell: layer.cell, weightsLayer: layer.kernel!.value, weightsIter: layer.recurrentKernel!.value,
               bias: layer.opBias(dtype: dtype), gateMasks: masks).output
}

@Suite("Recurrent layer options: GRU reset_after=False and dropout against Keras, stateful layers")
struct RecurrentOptionsTests {
    @Test("GRU(resetAfter: false): Keras's [3H] bias; fused float32 and composed float64 match Keras 3")
    func gruResetBefore() throws {
        let x64 = det([N, T, C], 0.29, 0.3)
        let g64 = try referenceLayer(GRU(H, returnSequences: true, resetAfter: false), dtype: .float64)
        #expect(g64.bias!.value.shape == [3 * H])
        #expect(g64.parameterCount == 3 * (C * H + H * H + H))
        #expect(!g64.resetAfter && GRU(H).resetAfter)
        expectNear(g64(x64).doubles, KerasRNNReference.gruResetBefore, rtol: 1e-6, atol: 1e-7)
        let g32 = try referenceLayer(GRU(H, returnSequences: true, resetAfter: false), dtype: .float32)
        expectNear(g32(x64.cast(to: .float32)).doubles, KerasRNNReference.gruResetBefore, rtol: 1e-4, atol: 1e-5)
        // The reset-after GRU with the same kernels computes something else.
        let after = try referenceLayer(GRU(H, returnSequences: true), dtype: .float64)
        after.bias!.value = nnTensor([2, 3 * H], g64.bias!.value.doubles + [Double](repeating: 0, count: 3 * H))
        #expect(!nnIsClose(after(x64).doubles, KerasRNNReference.gruResetBefore, rtol: 1e-3, atol: 1e-4))
        // Bidirectional keeps the formulation in the backward copy.
        let bi = Bidirectional(GRU(H, resetAfter: false))
        #expect((bi.backwardLayer as? GRU)?.resetAfter == false)
    }

    @Test("Per-gate dropout masks in the op reproduce Keras's recurrent_dropout cells (GRU both ways, LSTM, SimpleRNN)")
    func gateMasks() throws {
        let cases: [(any RecurrentLayer, [Double])] = [
            (try referenceLayer(GRU(H, returnSequences: true, resetAfter: false), dtype: .float64), KerasRNNReference.gruResetBeforeDropout),
            (try referenceLayer(GRU(H, returnSequences: true), dtype: .float64), KerasRNNReference.gruDropout),
            (try referenceLayer(LSTM(H, returnSequences: true), dtype: .float64), KerasRNNReference.lstmDropout),
        ]
        for (layer, ref) in cases {
            expectNear(withReferenceMasks(layer, dtype: .float64).doubles, ref, rtol: 1e-6, atol: 1e-7, "\(layer.cell)")
            expectNear(withReferenceMasks(layer, dtype: .float32).doubles, ref, rtol: 1e-4, atol: 1e-5, "\(layer.cell) float32")
        }
        // SimpleRNN has one gate: Keras's single masks are the op's [1, N, ·] masks.
        let s = try referenceLayer(SimpleRNN(H, returnSequences: true), dtype: .float64)
        expectNear(withReferenceMasks(s, dtype: .float64).doubles, KerasRNNReference.simpleDropout, rtol: 1e-6, atol: 1e-7)
    }

    @Test("Layers draw their masks only in training: dropout alone is one [N, 1, C] input mask on the fused path")
    func layerDropout() throws {
        let x = det([N, T, C], 0.29, 0.3, dtype: .float32)
        var o = RecurrentOptions()
        o.generator = RandomGenerator(seed: 7)
        let l = try referenceLayer(LSTM(H, returnSequences: true, dropout: 0.5, options: o), dtype: .float32)
        let plain = try referenceLayer(LSTM(H, returnSequences: true), dtype: .float32)
        // Inference: no dropout.
        expectNear(l(x).doubles, plain(x).doubles, rtol: 0, atol: 0)
        // Training: the same as the plain layer on x times the mask the generator draws.
        let trained = withTrainingMode { l(x) }
        let mask = dropout(Tensor.ones([N, 1, C], dtype: .float32), rate: 0.5, training: true, generator: RandomGenerator(seed: 7))
        #expect(Set(mask.doubles) == [0, 2])
        expectNear(trained.doubles, plain(x * mask).doubles, rtol: 1e-6, atol: 1e-7)
        #expect(!nnIsClose(trained.doubles, plain(x).doubles, rtol: 1e-3, atol: 1e-4), "training must drop something")
    }

    @Test("recurrentDropout in training: per-gate masks from the generator, gradients flow, inference unchanged")
    func layerRecurrentDropout() throws {
        let x = det([N, T, C], 0.29, 0.3)
        var o = RecurrentOptions()
        o.generator = RandomGenerator(seed: 11)
        let g = try referenceLayer(GRU(H, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4, options: o), dtype: .float64)
        let plain = try referenceLayer(GRU(H, returnSequences: true), dtype: .float64)
        expectNear(g(x).doubles, plain(x).doubles, rtol: 0, atol: 0)
        let (out, grads) = withTrainingMode { valueWithGradient(at: [g.kernel!.value, g.recurrentKernel!.value]) { v -> Tensor in
            g.kernel!.value = v[0]; g.recurrentKernel!.value = v[1]
            return (g(x) * det([N, T, H], 0.23, 0.5)).sum()
        } }
        // The same masks drawn again from a fresh generator give the same result through the op.
        let gen = RandomGenerator(seed: 11)
        let im = dropout(Tensor.ones([3, N, C], dtype: .float64), rate: 0.3, training: true, generator: gen)
        let rm = dropout(Tensor.ones([3, N, H], dtype: .float64), rate: 0.4, training: true, generator: gen)
        let ref = rnn(x, cell: .gru, weightsLayer: g.kernel!.value, weightsIter: g.recurrentKernel!.value, bias: g.opBias(dtype: .float64),
                      gateMasks: RNNGateMasks(input: im, recurrent: rm)).output
        expectNear([out.item], [(ref * det([N, T, H], 0.23, 0.5)).sum().item], rtol: 1e-12, atol: 1e-12)
        #expect(grads.allSatisfy { $0.doubles.contains { $0 != 0 } })
        #expect(GRU(3, recurrentDropout: 0.2).options.recurrentDropout == 0.2 && GRU(3).options.recurrentDropout == 0)
    }

    @Test("stateful: two calls on the halves of a sequence equal one call on the whole; resetStates starts over")
    func stateful() throws {
        let x = det([N, 6, C], 0.29, 0.3)
        let whole = try referenceLayer(LSTM(H, returnSequences: true), dtype: .float64)
        let s = try referenceLayer(LSTM(H, returnSequences: true, stateful: true), dtype: .float64)
        let first = x.sliced(axis: 1, start: 0, end: 3), second = x.sliced(axis: 1, start: 3, end: 6)
        let y = whole(x)
        expectNear(s(first).doubles, y.sliced(axis: 1, start: 0, end: 3).doubles, rtol: 1e-12, atol: 1e-12, "first half")
        expectNear(s(second).doubles, y.sliced(axis: 1, start: 3, end: 6).doubles, rtol: 1e-12, atol: 1e-12, "second half")
        #expect(s.carriedStates?.count == 2)
        s.resetStates()
        #expect(s.carriedStates == nil)
        expectNear(s(second).doubles, whole(second).doubles, rtol: 1e-12, atol: 1e-12, "after resetStates")
        // Not stateful: nothing is carried.
        #expect(whole.carriedStates == nil)
        // Bidirectional carries both directions' states.
        let bi = Bidirectional(GRU(H, stateful: true))
        _ = bi(first)
        #expect((bi.forwardLayer as? GRU)?.carriedStates?.count == 1 && (bi.backwardLayer as? GRU)?.carriedStates?.count == 1)
    }

    /// Keras 3.15.1 (torch backend, float64): RNN(LSTMCell(2), return_sequences=True,
    /// zero_output_for_mask=True, go_backwards=…) and LSTM(2, return_sequences=True, go_backwards=…)
    /// on x = 0.5·sin(0.37·k + 0.2) [2, 4, 3], mask [[T, T, F, T], [T, F, F, F]], kernel
    /// 0.5·sin(0.9·k + 0.1) [3, 8], recurrent kernel 0.5·sin(0.5·k + 0.4) [2, 8], bias 0.5·sin(1.3·k + 0.6)
    /// (the layer runs the fused float32 kernel: 1e-6).
    @Test func zeroOutputForMask() {
        let x = kerasDet([2, 4, 3], 0.37, 0.2)
        let mask = Tensor(shape: [2, 4], scalars: [true, true, false, true, true, false, false, false])
        for (backwards, zeroed, carried) in [(false, [-0.19448404141446457, 0.08880916859389257, -0.34055649323080917, 0.024175078054533988, 0.0, 0.0, -0.14425432832991728, 0.10110199002294659, 0.0738577088428551, 0.11100364713622095, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [-0.19448404141446457, 0.08880916859389257, -0.34055649323080917, 0.024175078054533988, -0.34055649323080917, 0.024175078054533988, -0.14425432832991728, 0.10110199002294659, 0.0738577088428551, 0.11100364713622095, 0.0738577088428551, 0.11100364713622095, 0.0738577088428551, 0.11100364713622095, 0.0738577088428551, 0.11100364713622095]),
                                             (true, [0.038584568268948946, 0.09861426002855013, 0.0, 0.0, -0.22877468330423958, 0.05755372101235463, -0.30870397008388367, 0.10206118948511325, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0738577088428551, 0.11100364713622095], [0.038584568268948946, 0.09861426002855013, 0.038584568268948946, 0.09861426002855013, -0.22877468330423958, 0.05755372101235463, -0.30870397008388367, 0.10206118948511325, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0738577088428551, 0.11100364713622095])] {
            for zero in [true, false] {
                var o = RecurrentOptions()
                o.zeroOutputForMask = zero
                let l = LSTM(2, returnSequences: true, goBackwards: backwards, options: o)
                _ = try? l.build(inputShape: [4, 3])
                l.kernel!.value = kerasDet([3, 8], 0.9, 0.1); l.recurrentKernel!.value = kerasDet([2, 8], 0.5, 0.4)
                l.bias!.value = kerasDet([8], 1.3, 0.6)
                expectNear(l(x, mask: mask).doubles, zero ? zeroed : carried, rtol: 0, atol: 1e-6, "backwards \(backwards), zero \(zero)")
            }
        }
    }
}
