/// One recorded operation on the autodiff tape.
///
/// A node is created only when some input of an op takes part in a gradient computation and
/// recording is enabled, so inference and plain arithmetic pay one nil check per op.
/// `backward` maps the gradient of the op's output to the gradients of its inputs; it is
/// called with `needed[i]` telling which inputs need one (skipping, say, the gradient of a
/// convolution with respect to the images).
public final class GradNode: @unchecked Sendable {
    public typealias Backward = (_ gradOutput: Tensor, _ needed: [Bool]) -> [Tensor?]
    public let op: StaticString
    let inputs: [GradNode?]
    let backward: Backward?
    let shape: Shape
    let dtype: DType

    @usableFromInline init(op: StaticString, inputs: [GradNode?], shape: Shape, dtype: DType, backward: Backward?) {
        self.op = op
        self.inputs = inputs
        self.shape = shape
        self.dtype = dtype
        self.backward = backward
    }

    var isLeaf: Bool { backward == nil }
}

/// Whether ops record onto the tape. Per task/thread; see `withoutGradient`.
public enum GradientMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording gradients (PyTorch's `torch.no_grad()`).
public func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false) { try body() }
}

extension Tensor {
    /// True when this tensor is part of a gradient computation.
    public var requiresGradient: Bool { node != nil }

    /// This tensor as a new leaf of a gradient computation.
    public func requiringGradient() -> Tensor {
        var t = self
        t.node = GradNode(op: "leaf", inputs: [], shape: shape, dtype: dtype, backward: nil)
        return t
    }

    /// The same values, cut off from the gradient computation.
    public func detached() -> Tensor {
        var t = self
        t.node = nil
        return t
    }

    /// Records `self` (an op's fresh output) as computed from `inputs`.
    @inlinable
    mutating func record(_ op: StaticString, _ inputs: [Tensor], _ backward: @escaping GradNode.Backward) {
        guard GradientMode.isEnabled else { return }
        node = GradNode(op: op, inputs: inputs.map { $0.node }, shape: shape, dtype: dtype, backward: backward)
    }
}

/// Whether an op with these inputs must record (cheap: nil checks first).
@inlinable func needsRecord(_ a: Tensor) -> Bool { a.node != nil }
@inlinable func needsRecord(_ a: Tensor, _ b: Tensor) -> Bool { a.node != nil || b.node != nil }
@inlinable func needsRecord(_ ts: [Tensor]) -> Bool { ts.contains { $0.node != nil } }
