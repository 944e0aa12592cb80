import Weft

/// A trainable tensor owned by a layer. A class, so that optimizers update it in place and keep
/// their state keyed by identity.
public final class Parameter: @unchecked Sendable {
    public var value: Tensor
    /// Frozen parameters get no gradient and no updates.
    public var trainable: Bool

    public init(_ value: Tensor, trainable: Bool = true) {
        self.value = value
        self.trainable = trainable
    }
}

/// A shape mistake found while building a model, naming the layer and the shapes.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let layer: String
    public let message: String
    public init(layer: String, _ message: String) { self.layer = layer; self.message = message }
    public var description: String { "\(layer): \(message)" }
}

/// Whether layers run in training mode (dropout active). `fit` turns it on; everything else,
/// including `predict` and `evaluate`, runs in inference mode.
public enum LearningPhase {
    @TaskLocal public static var isTraining = false
}

/// Runs `body` in training mode.
public func withTrainingMode<R>(_ on: Bool = true, _ body: () throws -> R) rethrows -> R {
    try LearningPhase.$isTraining.withValue(on) { try body() }
}

/// A layer: a function of a tensor with parameters.
///
/// Parameters and sub-layers are found by reflection of stored properties (`Parameter`,
/// `Parameter?`, a `Layer`, or an array of layers), so no registration is needed; their dotted
/// names (`conv1.weight`, `0.bias`) follow PyTorch's state-dict names.
public protocol Layer: AnyObject {
    /// Computes the output (the batch is the first dimension).
    func callAsFunction(_ x: Tensor) -> Tensor
    /// Checks the per-sample input shape (no batch dimension), creates parameters that depend
    /// on it, and returns the per-sample output shape.
    func build(inputShape: Shape) throws -> Shape
    /// The Keras class name shown by `summary()`.
    var typeName: String { get }
    /// Direct sub-layers with their names.
    var namedChildren: [(String, any Layer)] { get }
}

extension Layer {
    public var typeName: String { String(describing: type(of: self)) }

    public var namedChildren: [(String, any Layer)] {
        var out: [(String, any Layer)] = []
        for child in Mirror(reflecting: self).children {
            guard let label = child.label.map(stripWrapperPrefix) else { continue }
            if let l = child.value as? any Layer { out.append((label, l)) }
            else if let ls = child.value as? [any Layer] {
                for (i, l) in ls.enumerated() { out.append(("\(label).\(i)", l)) }
            }
        }
        return out
    }

    /// This layer's own parameters (not its children's), by property name.
    public var ownParameters: [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        for child in Mirror(reflecting: self).children {
            guard let label = child.label.map(stripWrapperPrefix) else { continue }
            if let p = child.value as? Parameter { out.append((label, p)) }
            else if let p = child.value as? Parameter?, let p { out.append((label, p)) }
        }
        return out
    }

    /// Every parameter of this layer and its sub-layers, with dotted names, in declaration order.
    /// A parameter reached twice (a layer used twice) is listed once, under its first name, as
    /// PyTorch does.
    public var namedParameters: [(String, Parameter)] {
        var seen = Set<ObjectIdentifier>()
        return allNamedParameters.filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    var allNamedParameters: [(String, Parameter)] {
        var out = ownParameters
        for (name, child) in namedChildren {
            out += child.allNamedParameters.map { ("\(name).\($0.0)", $0.1) }
        }
        return out
    }

    public var parameters: [Parameter] { namedParameters.map(\.1) }
    public var trainableParameters: [Parameter] { parameters.filter(\.trainable) }

    /// Total number of scalars in the parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// The parameters as a name → tensor dictionary (PyTorch's `state_dict`).
    public var stateDict: [String: Tensor] {
        Dictionary(namedParameters.map { ($0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a })
    }
}

private func stripWrapperPrefix(_ label: String) -> String {
    label.hasPrefix("_") ? String(label.dropFirst()) : label
}
