/// The elementwise unary ops. Each case's math (value and derivative) is written once, in its
/// functor below; every backend runs the same definition.
public enum UnaryOp: Hashable, Sendable {
    case neg, exp, log, log1p, expm1, sqrt, rsqrt, abs, sign, square, reciprocal, sin, cos
    case relu, sigmoid, tanh, softplus, silu, gelu, geluTanh, selu, hardSigmoid
    case elu(alpha: Double)
    case leakyRelu(alpha: Double)
    case clamp(min: Double, max: Double)
    case pow(Double)

    /// Ops that are defined on integers as well (others promote integer inputs to float).
    var worksOnIntegers: Bool {
        switch self {
        case .neg, .abs, .sign, .square, .relu, .clamp: return true
        default: return false
        }
    }

    /// Parameters passed to the functor.
    var params: (Double, Double) {
        switch self {
        case .elu(let a), .leakyRelu(let a): return (a, 0)
        case .clamp(let lo, let hi): return (lo, hi)
        case .pow(let p): return (p, 0)
        default: return (0, 0)
        }
    }
}

/// One elementwise function: value `f(x)` and derivative `df(x, y = f(x))`.
public protocol UnaryFunctor {
    static func f<T: KernelFloat>(_ x: T, _ p: T, _ q: T) -> T
    static func df<T: KernelFloat>(_ x: T, _ y: T, _ p: T, _ q: T) -> T
}
/// Unary functions that also run on integers.
public protocol IntegerUnaryFunctor {
    static func fi<T: KernelNumeric>(_ x: T, _ p: T, _ q: T) -> T
}

public enum UF {
    public enum Neg: UnaryFunctor, IntegerUnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { -x }
        @inlinable public static func df<T: KernelFloat>(_: T, _: T, _: T, _: T) -> T { -1 }
        @inlinable public static func fi<T: KernelNumeric>(_ x: T, _: T, _: T) -> T { T.kNeg(x) }
    }
    public enum Exp: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kExp(x) }
        @inlinable public static func df<T: KernelFloat>(_: T, _ y: T, _: T, _: T) -> T { y }
    }
    public enum Log: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kLog(x) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { 1 / x }
    }
    public enum Log1p: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kLog1p(x) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { 1 / (1 + x) }
    }
    public enum Expm1: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kExpm1(x) }
        @inlinable public static func df<T: KernelFloat>(_: T, _ y: T, _: T, _: T) -> T { y + 1 }
    }
    public enum Sqrt: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kSqrt(x) }
        @inlinable public static func df<T: KernelFloat>(_: T, _ y: T, _: T, _: T) -> T { 0.5 / y }
    }
    public enum Rsqrt: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { 1 / T.kSqrt(x) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _ y: T, _: T, _: T) -> T { -0.5 * y / x }
    }
    public enum Abs: UnaryFunctor, IntegerUnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { Swift.abs(x) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : 0) }
        @inlinable public static func fi<T: KernelNumeric>(_ x: T, _: T, _: T) -> T { T.kAbs(x) }
    }
    public enum Sign: UnaryFunctor, IntegerUnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kSign(x) }
        @inlinable public static func df<T: KernelFloat>(_: T, _: T, _: T, _: T) -> T { 0 }
        @inlinable public static func fi<T: KernelNumeric>(_ x: T, _: T, _: T) -> T { T.kSign(x) }
    }
    public enum Square: UnaryFunctor, IntegerUnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { x * x }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { 2 * x }
        @inlinable public static func fi<T: KernelNumeric>(_ x: T, _: T, _: T) -> T { T.kMul(x, x) }
    }
    public enum Reciprocal: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { 1 / x }
        @inlinable public static func df<T: KernelFloat>(_: T, _ y: T, _: T, _: T) -> T { -y * y }
    }
    public enum Sin: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kSin(x) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { T.kCos(x) }
    }
    public enum Cos: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kCos(x) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { -T.kSin(x) }
    }
    public enum Relu: UnaryFunctor, IntegerUnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { x > 0 ? x : 0 }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { x > 0 ? 1 : 0 }
        @inlinable public static func fi<T: KernelNumeric>(_ x: T, _: T, _: T) -> T { x > T.zero ? x : T.zero }
    }
    public enum Sigmoid: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T {
            x >= 0 ? 1 / (1 + T.kExp(-x)) : { let e = T.kExp(x); return e / (1 + e) }()
        }
        @inlinable public static func df<T: KernelFloat>(_: T, _ y: T, _: T, _: T) -> T { y * (1 - y) }
    }
    public enum Tanh: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { T.kTanh(x) }
        @inlinable public static func df<T: KernelFloat>(_: T, _ y: T, _: T, _: T) -> T { 1 - y * y }
    }
    public enum Softplus: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { Swift.max(x, 0) + T.kLog1p(T.kExp(-Swift.abs(x))) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _ p: T, _ q: T) -> T { Sigmoid.f(x, p, q) }
    }
    public enum Silu: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _ p: T, _ q: T) -> T { x * Sigmoid.f(x, p, q) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _ p: T, _ q: T) -> T {
            let s = Sigmoid.f(x, p, q)
            return s * (1 + x * (1 - s))
        }
    }
    public enum Gelu: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { 0.5 * x * (1 + T.kErf(x * T(0.7071067811865476))) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T {
            0.5 * (1 + T.kErf(x * T(0.7071067811865476))) + x * T.kExp(-0.5 * x * x) * T(0.3989422804014327)
        }
    }
    public enum GeluTanh: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T {
            0.5 * x * (1 + T.kTanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x)))
        }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T {
            let t = T.kTanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * T(0.7978845608028654) * (1 + 3 * T(0.044715) * x * x)
        }
    }
    public enum Selu: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T {
            x > 0 ? T(1.0507009873554805) * x : T(1.0507009873554805 * 1.6732632423543772) * T.kExpm1(x)
        }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _ y: T, _: T, _: T) -> T {
            x > 0 ? T(1.0507009873554805) : y + T(1.0507009873554805 * 1.6732632423543772)
        }
    }
    public enum HardSigmoid: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _: T, _: T) -> T { Swift.min(Swift.max(x / 6 + 0.5, 0), 1) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _: T, _: T) -> T { (x > -3 && x < 3) ? T(1) / 6 : 0 }
    }
    public enum Elu: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _ a: T, _: T) -> T { x > 0 ? x : a * T.kExpm1(x) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _ y: T, _ a: T, _: T) -> T { x > 0 ? 1 : y + a }
    }
    public enum LeakyRelu: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _ a: T, _: T) -> T { x > 0 ? x : a * x }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _ a: T, _: T) -> T { x > 0 ? 1 : a }
    }
    public enum Clamp: UnaryFunctor, IntegerUnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _ lo: T, _ hi: T) -> T { x.isNaN ? x : Swift.min(Swift.max(x, lo), hi) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _ lo: T, _ hi: T) -> T { (x >= lo && x <= hi) ? 1 : 0 }
        @inlinable public static func fi<T: KernelNumeric>(_ x: T, _ lo: T, _ hi: T) -> T { Swift.min(Swift.max(x, lo), hi) }
    }
    public enum PowScalar: UnaryFunctor {
        @inlinable public static func f<T: KernelFloat>(_ x: T, _ p: T, _: T) -> T { p == 2 ? x * x : T.kPow(x, p) }
        @inlinable public static func df<T: KernelFloat>(_ x: T, _: T, _ p: T, _: T) -> T { p == 2 ? 2 * x : p * T.kPow(x, p - 1) }
    }
}
