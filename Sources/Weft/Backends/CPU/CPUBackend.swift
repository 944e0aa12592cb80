/// The CPU backend: oneDNN for convolution and pooling, OpenBLAS for matrix products, and
/// Weft's own vectorised loops for elementwise ops and reductions (both cores above a size
/// threshold).
public final class CPUBackend: Backend {
    public static let shared = CPUBackend()
    private init() {}
}

/// Dispatch helpers: run a generic body for the concrete element type of a dtype.
@inlinable func unsupported(_ op: StaticString, _ dtype: DType) -> Never {
    preconditionFailure("\(op): dtype \(dtype) is not supported by this kernel")
}

extension CPUBackend {
    public func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor {
        let out = Tensor(empty: x.shape, dtype: x.dtype)
        let n = x.count
        let (p, q) = op.params
        switch x.dtype {
        case .float32: runUnary(op, x.ptr(Float.self), out.ptr(Float.self), n, Float(p), Float(q))
        case .float64: runUnary(op, x.ptr(Double.self), out.ptr(Double.self), n, p, q)
        case .int32: runUnaryInt(op, x.ptr(Int32.self), out.ptr(Int32.self), n, Int32(doubleValue: p), Int32(doubleValue: q))
        case .int64: runUnaryInt(op, x.ptr(Int64.self), out.ptr(Int64.self), n, Int64(doubleValue: p), Int64(doubleValue: q))
        case .uint8: runUnaryInt(op, x.ptr(UInt8.self), out.ptr(UInt8.self), n, UInt8(clamping: Int(Swift.max(Swift.min(p, 255), 0))), UInt8(clamping: Int(Swift.max(Swift.min(q, 255), 0))))
        default: unsupported("unary", x.dtype)
        }
        return out
    }

    @inlinable func runUnary<T: KernelFloat>(_ op: UnaryOp, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ p: T, _ q: T) {
        switch op {
        case .neg: unaryLoop(UF.Neg.self, x, y, n, p, q)
        case .exp: unaryLoop(UF.Exp.self, x, y, n, p, q)
        case .log: unaryLoop(UF.Log.self, x, y, n, p, q)
        case .log1p: unaryLoop(UF.Log1p.self, x, y, n, p, q)
        case .expm1: unaryLoop(UF.Expm1.self, x, y, n, p, q)
        case .sqrt: unaryLoop(UF.Sqrt.self, x, y, n, p, q)
        case .rsqrt: unaryLoop(UF.Rsqrt.self, x, y, n, p, q)
        case .abs: unaryLoop(UF.Abs.self, x, y, n, p, q)
        case .sign: unaryLoop(UF.Sign.self, x, y, n, p, q)
        case .square: unaryLoop(UF.Square.self, x, y, n, p, q)
        case .reciprocal: unaryLoop(UF.Reciprocal.self, x, y, n, p, q)
        case .sin: unaryLoop(UF.Sin.self, x, y, n, p, q)
        case .cos: unaryLoop(UF.Cos.self, x, y, n, p, q)
        case .relu: unaryLoop(UF.Relu.self, x, y, n, p, q)
        case .sigmoid: unaryLoop(UF.Sigmoid.self, x, y, n, p, q)
        case .tanh: unaryLoop(UF.Tanh.self, x, y, n, p, q)
        case .softplus: unaryLoop(UF.Softplus.self, x, y, n, p, q)
        case .silu: unaryLoop(UF.Silu.self, x, y, n, p, q)
        case .gelu: unaryLoop(UF.Gelu.self, x, y, n, p, q)
        case .geluTanh: unaryLoop(UF.GeluTanh.self, x, y, n, p, q)
        case .selu: unaryLoop(UF.Selu.self, x, y, n, p, q)
        case .hardSigmoid: unaryLoop(UF.HardSigmoid.self, x, y, n, p, q)
        case .elu: unaryLoop(UF.Elu.self, x, y, n, p, q)
        case .leakyRelu: unaryLoop(UF.LeakyRelu.self, x, y, n, p, q)
        case .clamp: unaryLoop(UF.Clamp.self, x, y, n, p, q)
        case .pow: unaryLoop(UF.PowScalar.self, x, y, n, p, q)
        }
    }

    @inlinable func runUnaryInt<T: KernelNumeric>(_ op: UnaryOp, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ p: T, _ q: T) {
        switch op {
        case .neg: unaryIntLoop(UF.Neg.self, x, y, n, p, q)
        case .abs: unaryIntLoop(UF.Abs.self, x, y, n, p, q)
        case .sign: unaryIntLoop(UF.Sign.self, x, y, n, p, q)
        case .square: unaryIntLoop(UF.Square.self, x, y, n, p, q)
        case .relu: unaryIntLoop(UF.Relu.self, x, y, n, p, q)
        case .clamp: unaryIntLoop(UF.Clamp.self, x, y, n, p, q)
        default: preconditionFailure("\(op) is not defined on integer tensors")
        }
    }

    public func unaryBackward(_ op: UnaryOp, x: Tensor, y: Tensor, gradient: Tensor) -> Tensor {
        let out = Tensor(empty: x.shape, dtype: x.dtype)
        let (p, q) = op.params
        switch x.dtype {
        case .float32: runUnaryBackward(op, x.ptr(Float.self), y.ptr(Float.self), gradient.ptr(Float.self), out.ptr(Float.self), x.count, Float(p), Float(q))
        case .float64: runUnaryBackward(op, x.ptr(Double.self), y.ptr(Double.self), gradient.ptr(Double.self), out.ptr(Double.self), x.count, p, q)
        default: unsupported("unaryBackward", x.dtype)
        }
        return out
    }

    @inlinable func runUnaryBackward<T: KernelFloat>(_ op: UnaryOp, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ g: UnsafePointer<T>,
                                                     _ gx: UnsafeMutablePointer<T>, _ n: Int, _ p: T, _ q: T) {
        switch op {
        case .neg: unaryBackwardLoop(UF.Neg.self, x, y, g, gx, n, p, q)
        case .exp: unaryBackwardLoop(UF.Exp.self, x, y, g, gx, n, p, q)
        case .log: unaryBackwardLoop(UF.Log.self, x, y, g, gx, n, p, q)
        case .log1p: unaryBackwardLoop(UF.Log1p.self, x, y, g, gx, n, p, q)
        case .expm1: unaryBackwardLoop(UF.Expm1.self, x, y, g, gx, n, p, q)
        case .sqrt: unaryBackwardLoop(UF.Sqrt.self, x, y, g, gx, n, p, q)
        case .rsqrt: unaryBackwardLoop(UF.Rsqrt.self, x, y, g, gx, n, p, q)
        case .abs: unaryBackwardLoop(UF.Abs.self, x, y, g, gx, n, p, q)
        case .sign: unaryBackwardLoop(UF.Sign.self, x, y, g, gx, n, p, q)
        case .square: unaryBackwardLoop(UF.Square.self, x, y, g, gx, n, p, q)
        case .reciprocal: unaryBackwardLoop(UF.Reciprocal.self, x, y, g, gx, n, p, q)
        case .sin: unaryBackwardLoop(UF.Sin.self, x, y, g, gx, n, p, q)
        case .cos: unaryBackwardLoop(UF.Cos.self, x, y, g, gx, n, p, q)
        case .relu: unaryBackwardLoop(UF.Relu.self, x, y, g, gx, n, p, q)
        case .sigmoid: unaryBackwardLoop(UF.Sigmoid.self, x, y, g, gx, n, p, q)
        case .tanh: unaryBackwardLoop(UF.Tanh.self, x, y, g, gx, n, p, q)
        case .softplus: unaryBackwardLoop(UF.Softplus.self, x, y, g, gx, n, p, q)
        case .silu: unaryBackwardLoop(UF.Silu.self, x, y, g, gx, n, p, q)
        case .gelu: unaryBackwardLoop(UF.Gelu.self, x, y, g, gx, n, p, q)
        case .geluTanh: unaryBackwardLoop(UF.GeluTanh.self, x, y, g, gx, n, p, q)
        case .selu: unaryBackwardLoop(UF.Selu.self, x, y, g, gx, n, p, q)
        case .hardSigmoid: unaryBackwardLoop(UF.HardSigmoid.self, x, y, g, gx, n, p, q)
        case .elu: unaryBackwardLoop(UF.Elu.self, x, y, g, gx, n, p, q)
        case .leakyRelu: unaryBackwardLoop(UF.LeakyRelu.self, x, y, g, gx, n, p, q)
        case .clamp: unaryBackwardLoop(UF.Clamp.self, x, y, g, gx, n, p, q)
        case .pow: unaryBackwardLoop(UF.PowScalar.self, x, y, g, gx, n, p, q)
        }
    }

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, shape: Shape) -> Tensor {
        let plan = BroadcastPlan(a: a.shape, b: b.shape, out: shape)
        let outType: DType = (op.isComparison || op.isLogical) ? .bool : a.dtype
        let out = Tensor(empty: shape, dtype: outType)
        if op.isLogical {
            let pa = a.ptr(Bool.self), pb = b.ptr(Bool.self), po = out.ptr(Bool.self)
            switch op {
            case .logicalAnd: binaryLoop(LogicFn<AndOp>.self, plan, pa, pb, po)
            case .logicalOr: binaryLoop(LogicFn<OrOp>.self, plan, pa, pb, po)
            default: binaryLoop(LogicFn<XorOp>.self, plan, pa, pb, po)
            }
            return out
        }
        switch a.dtype {
        case .float32: runBinary(op, plan, a.ptr(Float.self), b.ptr(Float.self), out)
        case .float64: runBinary(op, plan, a.ptr(Double.self), b.ptr(Double.self), out)
        case .int32: runBinaryInt(op, plan, a.ptr(Int32.self), b.ptr(Int32.self), out)
        case .int64: runBinaryInt(op, plan, a.ptr(Int64.self), b.ptr(Int64.self), out)
        case .uint8: runBinaryInt(op, plan, a.ptr(UInt8.self), b.ptr(UInt8.self), out)
        case .bool:
            precondition(op == .equal || op == .notEqual, "\(op.name) is not defined on bool tensors")
            let pa = a.ptr(Bool.self), pb = b.ptr(Bool.self), po = out.ptr(Bool.self)
            if op == .equal { binaryLoop(LogicFn<EqOp>.self, plan, pa, pb, po) } else { binaryLoop(LogicFn<XorOp>.self, plan, pa, pb, po) }
        default: unsupported(op.name, a.dtype)
        }
        return out
    }

    @inlinable func runBinary<T: KernelFloat>(_ op: BinaryOp, _ plan: BroadcastPlan, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: Tensor) {
        if op == .pow { binaryLoop(FloatFn<BF.Pow, T>.self, plan, a, b, out.ptr(T.self)); return }
        runBinaryInt(op, plan, a, b, out)
    }

    @inlinable func runBinaryInt<T: KernelNumeric>(_ op: BinaryOp, _ plan: BroadcastPlan, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: Tensor) {
        switch op {
        case .add: binaryLoop(ArithFn<BF.Add, T>.self, plan, a, b, out.ptr(T.self))
        case .sub: binaryLoop(ArithFn<BF.Sub, T>.self, plan, a, b, out.ptr(T.self))
        case .mul: binaryLoop(ArithFn<BF.Mul, T>.self, plan, a, b, out.ptr(T.self))
        case .div: binaryLoop(ArithFn<BF.Div, T>.self, plan, a, b, out.ptr(T.self))
        case .maximum: binaryLoop(ArithFn<BF.Max, T>.self, plan, a, b, out.ptr(T.self))
        case .minimum: binaryLoop(ArithFn<BF.Min, T>.self, plan, a, b, out.ptr(T.self))
        case .equal: binaryLoop(CompareFn<BF.Eq, T>.self, plan, a, b, out.ptr(Bool.self))
        case .notEqual: binaryLoop(CompareFn<BF.Ne, T>.self, plan, a, b, out.ptr(Bool.self))
        case .less: binaryLoop(CompareFn<BF.Lt, T>.self, plan, a, b, out.ptr(Bool.self))
        case .lessEqual: binaryLoop(CompareFn<BF.Le, T>.self, plan, a, b, out.ptr(Bool.self))
        case .greater: binaryLoop(CompareFn<BF.Gt, T>.self, plan, a, b, out.ptr(Bool.self))
        case .greaterEqual: binaryLoop(CompareFn<BF.Ge, T>.self, plan, a, b, out.ptr(Bool.self))
        case .pow: preconditionFailure("pow is computed in floating point")
        case .logicalAnd, .logicalOr, .logicalXor: preconditionFailure("logical ops take bool tensors")
        }
    }

    public func logicalNot(_ x: Tensor) -> Tensor {
        let out = Tensor(empty: x.shape, dtype: .bool)
        let px = x.ptr(Bool.self), po = out.ptr(Bool.self)
        for i in 0..<x.count { po[i] = !px[i] }
        return out
    }

    public func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor, shape: Shape) -> Tensor {
        // Broadcast all three to `shape`, then pick per element (dtype-agnostic by element size).
        let c = condition.shape == shape ? condition : copyBroadcast(condition, to: shape)
        let x = a.shape == shape ? a : copyBroadcast(a, to: shape)
        let y = b.shape == shape ? b : copyBroadcast(b, to: shape)
        let out = Tensor(empty: shape, dtype: a.dtype)
        let pc = c.ptr(Bool.self), n = out.count
        func pick<T>(_: T.Type) {
            let px = x.ptr(T.self), py = y.ptr(T.self), po = out.ptr(T.self)
            parallelChunks(n) { r in for i in r { po[i] = pc[i] ? px[i] : py[i] } }
        }
        switch a.dtype.byteSize {
        case 1: pick(UInt8.self)
        case 2: pick(UInt16.self)
        case 4: pick(UInt32.self)
        default: pick(UInt64.self)
        }
        return out
    }

    /// `x` materialised at a broadcast shape.
    func copyBroadcast(_ x: Tensor, to shape: Shape) -> Tensor {
        let off = shape.count - x.rank
        var strides = [Int](repeating: 0, count: shape.count)
        let xs = x.shape.contiguousStrides
        for i in 0..<x.rank where x.shape[i] != 1 { strides[i + off] = xs[i] }
        return copyStrided(x, offset: 0, strides: strides, shape: shape)
    }

    public func fill(_ shape: Shape, value: Double, dtype: DType) -> Tensor {
        var t = Tensor(empty: shape, dtype: dtype)
        t.fillScalar(value)
        return t
    }
}

public protocol LogicOp { static func f(_ a: Bool, _ b: Bool) -> Bool }
public enum AndOp: LogicOp { @inlinable public static func f(_ a: Bool, _ b: Bool) -> Bool { a && b } }
public enum OrOp: LogicOp { @inlinable public static func f(_ a: Bool, _ b: Bool) -> Bool { a || b } }
public enum XorOp: LogicOp { @inlinable public static func f(_ a: Bool, _ b: Bool) -> Bool { a != b } }
public enum EqOp: LogicOp { @inlinable public static func f(_ a: Bool, _ b: Bool) -> Bool { a == b } }
public enum LogicFn<F: LogicOp>: BinaryElementFunction {
    @inlinable @inline(__always) public static func apply(_ a: Bool, _ b: Bool) -> Bool { F.f(a, b) }
}
