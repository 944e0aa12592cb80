import Weft

/// Builds a list of layers inside `Sequential { … }`.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ activation: Activation) -> [any Layer] { [ActivationLayer(activation)] }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first: [any Layer]) -> [any Layer] { first }
    public static func buildEither(second: [any Layer]) -> [any Layer] { second }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

/// A stack of layers, each feeding the next.
public final class Sequential: Model {
    public private(set) var layers: [any Layer]

    public init(@LayerBuilder _ layers: () -> [any Layer]) {
        self.layers = layers()
        super.init()
    }

    public init(layers: [any Layer]) {
        self.layers = layers
        super.init()
    }

    public func add(_ layer: any Layer) { layers.append(layer); builtInputShape = nil }

    public override func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        // Keras's implicit masks: made by a MaskingLayer (Embedding(maskZero:), Masking), used by
        // the recurrent layers, kept across other layers while the [N, T] leading dims stay.
        var mask: Tensor? = nil
        for l in layers {
            let input = h
            if let m = mask, let c = l as? any MaskConsumingLayer { h = c(h, mask: m) } else { h = l(h) }
            if let ml = l as? any MaskingLayer { mask = ml.computeMask(input, inputMask: mask) }
            else if let m = mask, !(h.rank >= 2 && h.shape[0] == m.shape[0] && h.shape[1] == m.shape[1]) { mask = nil }
        }
        return h
    }

    public override func build(inputShape: Shape) throws -> Shape {
        var s = inputShape
        for l in layers { s = try l.build(inputShape: s) }
        builtInputShape = inputShape
        return s
    }

    /// Children are named by position, as in PyTorch's `nn.Sequential` (`0.weight`).
    public override var namedChildren: [(String, any Layer)] { layers.enumerated().map { (String($0.offset), $0.element) } }

    /// Keras `pop()`: removes the last layer and returns it.
    @discardableResult
    public func pop() -> any Layer {
        precondition(!layers.isEmpty, "\(name): pop() on a Sequential model with no layers")
        builtInputShape = nil
        return layers.removeLast()
    }

    /// Keras's names for the layers, numbered per type in this model (dense, dense_1, …).
    var layerNames: [String] {
        var counts: [String: Int] = [:]
        return layers.map { l in
            let base = kerasName(l.typeName)
            let k = counts[base, default: 0]
            counts[base] = k + 1
            return k == 0 ? base : "\(base)_\(k)"
        }
    }

    public override var summaryRows: [(layer: any Layer, name: String, outputShape: Shape)]? {
        guard var s = builtInputShape else { return nil }
        return zip(layers, layerNames).map { l, name in
            s = (try? l.build(inputShape: s)) ?? s
            return (l, name, s)
        }
    }

    public override var namedLayers: [(name: String, layer: any Layer)] { Array(zip(layerNames, layers)).map { (name: $0.0, layer: $0.1) } }
}

/// Keras's snake_case layer names: Conv2D → conv2d, MaxPool2D → max_pooling2d, Dense → dense.
func kerasName(_ type: String) -> String {
    switch type {
    case "MaxPool2D", "MaxPooling2D": return "max_pooling2d"
    case "AvgPool2D", "AveragePooling2D": return "average_pooling2d"
    default: break
    }
    var out = ""
    let chars = Array(type)
    for (i, ch) in chars.enumerated() {
        if ch.isUppercase && i > 0 && (chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase && chars[i - 1].isLetter)) {
            out.append("_")
        }
        out.append(Character(ch.lowercased()))
    }
    return out
}
