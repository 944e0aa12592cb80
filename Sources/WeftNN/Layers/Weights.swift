import Weft

/// A weights list or state dict that does not fit a layer: names the weights and the shapes.
public struct WeightsError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Layer {
    /// The parameters that are not trained (moving statistics, frozen weights).
    public var nonTrainableParameters: [Parameter] { parameters.filter { !$0.trainable } }

    /// Keras `get_weights()`: every parameter's value (trainable or not), in `parameters` order —
    /// for Weft's layers Keras's order (kernel, recurrent kernel, bias; gamma, beta, moving mean,
    /// moving variance), in Weft's layouts (convolution kernels [out, in, kh, kw]).
    public func getWeights() -> [Tensor] { parameters.map(\.value) }

    /// Keras `set_weights(weights)`: replaces the parameters' values in `getWeights()`'s order,
    /// cast to each parameter's dtype. The count and every shape are checked first, so a
    /// mismatch changes nothing; the layer must be built.
    public func setWeights(_ weights: [Tensor]) throws {
        let ps = namedParameters
        guard weights.count == ps.count else {
            throw WeightsError("\(typeName): expected \(ps.count) weights, got \(weights.count)\(ps.isEmpty ? " (build the layer first)" : "")")
        }
        for (i, ((name, p), w)) in zip(ps, weights).enumerated() where w.shape != p.value.shape {
            throw WeightsError("\(typeName): weight \(i) (\(name)) has shape \(p.value.shape), got \(w.shape)")
        }
        for ((_, p), w) in zip(ps, weights) { p.value = w.dtype == p.value.dtype ? w : w.cast(to: p.value.dtype) }
    }

    /// PyTorch `load_state_dict`: sets the parameters named in `dict` (the keys of `stateDict`).
    /// `strict`: every parameter must be given and every key must be a parameter. Shapes must
    /// match. Everything is checked before anything changes. Returns the parameters not given and
    /// the keys that are not parameters (empty when strict).
    @discardableResult
    public func loadStateDict(_ dict: [String: Tensor], strict: Bool = true) throws -> (missingKeys: [String], unexpectedKeys: [String]) {
        let ps = namedParameters
        let names = Set(ps.map(\.0))
        let missing = ps.map(\.0).filter { dict[$0] == nil }
        let unexpected = dict.keys.filter { !names.contains($0) }.sorted()
        if strict && !(missing.isEmpty && unexpected.isEmpty) {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing keys \(missing)") }
            if !unexpected.isEmpty { parts.append("unexpected keys \(unexpected)") }
            throw WeightsError("\(typeName): the state dict does not match: \(parts.joined(separator: "; "))")
        }
        for (name, p) in ps {
            if let w = dict[name], w.shape != p.value.shape {
                throw WeightsError("\(typeName): \(name) has shape \(p.value.shape), the state dict's has \(w.shape)")
            }
        }
        for (name, p) in ps {
            if let w = dict[name] { p.value = w.dtype == p.value.dtype ? w : w.cast(to: p.value.dtype) }
        }
        return (missing, unexpected)
    }
}
