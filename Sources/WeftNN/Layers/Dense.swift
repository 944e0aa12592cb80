import Weft

/// A fully connected layer: `activation(x · weight + bias)` with a Keras-layout kernel
/// `weight` of shape [inputFeatures, units].
public final class Dense: Layer {
    public let units: Int
    public let activation: Activation
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// Penalties added to the training loss (see `regularizationLoss()`).
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    /// Projections applied after each optimizer update (see `applyConstraints()`).
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    /// Keras's `activity_regularizer`: the output's penalty / batch joins the training loss.
    public var activityRegularizer: Regularizer?
    public var weight: Parameter?
    public var bias: Parameter?
    /// Keras's LoRA factors (`enableLoRA(rank:)`): the layer computes with
    /// weight + (loraAlpha / loraRank)·A·B, the weight frozen.
    public internal(set) var loraKernelA: Parameter?
    public internal(set) var loraKernelB: Parameter?
    public internal(set) var loraRank: Int?
    public internal(set) var loraAlpha: Double?

    /// `loraRank` / `loraAlpha` (default: the rank): Keras's `lora_rank`, LoRA enabled when built.
    public init(_ units: Int, activation: Activation = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, activityRegularizer: Regularizer? = nil,
                loraRank: Int? = nil, loraAlpha: Double? = nil) {
        precondition(units > 0, "Dense: units must be positive, got \(units)")
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha ?? loraRank.map(Double.init)
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        self.activityRegularizer = activityRegularizer
    }

    public func build(inputShape: Shape) throws -> Shape {
        guard let features = inputShape.last, !inputShape.isEmpty else {
            throw ShapeError(layer: "Dense", "needs an input with a feature dimension, got \(inputShape)")
        }
        if let w = weight {
            guard w.value.shape[0] == features else {
                throw ShapeError(layer: "Dense", "input shape \(inputShape) does not match kernel shape \(w.value.shape) (expected last dimension \(w.value.shape[0]), got \(features))")
            }
        } else {
            weight = Parameter(kernelInitializer.make([features, units], fanIn: features, fanOut: units))
            if useBias { bias = Parameter(biasInitializer.make([units], fanIn: features, fanOut: units)) }
            if let r = loraRank { try enableLoRA(rank: r, alpha: loraAlpha) }
        }
        return Array(inputShape.dropLast()) + [units]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if weight == nil { ensureBuilt(self, x) }
        let y = activation.apply(linear(x, weight: loraKernelA == nil ? weight!.value : effectiveKernel!, bias: bias?.value))
        addActivityLoss(activityRegularizer, y)
        return y
    }
}

/// Builds a layer from the shape of the first input it sees; a mismatch stops with the
/// layer's message (callers who want a thrown error use `build(inputShape:)` first).
func ensureBuilt(_ layer: any Layer, _ x: Tensor) {
    do { _ = try layer.build(inputShape: Array(x.shape.dropFirst())) }
    catch { preconditionFailure("\(error)") }
}
