import Weft

/// Zero padding of the length of [N, C, L] input (Keras `ZeroPadding1D`, channels-first).
public final class ZeroPadding1D: Layer {
    public let left: Int, right: Int

    public init(left: Int, right: Int) {
        precondition(left >= 0 && right >= 0, "ZeroPadding1D: padding must be non-negative")
        self.left = left; self.right = right
    }
    public convenience init(_ padding: (Int, Int)) { self.init(left: padding.0, right: padding.1) }
    public convenience init(_ padding: Int = 1) { self.init(left: padding, right: padding) }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 2 else { throw ShapeError(layer: "ZeroPadding1D", "expects per-sample input [channels, length], got \(s)") }
        return [s[0], s[1] + left + right]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "ZeroPadding1D: expects [N, C, L] input, got \(x.shape)")
        return x.padded(before: [0, 0, left], after: [0, 0, right])
    }
}

/// Zero padding of depth, height and width of [N, C, D, H, W] input (Keras `ZeroPadding3D`).
public final class ZeroPadding3D: Layer {
    /// (before, after) for depth, height and width.
    public let padding: ((Int, Int), (Int, Int), (Int, Int))

    public init(_ padding: ((Int, Int), (Int, Int), (Int, Int))) {
        let all = [padding.0.0, padding.0.1, padding.1.0, padding.1.1, padding.2.0, padding.2.1]
        precondition(all.allSatisfy { $0 >= 0 }, "ZeroPadding3D: padding must be non-negative")
        self.padding = padding
    }
    /// Symmetric padding of each dimension.
    public convenience init(_ padding: (Int, Int, Int)) {
        self.init(((padding.0, padding.0), (padding.1, padding.1), (padding.2, padding.2)))
    }
    public convenience init(_ padding: Int = 1) { self.init((padding, padding, padding)) }

    var before: [Int] { [padding.0.0, padding.1.0, padding.2.0] }
    var after: [Int] { [padding.0.1, padding.1.1, padding.2.1] }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 4 else { throw ShapeError(layer: "ZeroPadding3D", "expects per-sample input [channels, depth, height, width], got \(s)") }
        return [s[0]] + (0..<3).map { s[$0 + 1] + before[$0] + after[$0] }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 5, "ZeroPadding3D: expects [N, C, D, H, W] input, got \(x.shape)")
        return x.padded(before: [0, 0] + before, after: [0, 0] + after)
    }
}

/// Crops the start and end of the length of [N, C, L] input (Keras `Cropping1D`).
public final class Cropping1D: Layer {
    public let start: Int, end: Int

    public init(start: Int, end: Int) {
        precondition(start >= 0 && end >= 0, "Cropping1D: cropping must be non-negative")
        self.start = start; self.end = end
    }
    public convenience init(_ cropping: (Int, Int) = (1, 1)) { self.init(start: cropping.0, end: cropping.1) }
    public convenience init(_ cropping: Int) { self.init(start: cropping, end: cropping) }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 2 else { throw ShapeError(layer: "Cropping1D", "expects per-sample input [channels, length], got \(s)") }
        let l = s[1] - start - end
        guard l > 0 else { throw ShapeError(layer: "Cropping1D", "cropping (\(start), \(end)) leaves nothing of input shape \(s)") }
        return [s[0], l]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "Cropping1D: expects [N, C, L] input, got \(x.shape)")
        return x.sliced(axis: 2, start: start, end: x.shape[2] - end)
    }
}

/// Crops depth, height and width of [N, C, D, H, W] input (Keras `Cropping3D`).
public final class Cropping3D: Layer {
    /// (start, end) for depth, height and width.
    public let cropping: ((Int, Int), (Int, Int), (Int, Int))

    public init(_ cropping: ((Int, Int), (Int, Int), (Int, Int))) {
        let all = [cropping.0.0, cropping.0.1, cropping.1.0, cropping.1.1, cropping.2.0, cropping.2.1]
        precondition(all.allSatisfy { $0 >= 0 }, "Cropping3D: cropping must be non-negative")
        self.cropping = cropping
    }
    public convenience init(_ cropping: (Int, Int, Int)) {
        self.init(((cropping.0, cropping.0), (cropping.1, cropping.1), (cropping.2, cropping.2)))
    }
    public convenience init(_ cropping: Int = 1) { self.init((cropping, cropping, cropping)) }

    var starts: [Int] { [cropping.0.0, cropping.1.0, cropping.2.0] }
    var ends: [Int] { [cropping.0.1, cropping.1.1, cropping.2.1] }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 4 else { throw ShapeError(layer: "Cropping3D", "expects per-sample input [channels, depth, height, width], got \(s)") }
        let out = (0..<3).map { s[$0 + 1] - starts[$0] - ends[$0] }
        guard out.allSatisfy({ $0 > 0 }) else {
            throw ShapeError(layer: "Cropping3D", "cropping \(cropping) leaves nothing of input shape \(s)")
        }
        return [s[0]] + out
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 5, "Cropping3D: expects [N, C, D, H, W] input, got \(x.shape)")
        var y = x
        for i in 0..<3 { y = y.sliced(axis: i + 2, start: starts[i], end: y.shape[i + 2] - ends[i]) }
        return y
    }
}

/// Repeats each step of [N, C, L] input `size` times along the length (Keras `UpSampling1D`).
public final class UpSampling1D: Layer {
    public let size: Int

    public init(_ size: Int = 2) {
        precondition(size > 0, "UpSampling1D: size must be positive, got \(size)")
        self.size = size
    }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 2 else { throw ShapeError(layer: "UpSampling1D", "expects per-sample input [channels, length], got \(s)") }
        return [s[0], s[1] * size]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "UpSampling1D: expects [N, C, L] input, got \(x.shape)")
        let (n, c, l) = (x.shape[0], x.shape[1], x.shape[2])
        return x.reshaped(to: [n, c, l, 1]).expanded(to: [n, c, l, size]).reshaped(to: [n, c, l * size])
    }
}

/// Nearest-neighbour upsampling of [N, C, D, H, W] input (Keras `UpSampling3D`).
public final class UpSampling3D: Layer {
    public let size: (Int, Int, Int)

    public init(_ size: (Int, Int, Int)) {
        precondition(size.0 > 0 && size.1 > 0 && size.2 > 0, "UpSampling3D: size must be positive, got \(size)")
        self.size = size
    }
    public convenience init(_ size: Int = 2) { self.init((size, size, size)) }

    public func build(inputShape s: Shape) throws -> Shape {
        guard s.count == 4 else { throw ShapeError(layer: "UpSampling3D", "expects per-sample input [channels, depth, height, width], got \(s)") }
        return [s[0], s[1] * size.0, s[2] * size.1, s[3] * size.2]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 5, "UpSampling3D: expects [N, C, D, H, W] input, got \(x.shape)")
        let (n, c, d, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        return x.reshaped(to: [n, c, d, 1, h, 1, w, 1])
            .expanded(to: [n, c, d, size.0, h, size.1, w, size.2])
            .reshaped(to: [n, c, d * size.0, h * size.1, w * size.2])
    }
}
