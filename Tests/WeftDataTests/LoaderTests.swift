import Foundation
import Synchronization
import Testing
import Weft
@testable import WeftData

/// `n` samples whose input is [2] = (i, −i) as float32 and whose target is the int64 index i,
/// so that a batch's values say which samples it holds.
private func indexDataset(_ n: Int) -> TensorDataset {
    let x = Tensor(shape: [n, 2], scalars: (0..<n).flatMap { [Float($0), -Float($0)] })
    let y = Tensor(shape: [n], scalars: (0..<n).map { Int64($0) })
    return TensorDataset(x, y)
}

/// The sample indices a batch holds, read from its target values.
private func targetIndices(_ b: Batch) -> [Int] { b.y.scalars(as: Int64.self).map { Int($0) } }

/// Every batch of one epoch as (indices, input floats, target values).
private func contents<D>(_ loader: DataLoader<D>, epoch: Int) -> [([Int], [Float], [Double])] {
    var it = loader.makeIterator(epoch: epoch)
    var out: [([Int], [Float], [Double])] = []
    while let b = it.next() { out.append((b.indices, b.x.floats, b.targets.first?.doubles ?? [])) }
    return out
}

/// A dataset that counts the batches asked of it and takes a little time on some of them, so
/// that workers finish out of order.
private final class SlowDataset: Dataset, @unchecked Sendable {
    // @unchecked: `loads` is a Mutex; `base` is immutable.
    let base: TensorDataset
    let loads = Mutex(0)
    init(_ n: Int) { base = indexDataset(n) }
    var count: Int { base.count }
    func element(at index: Int) -> Sample { base.element(at: index) }
    func batch(at indices: [Int]) -> Batch {
        loads.withLock { $0 += 1 }
        // 0–3 ms, varying with the batch, so later batches often finish first.
        usleep(UInt32((indices.first ?? 0) * 7919 % 4) * 1000)
        return base.batch(at: indices)
    }
    var loadCount: Int { loads.withLock { $0 } }
}

@Suite struct LoaderTests {
    @Test func batchCountsWithAndWithoutDropLast() {
        let d = indexDataset(10)
        for workers in [0, 2] {
            let keep = DataLoader(d, batchSize: 3, workers: workers)
            #expect(keep.count == 4)
            #expect(keep.sampleCount == 10)
            #expect(Array(keep).map(\.count) == [3, 3, 3, 1])
            let drop = DataLoader(d, batchSize: 3, dropLast: true, workers: workers)
            #expect(drop.count == 3)
            #expect(drop.sampleCount == 9)
            #expect(Array(drop).map(\.count) == [3, 3, 3])
            let exact = DataLoader(indexDataset(9), batchSize: 3, dropLast: true, workers: workers)
            #expect(Array(exact).map(\.count) == [3, 3, 3])
            let big = DataLoader(d, batchSize: 32, dropLast: true, workers: workers)
            #expect(big.count == 0)
            #expect(Array(big).isEmpty)
            let one = DataLoader(d, batchSize: 32, workers: workers)
            #expect(Array(one).map(\.count) == [10])
        }
    }

    @Test func unshuffledBatchesAreInIndexOrder() {
        let loader = DataLoader(indexDataset(7), batchSize: 3, workers: 2)
        let batches = Array(loader)
        #expect(batches.map(\.indices) == [[0, 1, 2], [3, 4, 5], [6]])
        #expect(batches.map(targetIndices) == [[0, 1, 2], [3, 4, 5], [6]])
        #expect(batches[1].x.shape == [3, 2])
        #expect(batches[1].x.floats == [3, -3, 4, -4, 5, -5])
        #expect(batches[1].y.dtype == .int64)
    }

    @Test func everyIndexSeenExactlyOncePerEpoch() {
        let loader = DataLoader(indexDataset(103), batchSize: 10, shuffle: true, seed: 9, workers: 2)
        for _ in 0..<3 {
            var seen: [Int] = []
            for b in loader {
                #expect(b.indices == targetIndices(b))
                #expect(b.x.floats == b.indices.flatMap { [Float($0), -Float($0)] })
                seen += b.indices
            }
            #expect(seen.count == 103)
            #expect(seen.sorted() == Array(0..<103))
            #expect(seen != Array(0..<103))
        }
        // With drop-last each sample is seen at most once, and 100 of them are.
        let dropping = DataLoader(indexDataset(103), batchSize: 10, shuffle: true, seed: 9, dropLast: true, workers: 2)
        let seen = Array(dropping).flatMap(\.indices)
        #expect(seen.count == 100 && Set(seen).count == 100)
    }

    @Test func sameSeedSameOrder() {
        let a = DataLoader(indexDataset(50), batchSize: 8, shuffle: true, seed: 42, workers: 1)
        let b = DataLoader(indexDataset(50), batchSize: 8, shuffle: true, seed: 42, workers: 3)
        let c = DataLoader(indexDataset(50), batchSize: 8, shuffle: true, seed: 43)
        for _ in 0..<2 {
            let ba = Array(a).map(\.indices), bb = Array(b).map(\.indices)
            #expect(ba == bb)
        }
        #expect(a.batchIndices(epoch: 0) != c.batchIndices(epoch: 0))
    }

    @Test func differentEpochsGiveDifferentOrders() {
        let loader = DataLoader(indexDataset(40), batchSize: 5, shuffle: true, seed: 1)
        #expect(loader.epoch == 0)
        let e0 = Array(loader).flatMap(\.indices)
        #expect(loader.epoch == 1)
        let e1 = Array(loader).flatMap(\.indices)
        #expect(e0 != e1)
        #expect(e0.sorted() == e1.sorted())
        #expect(e0 == loader.order(epoch: 0) && e1 == loader.order(epoch: 1))
        // Setting the epoch back repeats it (PyTorch's set_epoch).
        loader.epoch = 0
        #expect(Array(loader).flatMap(\.indices) == e0)
        // Orders of many epochs are all different.
        let orders = (0..<20).map { loader.order(epoch: $0) }
        #expect(Set(orders).count == 20)
    }

    /// The loader's order for epoch e is the one `fit(x, y, seed:)` draws for its epoch e + 1.
    @Test func shuffleOrderMatchesFitsGenerator() {
        let loader = DataLoader(indexDataset(30), batchSize: 4, shuffle: true, seed: 77)
        let g = RandomGenerator(seed: 77)
        for e in 0..<3 { #expect(loader.order(epoch: e) == g.permutation(30)) }
    }

    @Test func workerCountDoesNotChangeTheBatches() {
        // Random images with augmentation, so that transform draws are compared too.
        let n = 37
        let images = Tensor.randomUniform([n, 2, 5, 6], generator: RandomGenerator(seed: 3))
        let labels = Tensor(shape: [n], scalars: (0..<n).map { Int32($0 % 4) })
        let pipeline = Compose {
            RandomCrop(size: 5, padding: 2)
            RandomHorizontalFlip()
            RandomShift(widthRange: 0.3, heightRange: 0.3)
            Normalize(mean: [0.5, 0.4], std: [0.2, 0.3])
        }
        func load(_ workers: Int, prefetch: Int? = nil) -> [[([Int], [Float], [Double])]] {
            let loader = DataLoader(TensorDataset(images, labels), batchSize: 4, shuffle: true, seed: 5, workers: workers,
                                    prefetch: prefetch, transform: pipeline, targetTransform: OneHot(classes: 4))
            return (0..<2).map { contents(loader, epoch: $0) }
        }
        let reference = load(0)
        #expect(reference[0].count == 10)
        #expect(reference[0][0].2.count == 4 * 4)
        for (workers, prefetch) in [(1, nil), (2, nil), (3, nil), (3, 1), (2, 7)] as [(Int, Int?)] {
            let other = load(workers, prefetch: prefetch)
            for e in 0..<2 {
                // Compared as Bools: a failure names the worker count instead of printing every value.
                let sameIndices = other[e].map(\.0) == reference[e].map(\.0)
                let sameInputs = other[e].map(\.1) == reference[e].map(\.1)
                let sameTargets = other[e].map(\.2) == reference[e].map(\.2)
                #expect(sameIndices, "workers \(workers), prefetch \(prefetch as Any), epoch \(e): sample order differs")
                #expect(sameInputs, "workers \(workers), prefetch \(prefetch as Any), epoch \(e): inputs differ")
                #expect(sameTargets, "workers \(workers), prefetch \(prefetch as Any), epoch \(e): targets differ")
            }
        }
        // The augmentation differs between epochs (other draws), not only the order.
        func bySample(_ epoch: [([Int], [Float], [Double])]) -> [Int: [Float]] {
            var out: [Int: [Float]] = [:]
            let size = 2 * 5 * 5
            for (indices, floats, _) in epoch {
                for (r, i) in indices.enumerated() { out[i] = Array(floats[(r * size)..<((r + 1) * size)]) }
            }
            return out
        }
        let byIndex0 = bySample(reference[0]), byIndex1 = bySample(reference[1])
        #expect(byIndex0.count == n && byIndex1.count == n)
        #expect((0..<n).filter { byIndex0[$0]! != byIndex1[$0]! }.count > n / 2)
    }

    @Test func batchesComeOutInOrderWhateverWorkersFinishFirst() {
        let d = SlowDataset(60)
        let loader = DataLoader(d, batchSize: 3, shuffle: true, seed: 2, workers: 4, prefetch: 8)
        let plan = loader.batchIndices(epoch: 0)
        let got = Array(loader)
        #expect(got.map(\.indices) == plan)
        #expect(got.map(targetIndices) == plan)
        #expect(d.loadCount == 20)
    }

    @Test func breakingOutEarlyStopsTheWorkers() {
        let d = SlowDataset(400)
        let loader = DataLoader(d, batchSize: 4, shuffle: true, workers: 3)
        #expect(loader.count == 100)
        #expect(loader.prefetch == 6)
        do {
            var it = loader.makeIterator()
            #expect(loader.liveWorkerCount == 3)
            #expect(it.next()?.count == 4)
            #expect(it.next()?.count == 4)
        }   // the iterator is dropped here
        #expect(loader.liveWorkerCount == 0)
        // Workers never ran more than the prefetch window ahead: 2 consumed + 6 ahead at most.
        #expect(d.loadCount <= 2 + loader.prefetch)

        // The same through a for loop with break.
        var seen = 0
        for _ in loader {
            seen += 1
            #expect(loader.liveWorkerCount <= 3)
            if seen == 2 { break }
        }
        #expect(seen == 2)
        #expect(loader.liveWorkerCount == 0)

        // A finished epoch leaves no worker behind either.
        let small = DataLoader(indexDataset(20), batchSize: 4, workers: 2)
        var it = small.makeIterator()
        var batches = 0
        while it.next() != nil { batches += 1 }
        #expect(batches == 5)
        #expect(it.next()?.count == nil)
        // Workers exit on their own after the last batch; give them a moment without dropping `it`.
        let deadline = Date().addingTimeInterval(5)
        while small.liveWorkerCount > 0 && Date() < deadline { usleep(1000) }
        #expect(small.liveWorkerCount == 0)
    }

    @Test func manyAbandonedIteratorsLeaveNoThreads() {
        let loader = DataLoader(SlowDataset(200), batchSize: 2, shuffle: true, workers: 2, prefetch: 3)
        for k in 0..<25 {
            var it = loader.makeIterator()
            for _ in 0..<(k % 3) { _ = it.next() }
        }
        #expect(loader.liveWorkerCount == 0)
        #expect(loader.epoch == 25)
    }

    @Test func multipleInputsAndTargets() {
        let a = Tensor(shape: [5, 3], scalars: (0..<15).map { Float($0) })
        let b = Tensor(shape: [5], scalars: (0..<5).map { Int32($0 * 10) })
        let t = Tensor(shape: [5, 1], scalars: (0..<5).map { Double($0) / 2 })
        let d = TensorDataset(inputs: [a, b], targets: [t])
        let e = d.element(at: 2)
        #expect(e.inputs.map(\.shape) == [[3], []])
        #expect(e.x.floats == [6, 7, 8])
        let batch = Array(DataLoader(d, batchSize: 2, workers: 1))[1]
        #expect(batch.inputs.map(\.shape) == [[2, 3], [2]])
        #expect(batch.inputs[1].doubles == [20, 30])
        #expect(batch.targets.map(\.shape) == [[2, 1]])
        #expect(batch.y.doubles == [1, 1.5])
        // The default batch(at:) (collating elements) agrees with TensorDataset's fast path.
        let collated = Sample.collate([d.element(at: 4), d.element(at: 0)], indices: [4, 0])
        let fast = d.batch(at: [4, 0])
        #expect(collated.inputs.map(\.doubles) == fast.inputs.map(\.doubles))
        #expect(collated.inputs.map(\.dtype) == fast.inputs.map(\.dtype))
        #expect(collated.targets.map(\.doubles) == fast.targets.map(\.doubles))
    }

    @Test func mappedAndSubsetDatasets() {
        let base = indexDataset(12)
        // Elements mapped to bare tensors collate into input-only batches.
        let doubled = base.map { s in s.x * 2 }
        #expect(doubled.count == 12)
        let b = doubled.batch(at: [3, 1])
        #expect(b.inputs.count == 1 && b.targets.isEmpty)
        #expect(b.x.floats == [6, -6, 2, -2])
        // Mapped to samples with a one-hot target.
        let mapped = base.map { s in Sample(s.x, OneHot(classes: 12)(s.y)) }
        let batches = Array(DataLoader(mapped, batchSize: 5, shuffle: true, seed: 4, workers: 2))
        #expect(batches.map(\.count) == [5, 5, 2])
        for batch in batches {
            #expect(batch.y.shape == [batch.count, 12])
            let rows = batch.y.floats
            for (r, i) in batch.indices.enumerated() { #expect(rows[r * 12 + i] == 1 && rows[(r * 12)..<((r + 1) * 12)].reduce(0, +) == 1) }
        }
        // A subset renumbers its samples 0..<count.
        let subset = SubsetDataset(base, indices: [11, 4, 7])
        let all = Array(DataLoader(subset, batchSize: 2))
        #expect(all.map(\.indices) == [[0, 1], [2]])
        #expect(all.flatMap(targetIndices) == [11, 4, 7])
    }

    @Test func streamLoaderBatchesAStream() {
        let samples = (0..<10).map { Sample(Tensor(shape: [1], scalars: [Float($0)]), Tensor(Int64($0))) }
        let stream = StreamDataset(samples)
        for prefetch in [0, 1, 3] {
            let loader = StreamLoader(stream, batchSize: 4, prefetch: prefetch)
            let batches = Array(loader)
            #expect(batches.map(\.count) == [4, 4, 2])
            #expect(batches.map(\.indices) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
            #expect(batches.flatMap { $0.x.floats } == (0..<10).map { Float($0) })
            #expect(Array(StreamLoader(stream, batchSize: 4, dropLast: true, prefetch: prefetch)).map(\.count) == [4, 4])
            #expect(loader.liveWorkerCount == 0)
        }
        // An endless stream: breaking out stops its producer thread.
        let endless = StreamDataset<Tensor> {
            var i = 0
            return AnyIterator { i += 1; return Tensor(shape: [2], scalars: [Float(i), 0]) }
        }
        let loader = StreamLoader(endless, batchSize: 3, prefetch: 2)
        var n = 0
        for b in loader {
            #expect(b.x.shape == [3, 2])
            n += 1
            if n == 4 { break }
        }
        #expect(loader.liveWorkerCount == 0)
        // A random-access dataset read as a stream, with transforms keyed by stream position.
        let images = Tensor.randomUniform([6, 1, 3, 3], generator: RandomGenerator(seed: 8))
        let flip = RandomHorizontalFlip()
        let viaStream = Array(StreamLoader(TensorDataset(inputs: [images]).stream, batchSize: 4, seed: 3, transform: flip))
        let viaLoader = Array(DataLoader(TensorDataset(inputs: [images]), batchSize: 4, seed: 3, workers: 1, transform: flip))
        #expect(viaStream.map { $0.x.floats } == viaLoader.map { $0.x.floats })
    }
}
