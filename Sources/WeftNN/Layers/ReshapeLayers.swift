import Weft

/// Reshapes each sample to `targetShape` (Keras `Reshape`); one entry may be −1 (inferred).
public final class Reshape: Layer {
    public let targetShape: Shape

    public init(_ targetShape: Shape) {
        precondition(targetShape.filter { $0 == -1 }.count <= 1 && targetShape.allSatisfy { $0 > 0 || $0 == -1 },
                     "Reshape: target shape \(targetShape) may hold positive sizes and at most one −1")
        self.targetShape = targetShape
    }

    public var typeName: String { "Reshape" }

    public func build(inputShape s: Shape) throws -> Shape {
        let n = s.reduce(1, *)
        let known = targetShape.filter { $0 != -1 }.reduce(1, *)
        if targetShape.contains(-1) {
            guard known > 0, n % known == 0 else {
                throw ShapeError(layer: "Reshape", "cannot reshape input shape \(s) (\(n) elements) to \(targetShape)")
            }
            return targetShape.map { $0 == -1 ? n / known : $0 }
        }
        guard known == n else {
            throw ShapeError(layer: "Reshape", "cannot reshape input shape \(s) (\(n) elements) to \(targetShape) (\(known) elements)")
        }
        return targetShape
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let out: Shape
        do { out = try build(inputShape: Array(x.shape.dropFirst())) } catch { preconditionFailure("\(error)") }
        return x.reshaped(to: [x.shape[0]] + out)
    }
}

/// Permutes the per-sample dimensions (Keras `Permute`; `dims` are 1-based, the batch is 0).
public final class Permute: Layer {
    public let dims: [Int]

    public init(_ dims: [Int]) {
        precondition(dims.sorted() == Array(1...Swift.max(dims.count, 1)) && !dims.isEmpty,
                     "Permute: dims must be a permutation of 1...\(dims.count), got \(dims)")
        self.dims = dims
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == dims.count else {
            throw ShapeError(layer: "Permute", "dims \(dims) do not match input shape \(s) (rank \(s.count))")
        }
        return dims.map { s[$0 - 1] }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == dims.count + 1, "Permute: dims \(dims) do not match input shape \(x.shape)")
        return x.permuted([0] + dims)
    }
}

/// Repeats a [N, F] input `n` times: [N, n, F] (Keras `RepeatVector`).
public final class RepeatVector: Layer {
    public let n: Int

    public init(_ n: Int) {
        precondition(n > 0, "RepeatVector: n must be positive, got \(n)")
        self.n = n
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 1 else { throw ShapeError(layer: "RepeatVector", "expects per-sample input [features], got \(s)") }
        return [n, s[0]]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2, "RepeatVector: expects input [batch, features], got \(x.shape)")
        return x.unsqueezed(axis: 1).expanded(to: [x.shape[0], n, x.shape[1]])
    }
}

/// Zero padding of the height and width of NCHW input (Keras `ZeroPadding2D`).
public final class ZeroPadding2D: Layer {
    public let top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        precondition([top, bottom, left, right].allSatisfy { $0 >= 0 }, "ZeroPadding2D: padding must be non-negative")
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
    /// Symmetric padding: `padding.0` rows above and below, `padding.1` columns left and right.
    public convenience init(_ padding: (Int, Int)) {
        self.init(top: padding.0, bottom: padding.0, left: padding.1, right: padding.1)
    }
    public convenience init(_ padding: Int = 1) { self.init((padding, padding)) }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3 else { throw ShapeError(layer: "ZeroPadding2D", "expects per-sample input [channels, height, width], got \(s)") }
        return [s[0], s[1] + top + bottom, s[2] + left + right]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "ZeroPadding2D: expects NCHW input, got \(x.shape)")
        return x.padded(before: [0, 0, top, left], after: [0, 0, bottom, right])
    }
}

/// Crops rows and columns of NCHW input (Keras `Cropping2D`).
public final class Cropping2D: Layer {
    public let top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        precondition([top, bottom, left, right].allSatisfy { $0 >= 0 }, "Cropping2D: cropping must be non-negative")
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }
    public convenience init(_ cropping: (Int, Int)) {
        self.init(top: cropping.0, bottom: cropping.0, left: cropping.1, right: cropping.1)
    }
    public convenience init(_ cropping: Int) { self.init((cropping, cropping)) }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3 else { throw ShapeError(layer: "Cropping2D", "expects per-sample input [channels, height, width], got \(s)") }
        let h = s[1] - top - bottom, w = s[2] - left - right
        guard h > 0, w > 0 else {
            throw ShapeError(layer: "Cropping2D", "cropping (\(top), \(bottom)), (\(left), \(right)) leaves nothing of input shape \(s)")
        }
        return [s[0], h, w]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "Cropping2D: expects NCHW input, got \(x.shape)")
        return x.sliced(axis: 2, start: top, end: x.shape[2] - bottom)
                .sliced(axis: 3, start: left, end: x.shape[3] - right)
    }
}

/// Nearest-neighbour upsampling of NCHW input (Keras `UpSampling2D`): each pixel is repeated
/// `size.0` times down and `size.1` times across.
public final class UpSampling2D: Layer {
    public let size: (Int, Int)

    public init(_ size: (Int, Int)) {
        precondition(size.0 > 0 && size.1 > 0, "UpSampling2D: size must be positive, got \(size)")
        self.size = size
    }
    public convenience init(_ size: Int = 2) { self.init((size, size)) }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 3 else { throw ShapeError(layer: "UpSampling2D", "expects per-sample input [channels, height, width], got \(s)") }
        return [s[0], s[1] * size.0, s[2] * size.1]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "UpSampling2D: expects NCHW input, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return x.reshaped(to: [n, c, h, 1, w, 1])
            .expanded(to: [n, c, h, size.0, w, size.1])
            .reshaped(to: [n, c, h * size.0, w * size.1])
    }
}
