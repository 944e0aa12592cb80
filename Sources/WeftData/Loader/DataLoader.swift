import Foundation
import Synchronization
import Weft

/// Batches of a ``Dataset``: shuffled (seeded), collated into tensors, transformed, and loaded
/// ahead of the training loop on background worker threads (PyTorch's `DataLoader`).
///
/// ```swift
/// let loader = DataLoader(TensorDataset(x, y), batchSize: 32, shuffle: true, seed: 1, workers: 2,
///                         transform: Compose {
///                             RandomCrop(padding: 4)
///                             RandomHorizontalFlip()
///                             Normalize(mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26])
///                         })
/// for batch in loader { … batch.x, batch.y … }     // one epoch
/// try model.fit(loader, epochs: 10)
/// ```
///
/// - **Order.** Each `for` loop (each `makeIterator()`) is the next epoch: 0, 1, 2, …
///   (`epoch` reads or sets the next one, like PyTorch's `set_epoch`). With `shuffle` the order
///   of epoch `e` is a permutation that depends only on (`seed`, `e`) — the one
///   `Model.fit(x, y, seed:)` uses for its epoch `e + 1` — so the same seed gives the same
///   batches in every run.
/// - **Workers.** With `workers > 0` that many threads load batches (the dataset's
///   `batch(at:)` and the transforms) up to `prefetch` batches ahead of the consumer; batches
///   come out in order whatever the scheduling, and are the same for any worker count,
///   `0` (load on the calling thread) included. Dropping the iterator (a `break` out of the
///   `for` loop) stops the workers and waits for them to exit.
/// - **Transforms.** `transform` is applied to every input of a batch and `targetTransform`
///   to every target, on the workers. Their random numbers come from (`seed`, epoch, sample
///   index), never from the thread that runs them.
public final class DataLoader<D: Dataset>: Sequence, Sendable {
    public let dataset: D
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    /// Whether a last batch smaller than `batchSize` is left out.
    public let dropLast: Bool
    /// Background threads; 0 loads on the thread that iterates.
    public let workers: Int
    /// How many batches may be loaded (or loading) ahead of the consumer.
    public let prefetch: Int
    public let transform: (any Transform)?
    public let targetTransform: (any Transform)?

    private let nextEpoch = Mutex(0)
    private let counter = WorkerCounter()

    /// - Parameters:
    ///   - prefetch: batches loaded ahead; default `2 × workers` (ignored when `workers == 0`).
    public init(_ dataset: D, batchSize: Int = 32, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false,
                workers: Int = 0, prefetch: Int? = nil,
                transform: (any Transform)? = nil, targetTransform: (any Transform)? = nil) {
        precondition(batchSize >= 1, "DataLoader: batchSize must be ≥ 1, got \(batchSize)")
        precondition(workers >= 0, "DataLoader: workers must be ≥ 0, got \(workers)")
        precondition((prefetch ?? 1) >= 1, "DataLoader: prefetch must be ≥ 1, got \(prefetch!)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.workers = workers
        self.prefetch = prefetch ?? Swift.max(2 * workers, 1)
        self.transform = transform
        self.targetTransform = targetTransform
    }

    /// Batches per epoch.
    public var count: Int {
        let n = dataset.count
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize
    }

    /// Samples per epoch (all of them, or the ones in full batches with `dropLast`).
    public var sampleCount: Int { dropLast ? count * batchSize : dataset.count }

    /// The epoch the next `makeIterator()` (the next `for` loop) will load.
    public var epoch: Int {
        get { nextEpoch.withLock { $0 } }
        set {
            precondition(newValue >= 0, "DataLoader: epoch must be ≥ 0")
            nextEpoch.withLock { $0 = newValue }
        }
    }

    /// Worker threads of this loader that are running now (for tests and diagnostics).
    public var liveWorkerCount: Int { counter.value }

    /// The sample order of `epoch`: a seeded permutation when shuffling, else `0 ..< count`.
    public func order(epoch: Int) -> [Int] {
        let n = dataset.count
        guard shuffle else { return Array(0..<n) }
        // Epoch e draws counters e·n ..< (e+1)·n of the seed's generator, as fit(x, y, seed:) does.
        let g = RandomGenerator(seed: seed)
        g.restore(key: g.snapshot.key, counter: UInt64(epoch) &* UInt64(n))
        return g.permutation(n)
    }

    /// The dataset indices of each batch of `epoch`.
    public func batchIndices(epoch: Int) -> [[Int]] {
        let order = order(epoch: epoch)
        return (0..<count).map { b in Array(order[(b * batchSize)..<Swift.min(order.count, (b + 1) * batchSize)]) }
    }

    /// Loads one batch: the dataset's `batch(at:)`, then the transforms (what a worker runs).
    public func loadBatch(_ indices: [Int], epoch: Int) -> Batch {
        var batch = dataset.batch(at: indices)
        if transform != nil || targetTransform != nil {
            let randoms = batch.indices.map { SampleRandom(seed: seed, epoch: epoch, index: $0) }
            if let t = transform { batch.inputs = batch.inputs.map { t.applyBatch($0, randoms: randoms) } }
            if let t = targetTransform {
                let r = randoms.map { $0.stage(SampleRandom.targetStage) }
                batch.targets = batch.targets.map { t.applyBatch($0, randoms: r) }
            }
        }
        return batch
    }

    /// Starts the next epoch.
    public func makeIterator() -> BatchIterator {
        let e = nextEpoch.withLock { e in defer { e += 1 }; return e }
        return makeIterator(epoch: e)
    }

    /// Starts epoch `epoch` (without moving `epoch` on).
    public func makeIterator(epoch: Int) -> BatchIterator {
        let plan = batchIndices(epoch: epoch)
        let total = plan.count
        if workers == 0 || total == 0 {
            return BatchIterator(epoch: epoch, run: LoaderRun(synchronous: { b in b < total ? self.loadBatch(plan[b], epoch: epoch) : nil }))
        }
        let pipeline = PrefetchPipeline(total: total, window: prefetch, counter: counter)
        pipeline.start(workers: Swift.min(workers, total)) {
            { b in self.loadBatch(plan[b], epoch: epoch) }
        }
        return BatchIterator(epoch: epoch, run: LoaderRun(pipeline: pipeline))
    }
}

/// Batches of a stream (an ``IterableDataset``), `batchSize` consecutive elements at a time,
/// optionally produced ahead on one background thread (a stream is read in order, so one
/// producer). Each `for` loop restarts the stream and is the next epoch; transforms are keyed
/// by (`seed`, epoch, position of the sample in the stream).
public final class StreamLoader<S: IterableDataset>: Sequence, Sendable where S.Element: Collatable {
    public let dataset: S
    public let batchSize: Int
    public let seed: UInt64
    public let dropLast: Bool
    /// Batches produced ahead on a background thread; 0 reads the stream on the iterating thread.
    public let prefetch: Int
    public let transform: (any Transform)?
    public let targetTransform: (any Transform)?

    private let nextEpoch = Mutex(0)
    private let counter = WorkerCounter()

    public init(_ dataset: S, batchSize: Int = 32, seed: UInt64 = 0, dropLast: Bool = false, prefetch: Int = 2,
                transform: (any Transform)? = nil, targetTransform: (any Transform)? = nil) {
        precondition(batchSize >= 1, "StreamLoader: batchSize must be ≥ 1, got \(batchSize)")
        precondition(prefetch >= 0, "StreamLoader: prefetch must be ≥ 0, got \(prefetch)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.seed = seed
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.transform = transform
        self.targetTransform = targetTransform
    }

    /// Producer threads of this loader that are running now (for tests and diagnostics).
    public var liveWorkerCount: Int { counter.value }

    public var epoch: Int {
        get { nextEpoch.withLock { $0 } }
        set { nextEpoch.withLock { $0 = newValue } }
    }

    public func makeIterator() -> BatchIterator {
        let e = nextEpoch.withLock { e in defer { e += 1 }; return e }
        return makeIterator(epoch: e)
    }

    public func makeIterator(epoch: Int) -> BatchIterator {
        if prefetch == 0 { return BatchIterator(epoch: epoch, run: LoaderRun(synchronous: makeProducer(epoch: epoch))) }
        let pipeline = PrefetchPipeline(total: Int.max, window: prefetch, counter: counter)
        pipeline.start(workers: 1) { self.makeProducer(epoch: epoch) }
        return BatchIterator(epoch: epoch, run: LoaderRun(pipeline: pipeline))
    }

    /// A closure that reads the next batch off a fresh stream iterator (called with 0, 1, 2, …).
    func makeProducer(epoch: Int) -> (Int) -> Batch? {
        var iterator = dataset.makeIterator()
        var position = 0
        return { _ in
            var items: [S.Element] = []
            items.reserveCapacity(self.batchSize)
            while items.count < self.batchSize, let e = iterator.next() { items.append(e) }
            if items.isEmpty || (self.dropLast && items.count < self.batchSize) { return nil }
            var batch = S.Element.collate(items, indices: Array(position..<(position + items.count)))
            position += items.count
            if self.transform != nil || self.targetTransform != nil {
                let randoms = batch.indices.map { SampleRandom(seed: self.seed, epoch: epoch, index: $0) }
                if let t = self.transform { batch.inputs = batch.inputs.map { t.applyBatch($0, randoms: randoms) } }
                if let t = self.targetTransform {
                    let r = randoms.map { $0.stage(SampleRandom.targetStage) }
                    batch.targets = batch.targets.map { t.applyBatch($0, randoms: r) }
                }
            }
            return batch
        }
    }
}

/// The batches of one epoch, in order. Dropping it stops the loader's workers.
public struct BatchIterator: IteratorProtocol {
    /// The epoch being loaded.
    public let epoch: Int
    let run: LoaderRun

    public mutating func next() -> Batch? { run.next() }
}

/// One epoch's loading: on the calling thread, or through a ``PrefetchPipeline`` that is
/// stopped (and its threads joined) when this goes away.
final class LoaderRun {
    private let pipeline: PrefetchPipeline?
    private var produce: ((Int) -> Batch?)?
    private var position = 0

    init(synchronous produce: @escaping (Int) -> Batch?) {
        self.pipeline = nil
        self.produce = produce
    }

    init(pipeline: PrefetchPipeline) {
        self.pipeline = pipeline
        self.produce = nil
    }

    func next() -> Batch? {
        if let pipeline { return pipeline.next() }
        guard let produce, let batch = produce(position) else {
            produce = nil   // finished: later calls return nil without touching the source
            return nil
        }
        position += 1
        return batch
    }

    deinit { pipeline?.stop() }
}

/// A count of running worker threads, shared by a loader and its pipelines.
final class WorkerCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func add(_ n: Int) { count.add(n, ordering: .acquiringAndReleasing) }
}

/// Batches numbered 0, 1, 2, … made by worker threads at most `window` ahead of the consumer
/// and handed out in number order, whatever order the workers finish in.
///
/// Each worker claims the lowest unclaimed number inside the window, produces that batch
/// outside the lock, and files it under its number; the consumer waits for the next number.
/// `stop()` wakes every waiting worker, makes them exit at their next check, and waits until
/// they have (a batch being produced is finished first and thrown away).
final class PrefetchPipeline: @unchecked Sendable {
    // @unchecked: every stored `var` below is read and written only while `condition` is
    // locked; the `let`s are immutable and Sendable.
    private let condition = NSCondition()
    private let window: Int
    private let counter: WorkerCounter
    /// Batches in the epoch; a stream lowers it from Int.max when its producer runs dry.
    private var total: Int
    private var nextToClaim = 0
    private var delivered = 0
    private var ready: [Int: Batch] = [:]
    private var stopped = false
    private var live = 0

    init(total: Int, window: Int, counter: WorkerCounter) {
        precondition(window >= 1)
        self.total = total
        self.window = window
        self.counter = counter
    }

    /// Starts `workers` threads. Each calls `makeProducer` once, on its own thread (so a
    /// producer may own non-Sendable state, such as a stream's iterator), then calls the
    /// producer with each number it claims; a nil result ends the epoch at that number.
    func start(workers: Int, makeProducer: @escaping @Sendable () -> (Int) -> Batch?) {
        condition.lock()
        live += workers
        counter.add(workers)
        condition.unlock()
        for w in 0..<workers {
            let thread = Thread { [self] in self.work(makeProducer) }
            thread.name = "weft-loader-\(w)"
            thread.start()
        }
    }

    private func work(_ makeProducer: () -> (Int) -> Batch?) {
        let produce = makeProducer()
        condition.lock()
        while true {
            while !stopped && nextToClaim < total && nextToClaim >= delivered + window { condition.wait() }
            if stopped || nextToClaim >= total { break }
            let number = nextToClaim
            nextToClaim += 1
            condition.unlock()
            let batch = produce(number)
            condition.lock()
            if stopped { break }
            if let batch { ready[number] = batch } else { total = Swift.min(total, number) }
            condition.broadcast()
        }
        live -= 1
        counter.add(-1)
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch in order, waiting for it; nil after the last one.
    func next() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while delivered < total && ready[delivered] == nil && !stopped { condition.wait() }
        guard delivered < total, let batch = ready.removeValue(forKey: delivered) else { return nil }
        delivered += 1
        condition.broadcast()
        return batch
    }

    /// Stops the workers and waits until every one has exited.
    func stop() {
        condition.lock()
        stopped = true
        ready.removeAll()
        condition.broadcast()
        while live > 0 { condition.wait() }
        condition.unlock()
    }
}
