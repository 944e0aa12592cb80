// The hand-written NCHW max pooling (MaxPoolKernels.swift) against oneDNN's max pooling on the
// same buffers, and PyTorch's tie and NaN rules.

import Testing
@testable import Weft

/// Distinct values (no ties) from a fixed linear congruential sequence.
private func distinctValues(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 6364136223846793005 &+ 1442695040888963407
    var used = Set<UInt32>()
    var out: [Float] = []
    while out.count < n {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        let k = UInt32(truncatingIfNeeded: s >> 40) % 1_000_000
        if used.insert(k).inserted { out.append(Float(k) / 1000 - 500) }
    }
    return out
}

@Suite("Max pooling kernel")
struct MaxPoolKernelTests {
    static let configs: [Pool2DConfig] = [
        Pool2DConfig(batch: 2, channels: 3, height: 8, width: 6, kernel: 2, stride: 2, kind: .max),      // the 2×2 fast path
        Pool2DConfig(batch: 2, channels: 3, height: 7, width: 9, kernel: 2, stride: 2, kind: .max),      // odd sizes, last row/column dropped
        Pool2DConfig(batch: 1, channels: 2, height: 9, width: 9, kernel: 3, stride: 2, padding: 1, kind: .max),  // ResNet's stem pooling
        Pool2DConfig(batch: 1, channels: 2, height: 6, width: 7, kernel: 3, stride: 1, kind: .max),      // overlapping windows
        Pool2DConfig(batch: 1, channels: 1, height: 5, width: 5, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2,
                     padBottom: 1, padRight: 1, kind: .max),                                              // Keras "same"
        Pool2DConfig(batch: 1, channels: 2, height: 7, width: 10, kernelH: 2, kernelW: 3, strideH: 1, strideW: 2,
                     padTop: 1, padLeft: 0, padBottom: 1, padRight: 2, kind: .max),                       // rectangular, uneven padding
    ]

    @Test("Forward (training and inference) and backward equal oneDNN's", arguments: configs)
    func matchesOneDNN(_ c: Pool2DConfig) {
        #expect(NativeMaxPool.handles(c))
        let x = distinctValues(c.inputCount, seed: UInt64(c.inputCount))
        let g = distinctValues(c.outputCount, seed: 7).map { $0 / 100 }
        var nativeOut = [Float](repeating: .nan, count: c.outputCount), refOut = nativeOut, inferOut = nativeOut
        var argmax = [UInt8](repeating: 0, count: NativeMaxPool.workspaceBytes(c))
        var refWorkspace = [UInt8](repeating: 0, count: Swift.max(DNNLPool.workspaceBytes(c), 1))
        var nativeGrad = [Float](repeating: .nan, count: c.inputCount), refGrad = nativeGrad
        x.withUnsafeBufferPointer { xp in
            NativeMaxPool.forward(c, src: xp.baseAddress!, dst: &nativeOut, argmax: &argmax)
            NativeMaxPool.forward(c, src: xp.baseAddress!, dst: &inferOut, argmax: nil)
            refWorkspace.withUnsafeMutableBytes { ws in DNNLPool.forward(c, src: xp.baseAddress!, dst: &refOut, workspace: ws.baseAddress!) }
        }
        #expect(nativeOut == refOut, "\(c) forward")
        #expect(inferOut == refOut, "\(c) inference forward")
        g.withUnsafeBufferPointer { gp in
            NativeMaxPool.backward(c, diffDst: gp.baseAddress!, diffSrc: &nativeGrad, argmax: argmax)
            refWorkspace.withUnsafeBytes { ws in DNNLPool.backward(c, diffDst: gp.baseAddress!, diffSrc: &refGrad, workspace: ws.baseAddress!) }
        }
        expectClose(nativeGrad.map(Double.init), refGrad.map(Double.init), rtol: 1e-6, atol: 1e-7, "\(c) backward")
    }

    @Test("PyTorch's rules: the first maximum takes a tie's gradient, NaN propagates, padding never wins")
    func tiesAndNaN() {
        // 1 × 1 × 2 × 4, windows 2×2: [3, 1 | 3, 0] ties at offsets 0 and 2; [nan, 2 | 5, nan].
        let x = tensor32([1, 1, 2, 4], [3, 1, Float.nan, 2,
                                        3, 0, 5, Float.nan]).requiringGradient()
        let y = maxPool2d(x, kernel: (2, 2))
        let v = y.floats
        #expect(v[0] == 3 && v[1].isNaN)
        let gx = gradients(of: (y * tensor32([1, 1, 1, 2], [10, 20])).sum(), wrt: [x])[0].floats
        // The tie's gradient goes to the first 3 (row-major); the NaN window's to its last NaN.
        #expect(gx[0] == 10 && gx[4] == 0 && gx[1] == 0 && gx[5] == 0)
        #expect(gx[7] == 20 && gx[2] == 0 && gx[3] == 0 && gx[6] == 0)
        // All-negative input with padding: the padded cells (−∞) never win.
        let n = tensor32([1, 1, 3, 3], (0..<9).map { -1 - Float($0) })
        let p = maxPool2d(n, kernel: (3, 3), stride: (2, 2), padding: .explicit(1, 1)).floats
        #expect(p == [-1, -2, -4, -5])   // (zero padding would give 0s)
    }
}
