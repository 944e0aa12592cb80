/// Vector loops for the elementwise ops. Each is generic over a functor type and an element
/// type and specialised by the compiler, so the loop body is the functor's inlined math.

@inlinable
func unaryLoop<F: UnaryFunctor, T: KernelFloat>(_: F.Type, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ p: T, _ q: T) {
    parallelChunks(n, costPerItem: 4) { r in
        for i in r { y[i] = F.f(x[i], p, q) }
    }
}

@inlinable
func unaryIntLoop<F: IntegerUnaryFunctor, T: KernelNumeric>(_: F.Type, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ p: T, _ q: T) {
    parallelChunks(n) { r in
        for i in r { y[i] = F.fi(x[i], p, q) }
    }
}

@inlinable
func unaryBackwardLoop<F: UnaryFunctor, T: KernelFloat>(_: F.Type, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ g: UnsafePointer<T>,
                                                        _ gx: UnsafeMutablePointer<T>, _ n: Int, _ p: T, _ q: T) {
    parallelChunks(n, costPerItem: 4) { r in
        for i in r { gx[i] = g[i] * F.df(x[i], y[i], p, q) }
    }
}

/// An element function of two inputs, as a type (so that loops are specialised on it rather
/// than calling a closure per element).
public protocol BinaryElementFunction {
    associatedtype In
    associatedtype Out
    static func apply(_ a: In, _ b: In) -> Out
}
public enum ArithFn<F: BinaryFunctor, T: KernelNumeric>: BinaryElementFunction {
    @inlinable @inline(__always) public static func apply(_ a: T, _ b: T) -> T { F.f(a, b) }
}
public enum FloatFn<F: FloatBinaryFunctor, T: KernelFloat>: BinaryElementFunction {
    @inlinable @inline(__always) public static func apply(_ a: T, _ b: T) -> T { F.ff(a, b) }
}
public enum CompareFn<F: CompareFunctor, T: Comparable>: BinaryElementFunction {
    @inlinable @inline(__always) public static func apply(_ a: T, _ b: T) -> Bool { F.c(a, b) }
}

/// Broadcast binary loop.
@inlinable
func binaryLoop<E: BinaryElementFunction>(_: E.Type, _ plan: BroadcastPlan, _ a: UnsafePointer<E.In>, _ b: UnsafePointer<E.In>,
                                          _ out: UnsafeMutablePointer<E.Out>) {
    let inner = plan.inner
    if plan.outerCount == 1 {
        // One flat run: split it across threads.
        let sa = plan.aInner, sb = plan.bInner
        parallelChunks(inner) { r in
            if sa == 1 && sb == 1 { for i in r { out[i] = E.apply(a[i], b[i]) } }
            else if sa == 1 { let bv = b[0]; for i in r { out[i] = E.apply(a[i], bv) } }
            else if sb == 1 { let av = a[0]; for i in r { out[i] = E.apply(av, b[i]) } }
            else { let v = E.apply(a[0], b[0]); for i in r { out[i] = v } }
        }
        return
    }
    let sa = plan.aInner, sb = plan.bInner
    parallelChunks(plan.outerCount, costPerItem: inner) { rows in
        for row in rows {
            let (oa, ob) = plan.offsets(row: row)
            let pa = a + oa, pb = b + ob, po = out + row * inner
            if sa == 1 && sb == 1 { for i in 0..<inner { po[i] = E.apply(pa[i], pb[i]) } }
            else if sa == 1 { let bv = pb[0]; for i in 0..<inner { po[i] = E.apply(pa[i], bv) } }
            else if sb == 1 { let av = pa[0]; for i in 0..<inner { po[i] = E.apply(av, pb[i]) } }
            else { let v = E.apply(pa[0], pb[0]); for i in 0..<inner { po[i] = v } }
        }
    }
}
