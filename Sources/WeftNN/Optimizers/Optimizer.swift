import Weft
#if canImport(Glibc)
import Glibc
#endif

/// Updates parameters from their gradients. Keras's update rules and default constants.
public protocol Optimizer: AnyObject {
    var learningRate: Double { get set }
    /// Number of updates applied so far.
    var iterations: Int { get }
    /// Applies one update to `parameters` with the matching `gradients`.
    func update(_ parameters: [Parameter], gradients: [Tensor])
}

extension Optimizer {
    /// Updates a model's trainable parameters along `gradients` (from `valueWithGradient(at:)`).
    public func update(_ model: some Layer, along gradients: Gradients) {
        update(gradients.parameters, gradients: gradients.tensors)
    }
}

/// Per-parameter optimizer state (slots such as momentum), keyed by parameter identity.
final class SlotStore {
    private var slots: [ObjectIdentifier: [Tensor]] = [:]
    func get(_ p: Parameter, count: Int) -> [Tensor] {
        if let s = slots[ObjectIdentifier(p)] { return s }
        let s = (0..<count).map { _ in Tensor.zeros(p.value.shape, dtype: p.value.dtype) }
        slots[ObjectIdentifier(p)] = s
        return s
    }
    func set(_ p: Parameter, _ s: [Tensor]) { slots[ObjectIdentifier(p)] = s }
    /// The slots of `p`, nil before its first update.
    func existing(_ p: Parameter) -> [Tensor]? { slots[ObjectIdentifier(p)] }

    /// One optimizer step over every trainable parameter: fetches its `count` slots (none when
    /// 0), runs the in-place kernel for the parameter's dtype, and keeps the slots.
    func update(_ parameters: [Parameter], _ gradients: [Tensor], slots count: Int,
                float: (Int, UnsafeMutablePointer<Float>, UnsafePointer<Float>, [UnsafeMutablePointer<Float>]) -> Void,
                double: (Int, UnsafeMutablePointer<Double>, UnsafePointer<Double>, [UnsafeMutablePointer<Double>]) -> Void) {
        for (p, g) in zip(parameters, gradients) where p.trainable {
            var s = count == 0 ? [] : get(p, count: count)
            updateInPlace(p, g, &s, float: float, double: double)
            if count > 0 { set(p, s) }
        }
    }
    /// State by parameter name, for inspection and checkpoints.
    func named(_ params: [(String, Parameter)]) -> [String: [Tensor]] {
        var out: [String: [Tensor]] = [:]
        for (n, p) in params { if let s = slots[ObjectIdentifier(p)] { out[n] = s } }
        return out
    }
}

/// Runs an in-place elementwise update over a parameter, its gradient and its slots.
/// `body(n, param, grad, slots)` gets float pointers; float64 parameters get the Double version.
func updateInPlace(_ p: Parameter, _ g: Tensor, _ slots: inout [Tensor],
                   float: (Int, UnsafeMutablePointer<Float>, UnsafePointer<Float>, [UnsafeMutablePointer<Float>]) -> Void,
                   double: (Int, UnsafeMutablePointer<Double>, UnsafePointer<Double>, [UnsafeMutablePointer<Double>]) -> Void) {
    precondition(g.shape == p.value.shape, "optimizer: gradient shape \(g.shape) differs from parameter shape \(p.value.shape)")
    let grad = g.dtype == p.value.dtype ? g : g.cast(to: p.value.dtype)
    var value = p.value.detached()
    p.value = Tensor.zeros([])   // drop our reference so the storage is uniquely owned
    for i in slots.indices { slots[i].makeUnique() }
    switch value.dtype {
    case .float32:
        value.withUnsafeMutableBufferPointer(as: Float.self) { pv in
            grad.withUnsafeBufferPointer(as: Float.self) { pg in
                let sp = slots.map { $0.storage.data.assumingMemoryBound(to: Float.self) }
                float(pv.count, pv.baseAddress!, pg.baseAddress!, sp)
            }
        }
    case .float64:
        value.withUnsafeMutableBufferPointer(as: Double.self) { pv in
            grad.withUnsafeBufferPointer(as: Double.self) { pg in
                let sp = slots.map { $0.storage.data.assumingMemoryBound(to: Double.self) }
                double(pv.count, pv.baseAddress!, pg.baseAddress!, sp)
            }
        }
    default:
        preconditionFailure("optimizer: parameters must be float32 or float64, got \(value.dtype)")
    }
    p.value = value
}

/// Gradients of a model's trainable parameters, in parameter order.
public struct Gradients {
    public let names: [String]
    public let parameters: [Parameter]
    public let tensors: [Tensor]

    public subscript(name: String) -> Tensor? {
        names.firstIndex(of: name).map { tensors[$0] }
    }
}

/// The value of `f(model)` and the gradients of every trainable parameter of `model`.
public func valueWithGradient<L: Layer>(at model: L, in f: (L) -> Tensor) -> (value: Tensor, gradients: Gradients) {
    valueWithGradient(at: model, parameters: model.namedParameters.filter { $0.1.trainable }, in: f)
}

/// `valueWithGradient(at:in:)` for a parameter list gathered once (`model.namedParameters`
/// filtered to the trainable ones), as `fit` does: a training loop then skips the reflection
/// walk over the layers at every step.
public func valueWithGradient<L: Layer>(at model: L, parameters named: [(String, Parameter)],
                                        in f: (L) -> Tensor) -> (value: Tensor, gradients: Gradients) {
    for (_, p) in named { p.value = p.value.requiringGradient() }
    let y = f(model)
    let grads = gradients(of: y, wrt: named.map { $0.1.value })
    for (_, p) in named { p.value = p.value.detached() }
    return (y.detached(), Gradients(names: named.map(\.0), parameters: named.map(\.1), tensors: grads))
}
