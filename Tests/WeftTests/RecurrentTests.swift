import Testing
@testable import Weft

/// 0.5·sin(a·k + b) over the flat index k (the inputs of RNNReference.swift's generator).
private func det(_ shape: Shape, _ a: Double, _ b: Double, dtype: DType) -> Tensor {
    tensor(shape, (0..<shape.elementCount).map { 0.5 * _sin(a * Double($0) + b) }, dtype: dtype)
}

private func _sin(_ v: Double) -> Double { sin(Tensor(v, dtype: .float64)).item }

private let (N, T, C, H) = (2, 3, 4, 5)

/// Runs the op on the reference inputs (Keras-layout weights) and returns every value and
/// gradient the reference has.
private func runCase(_ cell: RNNCell, dtype: DType, reverse: Bool = false, mask: [[Double]]? = nil,
                     batchFirst: Bool = true) -> [String: [Double]] {
    let g = cell.gates
    let x = det([N, T, C], 0.37, 0.1, dtype: dtype), h0 = det([N, H], 0.53, 0.7, dtype: dtype)
    let c0 = det([N, H], 0.29, 1.3, dtype: dtype)
    let k = det([C, g * H], 0.71, 0.2, dtype: dtype), r = det([H, g * H], 0.43, 0.9, dtype: dtype)
    let b = cell == .gru ? det([2, g * H], 0.61, 0.4, dtype: dtype) : det([g * H], 0.61, 0.4, dtype: dtype)
    let g1 = det([N, T, H], 0.23, 0.5, dtype: dtype), g2 = det([N, H], 0.31, 0.6, dtype: dtype)
    let g3 = det([N, H], 0.19, 0.8, dtype: dtype)
    let m = mask.map { tensor([N, T], $0.flatMap { $0 }, dtype: .float32) }
    var inputs = [x, h0, k, r, b]
    if cell == .lstm { inputs.append(c0) }
    var result: RNNResult! = nil
    let (_, grads) = valueWithGradient(at: inputs) { v -> Tensor in
        // The GRU's four bias vectors from Keras's [2, 3H] (input row, recurrent row).
        var bias = v[4]
        if cell == .gru {
            let bi = v[4].sliced(axis: 0, start: 0, end: 1).reshaped(to: [3 * H])
            let br = v[4].sliced(axis: 0, start: 1, end: 2).reshaped(to: [3 * H])
            bias = concatenate([bi.sliced(axis: 0, start: 0, end: 2 * H) + br.sliced(axis: 0, start: 0, end: 2 * H),
                                bi.sliced(axis: 0, start: 2 * H, end: 3 * H), br.sliced(axis: 0, start: 2 * H, end: 3 * H)])
        }
        let xin = batchFirst ? v[0] : v[0].permuted([1, 0, 2])
        let res = rnn(xin, cell: cell, weightsLayer: v[2], weightsIter: v[3], bias: bias, initialHidden: v[1],
                      initialCell: cell == .lstm ? v[5] : nil, reverse: reverse, batchFirst: batchFirst, mask: m)
        result = res
        let out = batchFirst ? res.output : res.output.permuted([1, 0, 2])
        var loss = (out * g1).sum() + (res.hidden * g2).sum()
        if let c = res.cell { loss = loss + (c * g3).sum() }
        return loss
    }
    var out: [String: [Double]] = [
        "out": (batchFirst ? result.output : result.output.permuted([1, 0, 2])).doubles, "h": result.hidden.doubles,
        "dx": grads[0].doubles, "dh0": grads[1].doubles, "dK": grads[2].doubles, "dR": grads[3].doubles, "dB": grads[4].doubles,
    ]
    if cell == .lstm { out["c"] = result.cell!.doubles; out["dc0"] = grads[5].doubles }
    return out
}

private func expectMatches(_ got: [String: [Double]], _ ref: [String: [Double]], rtol: Double, atol: Double,
                           _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Set(got.keys) == Set(ref.keys), "\(what): keys", sourceLocation: sourceLocation)
    for (key, expected) in ref.sorted(by: { $0.key < $1.key }) {
        expectClose(got[key] ?? [], expected, rtol: rtol, atol: atol, "\(what) \(key)", sourceLocation: sourceLocation)
    }
}

@Suite("Recurrent op (fused oneDNN and composed) against PyTorch")
struct RecurrentTests {
    @Test("LSTM: float32 fused and float64 composed match torch.lstm_cell, values and gradients")
    func lstm() {
        expectMatches(runCase(.lstm, dtype: .float32), RNNReference.lstm, rtol: 1e-4, atol: 1e-5, "fused")
        expectMatches(runCase(.lstm, dtype: .float64), RNNReference.lstm, rtol: 1e-10, atol: 1e-12, "composed")
    }

    @Test("GRU (reset after): fused and composed match torch.gru_cell with Keras's gate order")
    func gru() {
        expectMatches(runCase(.gru, dtype: .float32), RNNReference.gru, rtol: 1e-4, atol: 1e-5, "fused")
        expectMatches(runCase(.gru, dtype: .float64), RNNReference.gru, rtol: 1e-10, atol: 1e-12, "composed")
    }

    @Test("Vanilla tanh RNN: fused and composed match torch.rnn_tanh_cell")
    func vanilla() {
        expectMatches(runCase(.vanillaTanh, dtype: .float32), RNNReference.rnn, rtol: 1e-4, atol: 1e-5, "fused")
        expectMatches(runCase(.vanillaTanh, dtype: .float64), RNNReference.rnn, rtol: 1e-10, atol: 1e-12, "composed")
    }

    @Test("Reverse direction: outputs stay aligned with their inputs")
    func reverse() {
        expectMatches(runCase(.lstm, dtype: .float32, reverse: true), RNNReference.lstmReverse, rtol: 1e-4, atol: 1e-5, "fused lstm")
        expectMatches(runCase(.lstm, dtype: .float64, reverse: true), RNNReference.lstmReverse, rtol: 1e-10, atol: 1e-12, "composed lstm")
        expectMatches(runCase(.gru, dtype: .float32, reverse: true), RNNReference.gruReverse, rtol: 1e-4, atol: 1e-5, "fused gru")
    }

    @Test("Time-major [T, N, C] input gives the same results as batch-first")
    func timeMajor() {
        expectMatches(runCase(.lstm, dtype: .float32, batchFirst: false), RNNReference.lstm, rtol: 1e-4, atol: 1e-5, "fused")
        expectMatches(runCase(.gru, dtype: .float64, batchFirst: false), RNNReference.gru, rtol: 1e-10, atol: 1e-12, "composed")
    }

    @Test("Masks carry the states over masked steps (Keras semantics)")
    func masked() {
        expectMatches(runCase(.lstm, dtype: .float32, mask: [[0, 1, 1], [1, 1, 0]]), RNNReference.lstmMasked,
                      rtol: 1e-4, atol: 1e-5, "float32 lstm")
        expectMatches(runCase(.gru, dtype: .float64, mask: [[0, 0, 1], [1, 0, 1]]), RNNReference.gruMasked,
                      rtol: 1e-10, atol: 1e-12, "float64 gru")
    }

    @Test("Composed float64 path: gradients match central finite differences")
    func finiteDifferences() {
        for cell in [RNNCell.lstm, .gru, .gruResetBefore, .vanillaTanh] {
            let g = cell.gates, h = 3
            let x = det([2, 3, 2], 0.3, 0.2, dtype: .float64), h0 = det([2, h], 0.5, 0.1, dtype: .float64)
            let k = det([2, g * h], 0.7, 0.3, dtype: .float64), r = det([h, g * h], 0.4, 0.8, dtype: .float64)
            let b = det([cell.biasGates * h], 0.6, 0.5, dtype: .float64)
            // Per-gate dropout masks (0 or 1/(1 − 0.25)), input and recurrent.
            let im = tensor([g, 2, 2], (0..<(4 * g)).map { $0 % 3 == 1 ? 0 : 4.0 / 3 })
            let rm = tensor([g, 2, h], (0..<(2 * h * g)).map { $0 % 4 == 2 ? 0 : 4.0 / 3 })
            for masks in [nil, RNNGateMasks(input: im, recurrent: rm)] {
                checkGradients({ v in
                    let res = rnn(v[0], cell: cell, weightsLayer: v[2], weightsIter: v[3], bias: v[4], initialHidden: v[1], gateMasks: masks)
                    return concatenate([res.output.flattened(startAxis: 0), res.hidden.flattened(startAxis: 0)])
                }, at: [x, h0, k, r, b], rtol: 1e-6, atol: 1e-8, "\(cell) masks \(masks != nil)")
            }
        }
    }

    @Test("GRU with the reset before the recurrent matmul: fused float32 values and gradients equal composed float64")
    func gruResetBefore() {
        let cfg: [(reverse: Bool, batchFirst: Bool)] = [(false, true), (true, true), (false, false)]
        for (reverse, batchFirst) in cfg {
            let x = det(batchFirst ? [3, 5, 4] : [5, 3, 4], 0.37, 0.1, dtype: .float64), h0 = det([3, 6], 0.53, 0.7, dtype: .float64)
            let k = det([4, 18], 0.71, 0.2, dtype: .float64), r = det([6, 18], 0.43, 0.9, dtype: .float64), b = det([18], 0.61, 0.4, dtype: .float64)
            let go = det(batchFirst ? [3, 5, 6] : [5, 3, 6], 0.23, 0.5, dtype: .float64), gh = det([3, 6], 0.31, 0.6, dtype: .float64)
            func run(_ dt: DType) -> (Tensor, Tensor, [Tensor]) {
                var res: RNNResult! = nil
                let (_, grads) = valueWithGradient(at: [x, h0, k, r, b].map { $0.cast(to: dt) }) { v -> Tensor in
                    res = rnn(v[0], cell: .gruResetBefore, weightsLayer: v[2], weightsIter: v[3], bias: v[4], initialHidden: v[1],
                              reverse: reverse, batchFirst: batchFirst)
                    return (res.output * go.cast(to: dt)).sum() + (res.hidden * gh.cast(to: dt)).sum()
                }
                return (res.output, res.hidden, grads)
            }
            let fused = run(.float32), composed = run(.float64)
            let what = "reverse \(reverse) batchFirst \(batchFirst)"
            expectClose(fused.0.doubles, composed.0.doubles, rtol: 1e-5, atol: 1e-6, "\(what) output")
            expectClose(fused.1.doubles, composed.1.doubles, rtol: 1e-5, atol: 1e-6, "\(what) hidden")
            for (i, name) in ["dx", "dh0", "dK", "dR", "dB"].enumerated() {
                expectClose(fused.2[i].doubles, composed.2[i].doubles, rtol: 1e-4, atol: 1e-5, "\(what) \(name)")
            }
        }
    }

    @Test("Fused LSTM in inference (no gradient) equals the training forward")
    func inference() {
        let x = det([3, 7, 4], 0.37, 0.1, dtype: .float32)
        let k = det([4, 4 * 6], 0.71, 0.2, dtype: .float32), r = det([6, 4 * 6], 0.43, 0.9, dtype: .float32)
        let b = det([4 * 6], 0.61, 0.4, dtype: .float32)
        let plain = rnn(x, cell: .lstm, weightsLayer: k, weightsIter: r, bias: b)
        let composed = rnn(x.cast(to: .float64), cell: .lstm, weightsLayer: k.cast(to: .float64), weightsIter: r.cast(to: .float64),
                           bias: b.cast(to: .float64))
        expectClose(plain.output.doubles, composed.output.doubles, rtol: 1e-5, atol: 1e-6)
        let (_, gk) = valueWithGradient(at: k) { kv in rnn(x, cell: .lstm, weightsLayer: kv, weightsIter: r, bias: b).hidden.sum() }
        let (_, gk2) = valueWithGradient(at: k.cast(to: .float64)) { kv in
            rnn(x.cast(to: .float64), cell: .lstm, weightsLayer: kv, weightsIter: r.cast(to: .float64), bias: b.cast(to: .float64)).hidden.sum()
        }
        expectClose(gk.doubles, gk2.doubles, rtol: 1e-4, atol: 1e-5, "weight gradient from the last state only")
        // A second backward call must not accumulate into the previous call's weight gradients.
        let (_, gk3) = valueWithGradient(at: k) { kv in rnn(x, cell: .lstm, weightsLayer: kv, weightsIter: r, bias: b).hidden.sum() }
        expectClose(gk3.doubles, gk.doubles, rtol: 1e-6, atol: 1e-7, "repeatable")
    }
}
