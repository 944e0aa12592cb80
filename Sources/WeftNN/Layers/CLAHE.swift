import Weft

/// Keras `ContrastLimitedAdaptiveHistogramEqualization` (CLAHE) on channels-first images
/// [N, C, H, W] in `valueRange`: on the 0…255 scale, each image and channel is cut into
/// `tileGridSize` (rows, columns) tiles of ⌈H/rows⌉ × ⌈W/columns⌉ pixels (the image padded
/// symmetrically at the bottom and right to fill them); each tile's 256-bin histogram of the
/// truncated values is clipped at `clipLimit`·(tile pixels)/256 with the excess spread evenly
/// over the bins, and turned into the mapping 255·(cdf − cdf₀)/(tile pixels − cdf₀); every pixel
/// is mapped through its four nearest tiles' mappings, blended bilinearly by its distance to the
/// tile centres (edge tiles repeated). Always applied (training and inference), as Keras.
public final class ContrastLimitedAdaptiveHistogramEqualization: Layer, PixelAugmentation {
    public let valueRange: (Double, Double)
    public let clipLimit: Double
    public let tileGridSize: (rows: Int, columns: Int)

    public init(valueRange: (Double, Double) = (0, 255), clipLimit: Double = 4, tileGridSize: (Int, Int) = (8, 8)) {
        precondition(tileGridSize.0 > 0 && tileGridSize.1 > 0, "ContrastLimitedAdaptiveHistogramEqualization: the tile grid needs at least one tile each way, got \(tileGridSize)")
        self.valueRange = sortedRange(valueRange)
        self.clipLimit = clipLimit
        self.tileGridSize = tileGridSize
    }

    public func build(inputShape s: Shape) throws -> Shape {
        try checkImages("ContrastLimitedAdaptiveHistogramEqualization", s)
        return s
    }

    /// numpy's "symmetric" index (… c b a | a b c | c b a …) into 0..<size.
    private func symmetric(_ i: Int, _ size: Int) -> Int {
        let period = 2 * size, m = ((i % period) + period) % period
        return m < size ? m : period - 1 - m
    }

    /// The per-tile mappings of one plane of 0…255 values (padded to the tile grid):
    /// [(rows + 2) × (columns + 2) tiles, edge tiles repeated] × 256.
    private func tileMappings(_ p: [Double], paddedWidth wp: Int, tileHeight th: Int, tileWidth tw: Int) -> [[Double]] {
        let (gh, gw) = tileGridSize, area = Double(th * tw)
        var maps = [[Double]](repeating: [], count: gh * gw)
        for ty in 0..<gh {
            for tx in 0..<gw {
                var hist = [Double](repeating: 0, count: 256)
                for r in (ty * th)..<((ty + 1) * th) {
                    for c in (tx * tw)..<((tx + 1) * tw) {
                        hist[Swift.min(Swift.max(Int(p[r * wp + c].rounded(.towardZero)), 0), 255)] += 1
                    }
                }
                if clipLimit > 0 {
                    let limit = clipLimit * area / 256
                    var excess = 0.0
                    for k in 0..<256 where hist[k] > limit { excess += hist[k] - limit; hist[k] = limit }
                    for k in 0..<256 { hist[k] += excess / 256 }
                }
                var cdf = hist
                for k in 1..<256 { cdf[k] += cdf[k - 1] }
                let cdfMin = cdf.min()!
                let denominator = area - cdfMin == 0 ? 1 : area - cdfMin
                maps[ty * gw + tx] = cdf.map { Swift.min(Swift.max(($0 - cdfMin) * 255 / denominator, 0), 255) }
            }
        }
        return (0..<(gh + 2)).flatMap { y in
            (0..<(gw + 2)).map { x in maps[Swift.min(Swift.max(y - 1, 0), gh - 1) * gw + Swift.min(Swift.max(x - 1, 0), gw - 1)] }
        }
    }

    /// Per padded coordinate: the two neighbouring tile indices (in the edge-padded grid) and
    /// the weight of the second.
    private func neighbours(_ size: Int, tile: Int, grid: Int) -> [(Int, Int, Double)] {
        (0..<size).map { i in
            let g = (Double(i) - Double(tile) / 2) / Double(tile) + 1
            let g0 = g.rounded(.down)
            return (Swift.min(Swift.max(Int(g0), 0), grid + 1), Swift.min(Swift.max(Int(g0) + 1, 0), grid + 1), g - g0)
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "ContrastLimitedAdaptiveHistogramEqualization: expects [N, C, H, W] images, got \(x.shape)")
        let h = x.shape[2], w = x.shape[3], (gh, gw) = tileGridSize
        let th = (h + gh - 1) / gh, tw = (w + gw - 1) / gw, hp = th * gh, wp = tw * gw
        let lo = valueRange.0, width = valueRange.1 - valueRange.0
        let v = floats(x).doubles
        let rows = neighbours(hp, tile: th, grid: gh), cols = neighbours(wp, tile: tw, grid: gw)
        var out = v
        for start in stride(from: 0, to: v.count, by: Swift.max(h * w, 1)) {
            // The plane on the 0…255 scale, padded symmetrically to the tile grid.
            var p = [Double](repeating: 0, count: hp * wp)
            for r in 0..<hp {
                for c in 0..<wp { p[r * wp + c] = (v[start + symmetric(r, h) * w + symmetric(c, w)] - lo) * 255 / width }
            }
            let maps = tileMappings(p, paddedWidth: wp, tileHeight: th, tileWidth: tw)
            for r in 0..<h {
                let (y0, y1, wy) = rows[r]
                for c in 0..<w {
                    let (x0, x1, wx) = cols[c]
                    let bin = Swift.min(Swift.max(Int(Swift.min(Swift.max(p[r * wp + c], 0), 255).rounded(.towardZero)), 0), 255)
                    let top = maps[y0 * (gw + 2) + x0][bin] * (1 - wx) + maps[y0 * (gw + 2) + x1][bin] * wx
                    let bottom = maps[y1 * (gw + 2) + x0][bin] * (1 - wx) + maps[y1 * (gw + 2) + x1][bin] * wx
                    out[start + r * w + c] = (top * (1 - wy) + bottom * wy) * width / 255 + lo
                }
            }
        }
        return Tensor(shape: x.shape, scalars: out).cast(to: x.dtype)
    }
}
