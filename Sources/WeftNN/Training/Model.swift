import Weft

/// A layer that can be compiled and trained (Keras's `Model`). Subclass it and override
/// `callAsFunction` (and `build` for shape checks), or use `Sequential`.
open class Model: Layer {
    /// The per-sample input shape given to `build`, for `summary()`.
    public internal(set) var builtInputShape: Shape?
    public internal(set) var optimizer: (any Optimizer)?
    public internal(set) var loss: Loss?
    public internal(set) var metrics: [Metric] = []
    /// Stateful metrics (``StreamingMetric``) reported by `fit` and `evaluate` under their
    /// `name` (`"val_" + name` for validation): reset at the start of every epoch and of every
    /// evaluation, updated with (output, target) after every batch.
    public internal(set) var streamingMetrics: [any StreamingMetric] = []
    public var name: String = "sequential"
    /// Set (by a ``Callback`` such as ``EarlyStopping``) to end `fit` after the current batch;
    /// `fit` resets it when it starts (Keras's `model.stop_training`).
    public var stopTraining = false

    public init() {}

    open func callAsFunction(_ x: Tensor) -> Tensor { preconditionFailure("\(typeName) must override callAsFunction") }

    open func build(inputShape: Shape) throws -> Shape {
        builtInputShape = inputShape
        return inputShape
    }

    open var typeName: String { String(describing: type(of: self)) }

    open var namedChildren: [(String, any Layer)] {
        var out: [(String, any Layer)] = []
        for child in Mirror(reflecting: self).children {
            guard let label = child.label else { continue }
            if let l = child.value as? any Layer { out.append((label, l)) }
            else if let ls = child.value as? [any Layer] {
                for (i, l) in ls.enumerated() { out.append(("\(label).\(i)", l)) }
            }
        }
        return out
    }

    /// Rows for `summary()`: each layer with its per-sample output shape.
    open var summaryRows: [(layer: any Layer, name: String, outputShape: Shape)]? { nil }

    /// Sets the optimizer, the loss and the metrics for `fit` and `evaluate`. `streamingMetrics`
    /// are stateful metric objects (Keras `keras.metrics.Metric`), reported after `metrics`.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [Metric] = [],
                        streamingMetrics: [any StreamingMetric] = []) {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.streamingMetrics = streamingMetrics
    }
}
