/// The element type of a tensor, decided at run time (as in PyTorch and MLX).
///
/// Promotion follows PyTorch: `bool < uint8 < int32 < int64 < (float16 | bfloat16) < float32 < float64`,
/// and float16 with bfloat16 gives float32.
public enum DType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case bool, uint8, int32, int64, float16, bfloat16, float32, float64

    /// Bytes per element.
    @inlinable public var byteSize: Int {
        switch self {
        case .bool, .uint8: return 1
        case .float16, .bfloat16: return 2
        case .int32, .float32: return 4
        case .int64, .float64: return 8
        }
    }

    @inlinable public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }

    @inlinable public var isInteger: Bool { self == .uint8 || self == .int32 || self == .int64 }

    public var description: String {
        switch self {
        case .bool: return "bool"
        case .uint8: return "uint8"
        case .int32: return "int32"
        case .int64: return "int64"
        case .float16: return "float16"
        case .bfloat16: return "bfloat16"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }

    private var rank: Int {
        switch self {
        case .bool: return 0
        case .uint8: return 1
        case .int32: return 2
        case .int64: return 3
        case .float16, .bfloat16: return 4
        case .float32: return 5
        case .float64: return 6
        }
    }

    /// The common type of two operands (PyTorch's `promote_types`).
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if (a == .float16 && b == .bfloat16) || (a == .bfloat16 && b == .float16) { return .float32 }
        return a.rank >= b.rank ? a : b
    }

    /// The type math on this type produces when a floating result is needed (ints → the default float type).
    public var floatingResult: DType { isFloatingPoint ? self : TensorDefaults.floatType }

    /// The type kernels compute in: float16 and bfloat16 are computed in float32.
    @inlinable public var computeType: DType { (self == .float16 || self == .bfloat16) ? .float32 : self }
}

/// A Swift type that can be a tensor element.
public protocol TensorScalar: Sendable {
    static var dtype: DType { get }
    /// Lossy conversion through `Double`, used for printing, casting and creation.
    var doubleValue: Double { get }
    init(doubleValue: Double)
}

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(doubleValue: Double) { self = Float(doubleValue) }
}
extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
    @inlinable public var doubleValue: Double { self }
    @inlinable public init(doubleValue: Double) { self = doubleValue }
}
extension Float16: TensorScalar {
    public static var dtype: DType { .float16 }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(doubleValue: Double) { self = Float16(doubleValue) }
}
extension Int32: TensorScalar {
    public static var dtype: DType { .int32 }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(doubleValue: Double) { self = doubleValue.isNaN ? 0 : Int32(clamping: Int64(Swift.max(Swift.min(doubleValue, 9.2e18), -9.2e18))) }
}
extension Int64: TensorScalar {
    public static var dtype: DType { .int64 }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(doubleValue: Double) { self = doubleValue.isNaN ? 0 : Int64(Swift.max(Swift.min(doubleValue, 9.2e18), -9.2e18)) }
}
extension UInt8: TensorScalar {
    public static var dtype: DType { .uint8 }
    @inlinable public var doubleValue: Double { Double(self) }
    /// Wraps like C (and PyTorch) for in-range integers; out-of-range values are clamped.
    @inlinable public init(doubleValue: Double) { self = doubleValue.isNaN ? 0 : UInt8(truncatingIfNeeded: Int64(Swift.max(Swift.min(doubleValue, 9.2e18), -9.2e18))) }
}
extension Bool: TensorScalar {
    public static var dtype: DType { .bool }
    @inlinable public var doubleValue: Double { self ? 1 : 0 }
    @inlinable public init(doubleValue: Double) { self = doubleValue != 0 }
}

/// bfloat16: the top 16 bits of an IEEE float32 (round-to-nearest-even on conversion).
public struct BFloat16: TensorScalar, Hashable, CustomStringConvertible {
    public var bitPattern: UInt16
    public static var dtype: DType { .bfloat16 }
    @inlinable public init(bitPattern: UInt16) { self.bitPattern = bitPattern }
    @inlinable public init(_ f: Float) {
        if f.isNaN { bitPattern = 0x7FC0; return }
        let bits = f.bitPattern
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        bitPattern = UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
    @inlinable public var floatValue: Float { Float(bitPattern: UInt32(bitPattern) << 16) }
    @inlinable public var doubleValue: Double { Double(floatValue) }
    @inlinable public init(doubleValue: Double) { self.init(Float(doubleValue)) }
    public var description: String { floatValue.description }
}

/// Process-wide defaults, like Keras's backend configuration.
public enum TensorDefaults {
    nonisolated(unsafe) private static var _floatType: DType = .float32
    /// The dtype of tensors created from Swift floating literals and of integer math that needs a float result.
    public static var floatType: DType {
        get { _floatType }
        set {
            precondition(newValue.isFloatingPoint, "TensorDefaults.floatType must be a floating type, got \(newValue)")
            _floatType = newValue
        }
    }
}
