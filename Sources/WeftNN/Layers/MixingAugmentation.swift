import Foundation
import Weft

// Keras's batch-mixing augmentations, MixUp and CutMix: they mix each image (and its one-hot or
// soft label) with another image of the batch, so they take images and labels together. Call
// them on training batches (they always mix, as Keras's layers called directly).

/// A Gamma(shape) draw (Marsaglia & Tsang; shapes below 1 through Gamma(shape + 1)·U^(1/shape)).
func gammaDraw(_ shape: Double, _ generator: RandomGenerator) -> Double {
    precondition(shape > 0, "gamma: the shape must be positive, got \(shape)")
    if shape < 1 {
        let u = Tensor.randomUniform([1], low: 0, high: 1, dtype: .float64, generator: generator).doubles[0]
        return gammaDraw(shape + 1, generator) * Foundation.pow(Swift.max(u, .leastNormalMagnitude), 1 / shape)
    }
    let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
    while true {
        let z = Tensor.randomNormal([1], dtype: .float64, generator: generator).doubles[0]
        let v = Foundation.pow(1 + c * z, 3)
        guard v > 0 else { continue }
        let u = Tensor.randomUniform([1], low: 0, high: 1, dtype: .float64, generator: generator).doubles[0]
        if Foundation.log(Swift.max(u, .leastNormalMagnitude)) < 0.5 * z * z + d - d * v + d * Foundation.log(v) { return d * v }
    }
}

/// `n` draws of Beta(a, b).
func betaDraws(_ n: Int, _ a: Double, _ b: Double, _ generator: RandomGenerator) -> [Double] {
    (0..<n).map { _ in
        let x = gammaDraw(a, generator), y = gammaDraw(b, generator)
        return x / (x + y)
    }
}

/// A random permutation of 0..<n.
func permutationDraw(_ n: Int, _ generator: RandomGenerator) -> [Int] {
    let u = Tensor.randomUniform([n], low: 0, high: 1, dtype: .float64, generator: generator).doubles
    return (0..<n).sorted { u[$0] < u[$1] }
}

private func checkBatch(_ name: String, _ images: Tensor, _ labels: Tensor) {
    precondition(images.rank == 4, "\(name): expects [N, C, H, W] images, got \(images.shape)")
    precondition(labels.rank >= 1 && labels.shape[0] == images.shape[0] && labels.dtype.isFloatingPoint,
                 "\(name): labels must be float (one-hot or soft) [N, …] for the \(images.shape[0]) images, got \(labels.dtype) \(labels.shape)")
}

private func gathered(_ t: Tensor, _ order: [Int]) -> Tensor {
    t.indexSelect(axis: 0, indices: Tensor(shape: [order.count], scalars: order.map { Int32($0) }))
}

/// Keras `MixUp` (Zhang et al.): each image and label become λ·own + (1 − λ)·those of a random
/// partner in the batch, λ ~ Beta(alpha, alpha) per sample.
public final class MixUp: ImageBatchTransform {
    public let alpha: Double
    public let generator: RandomGenerator
    public init(alpha: Double = 0.2, generator: RandomGenerator = .global) {
        precondition(alpha > 0, "MixUp: alpha must be positive, got \(alpha)")
        self.alpha = alpha
        self.generator = generator
    }

    /// The mixed batch; `weights` the λ per sample and `partners` each sample's partner index.
    func mix(_ images: Tensor, _ labels: Tensor) -> (images: Tensor, labels: Tensor, weights: [Double], partners: [Int]) {
        checkBatch("MixUp", images, labels)
        let n = images.shape[0]
        let order = permutationDraw(n, generator), lam = betaDraws(n, alpha, alpha, generator)
        let x = floats(images)
        let wx = Tensor(shape: [n, 1, 1, 1], scalars: lam).cast(to: x.dtype)
        let wy = Tensor(shape: [n] + [Int](repeating: 1, count: labels.rank - 1), scalars: lam).cast(to: labels.dtype)
        let y = labels.detached()
        return (wx * x + (1 - wx) * gathered(x, order), wy * y + (1 - wy) * gathered(y, order), lam, order)
    }

    public func callAsFunction(images: Tensor, labels: Tensor) -> (images: Tensor, labels: Tensor) {
        let r = mix(images, labels)
        return (r.images, r.labels)
    }
}

/// Keras `CutMix` (Yun et al.): a box of each image is replaced by the same box of a random
/// partner, and the labels are mixed by the area kept. Per batch α is drawn from `factor`
/// (one number f: 0…f) plus 1e-6, per sample λ ~ Beta(α, α); the box has sides √(1 − λ)·(W, H) at a
/// uniform position (continuous coordinates; pixels whose index lies in [x₀, x₁) × [y₀, y₁)
/// are replaced), and the label weight is 1 − box area / image area.
public final class CutMix: ImageBatchTransform {
    public let factor: AugmentationFactor
    public let generator: RandomGenerator
    public init(factor: AugmentationFactor = 1, generator: RandomGenerator = .global) {
        precondition(factor.isWithinUnitRange, "CutMix: the factor must lie in [0, 1]")
        self.factor = factor
        self.generator = generator
    }

    /// The mixed batch; the boxes (x₀, x₁, y₀, y₁) and partner indices as drawn.
    func mix(_ images: Tensor, _ labels: Tensor) -> (images: Tensor, labels: Tensor, boxes: [(Double, Double, Double, Double)], partners: [Int]) {
        checkBatch("CutMix", images, labels)
        let n = images.shape[0], h = images.shape[2], w = images.shape[3]
        let (lo, hi) = factor.magnitudes
        let alpha = Tensor.randomUniform([1], low: lo, high: hi, dtype: .float64, generator: generator).doubles[0] + 1e-6
        let lam = betaDraws(n, alpha, alpha, generator)
        let ux = Tensor.randomUniform([n], low: 0, high: 1, dtype: .float64, generator: generator).doubles
        let uy = Tensor.randomUniform([n], low: 0, high: 1, dtype: .float64, generator: generator).doubles
        let order = permutationDraw(n, generator)
        var boxes: [(Double, Double, Double, Double)] = []
        var keep = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let ratio = (1 - lam[i]).squareRoot()
            let cw = ratio * Double(w), ch = ratio * Double(h)
            let x0 = ux[i] * (Double(w) - cw), y0 = uy[i] * (Double(h) - ch)
            boxes.append((x0, x0 + cw, y0, y0 + ch))
            keep[i] = 1 - cw * ch / Double(w * h)
        }
        let y = labels.detached()
        let wy = Tensor(shape: [n] + [Int](repeating: 1, count: labels.rank - 1), scalars: keep).cast(to: y.dtype)
        return (pasted(floats(images), boxes, order), wy * y + (1 - wy) * gathered(y, order), boxes, order)
    }

    /// `x` [N, C, H, W] with each image's box (x₀, x₁, y₀, y₁) taken from its partner's.
    func pasted(_ x: Tensor, _ boxes: [(Double, Double, Double, Double)], _ order: [Int]) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let v = x.doubles, partner = gathered(x, order).doubles
        var out = v
        for i in 0..<n {
            let box = boxes[i]
            for ch0 in 0..<c {
                for r in 0..<h where Double(r) >= box.2 && Double(r) < box.3 {
                    for q in 0..<w where Double(q) >= box.0 && Double(q) < box.1 {
                        let k = ((i * c + ch0) * h + r) * w + q
                        out[k] = partner[k]
                    }
                }
            }
        }
        return Tensor(shape: x.shape, scalars: out).cast(to: x.dtype)
    }

    public func callAsFunction(images: Tensor, labels: Tensor) -> (images: Tensor, labels: Tensor) {
        let r = mix(images, labels)
        return (r.images, r.labels)
    }
}

extension MixUp {
    /// Images, labels (required) and masks mixed with the same partners and weights; each
    /// image's boxes become its own followed by its partner's (as Keras: both objects are visible).
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        guard let labels = batch.labels else { preconditionFailure("MixUp: the batch needs labels") }
        let r = mix(batch.images, labels)
        var out = batch
        out.images = r.images
        out.labels = r.labels
        let n = r.weights.count
        out.segmentationMasks = batch.segmentationMasks.map { m in
            mapMasks(m) { x in
                let f = floats(x), w = Tensor(shape: [n, 1, 1, 1], scalars: r.weights).cast(to: f.dtype)
                return w * f + (1 - w) * gathered(f, r.partners)
            }
        }
        if let b = batch.boundingBoxes {
            out.boundingBoxes = BoundingBoxes(boxes: concatenate([b.boxes, gathered(b.boxes, r.partners)], axis: 1),
                                              labels: concatenate([b.labels, gathered(b.labels, r.partners)], axis: 1), format: b.format)
        }
        return out
    }
}

extension CutMix {
    /// Images, labels (required) and masks (the same box pasted) with one draw; bounding boxes
    /// are refused, as Keras (a pasted patch cuts boxes in ways boxes cannot express).
    public func callAsFunction(_ batch: ImageBatch) -> ImageBatch {
        guard let labels = batch.labels else { preconditionFailure("CutMix: the batch needs labels") }
        precondition(batch.boundingBoxes == nil, "CutMix: cannot mix bounding boxes (Keras has no rule for it either)")
        let r = mix(batch.images, labels)
        var out = batch
        out.images = r.images
        out.labels = r.labels
        out.segmentationMasks = batch.segmentationMasks.map { m in mapMasks(m) { self.pasted(floats($0), r.boxes, r.partners) } }
        return out
    }
}
