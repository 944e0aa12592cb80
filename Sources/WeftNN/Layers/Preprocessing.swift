import Weft

// Keras's numeric preprocessing layers: Normalization (with `adapt`), Discretization and
// CategoryEncoding.

/// Keras `Normalization`: (x − mean) / max(√variance, 1e-7) per feature along `axes` (of the
/// batched tensor, as Keras's `axis`; default the last; empty: one mean and variance for
/// everything), with `invert` the inverse. The statistics come from `mean`/`variance` or from
/// `adapt(_:)` over data (population variance over every other axis); they are non-trainable
/// parameters (saved with the model, never trained).
public final class Normalization: Layer {
    public let axes: [Int]
    public let invert: Bool
    /// The statistics, shaped as the per-sample input with size 1 on the non-feature axes.
    public var mean: Parameter?
    public var variance: Parameter?
    private var givenMean: [Double]?, givenVariance: [Double]?

    public init(axes: [Int] = [-1], mean: [Double]? = nil, variance: [Double]? = nil, invert: Bool = false) {
        precondition(!axes.contains(0), "Normalization: axis 0 is the batch axis")
        precondition((mean == nil) == (variance == nil), "Normalization: give both mean and variance, or neither (then adapt)")
        self.axes = axes
        self.invert = invert
        self.givenMean = mean
        self.givenVariance = variance
    }

    /// The feature axes of per-sample input of rank `rank` (0-based, without the batch axis).
    func featureAxes(rank: Int) throws -> [Int] {
        try axes.map { a in
            let b = a < 0 ? a + rank + 1 : a
            guard b >= 1 && b <= rank else { throw ShapeError(layer: "Normalization", "axis \(a) is out of range for per-sample rank \(rank)") }
            return b - 1
        }.sorted()
    }

    /// The statistics' shape: the per-sample shape with 1 on the non-feature axes.
    func statShape(_ s: Shape) throws -> Shape {
        let f = try featureAxes(rank: s.count)
        return s.indices.map { f.contains($0) ? s[$0] : 1 }
    }

    public func build(inputShape s: Shape) throws -> Shape {
        let shape = try statShape(s)
        if let m = mean {
            guard m.value.shape == shape else { throw ShapeError(layer: "Normalization", "input shape \(s) does not match the statistics' shape \(m.value.shape)") }
        } else if let gm = givenMean, let gv = givenVariance {
            let n = shape.elementCount
            func stat(_ v: [Double], _ name: String) throws -> Tensor {
                guard v.count == n || v.count == 1 else {
                    throw ShapeError(layer: "Normalization", "\(name) has \(v.count) values for \(n) features of input shape \(s)")
                }
                // Kept in float64 (the values as given); cast to the input's dtype when applied.
                return Tensor(shape: shape, scalars: v.count == 1 ? [Double](repeating: v[0], count: n) : v)
            }
            mean = Parameter(try stat(gm, "mean"), trainable: false)
            variance = Parameter(try stat(gv, "variance"), trainable: false)
        }
        return s
    }

    /// Computes the mean and variance of `data` [N, …] per feature (Keras's `adapt`).
    public func adapt(_ data: Tensor) throws {
        let s = Array(data.shape.dropFirst())
        let shape = try statShape(s)
        let f = try featureAxes(rank: s.count)
        let reduce = [0] + s.indices.filter { !f.contains($0) }.map { $0 + 1 }
        let x = data.cast(to: .float64)
        let m = x.mean(alongAxes: reduce, keepingDims: true)
        let v = square(x - m).mean(alongAxes: reduce, keepingDims: true)
        let dtype = data.dtype.isFloatingPoint ? data.dtype : TensorDefaults.floatType
        mean = Parameter(m.reshaped(to: shape).cast(to: dtype), trainable: false)
        variance = Parameter(v.reshaped(to: shape).cast(to: dtype), trainable: false)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if mean == nil { ensureBuilt(self, x) }
        precondition(mean != nil, "Normalization: no statistics; call adapt(_:) first or give mean and variance")
        let y = x.dtype.isFloatingPoint ? x : x.cast(to: TensorDefaults.floatType)
        let m = mean!.value.cast(to: y.dtype).unsqueezed(axis: 0)
        let sd = clamp(sqrt(variance!.value.cast(to: y.dtype)), min: 1e-7).unsqueezed(axis: 0)
        return invert ? m + y * sd : (y - m) / sd
    }
}

/// Keras `Discretization`: the index of the bin each value falls in, for sorted
/// `binBoundaries` b₀ < b₁ < …: 0 below b₀, i for bᵢ₋₁ ≤ x < bᵢ, n at or above the last. Int64 out.
public final class Discretization: Layer {
    public let binBoundaries: [Double]
    public init(binBoundaries: [Double]) {
        precondition(zip(binBoundaries, binBoundaries.dropFirst()).allSatisfy { $0 < $1 }, "Discretization: binBoundaries must be increasing")
        self.binBoundaries = binBoundaries
    }
    public func build(inputShape s: Shape) throws -> Shape { s }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let v = x.detached().doubles
        let ids = v.map { value -> Int64 in
            var lo = 0, hi = binBoundaries.count           // first boundary > value
            while lo < hi {
                let mid = (lo + hi) / 2
                if binBoundaries[mid] <= value { lo = mid + 1 } else { hi = mid }
            }
            return Int64(lo)
        }
        return Tensor(shape: x.shape, scalars: ids)
    }
}

/// Keras `CategoryEncoding`: integer ids in [0, numTokens) to `.oneHot` ([N] → [N, numTokens];
/// [N, 1] too), `.multiHot` ([N, L] → [N, numTokens], 1 where an id occurs) or `.count`
/// (how often it occurs). An id out of range is an error naming it.
public final class CategoryEncoding: Layer {
    public enum OutputMode: Hashable, Sendable { case oneHot, multiHot, count }
    public let numTokens: Int
    public let outputMode: OutputMode
    public init(numTokens: Int, outputMode: OutputMode = .multiHot) {
        precondition(numTokens > 0, "CategoryEncoding: numTokens must be positive, got \(numTokens)")
        self.numTokens = numTokens
        self.outputMode = outputMode
    }
    public func build(inputShape s: Shape) throws -> Shape {
        switch outputMode {
        case .oneHot:
            guard s.isEmpty || s == [1] else { throw ShapeError(layer: "CategoryEncoding", "one-hot takes one id per sample ([N] or [N, 1]), got per-sample shape \(s)") }
            return [numTokens]
        case .multiHot, .count:
            guard s.count <= 1 else { throw ShapeError(layer: "CategoryEncoding", "takes ids [N] or [N, L], got per-sample shape \(s)") }
            return [numTokens]
        }
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let n = x.rank == 0 ? 1 : x.shape[0], ids = x.detached().doubles
        let per = n == 0 ? 0 : ids.count / n
        precondition(outputMode != .oneHot || per == 1, "CategoryEncoding: one-hot takes one id per sample, got input \(x.shape)")
        for v in ids {
            precondition(Double(Int(v)) == v && v >= 0 && Int(v) < numTokens, "CategoryEncoding: id \(v) is not in [0, \(numTokens))")
        }
        return encodeCategorical(ids.map { Int64($0) }, shape: [n, Swift.max(per, 1)], depth: numTokens,
                                 outputMode == .count ? .count : outputMode == .oneHot ? .oneHot : .multiHot)
    }
}
