import Weft

extension MNISTSplit {
    /// Images as float32 in [0, 1]: [count, 1, rows, cols] (NCHW), or [count, rows·cols] when `flat`.
    public func imageTensor(flat: Bool = false, limit: Int? = nil) -> Tensor {
        let n = Swift.min(limit ?? count, count)
        let pixels = rows * cols
        let bytes = Tensor(shape: [n * pixels], scalars: Array(images[0..<(n * pixels)]))
        let x = bytes.cast(to: .float32) / 255.0
        return x.reshaped(to: flat ? [n, pixels] : [n, 1, rows, cols])
    }

    /// Labels as int32 [count].
    public func labelTensor(limit: Int? = nil) -> Tensor {
        let n = Swift.min(limit ?? count, count)
        return Tensor(shape: [n], scalars: labels[0..<n].map { Int32($0) })
    }
}
