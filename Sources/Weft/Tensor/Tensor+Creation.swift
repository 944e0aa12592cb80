extension Tensor {
    public static func zeros(_ shape: Shape, dtype: DType = TensorDefaults.floatType) -> Tensor { full(shape, value: 0, dtype: dtype) }
    public static func ones(_ shape: Shape, dtype: DType = TensorDefaults.floatType) -> Tensor { full(shape, value: 1, dtype: dtype) }
    public static func full(_ shape: Shape, value: Double, dtype: DType = TensorDefaults.floatType) -> Tensor {
        Device.default.backend.fill(shape, value: value, dtype: dtype)
    }
    public static func zeros(like t: Tensor) -> Tensor { zeros(t.shape, dtype: t.dtype) }
    public static func ones(like t: Tensor) -> Tensor { ones(t.shape, dtype: t.dtype) }

    /// `start, start+step, …` below `end` (NumPy arange). Integral arguments give int64 unless a dtype is given.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType? = nil) -> Tensor {
        precondition(step != 0, "arange: step must not be 0")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        let integral = start == start.rounded() && step == step.rounded()
        let dt = dtype ?? (integral ? .int64 : TensorDefaults.floatType)
        return Tensor(shape: [n], scalars: (0..<n).map { start + Double($0) * step }).cast(to: dt)
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = TensorDefaults.floatType) -> Tensor {
        precondition(count >= 0, "linspace: count must be ≥ 0")
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        return Tensor(shape: [count], scalars: (0..<count).map { $0 == count - 1 ? end : start + Double($0) * step }).cast(to: dtype)
    }

    /// The n×m identity matrix.
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = TensorDefaults.floatType) -> Tensor {
        let cols = m ?? n
        var values = [Double](repeating: 0, count: n * cols)
        for i in 0..<Swift.min(n, cols) { values[i * cols + i] = 1 }
        return Tensor(shape: [n, cols], scalars: values).cast(to: dtype)
    }

    /// Uniform on [low, high), drawn from `generator` (default: the global one).
    public static func randomUniform(_ shape: Shape, low: Double = 0, high: Double = 1, dtype: DType = TensorDefaults.floatType,
                                     generator: RandomGenerator = .global) -> Tensor {
        let (k, c) = generator.reserve(blocks: shape.elementCount)
        return Device.default.backend.randomUniform(shape, dtype: dtype, low: low, high: high, key: k, counter: c)
    }

    /// Normal with `mean` and `std`.
    public static func randomNormal(_ shape: Shape, mean: Double = 0, std: Double = 1, dtype: DType = TensorDefaults.floatType,
                                    generator: RandomGenerator = .global) -> Tensor {
        let (k, c) = generator.reserve(blocks: shape.elementCount)
        return Device.default.backend.randomNormal(shape, dtype: dtype, mean: mean, std: std, truncated: false, key: k, counter: c)
    }

    /// Normal truncated to two standard deviations (redrawn beyond), as Keras's TruncatedNormal.
    public static func truncatedNormal(_ shape: Shape, mean: Double = 0, std: Double = 1, dtype: DType = TensorDefaults.floatType,
                                       generator: RandomGenerator = .global) -> Tensor {
        let (k, c) = generator.reserve(blocks: shape.elementCount)
        return Device.default.backend.randomNormal(shape, dtype: dtype, mean: mean, std: std, truncated: true, key: k, counter: c)
    }

    /// 1 with probability `p`, else 0.
    public static func bernoulli(_ shape: Shape, p: Double, dtype: DType = TensorDefaults.floatType, generator: RandomGenerator = .global) -> Tensor {
        (randomUniform(shape, dtype: .float64, generator: generator) .< p).cast(to: dtype)
    }
}
