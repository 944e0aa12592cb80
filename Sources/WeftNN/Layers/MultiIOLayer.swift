import Weft

/// A layer with several inputs or several outputs: merge layers (`Concatenate`, `Add`, …),
/// recurrent layers that take initial states or return their final states, and functional
/// models. The functional API calls `call(_:)` on these; a plain ``Layer`` is the special case
/// of one input and one output.
///
/// A conforming layer still implements `callAsFunction(_:)` and `build(inputShape:)` for the
/// one-input case (or fails there with a message saying it needs a list).
public protocol MultiIOLayer: Layer {
    /// Computes the outputs from the inputs (each batch-first).
    func call(_ inputs: [Tensor]) -> [Tensor]
    /// Checks the per-sample input shapes (no batch dimension), creates the parameters that
    /// depend on them, and returns the per-sample output shapes.
    func build(inputShapes: [Shape]) throws -> [Shape]
}
