/// Where a tensor's memory lives.
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    /// The process-wide default device for new tensors.
    nonisolated(unsafe) public static var `default`: Device = .cpu

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let i): return "cuda:\(i)"
        }
    }
}

/// An n-dimensional array: a value type over reference-counted, copy-on-write storage.
///
/// Tensors are **contiguous and row-major**; there are no strides. Reshape, flatten, squeeze
/// and unsqueeze share storage; transpose, slicing and expand copy. The reasons: every kernel
/// (ours, oneDNN's, BLAS's) then sees one layout, per-op bookkeeping stays a few words, and the
/// copies that strides would avoid are either folded into the consumer (matmul takes transpose
/// flags) or cheap next to the arithmetic in the models this library trains.
///
/// Arithmetic stops with a message naming the op and the shapes on a programmer error (two
/// shapes that cannot broadcast), like Swift's own index-out-of-range.
public struct Tensor: Sendable {
    public private(set) var storage: TensorStorage
    public let shape: Shape
    public let dtype: DType
    public let device: Device
    /// The autodiff node, when this tensor takes part in a gradient computation.
    @usableFromInline internal var node: GradNode?

    /// A tensor with uninitialised contents.
    public init(empty shape: Shape, dtype: DType = TensorDefaults.floatType, device: Device = .default) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shapeString(shape))")
        self.storage = TensorStorage(byteCount: shape.elementCount * dtype.byteSize)
        self.shape = shape
        self.dtype = dtype
        self.device = device
        self.node = nil
    }

    /// A tensor that shares `storage` (reshape-like views).
    init(storage: TensorStorage, shape: Shape, dtype: DType, device: Device) {
        self.storage = storage
        self.shape = shape
        self.dtype = dtype
        self.device = device
        self.node = nil
    }

    /// A tensor from Swift scalars, row-major.
    public init<T: TensorScalar>(shape: Shape, scalars: [T], device: Device = .default) {
        precondition(shape.elementCount == scalars.count,
                     "Tensor(shape:scalars:): shape \(shapeString(shape)) needs \(shape.elementCount) scalars, got \(scalars.count)")
        self.init(empty: shape, dtype: T.dtype, device: device)
        scalars.withUnsafeBytes { src in
            storage.data.copyMemory(from: src.baseAddress!, byteCount: src.count)
        }
    }

    /// A 1-D tensor from Swift scalars.
    public init<T: TensorScalar>(_ scalars: [T]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// A 0-d (scalar) tensor.
    public init<T: TensorScalar>(_ scalar: T) { self.init(shape: [], scalars: [scalar]) }

    /// A 0-d tensor of the given dtype.
    public init(_ value: Double, dtype: DType) {
        self.init(empty: [], dtype: dtype)
        fillScalar(value)
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.elementCount }
    public var byteCount: Int { count * dtype.byteSize }

    /// Typed access to the elements; `T` must match `dtype`.
    public func scalars<T: TensorScalar>(as type: T.Type) -> [T] {
        precondition(T.dtype == dtype, "scalars(as:): tensor has dtype \(dtype), asked for \(T.dtype)")
        return [T](unsafeUninitializedCapacity: count) { buf, n in
            buf.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: byteCount) { dst in
                dst.update(from: storage.data.assumingMemoryBound(to: UInt8.self), count: byteCount)
            }
            n = count
        }
    }

    /// Every element converted to `Double` (convenient for tests and printing).
    public var doubles: [Double] {
        var out = [Double](repeating: 0, count: count)
        for i in 0..<count { out[i] = element(i) }
        return out
    }

    /// Every element converted to `Float`.
    public var floats: [Float] { dtype == .float32 ? scalars(as: Float.self) : doubles.map { Float($0) } }

    /// The only element of a one-element tensor.
    public var item: Double {
        precondition(count == 1, "item: tensor of shape \(shapeString(shape)) has \(count) elements, not 1")
        return element(0)
    }

    /// Element `i` (row-major) as `Double`.
    func element(_ i: Int) -> Double {
        let p = storage.data
        switch dtype {
        case .bool: return p.load(fromByteOffset: i, as: Bool.self) ? 1 : 0
        case .uint8: return Double(p.load(fromByteOffset: i, as: UInt8.self))
        case .int32: return Double(p.load(fromByteOffset: i * 4, as: Int32.self))
        case .int64: return Double(p.load(fromByteOffset: i * 8, as: Int64.self))
        case .float16: return Double(p.load(fromByteOffset: i * 2, as: Float16.self))
        case .bfloat16: return Double(p.load(fromByteOffset: i * 2, as: BFloat16.self).floatValue)
        case .float32: return Double(p.load(fromByteOffset: i * 4, as: Float.self))
        case .float64: return p.load(fromByteOffset: i * 8, as: Double.self)
        }
    }

    /// Sets every element to `value` (converted to the dtype).
    mutating func fillScalar(_ value: Double) {
        makeUnique()
        storage.invalidateAlternate()
        let p = storage.data
        let n = count
        switch dtype {
        case .bool: p.initializeMemory(as: Bool.self, repeating: value != 0, count: n)
        case .uint8: p.initializeMemory(as: UInt8.self, repeating: UInt8(doubleValue: value), count: n)
        case .int32: p.initializeMemory(as: Int32.self, repeating: Int32(doubleValue: value), count: n)
        case .int64: p.initializeMemory(as: Int64.self, repeating: Int64(doubleValue: value), count: n)
        case .float16: p.initializeMemory(as: Float16.self, repeating: Float16(value), count: n)
        case .bfloat16: p.initializeMemory(as: BFloat16.self, repeating: BFloat16(doubleValue: value), count: n)
        case .float32: p.initializeMemory(as: Float.self, repeating: Float(value), count: n)
        case .float64: p.initializeMemory(as: Double.self, repeating: value, count: n)
        }
    }

    /// Copy-on-write: gives this tensor its own storage if another tensor shares it.
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            let s = TensorStorage(byteCount: Swift.max(byteCount, 1))
            s.data.copyMemory(from: storage.data, byteCount: byteCount)
            storage = s
        }
    }

    /// Read-only typed pointer access.
    @inlinable
    public func withUnsafeBufferPointer<T: TensorScalar, R>(as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        precondition(T.dtype == dtype, "withUnsafeBufferPointer: tensor has dtype \(dtype), asked for \(T.dtype)")
        return try body(UnsafeBufferPointer(start: storage.data.assumingMemoryBound(to: T.self), count: count))
    }

    /// Mutable typed pointer access (copies first if the storage is shared).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<T: TensorScalar, R>(as type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R) rethrows -> R {
        precondition(T.dtype == dtype, "withUnsafeMutableBufferPointer: tensor has dtype \(dtype), asked for \(T.dtype)")
        makeUnique()
        storage.invalidateAlternate()
        return try body(UnsafeMutableBufferPointer(start: storage.data.assumingMemoryBound(to: T.self), count: count))
    }

    /// Raw typed pointer for kernels (no copy-on-write check: only for freshly made outputs and reads).
    @inlinable func ptr<T>(_ type: T.Type) -> UnsafeMutablePointer<T> { storage.data.assumingMemoryBound(to: T.self) }

    /// Drops the copies of this tensor's values that backends keep in their own layouts
    /// (benchmarks use it to time an op's reorders; values are unaffected).
    public func discardCachedLayouts() { storage.invalidateAlternate() }

    /// True when both tensors share one buffer.
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}
