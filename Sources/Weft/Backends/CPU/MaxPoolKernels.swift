// 2-D max pooling on plain NCHW float32 buffers, forward and backward, written here rather than
// through oneDNN: oneDNN 2.x pools a plain NCHW tensor with its `simple_nchw` implementation,
// which took ~14 % of a cifar10-vgg training step (two 2×2 poolings of 64×50×32×32 and
// 64×100×16×16), while this loop runs at memory speed. Average pooling stays on oneDNN.
//
// The training forward records, per output, the arg-max's offset inside its window
// (kh·KW + kw, one byte: windows of at most 256 elements); the backward adds each output's
// gradient at that position. Semantics are PyTorch's `max_pool2d`: the first maximum in
// row-major window order wins ties, a NaN propagates (the last NaN of the window is taken),
// padded cells never win.

enum NativeMaxPool {
    /// Max pooling with windows small enough for one-byte arg-max offsets.
    static func handles(_ c: Pool2DConfig) -> Bool { c.kind == .max && c.kernelH * c.kernelW <= 256 }

    /// Bytes of the arg-max workspace: one per output element.
    static func workspaceBytes(_ c: Pool2DConfig) -> Int { c.outputCount }

    /// dst[N, C, OH, OW] = max over each window of src[N, C, H, W]; with `argmax`, each
    /// output's offset inside its window.
    static func forward(_ c: Pool2DConfig, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>,
                        argmax: UnsafeMutablePointer<UInt8>?) {
        let (h, w, oh, ow) = (c.height, c.width, c.outHeight, c.outWidth)
        let planes = c.batch * c.channels
        let simple = c.kernelH == 2 && c.kernelW == 2 && c.strideH == 2 && c.strideW == 2
            && c.padTop == 0 && c.padLeft == 0 && c.padBottom == 0 && c.padRight == 0
        parallelChunks(planes, costPerItem: oh * ow * c.kernelH * c.kernelW) { range in
            for p in range {
                let x = src + p * h * w, y = dst + p * oh * ow, a = argmax.map { $0 + p * oh * ow }
                if simple {
                    pool2x2(x, y, a, width: w, outHeight: oh, outWidth: ow)
                } else {
                    poolGeneral(c, x, y, a)
                }
            }
        }
    }

    /// The 2×2 stride-2 unpadded case (every window lies inside the input).
    @inline(__always)
    private static func pool2x2(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ a: UnsafeMutablePointer<UInt8>?,
                                width w: Int, outHeight oh: Int, outWidth ow: Int) {
        for i in 0..<oh {
            let r0 = x + 2 * i * w, r1 = r0 + w, yo = y + i * ow
            if let a {
                let ao = a + i * ow
                for j in 0..<ow {
                    var best = r0[2 * j], at: UInt8 = 0
                    let v1 = r0[2 * j + 1], v2 = r1[2 * j], v3 = r1[2 * j + 1]
                    if v1 > best || v1.isNaN { best = v1; at = 1 }
                    if v2 > best || v2.isNaN { best = v2; at = 2 }
                    if v3 > best || v3.isNaN { best = v3; at = 3 }
                    yo[j] = best
                    ao[j] = at
                }
            } else {
                for j in 0..<ow {
                    var best = r0[2 * j]
                    let v1 = r0[2 * j + 1], v2 = r1[2 * j], v3 = r1[2 * j + 1]
                    if v1 > best || v1.isNaN { best = v1 }
                    if v2 > best || v2.isNaN { best = v2 }
                    if v3 > best || v3.isNaN { best = v3 }
                    yo[j] = best
                }
            }
        }
    }

    /// Any window, stride and padding (padded cells are skipped; every window holds at least
    /// one input cell, since the padding is smaller than the kernel).
    private static func poolGeneral(_ c: Pool2DConfig, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                    _ a: UnsafeMutablePointer<UInt8>?) {
        let (h, w, oh, ow, kh, kw) = (c.height, c.width, c.outHeight, c.outWidth, c.kernelH, c.kernelW)
        for i in 0..<oh {
            let h0 = i * c.strideH - c.padTop
            let rLo = Swift.max(0, -h0), rHi = Swift.min(kh, h - h0)
            for j in 0..<ow {
                let w0 = j * c.strideW - c.padLeft
                let cLo = Swift.max(0, -w0), cHi = Swift.min(kw, w - w0)
                var best = -Float.infinity, at = rLo * kw + cLo
                for r in rLo..<rHi {
                    let row = x + (h0 + r) * w + w0
                    for q in cLo..<cHi {
                        let v = row[q]
                        if v > best || v.isNaN { best = v; at = r * kw + q }
                    }
                }
                y[i * ow + j] = best
                a?[i * ow + j] = UInt8(truncatingIfNeeded: at)
            }
        }
    }

    /// diffSrc[N, C, H, W] (overwritten) from diffDst[N, C, OH, OW] and the forward's arg-max.
    static func backward(_ c: Pool2DConfig, diffDst: UnsafePointer<Float>, diffSrc: UnsafeMutablePointer<Float>,
                         argmax: UnsafePointer<UInt8>) {
        let (h, w, oh, ow, kw) = (c.height, c.width, c.outHeight, c.outWidth, c.kernelW)
        let planes = c.batch * c.channels
        parallelChunks(planes, costPerItem: h * w + oh * ow) { range in
            for p in range {
                let dx = diffSrc + p * h * w, dy = diffDst + p * oh * ow, a = argmax + p * oh * ow
                dx.initialize(repeating: 0, count: h * w)
                for i in 0..<oh {
                    let h0 = i * c.strideH - c.padTop
                    for j in 0..<ow {
                        let at = Int(a[i * ow + j]), r = kw == 2 ? at >> 1 : at / kw, q = at - r * kw
                        dx[(h0 + r) * w + j * c.strideW - c.padLeft + q] += dy[i * ow + j]
                    }
                }
            }
        }
    }
}
