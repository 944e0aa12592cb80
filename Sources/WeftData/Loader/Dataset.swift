import Weft

/// A collection of samples with random access (PyTorch's map-style `Dataset`).
///
/// Conformers give `count` and `element(at:)`. A `DataLoader` asks for a whole batch at a time
/// through `batch(at:)`; the default fetches each element and collates them (elements must be
/// ``Collatable``: ``Sample``, `Tensor` or ``Batch``), and a dataset that can do better — one
/// `indexSelect` per tensor instead of one slice per sample, like ``TensorDataset`` — implements
/// it itself. Both are called from the loader's worker threads, hence `Sendable`.
public protocol Dataset<Element>: Sendable {
    associatedtype Element: Sendable
    /// The number of samples.
    var count: Int { get }
    /// Sample `index`, `0 ..< count`.
    func element(at index: Int) -> Element
    /// The samples at `indices`, in that order, collated along a new first axis.
    func batch(at indices: [Int]) -> Batch
}

extension Dataset {
    /// Fetches each element and collates them; stops with a message when the elements are not
    /// ``Collatable`` (then implement `batch(at:)` or `map` the dataset to ``Sample``s).
    public func batch(at indices: [Int]) -> Batch {
        let items = indices.map { element(at: $0) }
        guard let batch = collateIfPossible(items, indices: indices) else {
            preconditionFailure("Dataset.batch(at:): elements of type \(Element.self) are not Collatable; "
                                + "implement batch(at:) for \(Self.self) or map its elements to Sample")
        }
        return batch
    }

    /// A dataset whose elements are `transform(element)`, computed lazily (on the loader's workers).
    public func map<Output: Sendable>(_ transform: @escaping @Sendable (Element) -> Output) -> MappedDataset<Self, Output> {
        MappedDataset(self, transform)
    }
}

/// Collates `items` when their type is ``Collatable`` (checked at run time, so that generic
/// wrappers such as ``MappedDataset`` get the right behaviour whatever their element type).
func collateIfPossible<T>(_ items: [T], indices: [Int]) -> Batch? {
    guard let type = T.self as? any Collatable.Type else { return nil }
    func open<C: Collatable>(_: C.Type) -> Batch { C.collate(items as! [C], indices: indices) }
    return open(type)
}

/// One sample: its input tensors (usually one, the `x`) and its target tensors (usually one,
/// the `y`), without a batch axis.
public struct Sample: Sendable {
    public var inputs: [Tensor]
    public var targets: [Tensor]

    public init(inputs: [Tensor], targets: [Tensor] = []) {
        self.inputs = inputs
        self.targets = targets
    }

    /// One input and one target.
    public init(_ x: Tensor, _ y: Tensor) { self.init(inputs: [x], targets: [y]) }

    /// The first input.
    public var x: Tensor { inputs[0] }
    /// The first target.
    public var y: Tensor { targets[0] }
}

/// A batch of samples: each input and target stacked along a new first axis, plus the dataset
/// indices of its samples (what per-sample random transforms are keyed by). `fit` takes `x`
/// and `y`.
public struct Batch: Sendable {
    public var inputs: [Tensor]
    public var targets: [Tensor]
    /// The dataset index of each sample, in batch order.
    public var indices: [Int]

    public init(inputs: [Tensor], targets: [Tensor] = [], indices: [Int]) {
        self.inputs = inputs
        self.targets = targets
        self.indices = indices
    }

    /// The first input.
    public var x: Tensor { inputs[0] }
    /// The first target.
    public var y: Tensor { targets[0] }
    /// The number of samples.
    public var count: Int { indices.count }
}

/// Element types that a loader knows how to stack into a ``Batch``.
public protocol Collatable: Sendable {
    /// Stacks `items` (the samples at dataset `indices`) along a new first axis.
    static func collate(_ items: [Self], indices: [Int]) -> Batch
}

extension Sample: Collatable {
    public static func collate(_ items: [Sample], indices: [Int]) -> Batch {
        precondition(!items.isEmpty, "collate: no samples")
        let ni = items[0].inputs.count, nt = items[0].targets.count
        for s in items {
            precondition(s.inputs.count == ni && s.targets.count == nt,
                         "collate: samples have different numbers of inputs/targets (\(ni)/\(nt) and \(s.inputs.count)/\(s.targets.count))")
        }
        return Batch(inputs: (0..<ni).map { k in stackSamples(items.map { $0.inputs[k] }) },
                     targets: (0..<nt).map { k in stackSamples(items.map { $0.targets[k] }) },
                     indices: indices)
    }
}

extension Tensor: Collatable {
    /// A dataset of bare tensors gives batches with one input and no target.
    public static func collate(_ items: [Tensor], indices: [Int]) -> Batch {
        Batch(inputs: [stackSamples(items)], indices: indices)
    }
}

extension Batch: Collatable {
    /// Concatenates batches (a dataset whose elements are already small batches).
    public static func collate(_ items: [Batch], indices: [Int]) -> Batch {
        precondition(!items.isEmpty, "collate: no batches")
        return Batch(inputs: (0..<items[0].inputs.count).map { k in concatenate(items.map { $0.inputs[k] }, axis: 0) },
                     targets: (0..<items[0].targets.count).map { k in concatenate(items.map { $0.targets[k] }, axis: 0) },
                     indices: items.flatMap(\.indices))
    }
}

/// Stacks same-shaped tensors along a new first axis with one copy per sample (no autodiff).
func stackSamples(_ xs: [Tensor]) -> Tensor {
    precondition(!xs.isEmpty, "collate: no samples")
    let first = xs[0]
    for t in xs {
        precondition(t.shape == first.shape && t.dtype == first.dtype,
                     "collate: samples differ in shape or dtype: \(first.shape) \(first.dtype) and \(t.shape) \(t.dtype); pad them first (PadSequence)")
    }
    if first.device != .cpu { return stack(xs.map { $0.detached() }, axis: 0) }
    // A fresh tensor that nothing else references yet: written through its storage directly.
    let out = Tensor(empty: [xs.count] + first.shape, dtype: first.dtype, device: first.device)
    let bytes = first.byteCount
    if bytes > 0 {
        for (i, t) in xs.enumerated() { (out.storage.data + i * bytes).copyMemory(from: t.storage.data, byteCount: bytes) }
    }
    return out
}

// MARK: - Tensor datasets

/// Samples sliced along the first axis of one or more tensors of equal length (PyTorch's
/// `TensorDataset`): element `i` is `Sample(inputs: inputs.map { $0[i] }, targets: targets.map { $0[i] })`,
/// and `batch(at:)` takes one `indexSelect` per tensor.
public struct TensorDataset: Dataset {
    public let inputs: [Tensor]
    public let targets: [Tensor]
    public let count: Int

    /// Inputs and targets; every tensor must have the same first dimension.
    public init(inputs: [Tensor], targets: [Tensor] = []) {
        precondition(!inputs.isEmpty, "TensorDataset: at least one input tensor is needed")
        let n = inputs[0].shape.first ?? 0
        for t in inputs + targets {
            precondition(t.rank >= 1 && t.shape[0] == n,
                         "TensorDataset: tensors must share their first dimension; got \((inputs + targets).map { $0.shape })")
        }
        // Detached: the loader reads these from several threads and never differentiates them.
        self.inputs = inputs.map { $0.detached() }
        self.targets = targets.map { $0.detached() }
        self.count = n
    }

    /// One input tensor `x` and one target tensor `y`.
    public init(_ x: Tensor, _ y: Tensor) { self.init(inputs: [x], targets: [y]) }

    public func element(at index: Int) -> Sample {
        precondition(index >= 0 && index < count, "TensorDataset: index \(index) is out of range 0..<\(count)")
        return Sample(inputs: inputs.map { $0[index] }, targets: targets.map { $0[index] })
    }

    public func batch(at indices: [Int]) -> Batch {
        for i in indices { precondition(i >= 0 && i < count, "TensorDataset: index \(i) is out of range 0..<\(count)") }
        let idx = Tensor(shape: [indices.count], scalars: indices.map { Int64($0) })
        return Batch(inputs: inputs.map { $0.indexSelect(axis: 0, indices: idx) },
                     targets: targets.map { $0.indexSelect(axis: 0, indices: idx) },
                     indices: indices)
    }
}

/// A dataset whose elements are another dataset's, transformed (lazily, on the loader's
/// workers). For seeded random augmentation give the loader a ``Transform`` instead: it knows
/// the epoch, which a dataset does not.
public struct MappedDataset<Base: Dataset, Output: Sendable>: Dataset {
    public let base: Base
    public let transform: @Sendable (Base.Element) -> Output

    public init(_ base: Base, _ transform: @escaping @Sendable (Base.Element) -> Output) {
        self.base = base
        self.transform = transform
    }

    public var count: Int { base.count }
    public func element(at index: Int) -> Output { transform(base.element(at: index)) }
}

/// The samples of `base` at `indices` (a train/validation split, a subset for a quick run).
public struct SubsetDataset<Base: Dataset>: Dataset {
    public let base: Base
    public let indices: [Int]

    public init(_ base: Base, indices: [Int]) {
        for i in indices { precondition(i >= 0 && i < base.count, "SubsetDataset: index \(i) is out of range 0..<\(base.count)") }
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public func element(at index: Int) -> Base.Element { base.element(at: indices[index]) }
    public func batch(at positions: [Int]) -> Batch {
        var b = base.batch(at: positions.map { indices[$0] })
        b.indices = positions
        return b
    }
}

// MARK: - Streams

/// A stream of samples with no random access (PyTorch's `IterableDataset`): a file read front to
/// back, a generator. Each `makeIterator()` starts the stream again from its beginning; the
/// iterator is used from one thread at a time (a ``StreamLoader``'s producer thread).
public protocol IterableDataset<Element>: Sendable {
    associatedtype Element: Sendable
    associatedtype Iterator: IteratorProtocol where Iterator.Element == Element
    func makeIterator() -> Iterator
}

/// An ``IterableDataset`` made from a closure that starts the stream.
public struct StreamDataset<Element: Sendable>: IterableDataset {
    let start: @Sendable () -> AnyIterator<Element>

    public init(_ start: @escaping @Sendable () -> AnyIterator<Element>) { self.start = start }

    /// The elements of a sequence that can be iterated again (an array, a range, …).
    public init<S: Sequence & Sendable>(_ elements: S) where S.Element == Element {
        self.start = { AnyIterator(elements.makeIterator()) }
    }

    public func makeIterator() -> AnyIterator<Element> { start() }
}

extension Dataset {
    /// The dataset read front to back as a stream (index order).
    public var stream: StreamDataset<Element> {
        let d = self
        return StreamDataset { () -> AnyIterator<Element> in
            var i = 0
            return AnyIterator {
                guard i < d.count else { return nil }
                defer { i += 1 }
                return d.element(at: i)
            }
        }
    }
}
