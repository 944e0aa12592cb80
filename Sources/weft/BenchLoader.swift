import ArgumentParser
import Weft
import WeftData

extension Bench {
    /// `weft bench loader`: DataLoader throughput with nothing consuming the batches, for
    /// (a) MNIST (real data from MNIST.load, float32 [1, 28, 28], shuffled, batch 128) and
    /// (b) synthetic CIFAR-sized images (50000 × uint8 [3, 32, 32], shuffled, batch 32) with the
    /// CIFAR augmentation: to float, random crop with padding 4, horizontal flip, normalisation —
    /// each with 0 (the calling thread), 1 and 2 worker threads. `--steps` sets the batches
    /// timed per configuration (default: whole epochs, at least a second); `--warmup` batches run first.
    func benchLoader(threads: Int) throws -> [(String, JSONValue)] {
        let data: MNISTData
        do { data = try MNIST.load(download: false) }
        catch let e as DatasetError { throw ValidationError("weft bench loader needs MNIST (set WEFT_DATA_DIR): \(e.description)") }
        let mnist = TensorDataset(data.train.imageTensor(), data.train.labelTensor())

        let n = 50_000
        let philox = Philox4x32(key: RandomGenerator(seed: 0).snapshot.key)
        var pixels = [UInt8](repeating: 0, count: n * 3 * 32 * 32)   // a multiple of 4
        for i in stride(from: 0, to: pixels.count, by: 4) {
            let (a, _, _, _) = philox.block(UInt64(i / 4))
            for k in 0..<4 { pixels[i + k] = UInt8(truncatingIfNeeded: a >> (8 * UInt32(k))) }
        }
        let images = Tensor(shape: [n, 3, 32, 32], scalars: pixels)
        let labels = Tensor(shape: [n], scalars: (0..<n).map { Int32($0 % 10) })
        let cifar = TensorDataset(images, labels)
        let augment = Compose {
            ToFloat()
            RandomCrop(size: 32, padding: 4)
            RandomHorizontalFlip()
            Normalize(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
        }

        var rec: [(String, JSONValue)] = [("framework", .string("weft")), ("task", .string("loader")), ("threads", .int(threads))]
        for workers in [0, 1, 2] {
            let m = time(DataLoader(mnist, batchSize: batch ?? 128, shuffle: true, seed: 1, workers: workers))
            rec += [("mnist_b\(batch ?? 128)_w\(workers)_batches_per_sec", .double(rounded(m.batches, 1))),
                    ("mnist_b\(batch ?? 128)_w\(workers)_samples_per_sec", .double(rounded(m.samples, 0)))]
        }
        for workers in [0, 1, 2] {
            let c = time(DataLoader(cifar, batchSize: batch ?? 32, shuffle: true, seed: 1, workers: workers, transform: augment))
            rec += [("synthetic32_aug_b\(batch ?? 32)_w\(workers)_batches_per_sec", .double(rounded(c.batches, 1))),
                    ("synthetic32_aug_b\(batch ?? 32)_w\(workers)_samples_per_sec", .double(rounded(c.samples, 0)))]
        }
        return rec
    }

    /// Batches and samples per second over `--steps` batches, or else over whole epochs until
    /// at least a second has passed, after `--warmup` batches.
    private func time<D>(_ loader: DataLoader<D>) -> (batches: Double, samples: Double) {
        var it = loader.makeIterator()
        for _ in 0..<Swift.min(warmup, loader.count / 2) { _ = it.next() }
        var batches = 0, samples = 0
        let start = ContinuousClock.now
        while true {
            guard let b = it.next() else {
                if steps == nil && seconds(since: start) < 1 { it = loader.makeIterator(); continue }
                break
            }
            batches += 1
            samples += b.count
            if let limit = steps, batches >= limit { break }
        }
        let s = seconds(since: start)
        return (Double(batches) / s, Double(samples) / s)
    }
}
