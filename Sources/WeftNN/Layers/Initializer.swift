import Weft

/// Keras's weight initialisers. Fans follow Keras: for a kernel of shape [in, out] fan-in is
/// `in`; for a convolution [O, I/g, KH, KW] fan-in is I/g·KH·KW and fan-out O·KH·KW.
public enum Initializer: Hashable, Sendable {
    case zeros, ones
    case constant(Double)
    case glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal
    case randomUniform(low: Double, high: Double)
    case randomNormal(mean: Double, std: Double)
    /// Keras `TruncatedNormal(mean, stddev)`: normal values redrawn beyond 2 stddev of the mean.
    case truncatedNormal(mean: Double = 0, std: Double = 0.05)
    /// Keras `VarianceScaling`: with `n` the chosen fan (at least 1) and `s = scale / n`,
    /// truncated normal with std √s/0.87962566103423978 cut at 2 of those stds (sample std √s),
    /// untruncated normal with std √s, or uniform on ±√(3s). The glorot, he and lecun cases are
    /// this with (1, fanAvg), (2, fanIn) and (1, fanIn).
    case varianceScaling(scale: Double = 1, mode: FanMode = .fanIn, distribution: Distribution = .truncatedNormal)
    /// Keras `Orthogonal`: the shape is flattened to (rows, cols) = (prod(shape[..<last]), shape.last)
    /// — a Dense kernel [in, out] as it stands — a normal matrix of shape (max, min) is drawn, Q of
    /// its QR decomposition is sign-corrected by sign(diag R), transposed when rows < cols and
    /// multiplied by `gain`. So the columns (rows < cols: the rows) are orthonormal.
    /// A rank-4 (rank-5) shape is taken as Weft's OIHW (OIDHW) convolution weight and follows Keras's rule for the
    /// equivalent HWIO kernel: rows are (kh, kw, i), columns are o, i.e. each filter
    /// `weight[o]` flattened in (kh, kw, i) order is one column of the orthogonal matrix (the
    /// same for OIDHW kernels, in (kd, kh, kw, i) order).
    case orthogonal(gain: Double = 1)
    /// Keras `Identity` for 2-D shapes: `gain` times the (possibly rectangular) identity.
    case identity(gain: Double = 1)
    /// Keras `STFT(side, window, scaling, periodic)` (`STFTInitializer`) for Keras's shape
    /// [frameLength, channels, bins]: the windowed DFT kernels of STFTSpectrogram, cosines
    /// (`imaginary: false`, Keras's side "real") or sines, the same for every channel.
    case stft(imaginary: Bool = false, window: STFTSpectrogram.Window = .hann, scaling: STFTSpectrogram.Scaling = .density, periodic: Bool = false)

    public enum FanMode: Hashable, Sendable { case fanIn, fanOut, fanAvg }
    public enum Distribution: Hashable, Sendable { case truncatedNormal, untruncatedNormal, uniform }

    public func make(_ shape: Shape, fanIn: Int, fanOut: Int, dtype: DType = TensorDefaults.floatType,
                     generator: RandomGenerator = .global) -> Tensor {
        func vs(_ scale: Double, _ mode: FanMode, _ dist: Distribution) -> Tensor {
            Initializer.varianceScaling(scale: scale, mode: mode, distribution: dist)
                .make(shape, fanIn: fanIn, fanOut: fanOut, dtype: dtype, generator: generator)
        }
        switch self {
        case .zeros: return .zeros(shape, dtype: dtype)
        case .ones: return .ones(shape, dtype: dtype)
        case .constant(let v): return .full(shape, value: v, dtype: dtype)
        case .glorotUniform: return vs(1, .fanAvg, .uniform)
        case .glorotNormal: return vs(1, .fanAvg, .truncatedNormal)
        case .heUniform: return vs(2, .fanIn, .uniform)
        case .heNormal: return vs(2, .fanIn, .truncatedNormal)
        case .lecunUniform: return vs(1, .fanIn, .uniform)
        case .lecunNormal: return vs(1, .fanIn, .truncatedNormal)
        case .randomUniform(let lo, let hi): return .randomUniform(shape, low: lo, high: hi, dtype: dtype, generator: generator)
        case .randomNormal(let m, let s): return .randomNormal(shape, mean: m, std: s, dtype: dtype, generator: generator)
        case .truncatedNormal(let m, let s): return .truncatedNormal(shape, mean: m, std: s, dtype: dtype, generator: generator)
        case .varianceScaling(let scale, let mode, let dist):
            precondition(scale > 0, "varianceScaling: scale must be positive, got \(scale)")
            let fi = Double(fanIn), fo = Double(fanOut)
            let n: Double
            switch mode {
            case .fanIn: n = fi
            case .fanOut: n = fo
            case .fanAvg: n = (fi + fo) / 2
            }
            let s = scale / Swift.max(1, n)
            switch dist {
            case .truncatedNormal:
                // Keras: truncated normal with std corrected for the truncation at 2σ.
                return .truncatedNormal(shape, std: s.squareRoot() / 0.87962566103423978, dtype: dtype, generator: generator)
            case .untruncatedNormal:
                return .randomNormal(shape, std: s.squareRoot(), dtype: dtype, generator: generator)
            case .uniform:
                let l = (3 * s).squareRoot()
                return .randomUniform(shape, low: -l, high: l, dtype: dtype, generator: generator)
            }
        case .orthogonal(let gain):
            return orthogonalInit(shape, gain: gain, dtype: dtype, generator: generator)
        case .stft(let imaginary, let window, let scaling, let periodic):
            precondition(shape.count == 3 && shape[2] > 1, "STFT initializer: needs Keras's shape [frameLength, channels, bins ≥ 2], got \(shape)")
            let (t, c, f) = (shape[0], shape[1], shape[2])
            let k = STFTSpectrogram.kernelValues(bins: f, length: t, imaginary: imaginary, window: window, periodic: periodic, scaling: scaling)
            var out = [Double](repeating: 0, count: t * c * f)
            for ti in 0..<t { for ci in 0..<c { for fi in 0..<f { out[(ti * c + ci) * f + fi] = k[fi * t + ti] } } }
            return Tensor(shape: shape, scalars: out).cast(to: dtype)
        case .identity(let gain):
            precondition(shape.count == 2, "identity initializer: needs a 2-D shape, got \(shape)")
            let eye = Tensor.eye(shape[0], shape[1], dtype: .float64).doubles
            return Tensor(shape: shape, scalars: eye.map { $0 * gain }).cast(to: dtype)
        }
    }
}

private func orthogonalInit(_ shape: Shape, gain: Double, dtype: DType, generator: RandomGenerator) -> Tensor {
    precondition(shape.count >= 2, "orthogonal initializer: needs a shape of rank ≥ 2, got \(shape)")
    // Keras's flattening, of the HWIO (DHWIO) kernel when the shape is OIHW (OIDHW).
    let isConv = shape.count == 4 || shape.count == 5
    let cols = isConv ? shape[0] : shape[shape.count - 1]
    let rows = shape.elementCount / Swift.max(cols, 1)
    let m = Swift.max(rows, cols), n = Swift.min(rows, cols)
    let a = Tensor.randomNormal([m, n], dtype: .float64, generator: generator).doubles
    var q = householderQ(a, m: m, n: n)              // m×n, orthonormal columns
    if rows < cols {                                 // rows×cols = transpose of q
        var t = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { t[j * m + i] = q[i * n + j] } }
        q = t
    }
    // q is now the rows×cols matrix, row-major.
    var out = [Double](repeating: 0, count: rows * cols)
    if isConv {
        let o = shape[0], ci = shape[1], taps = shape.dropFirst(2).reduce(1, *)
        for oo in 0..<o { for ii in 0..<ci { for t in 0..<taps {
            let r = t * ci + ii                      // row of the (taps·I) × O matrix
            out[(oo * ci + ii) * taps + t] = gain * q[r * cols + oo]
        } } }
    } else {
        for i in 0..<out.count { out[i] = gain * q[i] }
    }
    return Tensor(shape: shape, scalars: out).cast(to: dtype)
}

/// The Q factor (m×n, m ≥ n, row-major) of the Householder QR decomposition of the row-major
/// m×n matrix `a`, with the sign correction Q·sign(diag R) that makes the result unique (and
/// equal to NumPy's / Keras's); a zero diagonal counts as positive.
func householderQ(_ a: [Double], m: Int, n: Int) -> [Double] {
    precondition(m >= n && a.count == m * n)
    var r = a
    var vs: [[Double]] = []
    for k in 0..<n {
        var v = (k..<m).map { r[$0 * n + k] }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm == 0 { vs.append([]); continue }
        let alpha = v[0] >= 0 ? -norm : norm
        v[0] -= alpha
        let vn = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if vn == 0 { vs.append([]); continue }
        for i in v.indices { v[i] /= vn }
        for j in k..<n {
            var d = 0.0
            for i in k..<m { d += v[i - k] * r[i * n + j] }
            for i in k..<m { r[i * n + j] -= 2 * d * v[i - k] }
        }
        vs.append(v)
    }
    // Q = H_0 ⋯ H_{n-1} applied to the first n columns of the identity.
    var q = [Double](repeating: 0, count: m * n)
    for i in 0..<n { q[i * n + i] = 1 }
    for k in stride(from: n - 1, through: 0, by: -1) {
        let v = vs[k]
        if v.isEmpty { continue }
        for j in 0..<n {
            var d = 0.0
            for i in k..<m { d += v[i - k] * q[i * n + j] }
            for i in k..<m { q[i * n + j] -= 2 * d * v[i - k] }
        }
    }
    for j in 0..<n where r[j * n + j] < 0 {
        for i in 0..<m { q[i * n + j] = -q[i * n + j] }
    }
    return q
}
