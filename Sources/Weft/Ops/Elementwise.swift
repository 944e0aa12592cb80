// Elementwise ops: one definition each (shape rule: same shape / NumPy broadcasting; dtype rule:
// PyTorch promotion; gradient next to the forward). Half-precision inputs compute in float32.

extension Tensor {
    /// Applies a unary op (forward kernel + recorded derivative).
    public func applying(_ op: UnaryOp) -> Tensor {
        if dtype == .float16 || dtype == .bfloat16 { return cast(to: .float32).applying(op).cast(to: dtype) }
        if !dtype.isFloatingPoint && !op.worksOnIntegers { return cast(to: dtype.floatingResult).applying(op) }
        precondition(dtype != .bool, "\(op): not defined on bool tensors")
        let backend = device.backend
        let x = self
        var y = backend.unary(op, x)
        if needsRecord(x) && dtype.isFloatingPoint {
            let yv = y
            y.record("unary", [x]) { g, _ in [backend.unaryBackward(op, x: x, y: yv, gradient: g)] }
        }
        return y
    }

    /// Converts to another dtype (differentiable between floating types).
    public func cast(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        var y = device.backend.cast(self, to: dtype)
        if needsRecord(self) && dtype.isFloatingPoint && self.dtype.isFloatingPoint {
            let src = self.dtype
            y.record("cast", [self]) { g, _ in [g.cast(to: src)] }
        }
        return y
    }

    /// A scalar tensor of `value` that combines with `self` without changing its dtype when
    /// possible (PyTorch's rule for Python scalars: an integer tensor with a fractional scalar
    /// becomes the default float type).
    func scalarLike(_ value: Double) -> Tensor {
        let dt: DType
        if dtype.isFloatingPoint { dt = dtype }
        else if dtype == .bool { dt = value == value.rounded() ? .int64 : TensorDefaults.floatType }
        else { dt = value == value.rounded() ? dtype : TensorDefaults.floatType }
        return Tensor(value, dtype: dt)
    }

    /// The gradient `g` of a broadcast result, summed back to `shape`.
    public func summed(toShape shape: Shape) -> Tensor {
        if self.shape == shape { return self }
        let lead = rank - shape.count
        var axes = Array(0..<lead)
        for i in 0..<shape.count where shape[i] == 1 && self.shape[i + lead] != 1 { axes.append(i + lead) }
        return sum(alongAxes: axes, keepingDims: true).reshaped(to: shape)
    }
}

/// Applies a binary op with broadcasting and promotion, recording its gradient.
public func binaryOp(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.device == b.device, "\(op.name): tensors on different devices (\(a.device) and \(b.device))")
    if op.isLogical {
        let ab = a.dtype == .bool ? a : a.cast(to: .bool), bb = b.dtype == .bool ? b : b.cast(to: .bool)
        return a.device.backend.binary(op, ab, bb, shape: broadcastShapes(a.shape, b.shape, op: op.name))
    }
    var dt = DType.promote(a.dtype, b.dtype)
    if op == .div || op == .pow { dt = dt.floatingResult }
    if dt == .float16 || dt == .bfloat16 {
        let r = binaryOp(op, a.cast(to: .float32), b.cast(to: .float32))
        return op.isComparison ? r : r.cast(to: dt)
    }
    if dt == .bool && !op.isComparison { dt = .int64 }
    let shape = broadcastShapes(a.shape, b.shape, op: op.name)
    let x = a.cast(to: dt), y = b.cast(to: dt)
    var out = a.device.backend.binary(op, x, y, shape: shape)
    if !op.isComparison && dt.isFloatingPoint && needsRecord(x, y) {
        let o = out
        out.record(op.name, [x, y]) { g, need in
            var ga: Tensor? = nil, gb: Tensor? = nil
            switch op {
            case .add:
                if need[0] { ga = g }
                if need[1] { gb = g }
            case .sub:
                if need[0] { ga = g }
                if need[1] { gb = -g }
            case .mul:
                if need[0] { ga = g * y }
                if need[1] { gb = g * x }
            case .div:
                if need[0] { ga = g / y }
                if need[1] { gb = -(g * o / y) }
            case .pow:
                if need[0] { ga = g * y * pow(x, y - 1) }
                if need[1] { gb = g * o * log(x) }
            case .maximum, .minimum:
                let mask = (op == .maximum ? x .>= y : x .<= y).cast(to: dt)
                if need[0] { ga = g * mask }
                if need[1] { gb = g * (1 - mask) }
            default: break
            }
            return [ga?.summed(toShape: x.shape), gb?.summed(toShape: y.shape)]
        }
    }
    return out
}

// MARK: Operators

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { binaryOp(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binaryOp(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binaryOp(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binaryOp(.div, a, b) }
    public static func + (a: Tensor, b: Double) -> Tensor { binaryOp(.add, a, a.scalarLike(b)) }
    public static func - (a: Tensor, b: Double) -> Tensor { binaryOp(.sub, a, a.scalarLike(b)) }
    public static func * (a: Tensor, b: Double) -> Tensor { binaryOp(.mul, a, a.scalarLike(b)) }
    public static func / (a: Tensor, b: Double) -> Tensor { binaryOp(.div, a, a.scalarLike(b)) }
    public static func + (a: Double, b: Tensor) -> Tensor { binaryOp(.add, b.scalarLike(a), b) }
    public static func - (a: Double, b: Tensor) -> Tensor { binaryOp(.sub, b.scalarLike(a), b) }
    public static func * (a: Double, b: Tensor) -> Tensor { binaryOp(.mul, b.scalarLike(a), b) }
    public static func / (a: Double, b: Tensor) -> Tensor { binaryOp(.div, b.scalarLike(a), b) }
    public static prefix func - (x: Tensor) -> Tensor { x.applying(.neg) }
    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }

    public static func .== (a: Tensor, b: Tensor) -> Tensor { binaryOp(.equal, a, b) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { binaryOp(.notEqual, a, b) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { binaryOp(.less, a, b) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { binaryOp(.lessEqual, a, b) }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { binaryOp(.greater, a, b) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { binaryOp(.greaterEqual, a, b) }
    public static func .== (a: Tensor, b: Double) -> Tensor { binaryOp(.equal, a, a.scalarLike(b)) }
    public static func .< (a: Tensor, b: Double) -> Tensor { binaryOp(.less, a, a.scalarLike(b)) }
    public static func .<= (a: Tensor, b: Double) -> Tensor { binaryOp(.lessEqual, a, a.scalarLike(b)) }
    public static func .> (a: Tensor, b: Double) -> Tensor { binaryOp(.greater, a, a.scalarLike(b)) }
    public static func .>= (a: Tensor, b: Double) -> Tensor { binaryOp(.greaterEqual, a, a.scalarLike(b)) }
}

infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

// MARK: Free functions (NumPy/PyTorch names)

public func exp(_ x: Tensor) -> Tensor { x.applying(.exp) }
public func log(_ x: Tensor) -> Tensor { x.applying(.log) }
public func log1p(_ x: Tensor) -> Tensor { x.applying(.log1p) }
public func expm1(_ x: Tensor) -> Tensor { x.applying(.expm1) }
public func sqrt(_ x: Tensor) -> Tensor { x.applying(.sqrt) }
public func rsqrt(_ x: Tensor) -> Tensor { x.applying(.rsqrt) }
public func abs(_ x: Tensor) -> Tensor { x.applying(.abs) }
public func sign(_ x: Tensor) -> Tensor { x.applying(.sign) }
public func square(_ x: Tensor) -> Tensor { x.applying(.square) }
public func reciprocal(_ x: Tensor) -> Tensor { x.applying(.reciprocal) }
public func sin(_ x: Tensor) -> Tensor { x.applying(.sin) }
public func cos(_ x: Tensor) -> Tensor { x.applying(.cos) }
public func relu(_ x: Tensor) -> Tensor { x.applying(.relu) }
public func sigmoid(_ x: Tensor) -> Tensor { x.applying(.sigmoid) }
public func tanh(_ x: Tensor) -> Tensor { x.applying(.tanh) }
public func softplus(_ x: Tensor) -> Tensor { x.applying(.softplus) }
public func silu(_ x: Tensor) -> Tensor { x.applying(.silu) }
/// GELU; `approximate: true` is the tanh form (PyTorch `approximate='tanh'`).
public func gelu(_ x: Tensor, approximate: Bool = false) -> Tensor { x.applying(approximate ? .geluTanh : .gelu) }
public func selu(_ x: Tensor) -> Tensor { x.applying(.selu) }
public func elu(_ x: Tensor, alpha: Double = 1) -> Tensor { x.applying(.elu(alpha: alpha)) }
public func leakyRelu(_ x: Tensor, alpha: Double = 0.01) -> Tensor { x.applying(.leakyRelu(alpha: alpha)) }
/// Keras 3 / PyTorch hard sigmoid: relu6(x + 3) / 6.
public func hardSigmoid(_ x: Tensor) -> Tensor { x.applying(.hardSigmoid) }
public func clamp(_ x: Tensor, min: Double = -.infinity, max: Double = .infinity) -> Tensor { x.applying(.clamp(min: min, max: max)) }
public func pow(_ x: Tensor, _ p: Double) -> Tensor { x.applying(.pow(p)) }
public func pow(_ x: Tensor, _ y: Tensor) -> Tensor { binaryOp(.pow, x, y) }
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.maximum, a, b) }
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.minimum, a, b) }
public func logicalAnd(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.logicalAnd, a, b) }
public func logicalOr(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.logicalOr, a, b) }
public func logicalXor(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.logicalXor, a, b) }
public func logicalNot(_ x: Tensor) -> Tensor { x.device.backend.logicalNot(x.dtype == .bool ? x : x.cast(to: .bool)) }

/// Picks `a` where `condition` is true, else `b` (all three broadcast).
public func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let dt = DType.promote(a.dtype, b.dtype)
    let x = a.cast(to: dt), y = b.cast(to: dt)
    let c = condition.dtype == .bool ? condition : condition.cast(to: .bool)
    let shape = broadcastShapes(broadcastShapes(c.shape, x.shape, op: "where"), y.shape, op: "where")
    var out = a.device.backend.select(c, x, y, shape: shape)
    if dt.isFloatingPoint && needsRecord(x, y) {
        out.record("where", [x, y]) { g, need in
            let zero = Tensor.zeros([], dtype: dt)
            return [need[0] ? `where`(c, g, zero).summed(toShape: x.shape) : nil,
                    need[1] ? `where`(c, zero, g).summed(toShape: y.shape) : nil]
        }
    }
    return out
}
