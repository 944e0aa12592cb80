// Adaptive average and max pooling (PyTorch's `adaptive_avg_pool{1,2,3}d` /
// `adaptive_max_pool{1,2,3}d`): the output has a given spatial size and output cell i along an
// axis of length L out of O covers input cells ⌊i·L/O⌋ ..< ⌈(i+1)·L/O⌉, so windows may overlap
// and differ in size. Channels-first [N, C, spatial…] with 1 to 3 spatial axes; host loops over
// float64 copies (the op sits at the end of a network, on small maps).

/// The cells ⌊i·L/O⌋ ..< ⌈(i+1)·L/O⌉ of each output index.
private func adaptiveBins(_ length: Int, _ out: Int) -> [Range<Int>] {
    (0..<out).map { i in (i * length / out)..<(((i + 1) * length + out - 1) / out) }
}

private struct AdaptiveGeometry {
    let planes: Int, inSize: [Int], outSize: [Int]
    let bins: [[Range<Int>]]
    init(_ x: Tensor, _ outputSize: [Int], op: String) {
        let spatial = x.rank - 2
        precondition((1...3).contains(spatial), "\(op): expects [N, C, spatial…] with 1 to 3 spatial axes, got \(shapeString(x.shape))")
        precondition(outputSize.count == spatial && outputSize.allSatisfy { $0 > 0 },
                     "\(op): needs \(spatial) positive output sizes, got \(outputSize)")
        let s = Array(x.shape.dropFirst(2))
        precondition(s.allSatisfy { $0 > 0 }, "\(op): empty spatial axes in \(shapeString(x.shape))")
        // Padded to three axes with 1s in front.
        let i3 = [Int](repeating: 1, count: 3 - spatial) + s, o3 = [Int](repeating: 1, count: 3 - spatial) + outputSize
        inSize = i3
        outSize = o3
        planes = x.shape[0] * x.shape[1]
        bins = (0..<3).map { adaptiveBins(i3[$0], o3[$0]) }
    }
    var inCount: Int { inSize[0] * inSize[1] * inSize[2] }
    var outCount: Int { outSize[0] * outSize[1] * outSize[2] }

    /// Calls `body(plane, output cell, input cells of its window)`.
    func forEachWindow(_ body: (Int, Int, [Int]) -> Void) {
        var cells: [Int] = []
        for p in 0..<planes {
            var o = 0
            for bd in bins[0] { for bh in bins[1] { for bw in bins[2] {
                cells.removeAll(keepingCapacity: true)
                for d in bd { for h in bh { for w in bw { cells.append(p * inCount + (d * inSize[1] + h) * inSize[2] + w) } } }
                body(p, p * outCount + o, cells)
                o += 1
            } } }
        }
    }
}

/// Adaptive average pooling of [N, C, spatial…] to [N, C, outputSize…].
public func adaptiveAvgPool(_ x: Tensor, outputSize: [Int]) -> Tensor {
    let g = AdaptiveGeometry(x, outputSize, op: "adaptiveAvgPool")
    let dt = x.dtype.floatingResult
    let v = x.detached().doubles
    var out = [Double](repeating: 0, count: g.planes * g.outCount)
    g.forEachWindow { _, o, cells in out[o] = cells.reduce(0.0) { $0 + v[$1] } / Double(cells.count) }
    let shape = Array(x.shape.prefix(2)) + outputSize
    var y = Tensor(shape: shape, scalars: out).cast(to: dt)
    if needsRecord(x) {
        let inShape = x.shape
        y.record("adaptive_avg_pool", [x]) { upstream, _ in
            let u = upstream.detached().doubles
            var gx = [Double](repeating: 0, count: g.planes * g.inCount)
            g.forEachWindow { _, o, cells in
                let share = u[o] / Double(cells.count)
                for c in cells { gx[c] += share }
            }
            return [Tensor(shape: inShape, scalars: gx).cast(to: upstream.dtype)]
        }
    }
    return y
}

/// Adaptive max pooling of [N, C, spatial…] to [N, C, outputSize…] (the first maximum of a
/// window takes the gradient; NaN propagates).
public func adaptiveMaxPool(_ x: Tensor, outputSize: [Int]) -> Tensor {
    let g = AdaptiveGeometry(x, outputSize, op: "adaptiveMaxPool")
    let dt = x.dtype.isFloatingPoint ? x.dtype : TensorDefaults.floatType
    let v = x.detached().doubles
    var out = [Double](repeating: 0, count: g.planes * g.outCount)
    var argmax = [Int](repeating: 0, count: g.planes * g.outCount)
    g.forEachWindow { _, o, cells in
        var best = cells[0]
        for c in cells.dropFirst() where v[c] > v[best] || (v[c].isNaN && !v[best].isNaN) { best = c }
        out[o] = v[best]
        argmax[o] = best
    }
    let shape = Array(x.shape.prefix(2)) + outputSize
    var y = Tensor(shape: shape, scalars: out).cast(to: dt)
    if needsRecord(x) {
        let inShape = x.shape
        y.record("adaptive_max_pool", [x]) { upstream, _ in
            let u = upstream.detached().doubles
            var gx = [Double](repeating: 0, count: g.planes * g.inCount)
            for (o, c) in argmax.enumerated() { gx[c] += u[o] }
            return [Tensor(shape: inShape, scalars: gx).cast(to: upstream.dtype)]
        }
    }
    return y
}
