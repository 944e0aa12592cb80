import Weft

/// The layer graph of a functional model: built once from the outputs back to the inputs
/// (Keras's `map_graph`), run in that order.
final class FunctionalGraph {
    let inputs: [SymbolicTensor]
    let outputs: [SymbolicTensor]
    /// Layer calls in execution order (each after the calls it depends on); inputs included.
    let nodes: [Node]
    /// The graph's layers in Keras's `model.layers` order (by decreasing depth, then by
    /// traversal order), input layers included: the rows of `summary()`.
    let layers: [any Layer]
    /// Each layer's name (Keras's snake_case class name numbered in order of first use, an
    /// input's given name, a nested model's `name`), by layer identity.
    let names: [ObjectIdentifier: String]
    /// The layers other than inputs in order of first use (the model's children).
    let childLayers: [any Layer]
    /// Node calls grouped by depth (Keras's `_nodes_by_depth`), for the summary layout.
    let nodesByDepth: [[Node]]
    /// Each node's index among the calls of its layer in this graph (`dense[1][0]`).
    let nodeIndex: [ObjectIdentifier: Int]
    /// Names used for per-output losses and metrics in the logs (`dense_2_loss`).
    var outputNames: [String]

    init(inputs: [SymbolicTensor], outputs: [SymbolicTensor]) {
        precondition(!inputs.isEmpty && !outputs.isEmpty, "Model(inputs:outputs:): needs at least one input and one output")
        for (i, t) in inputs.enumerated() {
            precondition(t.node.isInput, "Model(inputs:outputs:): input \(i) is not made by Input(shape:) (it comes from \(t.node.layer.typeName))")
        }
        precondition(Set(inputs.map { ObjectIdentifier($0) }).count == inputs.count, "Model(inputs:outputs:): an input is listed twice")
        self.inputs = inputs
        self.outputs = outputs

        // Post-order traversal from the outputs (Keras `_build_map`); operation indices in
        // pre-order, for the within-depth order of the layers.
        var finished = Set<ObjectIdentifier>(), inProgress = Set<ObjectIdentifier>()
        var order: [Node] = []
        var opIndex: [ObjectIdentifier: Int] = [:]
        var layerByID: [ObjectIdentifier: any Layer] = [:]
        func visit(_ t: SymbolicTensor) {
            let node = t.node, nid = ObjectIdentifier(node)
            if finished.contains(nid) { return }
            precondition(!inProgress.contains(nid), "Model(inputs:outputs:): the graph has a cycle at \(node.layer.typeName)")
            let lid = ObjectIdentifier(node.layer)
            if opIndex[lid] == nil { opIndex[lid] = opIndex.count; layerByID[lid] = node.layer }
            inProgress.insert(nid)
            for i in node.inputs { visit(i) }
            finished.insert(nid)
            inProgress.remove(nid)
            order.append(node)
        }
        for t in outputs { visit(t) }
        let inputNodes = Set(inputs.map { ObjectIdentifier($0.node) })
        for n in order where n.isInput && !inputNodes.contains(ObjectIdentifier(n)) {
            let name = (n.layer as! InputLayer).name.map { "'\($0)' " } ?? ""
            preconditionFailure("Model(inputs:outputs:): graph disconnected: an output depends on the input \(name)with shape \(n.outputShapes[0]), which is not in inputs")
        }

        // Depths (Keras): outputs at 0, a node one deeper than its deepest consumer, a layer at
        // the depth of its deepest call.
        var nodeDepth: [ObjectIdentifier: Int] = [:], layerDepth: [ObjectIdentifier: Int] = [:]
        for node in order.reversed() {
            let nid = ObjectIdentifier(node), lid = ObjectIdentifier(node.layer)
            let d = Swift.max(nodeDepth[nid] ?? 0, layerDepth[lid] ?? 0)
            layerDepth[lid] = d
            nodeDepth[nid] = d
            for i in node.inputs {
                let pid = ObjectIdentifier(i.node)
                nodeDepth[pid] = Swift.max(d + 1, nodeDepth[pid] ?? 0)
            }
        }
        var allNodes = order
        for t in inputs where layerDepth[ObjectIdentifier(t.node.layer)] == nil {
            // An input no output depends on: kept (Keras keeps it at depth 0).
            let lid = ObjectIdentifier(t.node.layer)
            layerDepth[lid] = 0
            opIndex[lid] = -1
            layerByID[lid] = t.node.layer
            nodeDepth[ObjectIdentifier(t.node)] = 0
            allNodes.insert(t.node, at: 0)
        }
        nodes = allNodes

        var byDepth: [Int: [ObjectIdentifier]] = [:]
        for (lid, d) in layerDepth { byDepth[d, default: []].append(lid) }
        layers = byDepth.keys.sorted(by: >).flatMap { d in
            byDepth[d]!.sorted { opIndex[$0]! < opIndex[$1]! }.map { layerByID[$0]! }
        }
        var nodeGroups: [Int: [Node]] = [:]
        for n in allNodes { nodeGroups[nodeDepth[ObjectIdentifier(n)]!, default: []].append(n) }
        nodesByDepth = nodeGroups.keys.sorted(by: >).map { nodeGroups[$0]! }

        // Names and call indices in order of first use.
        let bySerial = allNodes.sorted { $0.serial < $1.serial }
        var firstUse: [any Layer] = [], seen = Set<ObjectIdentifier>()
        var calls: [ObjectIdentifier: Int] = [:], nodeIndex: [ObjectIdentifier: Int] = [:]
        for n in bySerial {
            let lid = ObjectIdentifier(n.layer)
            if seen.insert(lid).inserted { firstUse.append(n.layer) }
            nodeIndex[ObjectIdentifier(n)] = calls[lid, default: 0]
            calls[lid, default: 0] += 1
        }
        self.nodeIndex = nodeIndex
        var counts: [String: Int] = [:], names: [ObjectIdentifier: String] = [:]
        for l in firstUse {
            if let i = l as? InputLayer, let given = i.name { names[ObjectIdentifier(l)] = given; continue }
            let base: String
            if l is InputLayer { base = "input_layer" }
            else if let m = l as? Model { base = m.name }
            else { base = kerasName(l.typeName) }
            let k = counts[base, default: 0]
            counts[base] = k + 1
            names[ObjectIdentifier(l)] = k == 0 ? base : "\(base)_\(k)"
        }
        self.names = names
        childLayers = firstUse.filter { !($0 is InputLayer) }
        outputNames = outputs.map { names[ObjectIdentifier($0.node.layer)]! }
    }

    func name(of layer: any Layer) -> String { names[ObjectIdentifier(layer)] ?? kerasName(layer.typeName) }

    /// Checks the number and per-sample shapes of the inputs; returns the output shapes.
    func check(_ shapes: [Shape], model: String) throws -> [Shape] {
        guard shapes.count == inputs.count else {
            throw ShapeError(layer: model, "expects \(inputs.count) input(s), got \(shapes.count) with shapes \(shapes)")
        }
        for (k, (s, t)) in zip(shapes, inputs).enumerated() where !shapeMatches(s, t.shape) {
            throw ShapeError(layer: model, "input \(k) ('\(name(of: t.node.layer))') expects per-sample shape \(t.shape), got \(s)")
        }
        return outputs.map(\.shape)
    }

    /// Runs the graph on batch-first tensors.
    func run(_ xs: [Tensor], model: String) -> [Tensor] {
        precondition(xs.count == inputs.count, "\(model): expects \(inputs.count) input(s), got \(xs.count)")
        for (k, (x, t)) in zip(xs, inputs).enumerated() {
            precondition(x.rank >= 1 && shapeMatches(Array(x.shape.dropFirst()), t.shape),
                         "\(model): input \(k) ('\(name(of: t.node.layer))') expects per-sample shape \(t.shape) (batch shape \(kerasShapeString(t.shape))), got a tensor of shape \(x.shape)")
        }
        var values: [ObjectIdentifier: [Tensor]] = [:]
        // Keras's implicit masks (as in Sequential): made by a MaskingLayer (Embedding(maskZero:),
        // Masking), given to mask-consuming layers, kept (combined by AND over several inputs)
        // while the output keeps the [N, T] leading dimensions. Only first outputs carry masks.
        var masks: [ObjectIdentifier: Tensor] = [:]
        for (x, t) in zip(xs, inputs) { values[ObjectIdentifier(t.node)] = [x] }
        for node in nodes where !node.isInput {
            let args = node.inputs.map { values[ObjectIdentifier($0.node)]![$0.outputIndex] }
            let inMasks = node.inputs.map { $0.outputIndex == 0 ? masks[ObjectIdentifier($0.node)] : nil }
            var outs: [Tensor]? = nil
            if let m = inMasks[0] {
                if let r = node.layer as? any RecurrentLayer { outs = r.call(args, mask: m) }
                else if let c = node.layer as? any MaskConsumingLayer, args.count == 1, node.outputShapes.count == 1 { outs = [c(args[0], mask: m)] }
            }
            let result = outs ?? (node.multi ? (node.layer as! any MultiIOLayer).call(args) : [node.layer(args[0])])
            values[ObjectIdentifier(node)] = result
            let nid = ObjectIdentifier(node)
            if let ml = node.layer as? any MaskingLayer {
                masks[nid] = ml.computeMask(args[0], inputMask: inMasks[0])
            } else {
                let present = inMasks.compactMap { $0 }
                let y = result[0]
                if let first = present.first, present.allSatisfy({ $0.shape == first.shape }),
                   y.rank >= 2 && first.rank == 2 && y.shape[0] == first.shape[0] && y.shape[1] == first.shape[1] {
                    masks[nid] = present.count == 1 ? first
                        : present.dropFirst().reduce(first.cast(to: .float32)) { $0 * $1.cast(to: .float32) } .!= Tensor(0.0, dtype: .float32)
                }
            }
        }
        return outputs.map { values[ObjectIdentifier($0.node)]![$0.outputIndex] }
    }

    /// Whether Keras prints this model with the three-column (sequential) table: one call per
    /// depth, each with one input, and no layer called twice.
    var isSequentialLike: Bool {
        for group in nodesByDepth where group.count > 1 || (group.count == 1 && group[0].inputs.count > 1) { return false }
        var calls: [ObjectIdentifier: Int] = [:]
        for n in nodes { calls[ObjectIdentifier(n.layer), default: 0] += 1 }
        return calls.values.allSatisfy { $0 <= 1 }
    }

    /// A layer's calls in this graph, in call order.
    func calls(of layer: any Layer) -> [Node] {
        let lid = ObjectIdentifier(layer)
        return nodes.filter { ObjectIdentifier($0.layer) == lid }.sorted { $0.serial < $1.serial }
    }

    /// Keras's "Connected to" text: `dense[0][0], dense_1[0][0]`, or `-` for an input.
    func connections(of layer: any Layer) -> String {
        var parts: [String] = []
        for n in calls(of: layer) {
            for t in n.inputs {
                parts.append("\(name(of: t.node.layer))[\(nodeIndex[ObjectIdentifier(t.node)] ?? 0)][\(t.outputIndex)]")
            }
        }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }

    /// Keras's "Output Shape" text of a layer (its last call): `(None, 4)`, or a list for
    /// several outputs.
    func outputShapeText(of layer: any Layer) -> String {
        guard let last = calls(of: layer).last else { return "?" }
        let s = last.outputShapes.map(kerasShapeString)
        return s.count == 1 ? s[0] : "[" + s.joined(separator: ", ") + "]"
    }
}

extension Model {
    /// A functional model (Keras `keras.Model(inputs, outputs)`): the layers called from
    /// `inputs` (made by ``Input(shape:dtype:name:)``) to `outputs`. Running it feeds the
    /// inputs through the recorded layer calls; its parameters are those of the layers in the
    /// graph (a layer called twice counts once).
    public convenience init(inputs: [SymbolicTensor], outputs: [SymbolicTensor], name: String = "functional") {
        self.init()
        let g = FunctionalGraph(inputs: inputs, outputs: outputs)
        graph = g
        self.name = name
        builtInputShape = inputs[0].shape
    }

    public convenience init(inputs: SymbolicTensor, outputs: SymbolicTensor, name: String = "functional") {
        self.init(inputs: [inputs], outputs: [outputs], name: name)
    }

    public convenience init(inputs: [SymbolicTensor], outputs: SymbolicTensor, name: String = "functional") {
        self.init(inputs: inputs, outputs: [outputs], name: name)
    }

    public convenience init(inputs: SymbolicTensor, outputs: [SymbolicTensor], name: String = "functional") {
        self.init(inputs: [inputs], outputs: outputs, name: name)
    }

    /// Whether this is a functional model (built with `Model(inputs:outputs:)`).
    public var isFunctional: Bool { graph != nil }

    /// A functional model's inputs (Keras `model.inputs`); empty for other models.
    public var symbolicInputs: [SymbolicTensor] { graph?.inputs ?? [] }
    /// A functional model's outputs (Keras `model.outputs`); empty for other models.
    public var symbolicOutputs: [SymbolicTensor] { graph?.outputs ?? [] }

    /// A functional model's layers in Keras's `model.layers` order, input layers included.
    public var graphLayers: [any Layer] { graph?.layers ?? [] }

    /// The names of the outputs, used in the logs of a model with several outputs
    /// (`<name>_loss`, `<name>_accuracy`): by default the names of the layers that produce them.
    public var outputNames: [String] {
        get { graph?.outputNames ?? ["output"] }
        set {
            guard let graph else { return }
            precondition(newValue.count == graph.outputs.count, "outputNames: \(graph.outputs.count) names needed, got \(newValue.count)")
            graph.outputNames = newValue
        }
    }

    /// The number of inputs `call(_:)` takes (1 for a non-functional model).
    public var inputCount: Int { graph?.inputs.count ?? 1 }
    /// The number of outputs `call(_:)` returns (1 for a non-functional model).
    public var outputCount: Int { graph?.outputs.count ?? 1 }
}
