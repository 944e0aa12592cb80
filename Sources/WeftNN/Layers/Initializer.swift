import Weft

/// Keras's weight initialisers. Fans follow Keras: for a kernel of shape [in, out] fan-in is
/// `in`; for a convolution [O, I/g, KH, KW] fan-in is I/g·KH·KW and fan-out O·KH·KW.
public enum Initializer: Hashable, Sendable {
    case zeros, ones
    case constant(Double)
    case glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal
    case randomUniform(low: Double, high: Double)
    case randomNormal(mean: Double, std: Double)

    public func make(_ shape: Shape, fanIn: Int, fanOut: Int, dtype: DType = TensorDefaults.floatType,
                     generator: RandomGenerator = .global) -> Tensor {
        let fi = Double(Swift.max(fanIn, 1)), fo = Double(Swift.max(fanOut, 1))
        switch self {
        case .zeros: return .zeros(shape, dtype: dtype)
        case .ones: return .ones(shape, dtype: dtype)
        case .constant(let v): return .full(shape, value: v, dtype: dtype)
        case .glorotUniform:
            let l = (6 / (fi + fo)).squareRoot()
            return .randomUniform(shape, low: -l, high: l, dtype: dtype, generator: generator)
        case .glorotNormal:
            // Keras: truncated normal with std corrected for the truncation at 2σ.
            return .truncatedNormal(shape, std: (2 / (fi + fo)).squareRoot() / 0.87962566103423978, dtype: dtype, generator: generator)
        case .heUniform:
            let l = (6 / fi).squareRoot()
            return .randomUniform(shape, low: -l, high: l, dtype: dtype, generator: generator)
        case .heNormal:
            return .truncatedNormal(shape, std: (2 / fi).squareRoot() / 0.87962566103423978, dtype: dtype, generator: generator)
        case .lecunUniform:
            let l = (3 / fi).squareRoot()
            return .randomUniform(shape, low: -l, high: l, dtype: dtype, generator: generator)
        case .lecunNormal:
            return .truncatedNormal(shape, std: (1 / fi).squareRoot() / 0.87962566103423978, dtype: dtype, generator: generator)
        case .randomUniform(let lo, let hi): return .randomUniform(shape, low: lo, high: hi, dtype: dtype, generator: generator)
        case .randomNormal(let m, let s): return .randomNormal(shape, mean: m, std: s, dtype: dtype, generator: generator)
        }
    }
}
