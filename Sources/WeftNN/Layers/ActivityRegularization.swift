import Weft

// Losses that layers add during the forward pass (Keras's `add_loss`): activity regularizers
// and whatever a custom layer wants penalised. `fit` collects them in each training step and
// adds their sum to the loss (inside the gradient computation); a custom loop wraps its forward
// pass in `collectingAddedLosses`.

/// The losses added while a forward pass runs.
final class AddedLossCollector: @unchecked Sendable {
    var losses: [Tensor] = []
}

enum AddedLosses {
    @TaskLocal static var collector: AddedLossCollector?
}

/// Adds `loss` (a 0-d tensor) to the training loss of the forward pass that is running (Keras's
/// `layer.add_loss`); outside `fit` / `collectingAddedLosses` it is dropped.
public func addLoss(_ loss: Tensor) {
    precondition(loss.rank == 0, "addLoss: needs a 0-d loss, got shape \(loss.shape)")
    AddedLosses.collector?.losses.append(loss)
}

/// Runs `body` and returns its result with the sum of the losses layers added meanwhile (nil
/// when none were), for custom training loops: `loss = criterion + (added ?? 0)`.
public func collectingAddedLosses<R>(_ body: () throws -> R) rethrows -> (result: R, addedLoss: Tensor?) {
    let c = AddedLossCollector()
    let r = try AddedLosses.$collector.withValue(c) { try body() }
    guard var total = c.losses.first else { return (r, nil) }
    for l in c.losses.dropFirst() { total = total + l.cast(to: total.dtype) }
    return (r, total)
}

/// Keras's activity regularizer on a layer's output: the penalty of the output divided by the
/// batch size (Keras 3 normalises by it).
func addActivityLoss(_ regularizer: Regularizer?, _ output: Tensor) {
    guard let r = regularizer, AddedLosses.collector != nil else { return }
    let p = r.penalty(output)
    addLoss(output.rank > 0 && output.shape[0] > 0 ? p / Double(output.shape[0]) : p)
}

/// Keras `ActivityRegularization`: passes its input through and adds
/// `(l1·Σ|x| + l2·Σx²) / batch` to the training loss.
public final class ActivityRegularization: Layer {
    public let l1: Double
    public let l2: Double
    public init(l1: Double = 0, l2: Double = 0) {
        precondition(l1 >= 0 && l2 >= 0, "ActivityRegularization: l1 and l2 must be ≥ 0")
        self.l1 = l1
        self.l2 = l2
    }
    public func build(inputShape s: Shape) throws -> Shape { s }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        addActivityLoss(Regularizer(l1: l1, l2: l2), x)
        return x
    }
}

extension ActivityRegularization: MaskingLayer {
    public func computeMask(_ input: Tensor, inputMask: Tensor?) -> Tensor? { inputMask }
}
