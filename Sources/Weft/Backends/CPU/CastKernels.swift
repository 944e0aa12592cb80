@inlinable
func castLoop<S: TensorScalar, D: TensorScalar>(_ s: UnsafePointer<S>, _ d: UnsafeMutablePointer<D>, _ n: Int, _ f: (S) -> D) {
    for i in 0..<n { d[i] = f(s[i]) }
}

extension CPUBackend {
    public func cast(_ x: Tensor, to dtype: DType) -> Tensor {
        let out = Tensor(empty: x.shape, dtype: dtype)
        let n = x.count
        switch (x.dtype, dtype) {
        case (.float32, .float64): castLoop(x.ptr(Float.self), out.ptr(Double.self), n) { Double($0) }
        case (.float64, .float32): castLoop(x.ptr(Double.self), out.ptr(Float.self), n) { Float($0) }
        case (.uint8, .float32): castLoop(x.ptr(UInt8.self), out.ptr(Float.self), n) { Float($0) }
        case (.int32, .float32): castLoop(x.ptr(Int32.self), out.ptr(Float.self), n) { Float($0) }
        case (.int64, .float32): castLoop(x.ptr(Int64.self), out.ptr(Float.self), n) { Float($0) }
        case (.bool, .float32): castLoop(x.ptr(Bool.self), out.ptr(Float.self), n) { $0 ? 1 : 0 }
        case (.float32, .float16): castLoop(x.ptr(Float.self), out.ptr(Float16.self), n) { Float16($0) }
        case (.float16, .float32): castLoop(x.ptr(Float16.self), out.ptr(Float.self), n) { Float($0) }
        case (.float32, .bfloat16): castLoop(x.ptr(Float.self), out.ptr(BFloat16.self), n) { BFloat16($0) }
        case (.bfloat16, .float32): castLoop(x.ptr(BFloat16.self), out.ptr(Float.self), n) { $0.floatValue }
        case (.int32, .int64): castLoop(x.ptr(Int32.self), out.ptr(Int64.self), n) { Int64($0) }
        case (.int64, .int32): castLoop(x.ptr(Int64.self), out.ptr(Int32.self), n) { Int32(truncatingIfNeeded: $0) }
        case (.uint8, .int32): castLoop(x.ptr(UInt8.self), out.ptr(Int32.self), n) { Int32($0) }
        case (.uint8, .int64): castLoop(x.ptr(UInt8.self), out.ptr(Int64.self), n) { Int64($0) }
        case (.float32, .bool): castLoop(x.ptr(Float.self), out.ptr(Bool.self), n) { $0 != 0 }
        default:
            // Everything else goes through Double, which holds every supported value exactly
            // except int64 beyond 2^53.
            if x.dtype == .int64 && dtype.isInteger {
                let s = x.ptr(Int64.self)
                switch dtype {
                case .uint8: castLoop(s, out.ptr(UInt8.self), n) { UInt8(truncatingIfNeeded: $0) }
                default: castLoop(s, out.ptr(Int64.self), n) { $0 }
                }
                return out
            }
            var values = [Double](repeating: 0, count: n)
            for i in 0..<n { values[i] = x.element(i) }
            func store<D: TensorScalar>(_: D.Type) {
                let d = out.ptr(D.self)
                for i in 0..<n { d[i] = D(doubleValue: values[i]) }
            }
            switch dtype {
            case .bool: store(Bool.self)
            case .uint8: store(UInt8.self)
            case .int32: store(Int32.self)
            case .int64: store(Int64.self)
            case .float16: store(Float16.self)
            case .bfloat16: store(BFloat16.self)
            case .float32: store(Float.self)
            case .float64: store(Double.self)
            }
        }
        return out
    }
}
