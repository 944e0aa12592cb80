/// One split (train or test) of an MNIST-format dataset.
public struct MNISTSplit: Sendable, Equatable {
    /// `count * rows * cols` pixels, image after image, each row-major; 0...255.
    public let images: [UInt8]
    /// `count` class labels, each 0...9.
    public let labels: [UInt8]
    /// The number of images (and labels).
    public let count: Int
    /// Image height in pixels (28).
    public let rows: Int
    /// Image width in pixels (28).
    public let cols: Int

    /// Creates a split; the array sizes must agree with `count`, `rows`, `cols`.
    public init(images: [UInt8], labels: [UInt8], count: Int, rows: Int, cols: Int) {
        precondition(images.count == count * rows * cols, "MNISTSplit: \(images.count) pixels for \(count)×\(rows)×\(cols)")
        precondition(labels.count == count, "MNISTSplit: \(labels.count) labels for \(count) images")
        self.images = images
        self.labels = labels
        self.count = count
        self.rows = rows
        self.cols = cols
    }

    /// The pixels scaled to 0...1 (`pixel / 255`), same layout as ``images``.
    public func normalizedImages() -> [Float] {
        [Float](unsafeUninitializedCapacity: images.count) { out, initialized in
            images.withUnsafeBufferPointer { src in
                guard var s = src.baseAddress, var d = out.baseAddress else { return }
                let end = s + src.count
                while s < end {
                    d.initialize(to: Float(s.pointee) / 255)
                    s += 1
                    d += 1
                }
            }
            initialized = images.count
        }
    }

    /// The labels as `Int32` class indices.
    public func labelsAsInt32() -> [Int32] {
        [Int32](unsafeUninitializedCapacity: labels.count) { out, initialized in
            labels.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = Int32(src[i]) }
            }
            initialized = labels.count
        }
    }
}

/// The training and test splits of an MNIST-format dataset.
public struct MNISTData: Sendable, Equatable {
    /// 60,000 training images.
    public let train: MNISTSplit
    /// 10,000 test images.
    public let test: MNISTSplit

    /// Pairs a training and a test split.
    public init(train: MNISTSplit, test: MNISTSplit) {
        self.train = train
        self.test = test
    }
}
