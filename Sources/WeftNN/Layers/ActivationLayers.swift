import Weft

// Keras's activation layers with arguments (ReLU, LeakyReLU, PReLU, ELU, Softmax) and small
// utility layers (UnitNormalization, Rescaling, Identity, Lambda).

/// Keras `ReLU`: `maxValue` where x ≥ maxValue, x where threshold ≤ x < maxValue,
/// negativeSlope·(x − threshold) below the threshold.
public final class ReLU: Layer {
    public let maxValue: Double?
    public let negativeSlope: Double
    public let threshold: Double

    public init(maxValue: Double? = nil, negativeSlope: Double = 0, threshold: Double = 0) {
        precondition((maxValue ?? 0) >= 0, "ReLU: maxValue must be >= 0, got \(maxValue ?? 0)")
        precondition(negativeSlope >= 0, "ReLU: negativeSlope must be >= 0, got \(negativeSlope)")
        precondition(threshold >= 0, "ReLU: threshold must be >= 0, got \(threshold)")
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
    }
    public func build(inputShape: Shape) throws -> Shape { inputShape }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var y: Tensor
        if threshold == 0 && negativeSlope == 0 {
            y = relu(x)
        } else if threshold == 0 {
            y = leakyRelu(x, alpha: negativeSlope)
        } else {
            let below = x .< Tensor(threshold, dtype: x.dtype)
            y = `where`(below, (x - threshold) * negativeSlope, x)
        }
        if let m = maxValue { y = clamp(y, max: m) }
        return y
    }
}

/// Keras `LeakyReLU`: x for x ≥ 0, negativeSlope·x below.
public final class LeakyReLU: Layer {
    public let negativeSlope: Double
    public init(negativeSlope: Double = 0.3) {
        precondition(negativeSlope >= 0, "LeakyReLU: negativeSlope must be >= 0, got \(negativeSlope)")
        self.negativeSlope = negativeSlope
    }
    public func build(inputShape: Shape) throws -> Shape { inputShape }
    public func callAsFunction(_ x: Tensor) -> Tensor { leakyRelu(x, alpha: negativeSlope) }
}

/// Keras `PReLU`: relu(x) − alpha·relu(−x) with a learned `alpha` of the per-sample input shape,
/// size 1 along `sharedAxes` (counted with the batch axis 0, as Keras's `shared_axes`; e.g.
/// [2, 3] shares one alpha per channel of [N, C, H, W]).
public final class PReLU: Layer {
    public let alphaInitializer: Initializer
    public let sharedAxes: [Int]
    public var alphaRegularizer: Regularizer?
    public var alphaConstraint: Constraint?
    public var alpha: Parameter?

    public init(alphaInitializer: Initializer = .zeros, alphaRegularizer: Regularizer? = nil, alphaConstraint: Constraint? = nil,
                sharedAxes: [Int] = []) {
        self.alphaInitializer = alphaInitializer
        self.alphaRegularizer = alphaRegularizer
        self.alphaConstraint = alphaConstraint
        self.sharedAxes = sharedAxes
    }

    public func build(inputShape: Shape) throws -> Shape {
        var shape = inputShape
        for a in sharedAxes {
            guard a >= 1 && a <= inputShape.count else {
                throw ShapeError(layer: "PReLU", "shared axis \(a) is out of range for input shape \(inputShape) (axes 1…\(inputShape.count))")
            }
            shape[a - 1] = 1
        }
        guard shape.allSatisfy({ $0 > 0 }) else { throw ShapeError(layer: "PReLU", "needs known sizes on the unshared axes, got \(inputShape)") }
        if let p = alpha {
            guard p.value.shape == shape else { throw ShapeError(layer: "PReLU", "input shape \(inputShape) does not match alpha shape \(p.value.shape)") }
        } else {
            alpha = Parameter(alphaInitializer.make(shape, fanIn: shape.elementCount, fanOut: shape.elementCount))
        }
        return inputShape
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if alpha == nil { ensureBuilt(self, x) }
        return relu(x) - alpha!.value.cast(to: x.dtype).unsqueezed(axis: 0) * relu(-x)
    }
}

extension PReLU: RegularizedLayer {
    public var parameterRegularizers: [(Parameter, Regularizer)] { pairs([(alpha, alphaRegularizer)]) }
    public var parameterConstraints: [(Parameter, Constraint)] { pairs([(alpha, alphaConstraint)]) }
}

/// Keras `ELU`: x for x > 0, alpha·(eˣ − 1) otherwise.
public final class ELU: Layer {
    public let alpha: Double
    public init(alpha: Double = 1) { self.alpha = alpha }
    public func build(inputShape: Shape) throws -> Shape { inputShape }
    public func callAsFunction(_ x: Tensor) -> Tensor { elu(x, alpha: alpha) }
}

/// Keras `Softmax` along `axis` (of the batched tensor; −1: the last).
public final class Softmax: Layer {
    public let axis: Int
    public init(axis: Int = -1) {
        precondition(axis != 0, "Softmax: axis 0 is the batch axis")
        self.axis = axis
    }
    public func build(inputShape: Shape) throws -> Shape {
        let a = axis < 0 ? axis + inputShape.count + 1 : axis
        guard a >= 1 && a <= inputShape.count else { throw ShapeError(layer: "Softmax", "axis \(axis) is out of range for input shape \(inputShape)") }
        return inputShape
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.softmax(axis: axis) }
}

/// Keras `UnitNormalization`: x scaled to unit L2 norm along `axes` (x·min(1/‖x‖, 1e12), as Keras).
public final class UnitNormalization: Layer {
    public let axes: [Int]
    public init(axes: [Int] = [-1]) {
        precondition(!axes.isEmpty && !axes.contains(0), "UnitNormalization: axes must be non-batch axes, got \(axes)")
        self.axes = axes
    }
    public func build(inputShape: Shape) throws -> Shape {
        for a in axes {
            let b = a < 0 ? a + inputShape.count + 1 : a
            guard b >= 1 && b <= inputShape.count else {
                throw ShapeError(layer: "UnitNormalization", "axis \(a) is out of range for input shape \(inputShape)")
            }
        }
        return inputShape
    }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let inv = rsqrt(square(x).sum(alongAxes: axes.map { $0 < 0 ? $0 + x.rank : $0 }, keepingDims: true))
        return x * clamp(inv, max: 1e12)
    }
}

/// Keras `Rescaling`: x·scale + offset.
public final class Rescaling: Layer {
    public let scale: Double
    public let offset: Double
    public init(scale: Double, offset: Double = 0) {
        self.scale = scale
        self.offset = offset
    }
    public func build(inputShape: Shape) throws -> Shape { inputShape }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = x.dtype.isFloatingPoint ? x : x.cast(to: TensorDefaults.floatType)
        return offset == 0 ? y * scale : y * scale + offset
    }
}

/// Keras `Identity`: its input, unchanged.
public final class Identity: Layer {
    public init() {}
    public func build(inputShape: Shape) throws -> Shape { inputShape }
    public func callAsFunction(_ x: Tensor) -> Tensor { x }
}

/// Keras `Lambda`: a function of the batch as a layer (no parameters). The output shape is
/// `outputShape(inputShape)` when given, else found as Keras does by running the function once
/// on zeros (a batch of one; unknown sizes as 1).
public final class Lambda: Layer {
    public let function: @Sendable (Tensor) -> Tensor
    public let outputShape: (@Sendable (Shape) -> Shape)?

    public init(outputShape: (@Sendable (Shape) -> Shape)? = nil, _ function: @escaping @Sendable (Tensor) -> Tensor) {
        self.function = function
        self.outputShape = outputShape
    }
    public func build(inputShape: Shape) throws -> Shape {
        if let outputShape { return outputShape(inputShape) }
        let probe = Tensor.zeros([1] + inputShape.map { $0 < 0 ? 1 : $0 }, dtype: TensorDefaults.floatType)
        let y = withoutGradient { function(probe) }
        guard y.rank >= 1, y.shape[0] == 1 else {
            throw ShapeError(layer: "Lambda", "the function must keep the batch axis; on input [1] + \(inputShape) it returned \(y.shape)")
        }
        return Array(y.shape.dropFirst())
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { function(x) }
}
