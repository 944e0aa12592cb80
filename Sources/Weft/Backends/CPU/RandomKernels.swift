#if canImport(Glibc)
import Glibc
#endif

extension CPUBackend {
    public func randomUniform(_ shape: Shape, dtype: DType, low: Double, high: Double, key: UInt64, counter: UInt64) -> Tensor {
        let n = shape.elementCount
        let ph = Philox4x32(key: key)
        var values = Tensor(empty: shape, dtype: .float64)
        let p = values.ptr(Double.self)
        parallelChunks(n, costPerItem: 8) { r in
            for i in r {
                let (a, b, _, _) = ph.block(counter &+ UInt64(i))
                p[i] = low + (high - low) * Philox4x32.unitDouble(a, b)
            }
        }
        if dtype != .float64 { values = cast(values, to: dtype) }
        return values
    }

    public func randomNormal(_ shape: Shape, dtype: DType, mean: Double, std: Double, truncated: Bool, key: UInt64, counter: UInt64) -> Tensor {
        let n = shape.elementCount
        var values = Tensor(empty: shape, dtype: .float64)
        let p = values.ptr(Double.self)
        parallelChunks(n, costPerItem: 16) { r in
            for i in r {
                // Box–Muller on one block; a truncated draw (|z| ≤ 2, as Keras) retries with the
                // next stream, so each element's value still depends only on (key, counter + i).
                var stream: UInt64 = 0
                while true {
                    let (a, b, c, d) = Philox4x32(key: key).block(counter &+ UInt64(i), stream: stream)
                    let u1 = 1 - Philox4x32.unitDouble(a, b)   // (0, 1]
                    let u2 = Philox4x32.unitDouble(c, d)
                    let z = (-2 * Glibc.log(u1)).squareRoot() * Glibc.cos(2 * Double.pi * u2)
                    if !truncated || Swift.abs(z) <= 2 { p[i] = mean + std * z; break }
                    stream &+= 1
                }
            }
        }
        if dtype != .float64 { values = cast(values, to: dtype) }
        return values
    }

    public func dropoutMask(_ shape: Shape, dtype: DType, keep: Double, key: UInt64, counter: UInt64) -> Tensor {
        let n = shape.elementCount
        let ph = Philox4x32(key: key)
        let threshold = UInt32(Swift.min(keep * 4294967296.0, 4294967295.0))
        func run<T: KernelFloat>(_: T.Type) -> Tensor {
            let out = Tensor(empty: shape, dtype: T.dtype)
            let p = out.ptr(T.self)
            let scale = T(1 / keep)
            // One block gives four elements.
            parallelChunks((n + 3) / 4, costPerItem: 16) { r in
                for j in r {
                    let (a, b, c, d) = ph.block(counter &+ UInt64(j))
                    let base = j * 4
                    if base < n { p[base] = a < threshold ? scale : 0 }
                    if base + 1 < n { p[base + 1] = b < threshold ? scale : 0 }
                    if base + 2 < n { p[base + 2] = c < threshold ? scale : 0 }
                    if base + 3 < n { p[base + 3] = d < threshold ? scale : 0 }
                }
            }
            return out
        }
        switch dtype {
        case .float32: return run(Float.self)
        case .float64: return run(Double.self)
        default: return cast(run(Float.self), to: dtype)
        }
    }
}
