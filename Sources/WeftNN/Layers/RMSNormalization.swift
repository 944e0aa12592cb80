import Weft

/// Keras `RMSNormalization` (Zhang & Sennrich): x · rsqrt(mean(x²) + ε) · scale over `axes`
/// (of the batched input, as Keras's `axis`; default the last), `scale` [sizes of those axes]
/// starting at ones. PyTorch's `nn.RMSNorm` / `F.rms_norm` for trailing axes.
public final class RMSNormalization: Layer {
    public let axes: [Int]
    public let epsilon: Double
    public var scale: Parameter?
    /// The scale's shape broadcast against per-sample input (1 on the other axes).
    var scaleShape: Shape?

    public init(axes: [Int] = [-1], epsilon: Double = 1e-6) {
        precondition(!axes.isEmpty && !axes.contains(0), "RMSNormalization: axes are non-batch axes, got \(axes)")
        precondition(epsilon >= 0, "RMSNormalization: epsilon must be ≥ 0, got \(epsilon)")
        self.axes = axes
        self.epsilon = epsilon
    }

    public convenience init(axis: Int, epsilon: Double = 1e-6) { self.init(axes: [axis], epsilon: epsilon) }

    /// The normalized axes of per-sample input of rank `rank` (0-based, without the batch).
    func sampleAxes(rank: Int) throws -> [Int] {
        let out = try axes.map { a -> Int in
            let b = a < 0 ? a + rank + 1 : a
            guard b >= 1 && b <= rank else { throw ShapeError(layer: "RMSNormalization", "axis \(a) is out of range for per-sample rank \(rank)") }
            return b - 1
        }.sorted()
        guard Set(out).count == out.count else { throw ShapeError(layer: "RMSNormalization", "axes \(axes) repeat an axis") }
        return out
    }

    public func build(inputShape s: Shape) throws -> Shape {
        let a = try sampleAxes(rank: s.count)
        let shape = a.map { s[$0] }
        if let p = scale {
            guard p.value.shape == shape else {
                throw ShapeError(layer: "RMSNormalization", "input shape \(s) needs scale shape \(shape), the scale is \(p.value.shape)")
            }
        } else {
            scale = Parameter(.ones(shape))
        }
        scaleShape = s.indices.map { a.contains($0) ? s[$0] : 1 }
        return s
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if scale == nil || scaleShape?.count != x.rank - 1 { ensureBuilt(self, x) }
        let a = (try? sampleAxes(rank: x.rank - 1))!.map { $0 + 1 }
        let y = x * rsqrt(square(x).mean(alongAxes: a, keepingDims: true) + epsilon)
        return y * scale!.value.cast(to: x.dtype).reshaped(to: scaleShape!)
    }
}
