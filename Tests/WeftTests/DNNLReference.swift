// Naive reference loops (NCHW / OIHW, float accumulated in Double).

@testable import Weft

struct LCG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 11) / Double(1 << 53)) * 2 - 1   // [-1, 1)
    }
    mutating func array(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

enum Ref {
    /// Calls `body(n, o, oh, ow, srcIndex, weightIndex)` for every valid tap.
    static func forEachTap(_ c: Conv2DConfig, _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let cg = c.inChannels / c.groups, og = c.outChannels / c.groups
        let oh = c.outHeight, ow = c.outWidth
        for n in 0..<c.batch {
            for o in 0..<c.outChannels {
                let g = o / og
                for y in 0..<oh {
                    for x in 0..<ow {
                        for ci in 0..<cg {
                            let cin = g * cg + ci
                            for kh in 0..<c.kernelH {
                                let ih = y * c.strideH - c.padTop + kh * c.dilationH
                                if ih < 0 || ih >= c.height { continue }
                                for kw in 0..<c.kernelW {
                                    let iw = x * c.strideW - c.padLeft + kw * c.dilationW
                                    if iw < 0 || iw >= c.width { continue }
                                    let si = ((n * c.inChannels + cin) * c.height + ih) * c.width + iw
                                    let wi = ((o * cg + ci) * c.kernelH + kh) * c.kernelW + kw
                                    body(n, o, y, x, si, wi)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func dstIndex(_ c: Conv2DConfig, _ n: Int, _ o: Int, _ y: Int, _ x: Int) -> Int {
        ((n * c.outChannels + o) * c.outHeight + y) * c.outWidth + x
    }

    static func convForward(_ c: Conv2DConfig, src: [Float], w: [Float], bias: [Float]?) -> [Float] {
        var acc = [Double](repeating: 0, count: c.outputCount)
        forEachTap(c) { n, o, y, x, si, wi in
            acc[dstIndex(c, n, o, y, x)] += Double(src[si]) * Double(w[wi])
        }
        var out = [Float](repeating: 0, count: c.outputCount)
        let plane = c.outHeight * c.outWidth
        for i in 0..<out.count {
            var v = acc[i]
            if let bias { v += Double(bias[(i / plane) % c.outChannels]) }
            if c.fuseReLU { v = max(v, 0) }
            out[i] = Float(v)
        }
        return out
    }

    static func convBackwardData(_ c: Conv2DConfig, diffDst: [Float], w: [Float]) -> [Float] {
        var acc = [Double](repeating: 0, count: c.inputCount)
        forEachTap(c) { n, o, y, x, si, wi in
            acc[si] += Double(diffDst[dstIndex(c, n, o, y, x)]) * Double(w[wi])
        }
        return acc.map { Float($0) }
    }

    static func convBackwardWeights(_ c: Conv2DConfig, src: [Float], diffDst: [Float]) -> (dw: [Float], db: [Float]) {
        var acc = [Double](repeating: 0, count: c.weightCount)
        forEachTap(c) { n, o, y, x, si, wi in
            acc[wi] += Double(diffDst[dstIndex(c, n, o, y, x)]) * Double(src[si])
        }
        var db = [Double](repeating: 0, count: c.outChannels)
        let plane = c.outHeight * c.outWidth
        for i in 0..<c.outputCount { db[(i / plane) % c.outChannels] += Double(diffDst[i]) }
        return (acc.map { Float($0) }, db.map { Float($0) })
    }

    /// Pooling forward and backward (gradient of `diffDst` routed back).
    static func pool(_ c: Pool2DConfig, src: [Float], diffDst: [Float]) -> (dst: [Float], diffSrc: [Float]) {
        var dst = [Float](repeating: 0, count: c.outputCount)
        var diffSrc = [Double](repeating: 0, count: c.inputCount)
        for n in 0..<c.batch {
            for ch in 0..<c.channels {
                let base = (n * c.channels + ch) * c.height * c.width
                for y in 0..<c.outHeight {
                    for x in 0..<c.outWidth {
                        let di = ((n * c.channels + ch) * c.outHeight + y) * c.outWidth + x
                        var taps: [Int] = []
                        for kh in 0..<c.kernelH {
                            let ih = y * c.strideH - c.padTop + kh
                            if ih < 0 || ih >= c.height { continue }
                            for kw in 0..<c.kernelW {
                                let iw = x * c.strideW - c.padLeft + kw
                                if iw < 0 || iw >= c.width { continue }
                                taps.append(base + ih * c.width + iw)
                            }
                        }
                        switch c.kind {
                        case .max:
                            var best = taps[0]
                            for t in taps where src[t] > src[best] { best = t }
                            dst[di] = src[best]
                            diffSrc[best] += Double(diffDst[di])
                        case .avgIncludePadding, .avgExcludePadding:
                            let count = c.kind == .avgIncludePadding ? c.kernelH * c.kernelW : taps.count
                            var s = 0.0
                            for t in taps { s += Double(src[t]) }
                            dst[di] = Float(s / Double(count))
                            for t in taps { diffSrc[t] += Double(diffDst[di]) / Double(count) }
                        }
                    }
                }
            }
        }
        return (dst, diffSrc.map { Float($0) })
    }
}

/// max |a - b| relative to max(1, max |b|).
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "size mismatch \(a.count) vs \(b.count)")
    var diff: Float = 0, scale: Float = 1
    for i in a.indices {
        diff = max(diff, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    return diff / scale
}
