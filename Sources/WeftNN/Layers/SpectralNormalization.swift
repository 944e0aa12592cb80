import Weft

/// Keras `SpectralNormalization` (Miyato et al.): wraps a layer with a kernel — Dense,
/// EinsumDense, Embedding, Conv1D/2D/3D — and, in each training call, first divides the kernel by
/// its largest singular value σ, estimated with `powerIterations` steps of the power method on
/// the kernel as a matrix [rest, outputs] (Keras's reshape of its kernel; Weft's channels-first
/// convolution weights [O, …] give the same σ), keeping the estimate `vectorU` [1, outputs]
/// (non-trainable, truncated normal with σ 0.02 at first) between calls. In inference the layer
/// runs with the kernel as it is. A kernel of zeros is left alone, as Keras.
public final class SpectralNormalization: Layer {
    public let layer: any Layer
    public let powerIterations: Int
    public var vectorU: Parameter?
    let generator: RandomGenerator

    public init(_ layer: any Layer, powerIterations: Int = 1, generator: RandomGenerator = .global) {
        precondition(powerIterations > 0, "SpectralNormalization: powerIterations must be positive, got \(powerIterations)")
        self.layer = layer
        self.powerIterations = powerIterations
        self.generator = generator
    }

    public var typeName: String { "SpectralNormalization" }

    /// The wrapped kernel and whether its output axis is the first (Weft's convolutions) or the last.
    func kernel() throws -> (Parameter, outputsFirst: Bool) {
        switch layer {
        case let d as Dense: if let w = d.weight { return (w, false) }
        case let e as EinsumDense: if let w = e.kernel { return (w, false) }
        case let e as Embedding: if let w = e.embeddings { return (w, false) }
        case let c as Conv1D: if let w = c.weight { return (w, true) }
        case let c as Conv2D: if let w = c.weight { return (w, true) }
        case let c as Conv3D: if let w = c.weight { return (w, true) }
        default:
            throw ShapeError(layer: "SpectralNormalization", "\(layer.typeName) has no kernel to normalize (wrap Dense, EinsumDense, Embedding or a convolution)")
        }
        throw ShapeError(layer: "SpectralNormalization", "\(layer.typeName) has not built its kernel")
    }

    public func build(inputShape s: Shape) throws -> Shape {
        let out = try layer.build(inputShape: s)
        let (k, first) = try kernel()
        let outputs = first ? k.value.shape[0] : k.value.shape.last!
        if vectorU?.value.shape != [1, outputs] {
            let u = Initializer.truncatedNormal(mean: 0, std: 0.02).make([1, outputs], fanIn: outputs, fanOut: outputs,
                                                                                dtype: k.value.dtype, generator: generator)
            vectorU = Parameter(u, trainable: false)
        }
        return out
    }

    /// The kernel divided by σ and the new u (Keras's `normalized_weights`), without gradients.
    func normalized() throws -> (kernel: Tensor, u: Tensor) {
        let (k, first) = try kernel()
        return withoutGradient {
            let w = k.value
            let outputs = first ? w.shape[0] : w.shape.last!
            let m = first ? w.reshaped(to: [outputs, w.shape.elementCount / outputs]).transposed() : w.reshaped(to: [-1, outputs])
            var u = vectorU!.value.cast(to: w.dtype), v = u
            func unit(_ t: Tensor) -> Tensor { t / clamp(sqrt(square(t).sum()), min: 1e-12) }
            for _ in 0..<powerIterations {
                v = unit(matmul(u, m.transposed()))
                u = unit(matmul(v, m))
            }
            let sigma = matmul(matmul(v, m), u.transposed()).reshaped(to: [])
            return (w / sigma, u)
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if vectorU == nil { ensureBuilt(self, x) }
        if LearningPhase.isTraining {
            do {
                let (k, _) = try kernel()
                if k.value.detached().doubles.contains(where: { $0 != 0 }) {
                    let (w, u) = try normalized()
                    k.value = k.value.requiresGradient ? w.requiringGradient() : w
                    vectorU!.value = u.cast(to: vectorU!.value.dtype)
                }
            } catch { preconditionFailure("\(error)") }
        }
        return layer(x)
    }
}
