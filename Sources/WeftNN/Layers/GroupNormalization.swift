import Weft

/// Group normalisation (Keras 3 `GroupNormalization`) of channels-first input [N, C, ...]
/// (axis 1): the C channels are split into `groups` groups of C/groups consecutive channels,
/// and each sample's group is normalised over its channels and all spatial positions together
/// (biased variance), then the per-channel `gamma` and `beta` are applied.
/// `groups == 1` normalises each whole sample; `groups == C` is instance normalisation.
public final class GroupNormalization: Layer {
    public let groups: Int
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public var gamma: Parameter?
    public var beta: Parameter?
    var channels: Int?

    public init(groups: Int = 32, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true) {
        precondition(groups > 0, "GroupNormalization: groups must be positive, got \(groups)")
        precondition(epsilon > 0, "GroupNormalization: epsilon must be positive, got \(epsilon)")
        self.groups = groups
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard let c = s.first else {
            throw ShapeError(layer: "GroupNormalization", "needs an input with a channel dimension, got \(s)")
        }
        guard c % groups == 0 else {
            throw ShapeError(layer: "GroupNormalization", "\(groups) groups do not divide \(c) channels of input shape \(s)")
        }
        if let built = channels {
            guard built == c else {
                throw ShapeError(layer: "GroupNormalization", "input shape \(s) has \(c) channels, but the layer was built for \(built)")
            }
            return s
        }
        channels = c
        if scale { gamma = Parameter(.ones([c])) }
        if center { beta = Parameter(.zeros([c])) }
        return s
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 2, "GroupNormalization: expects [N, C, ...] input, got \(x.shape)")
        if channels == nil { ensureBuilt(self, x) }
        let n = x.shape[0], c = x.shape[1]
        let grouped = x.reshaped(to: [n, groups, x.shape.elementCount / Swift.max(n * groups, 1)])
        let mean = grouped.mean(alongAxes: [2], keepingDims: true)
        let variance = grouped.variance(alongAxes: [2], keepingDims: true)
        var y = ((grouped - mean) * rsqrt(variance + epsilon)).reshaped(to: x.shape)
        var bshape = Shape(repeating: 1, count: x.rank)
        bshape[1] = c
        if let g = gamma { y = y * g.value.reshaped(to: bshape) }
        if let b = beta { y = y + b.value.reshaped(to: bshape) }
        return y
    }
}
