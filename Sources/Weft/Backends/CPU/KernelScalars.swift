#if canImport(Glibc)
import Glibc
#endif

/// Element types the arithmetic kernels are written for (specialised per type at compile time).
public protocol KernelNumeric: TensorScalar, Comparable {
    static var zero: Self { get }
    static var one: Self { get }
    static func kAdd(_ a: Self, _ b: Self) -> Self
    static func kSub(_ a: Self, _ b: Self) -> Self
    static func kMul(_ a: Self, _ b: Self) -> Self
    static func kDiv(_ a: Self, _ b: Self) -> Self
    static func kNeg(_ a: Self) -> Self
    static func kAbs(_ a: Self) -> Self
    static func kSign(_ a: Self) -> Self
}

/// Floating element types with the math library behind them.
public protocol KernelFloat: KernelNumeric, BinaryFloatingPoint {
    static func kExp(_ x: Self) -> Self
    static func kLog(_ x: Self) -> Self
    static func kLog1p(_ x: Self) -> Self
    static func kExpm1(_ x: Self) -> Self
    static func kSqrt(_ x: Self) -> Self
    static func kTanh(_ x: Self) -> Self
    static func kSin(_ x: Self) -> Self
    static func kCos(_ x: Self) -> Self
    static func kErf(_ x: Self) -> Self
    static func kPow(_ x: Self, _ y: Self) -> Self
    init(_ d: Double)
}

extension KernelNumeric where Self: BinaryFloatingPoint {
    @inlinable public static var one: Self { 1 }
    @inlinable public static func kAdd(_ a: Self, _ b: Self) -> Self { a + b }
    @inlinable public static func kSub(_ a: Self, _ b: Self) -> Self { a - b }
    @inlinable public static func kMul(_ a: Self, _ b: Self) -> Self { a * b }
    @inlinable public static func kDiv(_ a: Self, _ b: Self) -> Self { a / b }
    @inlinable public static func kNeg(_ a: Self) -> Self { -a }
    @inlinable public static func kAbs(_ a: Self) -> Self { Swift.abs(a) }
    @inlinable public static func kSign(_ a: Self) -> Self { a > 0 ? 1 : (a < 0 ? -1 : (a.isNaN ? a : 0)) }
}

extension Float: KernelFloat {
    @inlinable public static func kExp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func kLog(_ x: Float) -> Float { logf(x) }
    @inlinable public static func kLog1p(_ x: Float) -> Float { log1pf(x) }
    @inlinable public static func kExpm1(_ x: Float) -> Float { expm1f(x) }
    @inlinable public static func kSqrt(_ x: Float) -> Float { x.squareRoot() }
    @inlinable public static func kTanh(_ x: Float) -> Float { tanhf(x) }
    @inlinable public static func kSin(_ x: Float) -> Float { sinf(x) }
    @inlinable public static func kCos(_ x: Float) -> Float { cosf(x) }
    @inlinable public static func kErf(_ x: Float) -> Float { erff(x) }
    @inlinable public static func kPow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

extension Double: KernelFloat {
    @inlinable public static func kExp(_ x: Double) -> Double { exp(x) }
    @inlinable public static func kLog(_ x: Double) -> Double { log(x) }
    @inlinable public static func kLog1p(_ x: Double) -> Double { log1p(x) }
    @inlinable public static func kExpm1(_ x: Double) -> Double { expm1(x) }
    @inlinable public static func kSqrt(_ x: Double) -> Double { x.squareRoot() }
    @inlinable public static func kTanh(_ x: Double) -> Double { tanh(x) }
    @inlinable public static func kSin(_ x: Double) -> Double { sin(x) }
    @inlinable public static func kCos(_ x: Double) -> Double { cos(x) }
    @inlinable public static func kErf(_ x: Double) -> Double { erf(x) }
    @inlinable public static func kPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
}

extension KernelNumeric where Self: FixedWidthInteger {
    @inlinable public static var one: Self { 1 }
    @inlinable public static func kAdd(_ a: Self, _ b: Self) -> Self { a &+ b }
    @inlinable public static func kSub(_ a: Self, _ b: Self) -> Self { a &- b }
    @inlinable public static func kMul(_ a: Self, _ b: Self) -> Self { a &* b }
    /// Integer division rounds toward negative infinity, as PyTorch's floor_divide; x / 0 gives 0.
    @inlinable public static func kDiv(_ a: Self, _ b: Self) -> Self {
        if b == 0 { return 0 }
        if Self.isSigned && b == -1 { return 0 &- a }
        let q = a / b
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q
    }
    @inlinable public static func kNeg(_ a: Self) -> Self { 0 &- a }
    @inlinable public static func kAbs(_ a: Self) -> Self { a < 0 ? 0 &- a : a }
    @inlinable public static func kSign(_ a: Self) -> Self { a > 0 ? 1 : (a < 0 ? 0 &- 1 : 0) }
}
extension Int32: KernelNumeric {}
extension Int64: KernelNumeric {}
extension UInt8: KernelNumeric {}
