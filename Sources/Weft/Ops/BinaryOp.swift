/// The elementwise binary ops (NumPy broadcasting). Arithmetic keeps the promoted dtype,
/// comparisons and logical ops give `bool`.
public enum BinaryOp: Hashable, Sendable {
    case add, sub, mul, div, pow, maximum, minimum
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case logicalAnd, logicalOr, logicalXor

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
    var isLogical: Bool { self == .logicalAnd || self == .logicalOr || self == .logicalXor }

    var name: StaticString {
        switch self {
        case .add: return "add"
        case .sub: return "sub"
        case .mul: return "mul"
        case .div: return "div"
        case .pow: return "pow"
        case .maximum: return "maximum"
        case .minimum: return "minimum"
        case .equal: return "equal"
        case .notEqual: return "notEqual"
        case .less: return "less"
        case .lessEqual: return "lessEqual"
        case .greater: return "greater"
        case .greaterEqual: return "greaterEqual"
        case .logicalAnd: return "logicalAnd"
        case .logicalOr: return "logicalOr"
        case .logicalXor: return "logicalXor"
        }
    }
}

/// An arithmetic binary function on numeric elements.
public protocol BinaryFunctor {
    static func f<T: KernelNumeric>(_ a: T, _ b: T) -> T
}
/// A binary function only defined on floats (pow).
public protocol FloatBinaryFunctor {
    static func ff<T: KernelFloat>(_ a: T, _ b: T) -> T
}
/// A comparison.
public protocol CompareFunctor {
    static func c<T: Comparable>(_ a: T, _ b: T) -> Bool
}

public enum BF {
    public enum Add: BinaryFunctor { @inlinable public static func f<T: KernelNumeric>(_ a: T, _ b: T) -> T { T.kAdd(a, b) } }
    public enum Sub: BinaryFunctor { @inlinable public static func f<T: KernelNumeric>(_ a: T, _ b: T) -> T { T.kSub(a, b) } }
    public enum Mul: BinaryFunctor { @inlinable public static func f<T: KernelNumeric>(_ a: T, _ b: T) -> T { T.kMul(a, b) } }
    public enum Div: BinaryFunctor { @inlinable public static func f<T: KernelNumeric>(_ a: T, _ b: T) -> T { T.kDiv(a, b) } }
    public enum Max: BinaryFunctor {
        @inlinable public static func f<T: KernelNumeric>(_ a: T, _ b: T) -> T { (a != a || a >= b) ? a : b }
    }
    public enum Min: BinaryFunctor {
        @inlinable public static func f<T: KernelNumeric>(_ a: T, _ b: T) -> T { (a != a || a <= b) ? a : b }
    }
    public enum Pow: FloatBinaryFunctor { @inlinable public static func ff<T: KernelFloat>(_ a: T, _ b: T) -> T { T.kPow(a, b) } }
    public enum Eq: CompareFunctor { @inlinable public static func c<T: Comparable>(_ a: T, _ b: T) -> Bool { a == b } }
    public enum Ne: CompareFunctor { @inlinable public static func c<T: Comparable>(_ a: T, _ b: T) -> Bool { a != b } }
    public enum Lt: CompareFunctor { @inlinable public static func c<T: Comparable>(_ a: T, _ b: T) -> Bool { a < b } }
    public enum Le: CompareFunctor { @inlinable public static func c<T: Comparable>(_ a: T, _ b: T) -> Bool { a <= b } }
    public enum Gt: CompareFunctor { @inlinable public static func c<T: Comparable>(_ a: T, _ b: T) -> Bool { a > b } }
    public enum Ge: CompareFunctor { @inlinable public static func c<T: Comparable>(_ a: T, _ b: T) -> Bool { a >= b } }
}
