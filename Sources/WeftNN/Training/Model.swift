import Weft

/// A layer that can be compiled and trained (Keras's `Model`). Subclass it and override
/// `callAsFunction` (and `build` for shape checks), use `Sequential`, or build a functional
/// model with `Model(inputs:outputs:)` from symbolic tensors (``Input(shape:dtype:name:)``).
///
/// A model is a ``MultiIOLayer``: `call(_:)` runs a functional model's graph with all its inputs
/// and outputs, and wraps `callAsFunction(_:)` for other models, so models nest in models.
open class Model: MultiIOLayer {
    /// The per-sample input shape given to `build`, for `summary()`.
    public internal(set) var builtInputShape: Shape?
    public internal(set) var optimizer: (any Optimizer)?
    public internal(set) var loss: Loss?
    /// One loss per output (`compile(optimizer:losses:lossWeights:metrics:)`); a single `loss`
    /// applies to every output.
    public internal(set) var losses: [Loss] = []
    /// Weights of the per-output losses in the total loss (nil: all 1).
    public internal(set) var lossWeights: [Double]?
    /// Per-output metrics (`compile(optimizer:losses:…)`); nil when `metrics` apply to every output.
    public internal(set) var outputMetrics: [[Metric]]?
    /// Per-output streaming metrics; nil when `streamingMetrics` apply (to the first output).
    public internal(set) var outputStreamingMetrics: [[any StreamingMetric]]?
    /// The layer graph of a functional model (`Model(inputs:outputs:)`).
    var graph: FunctionalGraph?
    public internal(set) var metrics: [Metric] = []
    /// Stateful metrics (``StreamingMetric``) reported by `fit` and `evaluate` under their
    /// `name` (`"val_" + name` for validation): reset at the start of every epoch and of every
    /// evaluation, updated with (output, target) after every batch.
    public internal(set) var streamingMetrics: [any StreamingMetric] = []
    /// Keras's `weighted_metrics`: streaming metrics updated with the batches' sample weights
    /// (`sampleWeight` × class weights), logged as `weighted_<name>` where an unweighted metric
    /// of the same output has the same name.
    public internal(set) var weightedMetrics: [any StreamingMetric] = []
    /// Per-output weighted metrics (`compile(optimizer:losses:…)`); nil when `weightedMetrics`
    /// apply (to the first output).
    public internal(set) var outputWeightedMetrics: [[any StreamingMetric]]?
    public var name: String = "sequential"
    /// Set (by a ``Callback`` such as ``EarlyStopping``) to end `fit` after the current batch;
    /// `fit` resets it when it starts (Keras's `model.stop_training`).
    public var stopTraining = false

    public init() {}

    /// Runs a functional model with one input and one output; subclasses override it.
    open func callAsFunction(_ x: Tensor) -> Tensor {
        if let graph {
            precondition(graph.outputs.count == 1, "\(name): the model has \(graph.outputs.count) outputs; use call(_:) or predict to get them all")
            return graph.run([x], model: name)[0]
        }
        preconditionFailure("\(typeName) must override callAsFunction")
    }

    open func build(inputShape: Shape) throws -> Shape {
        if let graph {
            let out = try graph.check([inputShape], model: name)
            guard out.count == 1 else { throw ShapeError(layer: name, "the model has \(out.count) outputs; use build(inputShapes:)") }
            return out[0]
        }
        builtInputShape = inputShape
        return inputShape
    }

    /// Runs the model on several inputs (a functional model's graph; other models take one
    /// input and give one output through `callAsFunction`).
    open func call(_ inputs: [Tensor]) -> [Tensor] {
        if let graph { return graph.run(inputs, model: name) }
        precondition(inputs.count == 1, "\(name): a \(typeName) model takes one input, got \(inputs.count)")
        return [self(inputs[0])]
    }

    open func build(inputShapes: [Shape]) throws -> [Shape] {
        if let graph { return try graph.check(inputShapes, model: name) }
        guard inputShapes.count == 1 else {
            throw ShapeError(layer: name, "a \(typeName) model takes one input, got \(inputShapes.count) with shapes \(inputShapes)")
        }
        return [try build(inputShape: inputShapes[0])]
    }

    open var typeName: String { graph != nil ? "Functional" : String(describing: type(of: self)) }

    open var namedChildren: [(String, any Layer)] {
        if let graph { return graph.childLayers.map { (graph.name(of: $0), $0) } }
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

    /// The model's layers under the names `summary()` shows (a functional model's without its
    /// inputs; a subclassed model's by property name).
    open var namedLayers: [(name: String, layer: any Layer)] {
        if let graph { return graph.layers.filter { !($0 is InputLayer) }.map { (name: graph.name(of: $0), layer: $0) } }
        return namedChildren.map { (name: $0.0, layer: $0.1) }
    }

    /// Keras `get_layer(name=)`: the layer called `name` (as `summary()` shows it), or nil.
    public func layer(named name: String) -> (any Layer)? { namedLayers.first { $0.name == name }?.layer }

    /// Keras `get_layer(index=)`: the layer at `index` of `namedLayers`.
    public func layer(at index: Int) -> any Layer {
        let all = namedLayers
        precondition(all.indices.contains(index), "\(name): no layer at index \(index); the model has \(all.count)")
        return all[index].layer
    }

    /// Rows for `summary()`: each layer with its per-sample output shape.
    /// A functional model's rows are its layers (inputs left out) with their first outputs' shapes.
    open var summaryRows: [(layer: any Layer, name: String, outputShape: Shape)]? {
        guard let graph else { return nil }
        return graph.layers.filter { !($0 is InputLayer) }.map { l in
            (layer: l, name: graph.name(of: l), outputShape: graph.calls(of: l).last?.outputShapes.first ?? [])
        }
    }

    /// Sets the optimizer, the loss and the metrics for `fit` and `evaluate`. `streamingMetrics`
    /// are stateful metric objects (Keras `keras.metrics.Metric`), reported after `metrics`.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [Metric] = [],
                        streamingMetrics: [any StreamingMetric] = [], weightedMetrics: [any StreamingMetric] = []) {
        self.optimizer = optimizer
        self.loss = loss
        self.losses = [loss]
        self.lossWeights = nil
        self.metrics = metrics
        self.outputMetrics = nil
        self.streamingMetrics = streamingMetrics
        self.outputStreamingMetrics = nil
        self.weightedMetrics = weightedMetrics
        self.outputWeightedMetrics = nil
    }

    /// Compiles a model with several outputs (Keras `compile(loss=[…], loss_weights=[…],
    /// metrics=[[…], […]])`): one loss per output (or one for all), the total loss
    /// Σ weightₖ·lossₖ, and per-output metric lists. With more than one output the logs add
    /// `<output>_loss` and `<output>_<metric>` (``outputNames``).
    public func compile(optimizer: any Optimizer, losses: [Loss], lossWeights: [Double]? = nil,
                        metrics: [[Metric]] = [], streamingMetrics: [[any StreamingMetric]] = [],
                        weightedMetrics: [[any StreamingMetric]] = []) {
        precondition(!losses.isEmpty, "compile: give at least one loss")
        precondition(losses.count == 1 || losses.count == outputCount,
                     "compile: \(losses.count) losses for a model with \(outputCount) outputs")
        if let w = lossWeights {
            precondition(w.count == outputCount, "compile: \(w.count) loss weights for a model with \(outputCount) outputs")
        }
        precondition(metrics.isEmpty || metrics.count == outputCount,
                     "compile: metrics must have one list per output (\(outputCount)), got \(metrics.count)")
        precondition(streamingMetrics.isEmpty || streamingMetrics.count == outputCount,
                     "compile: streamingMetrics must have one list per output (\(outputCount)), got \(streamingMetrics.count)")
        self.optimizer = optimizer
        self.loss = losses[0]
        self.losses = losses
        self.lossWeights = lossWeights
        self.metrics = metrics.first ?? []
        self.outputMetrics = metrics.isEmpty ? nil : metrics
        precondition(weightedMetrics.isEmpty || weightedMetrics.count == outputCount,
                     "compile: weightedMetrics must have one list per output (\(outputCount)), got \(weightedMetrics.count)")
        self.streamingMetrics = streamingMetrics.first ?? []
        self.outputStreamingMetrics = streamingMetrics.isEmpty ? nil : streamingMetrics
        self.weightedMetrics = weightedMetrics.first ?? []
        self.outputWeightedMetrics = weightedMetrics.isEmpty ? nil : weightedMetrics
    }
}
