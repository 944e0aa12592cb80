import Weft

// Keras 3's LoRA (low-rank adaptation) on Dense, EinsumDense, Embedding and the convolutions: `enableLoRA(rank:)`
// (or `loraRank:` at construction) freezes the layer's weight W [..., n] and adds trainable
// factors A [..., rank] (He-uniform) and B [rank, n] (zeros), so that the layer computes with
// W + (alpha / rank)·A·B — the same function until B moves. The factors take the kernel's
// regularizer, as Keras.

/// A LoRA request that does not fit the layer (not built, enabled twice, a kernel constraint).
public struct LoRAError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Keras's `enable_lora` checks: no kernel constraint, built, not enabled yet, a positive rank.
func checkedLoRAWeight(_ layer: String, weight: Parameter?, enabled: Bool, constrained: Bool, rank: Int) throws -> Parameter {
    guard !constrained else { throw LoRAError("\(layer): LoRA is incompatible with kernel constraints; remove the kernel constraint") }
    guard let w = weight else { throw LoRAError("\(layer): cannot enable LoRA on a layer that isn't built yet") }
    guard !enabled else { throw LoRAError("\(layer): LoRA is already enabled; it can be enabled once per layer") }
    guard rank > 0 else { throw LoRAError("\(layer): the LoRA rank must be positive, got \(rank)") }
    return w
}

/// Keras's `enable_lora` checks, then the factors for `weight`; `weight` becomes frozen.
func makeLoRAFactors(_ layer: String, weight: Parameter?, enabled: Bool, constrained: Bool, rank: Int,
                     aInitializer: Initializer, bInitializer: Initializer) throws -> (a: Parameter, b: Parameter) {
    let w = try checkedLoRAWeight(layer, weight: weight, enabled: enabled, constrained: constrained, rank: rank)
    let lead = Array(w.value.shape.dropLast()), n = w.value.shape.last!
    // Keras's fans for [..., rank]: fan-in over every leading axis.
    let a = Parameter(aInitializer.make(lead + [rank], fanIn: lead.elementCount, fanOut: rank * Array(lead.dropLast()).elementCount))
    let b = Parameter(bInitializer.make([rank, n], fanIn: rank, fanOut: n))
    w.trainable = false
    return (a, b)
}

/// W + scale·A·B (A [..., r], B [r, n]) in W's dtype; W alone without factors.
func loraMerged(_ w: Tensor, _ a: Parameter?, _ b: Parameter?, scale: Double) -> Tensor {
    guard let a, let b else { return w }
    let r = b.value.shape[0]
    let delta = matmul(a.value.reshaped(to: [a.value.count / r, r]), b.value).reshaped(to: w.shape)
    return w + (delta * scale).cast(to: w.dtype)
}

extension Dense {
    /// Keras `enable_lora(rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros")`.
    public func enableLoRA(rank: Int, alpha: Double? = nil, aInitializer: Initializer = .heUniform, bInitializer: Initializer = .zeros) throws {
        let f = try makeLoRAFactors("Dense", weight: weight, enabled: loraKernelA != nil, constrained: kernelConstraint != nil,
                                    rank: rank, aInitializer: aInitializer, bInitializer: bInitializer)
        (loraKernelA, loraKernelB, loraRank, loraAlpha) = (f.a, f.b, rank, alpha ?? Double(rank))
    }
    /// The kernel the layer computes with (merged with the LoRA factors when enabled).
    public var effectiveKernel: Tensor? { weight.map { loraMerged($0.value, loraKernelA, loraKernelB, scale: loraScale) } }
    var loraScale: Double { (loraAlpha ?? 1) / Double(loraRank ?? 1) }
}

extension EinsumDense {
    /// Keras `enable_lora`: A has the kernel's shape with its last axis replaced by `rank`.
    public func enableLoRA(rank: Int, alpha: Double? = nil, aInitializer: Initializer = .heUniform, bInitializer: Initializer = .zeros) throws {
        let f = try makeLoRAFactors("EinsumDense", weight: kernel, enabled: loraKernelA != nil, constrained: kernelConstraint != nil,
                                    rank: rank, aInitializer: aInitializer, bInitializer: bInitializer)
        (loraKernelA, loraKernelB, loraRank, loraAlpha) = (f.a, f.b, rank, alpha ?? Double(rank))
    }
    public var effectiveKernel: Tensor? { kernel.map { loraMerged($0.value, loraKernelA, loraKernelB, scale: (loraAlpha ?? 1) / Double(loraRank ?? 1)) } }
}

extension Embedding {
    /// Keras `enable_lora` on the table: A [inputDim, rank], B [rank, outputDim].
    public func enableLoRA(rank: Int, alpha: Double? = nil, aInitializer: Initializer = .heUniform, bInitializer: Initializer = .zeros) throws {
        let f = try makeLoRAFactors("Embedding", weight: embeddings, enabled: loraEmbeddingsA != nil, constrained: false,
                                    rank: rank, aInitializer: aInitializer, bInitializer: bInitializer)
        (loraEmbeddingsA, loraEmbeddingsB, loraRank, loraAlpha) = (f.a, f.b, rank, alpha ?? Double(rank))
    }
    /// The table the layer looks up in (merged with the LoRA factors when enabled).
    public var effectiveEmbeddings: Tensor? {
        embeddings.map { loraMerged($0.value, loraEmbeddingsA, loraEmbeddingsB, scale: (loraAlpha ?? 1) / Double(loraRank ?? 1)) }
    }
}

/// LoRA factors for a convolution weight [out, in/groups, k…] (Keras's A (k…, in/groups, rank)
/// and B (rank, out) in Weft's layouts): A [rank, in/groups, k…] (He-uniform over in·k), B [out,
/// rank] (zeros); the weight becomes frozen.
func makeConvLoRAFactors(_ layer: String, weight: Parameter?, enabled: Bool, constrained: Bool, rank: Int,
                         aInitializer: Initializer, bInitializer: Initializer) throws -> (a: Parameter, b: Parameter) {
    let w = try checkedLoRAWeight(layer, weight: weight, enabled: enabled, constrained: constrained, rank: rank)
    let s = w.value.shape, receptive = Array(s.dropFirst(2)).elementCount
    let a = Parameter(aInitializer.make([rank] + Array(s.dropFirst()), fanIn: s[1] * receptive, fanOut: rank * receptive))
    let b = Parameter(bInitializer.make([s[0], rank], fanIn: rank, fanOut: s[0]))
    w.trainable = false
    return (a, b)
}

/// W + scale·(B · A) for a convolution weight (A [r, in/groups, k…], B [out, r]).
func convLoRAMerged(_ w: Tensor, _ a: Parameter?, _ b: Parameter?, scale: Double) -> Tensor {
    guard let a, let b else { return w }
    let r = b.value.shape[1]
    let delta = matmul(b.value, a.value.reshaped(to: [r, a.value.count / r])).reshaped(to: w.shape)
    return w + (delta * scale).cast(to: w.dtype)
}

/// The convolutions' LoRA state, for one shared implementation.
protocol ConvLoRAHost: Layer {
    var weight: Parameter? { get }
    var kernelConstraint: Constraint? { get }
    var loraKernelA: Parameter? { get set }
    var loraKernelB: Parameter? { get set }
    var loraRank: Int? { get set }
    var loraAlpha: Double? { get set }
}

extension ConvLoRAHost {
    func enableConvLoRA(rank: Int, alpha: Double?, aInitializer: Initializer, bInitializer: Initializer) throws {
        let f = try makeConvLoRAFactors(typeName, weight: weight, enabled: loraKernelA != nil, constrained: kernelConstraint != nil,
                                        rank: rank, aInitializer: aInitializer, bInitializer: bInitializer)
        (loraKernelA, loraKernelB, loraRank, loraAlpha) = (f.a, f.b, rank, alpha ?? Double(rank))
    }
    var mergedConvWeight: Tensor? {
        weight.map { convLoRAMerged($0.value, loraKernelA, loraKernelB, scale: (loraAlpha ?? 1) / Double(loraRank ?? 1)) }
    }
}

extension Conv1D: ConvLoRAHost {
    /// Keras `enable_lora(rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros")`.
    public func enableLoRA(rank: Int, alpha: Double? = nil, aInitializer: Initializer = .heUniform, bInitializer: Initializer = .zeros) throws {
        try enableConvLoRA(rank: rank, alpha: alpha, aInitializer: aInitializer, bInitializer: bInitializer)
    }
    /// The weight the layer convolves with (merged with the LoRA factors when enabled).
    public var effectiveWeight: Tensor? { mergedConvWeight }
}

extension Conv2D: ConvLoRAHost {
    /// Keras `enable_lora(rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros")`.
    public func enableLoRA(rank: Int, alpha: Double? = nil, aInitializer: Initializer = .heUniform, bInitializer: Initializer = .zeros) throws {
        try enableConvLoRA(rank: rank, alpha: alpha, aInitializer: aInitializer, bInitializer: bInitializer)
    }
    /// The weight the layer convolves with (merged with the LoRA factors when enabled).
    public var effectiveWeight: Tensor? { mergedConvWeight }
}

extension Conv3D: ConvLoRAHost {
    /// Keras `enable_lora(rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros")`.
    public func enableLoRA(rank: Int, alpha: Double? = nil, aInitializer: Initializer = .heUniform, bInitializer: Initializer = .zeros) throws {
        try enableConvLoRA(rank: rank, alpha: alpha, aInitializer: aInitializer, bInitializer: bInitializer)
    }
    /// The weight the layer convolves with (merged with the LoRA factors when enabled).
    public var effectiveWeight: Tensor? { mergedConvWeight }
}
