import Weft

/// One split (train or test) of CIFAR-10 or CIFAR-100.
public struct CIFARSplit: Sendable, Equatable {
    /// `count × 3 × 32 × 32` pixels, NCHW: for each image its red plane, then
    /// green, then blue, each 32 rows of 32 pixels; 0...255.
    public let images: [UInt8]
    /// `count` class labels: 0...9 for CIFAR-10, the fine labels 0...99 for CIFAR-100.
    public let labels: [UInt8]
    /// CIFAR-100's `count` coarse (superclass) labels, 0...19; nil for CIFAR-10.
    public let coarseLabels: [UInt8]?
    /// The number of images.
    public let count: Int
    /// The files the split was read from, in order.
    public let files: [String]

    /// Creates a split; the array sizes must agree with `count`.
    public init(images: [UInt8], labels: [UInt8], coarseLabels: [UInt8]? = nil, count: Int, files: [String] = []) {
        precondition(images.count == count * CIFAR.imageBytes, "CIFARSplit: \(images.count) pixels for \(count) images")
        precondition(labels.count == count, "CIFARSplit: \(labels.count) labels for \(count) images")
        precondition(coarseLabels.map { $0.count == count } ?? true, "CIFARSplit: coarse labels for \(count) images")
        self.images = images
        self.labels = labels
        self.coarseLabels = coarseLabels
        self.count = count
        self.files = files
    }

    /// The images as a float32 tensor of shape `[count, 3, 32, 32]`:
    /// `pixel / 255` (in 0...1) when `normalized`, else the raw 0...255 values.
    public func imageTensor(normalized: Bool = true) -> Tensor {
        // A 256-entry table and a pointer loop: one pass, fast even in debug builds.
        let table = (0..<256).map { normalized ? Float($0) / 255 : Float($0) }
        let values = [Float](unsafeUninitializedCapacity: images.count) { out, initialized in
            images.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { t in
                    guard var s = src.baseAddress, var d = out.baseAddress, let t = t.baseAddress else { return }
                    let end = s + src.count
                    while s < end {
                        d.initialize(to: t[Int(s.pointee)])
                        s += 1
                        d += 1
                    }
                }
            }
            initialized = images.count
        }
        return Tensor(shape: [count, 3, CIFAR.imageSize, CIFAR.imageSize], scalars: values)
    }

    /// The labels (fine labels for CIFAR-100) as an int32 tensor of shape `[count]`.
    public func labelTensor() -> Tensor {
        Tensor(shape: [count], scalars: labels.map { Int32($0) })
    }

    /// CIFAR-100's coarse labels as an int32 tensor of shape `[count]`; nil for CIFAR-10.
    public func coarseLabelTensor() -> Tensor? {
        coarseLabels.map { Tensor(shape: [count], scalars: $0.map { Int32($0) }) }
    }
}

/// The training and test splits of CIFAR-10 or CIFAR-100, with class names.
public struct CIFARData: Sendable, Equatable {
    /// 50,000 training images (fewer for CIFAR-10 when not all five batch files are present).
    public let train: CIFARSplit
    /// 10,000 test images.
    public let test: CIFARSplit
    /// The class names, indexed by label: 10 for CIFAR-10, the 100 fine labels for CIFAR-100.
    public let labelNames: [String]
    /// CIFAR-100's 20 coarse class names; nil for CIFAR-10.
    public let coarseLabelNames: [String]?

    public init(train: CIFARSplit, test: CIFARSplit, labelNames: [String], coarseLabelNames: [String]? = nil) {
        self.train = train
        self.test = test
        self.labelNames = labelNames
        self.coarseLabelNames = coarseLabelNames
    }
}
