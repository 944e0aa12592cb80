import Testing
import Weft
@testable import WeftData

/// A float32 image [C, H, W] from row-major values.
private func image(_ c: Int, _ h: Int, _ w: Int, _ values: [Float]) -> Tensor {
    Tensor(shape: [c, h, w], scalars: values)
}

private func random(_ index: Int, epoch: Int = 0, seed: UInt64 = 0) -> SampleRandom {
    SampleRandom(seed: seed, epoch: epoch, index: index)
}

@Suite struct TransformTests {
    // MARK: flips

    @Test func horizontalFlipMirrorsEachRow() {
        let x = image(2, 2, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        #expect(RandomHorizontalFlip(probability: 1)(x).floats == [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10])
        #expect(RandomHorizontalFlip(probability: 1)(x).shape == [2, 2, 3])
        #expect(RandomHorizontalFlip(probability: 0)(x).floats == x.floats)
        // p = 0.5: about half the samples flip, and apply follows flips(_:).
        let flip = RandomHorizontalFlip()
        var flipped = 0
        for i in 0..<400 {
            let y = flip.apply(x, random: random(i)).floats
            if flip.flips(random(i)) { flipped += 1; #expect(y == [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]) } else { #expect(y == x.floats) }
        }
        #expect(flipped > 150 && flipped < 250, "\(flipped) of 400 flipped")
    }

    // MARK: crops

    @Test func cropWithPaddingTakesTheWindowOfThePaddedImage() {
        // 1×2×2 image, padding 1: the padded image is
        //   0 0 0 0
        //   0 1 2 0
        //   0 3 4 0
        //   0 0 0 0
        let x = image(1, 2, 2, [1, 2, 3, 4])
        let padded: [[Float]] = [[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0], [0, 0, 0, 0]]
        let crop = RandomCrop(size: 2, padding: 1)
        var corners = Set<[Int]>()
        for i in 0..<200 {
            let (top, left) = crop.offsets(random: random(i), height: 2, width: 2)
            #expect((0...2).contains(top) && (0...2).contains(left))
            corners.insert([top, left])
            let expected = [padded[top][left], padded[top][left + 1], padded[top + 1][left], padded[top + 1][left + 1]]
            #expect(crop.apply(x, random: random(i)).floats == expected, "offset \(top),\(left)")
        }
        #expect(corners.count == 9, "every window position is drawn: \(corners)")
    }

    @Test func cropFillModesAndSizes() {
        let x = image(1, 3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9])
        // No padding, full size: identity.
        #expect(RandomCrop(size: 3)(x).floats == x.floats)
        // A 2×2 crop without padding is one of the four 2×2 windows.
        let windows: Set<[Float]> = [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]
        for i in 0..<20 { #expect(windows.contains(RandomCrop(size: 2).apply(x, random: random(i)).floats)) }
        // Padding 2, window at (0, 0): rows −2…0, columns −2…0 of the image.
        let crop = RandomCrop(size: 3, padding: 2, fill: .nearest)
        let cornerSample = (0..<500).first { crop.offsets(random: random($0), height: 3, width: 3) == (0, 0) }!
        #expect(crop.apply(x, random: random(cornerSample)).floats == [1, 1, 1, 1, 1, 1, 1, 1, 1])
        let constant = RandomCrop(size: 3, padding: 2, fill: .constant(-1))
        #expect(constant.apply(x, random: random(cornerSample)).floats == [-1, -1, -1, -1, -1, -1, -1, -1, 1])
        // Window at (4, 4): the bottom-right corner.
        let far = (0..<500).first { crop.offsets(random: random($0), height: 3, width: 3) == (4, 4) }!
        #expect(crop.apply(x, random: random(far)).floats == [9, 9, 9, 9, 9, 9, 9, 9, 9])
        #expect(constant.apply(x, random: random(far)).floats == [9, -1, -1, -1, -1, -1, -1, -1, -1])
        // Window at (1, 3) with nearest: rows −1…1, columns 1…3 (column 3 clamps to 2).
        let mid = (0..<500).first { crop.offsets(random: random($0), height: 3, width: 3) == (1, 3) }!
        #expect(crop.apply(x, random: random(mid)).floats == [2, 3, 3, 2, 3, 3, 5, 6, 6])
        // A smaller output than the input.
        let small = RandomCrop(height: 1, width: 2, padding: 0)
        #expect(small(x).shape == [1, 1, 2])
    }

    // MARK: shifts

    @Test func shiftsMoveTheContent() {
        let x = image(1, 3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9])
        // One column right: the uncovered column repeats the border (nearest) or is the constant.
        #expect(shiftImage(x, dy: 0, dx: 1).floats == [1, 1, 2, 4, 4, 5, 7, 7, 8])
        #expect(shiftImage(x, dy: 0, dx: 1, fill: .constant(0)).floats == [0, 1, 2, 0, 4, 5, 0, 7, 8])
        // One row up, one column left.
        #expect(shiftImage(x, dy: -1, dx: -1).floats == [5, 6, 6, 8, 9, 9, 8, 9, 9])
        #expect(shiftImage(x, dy: -1, dx: -1, fill: .constant(0)).floats == [5, 6, 0, 8, 9, 0, 0, 0, 0])
        // Two rows down.
        #expect(shiftImage(x, dy: 2, dx: 0, fill: .constant(0)).floats == [0, 0, 0, 0, 0, 0, 1, 2, 3])
        // Shifted out entirely.
        #expect(shiftImage(x, dy: 0, dx: 5, fill: .constant(0)).floats == [Float](repeating: 0, count: 9))
        #expect(shiftImage(x, dy: 0, dx: 5).floats == [1, 1, 1, 4, 4, 4, 7, 7, 7])
        // Half a column right: each pixel is the mean of itself and its left neighbour.
        #expect(shiftImage(x, dy: 0, dx: 0.5).floats == [1, 1.5, 2.5, 4, 4.5, 5.5, 7, 7.5, 8.5])
        // A quarter row down, constant 0: 0.75·self + 0.25·the pixel above.
        let q = shiftImage(x, dy: 0.25, dx: 0, fill: .constant(0)).floats
        let expected: [Float] = [0.75, 1.5, 2.25, 3.25, 4.25, 5.25, 6.25, 7.25, 8.25]
        #expect(zip(q, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(q)")
    }

    @Test func randomShiftDrawsWithinItsRange() {
        let x = Tensor(shape: [2, 10, 20], scalars: (0..<400).map { Float($0) })
        let shift = RandomShift(widthRange: 0.1, heightRange: 0.2, fill: .constant(0))
        var maxDx: Float = 0, maxDy: Float = 0
        for i in 0..<200 {
            let (dy, dx) = shift.offsets(random: random(i), height: 10, width: 20)
            #expect(abs(dx) <= 2 && abs(dy) <= 2)
            maxDx = max(maxDx, abs(dx)); maxDy = max(maxDy, abs(dy))
            #expect(shift.apply(x, random: random(i)).floats == shiftImage(x, dy: dy, dx: dx, fill: .constant(0)).floats)
        }
        #expect(maxDx > 1.5 && maxDy > 1.5)
        // A range of 1 or more is in pixels.
        let pixels = RandomShift(widthRange: 3, heightRange: 0)
        let offsets = (0..<100).map { pixels.offsets(random: random($0), height: 10, width: 20) }
        #expect(offsets.allSatisfy { $0.dy == 0 && abs($0.dx) <= 3 } && offsets.contains { abs($0.dx) > 2 })
    }

    // MARK: normalise, one-hot, padding, scaling

    @Test func normalizePerChannel() {
        let x = image(2, 1, 2, [1, 3, 2, 10])
        let n = Normalize(mean: [1, 2], std: [2, 4])
        #expect(n(x).floats == [0, 1, 0, 2])
        let batch = Tensor(shape: [2, 2, 1, 2], scalars: [1, 3, 2, 10, 5, 5, 6, 6] as [Float])
        let r = [random(0), random(1)]
        #expect(n.applyBatch(batch, randoms: r).floats == [0, 1, 0, 2, 2, 2, 1, 1])
        #expect(Normalize(mean: [1], std: [0.5])(x).floats == [0, 4, 2, 18])
    }

    @Test func oneHotLabels() {
        let labels = Tensor(shape: [3], scalars: [2, 0, 1] as [Int32])
        let o = OneHot(classes: 3)
        #expect(o(labels).shape == [3, 3])
        #expect(o(labels).floats == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        #expect(o(Tensor(Int64(1))).floats == [0, 1, 0])
        #expect(o(Tensor(shape: [1], scalars: [2] as [UInt8])).floats == [0, 0, 1])
        #expect(o.applyBatch(labels, randoms: [random(0), random(1), random(2)]).floats == o(labels).floats)
    }

    @Test func padSequenceIsKerasPadSequences() {
        let s = Tensor(shape: [3], scalars: [1, 2, 3] as [Int32])
        #expect(PadSequence(length: 5)(s).scalars(as: Int32.self) == [0, 0, 1, 2, 3])
        #expect(PadSequence(length: 5, padding: .post)(s).scalars(as: Int32.self) == [1, 2, 3, 0, 0])
        #expect(PadSequence(length: 2)(s).scalars(as: Int32.self) == [2, 3])
        #expect(PadSequence(length: 2, truncating: .post)(s).scalars(as: Int32.self) == [1, 2])
        #expect(PadSequence(length: 3)(s).scalars(as: Int32.self) == [1, 2, 3])
        #expect(PadSequence(length: 4, value: -1, padding: .post)(s.cast(to: .int64)).scalars(as: Int64.self) == [1, 2, 3, -1])
        #expect(PadSequence(length: 0)(s).shape == [0])
        // Batches pad each row; everything agrees with padSequences.
        let rows: [[Int32]] = [[1, 2, 3, 4], [5, 6, 7, 8]]
        let batch = Tensor(shape: [2, 4], scalars: rows.flatMap { $0 })
        for (len, pad, trunc) in [(6, SequencePadding.pre, SequencePadding.pre), (3, .post, .pre), (3, .pre, .post), (5, .post, .post)] {
            let got = PadSequence(length: len, padding: pad, truncating: trunc).applyBatch(batch, randoms: [random(0), random(1)])
            #expect(got.shape == [2, len])
            #expect(got.scalars(as: Int32.self) == padSequences(rows, maxLen: len, padding: pad, truncating: trunc))
        }
        // Variable-length sequences padded per sample collate into one batch.
        let d = StreamDataset([[Int32]([1]), [2, 3, 4], []].map { PadSequence(length: 2)(Tensor(shape: [$0.count], scalars: $0)) })
        let b = Array(StreamLoader(d, batchSize: 3, prefetch: 0))[0]
        #expect(b.x.scalars(as: Int32.self) == [0, 1, 3, 4, 0, 0])
    }

    @Test func toFloatScales() {
        let bytes = Tensor(shape: [1, 1, 3], scalars: [0, 255, 51] as [UInt8])
        let f = ToFloat()(bytes)
        #expect(f.dtype == .float32 && f.shape == [1, 1, 3])
        #expect(zip(f.floats, [0, 1, 0.2] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    // MARK: randomness

    @Test func randomNumbersDependOnlyOnSeedEpochAndIndex() {
        #expect(random(5).bits(0) == random(5).bits(0))
        #expect(random(5).bits(0) != random(6).bits(0))
        #expect(random(5).bits(0) != random(5, epoch: 1).bits(0))
        #expect(random(5).bits(0) != random(5, seed: 1).bits(0))
        #expect(random(5).bits(0) != random(5).bits(1))
        #expect(random(5).bits(3) != random(5).bits(4))
        #expect(random(5).stage(0).bits(0) != random(5).stage(1).bits(0))
        #expect(random(5).stage(0).bits(0) != random(5).bits(0))
        // Roughly uniform.
        let u = (0..<2000).map { random($0).uniform(0) }
        let mean = u.reduce(0, +) / 2000
        #expect(abs(mean - 0.5) < 0.03 && u.allSatisfy { $0 >= 0 && $0 < 1 })
        let ints = (0..<2000).map { random($0).int(below: 5, 1) }
        #expect(Set(ints) == [0, 1, 2, 3, 4])
    }

    /// The pipeline on a batch is the pipeline on each of its samples with that sample's numbers,
    /// and a loader's output is exactly that, whatever its worker count and batch size.
    @Test func augmentationIsReproducibleAcrossWorkersAndBatching() {
        let n = 23
        let images = Tensor.randomUniform([n, 3, 8, 8], generator: RandomGenerator(seed: 11))
        let pipeline = Compose {
            RandomCrop(size: 8, padding: 2)
            RandomHorizontalFlip()
            RandomShift(widthRange: 0.25, heightRange: 0.25)
            Normalize(mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1])
        }
        let epoch = 3, seed: UInt64 = 21
        let perSample = (0..<n).map { i in pipeline.apply(images[i], random: SampleRandom(seed: seed, epoch: epoch, index: i)).floats }
        let whole = pipeline.applyBatch(images, randoms: (0..<n).map { SampleRandom(seed: seed, epoch: epoch, index: $0) }).floats
        #expect(whole == perSample.flatMap { $0 })
        for (workers, batchSize) in [(0, 4), (1, 5), (2, 7), (3, 1), (3, 23)] {
            let loader = DataLoader(TensorDataset(inputs: [images]), batchSize: batchSize, shuffle: true, seed: seed,
                                    workers: workers, transform: pipeline)
            var it = loader.makeIterator(epoch: epoch)
            var seen = 0
            while let b = it.next() {
                let f = b.x.floats, size = 3 * 8 * 8
                for (r, i) in b.indices.enumerated() {
                    #expect(Array(f[(r * size)..<((r + 1) * size)]) == perSample[i], "sample \(i), \(workers) workers, batch \(batchSize)")
                }
                seen += b.count
            }
            #expect(seen == n)
        }
    }
}
