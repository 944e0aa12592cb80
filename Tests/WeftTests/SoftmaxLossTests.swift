import Testing
@testable import Weft

// softmax, logSoftmax and softmaxCrossEntropy against PyTorch (values and gradients).

@Suite struct SoftmaxLossTests {
    /// The softmax input of TorchReferences.swift: (A·B + A) as [2, 3, 4].
    static func input(dtype: DType = .float64) -> Tensor {
        let a = pattern(24, 37, 0), b = pattern(24, 5, 2)
        return tensor([2, 3, 4], zip(a, b).map { $0 * $1 + $0 }, dtype: dtype)
    }
    static let g = patterned([2, 3, 4], 13, 3)

    static let cases: [(axis: Int, log: Bool, value: [Double], grad: [Double])] = [
        (0, false, TorchRef.softmaxAxis0, TorchRef.softmaxAxis0Grad),
        (1, false, TorchRef.softmaxAxis1, TorchRef.softmaxAxis1Grad),
        (-1, false, TorchRef.softmaxAxisLast, TorchRef.softmaxAxisLastGrad),
        (0, true, TorchRef.logSoftmaxAxis0, TorchRef.logSoftmaxAxis0Grad),
        (1, true, TorchRef.logSoftmaxAxis1, TorchRef.logSoftmaxAxis1Grad),
        (-1, true, TorchRef.logSoftmaxAxisLast, TorchRef.logSoftmaxAxisLastGrad),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesPyTorchInFloat64(_ k: Int) {
        let c = Self.cases[k]
        let x = Self.input()
        let f: (Tensor) -> Tensor = { c.log ? $0.logSoftmax(axis: c.axis) : $0.softmax(axis: c.axis) }
        expectTensor(f(x), shape: [2, 3, 4], c.value, rtol: 1e-14, atol: 1e-15)
        let (_, grad) = valueWithGradient(at: x) { (f($0) * Self.g).sum() }
        expectTensor(grad, shape: [2, 3, 4], c.grad, rtol: 1e-12, atol: 1e-14)
    }

    @Test(arguments: 0..<cases.count)
    func matchesPyTorchInFloat32(_ k: Int) {
        let c = Self.cases[k]
        let x = Self.input(dtype: .float32)
        let f: (Tensor) -> Tensor = { c.log ? $0.logSoftmax(axis: c.axis) : $0.softmax(axis: c.axis) }
        let y = f(x)
        #expect(y.dtype == .float32)
        expectTensor(y, shape: [2, 3, 4], c.value, rtol: 1e-6, atol: 1e-7)
        let (_, grad) = valueWithGradient(at: x) { (f($0) * Self.g.cast(to: .float32)).sum() }
        expectTensor(grad, shape: [2, 3, 4], c.grad, rtol: 1e-5, atol: 1e-6)
    }

    @Test func defaultAxisIsTheLast() {
        let x = Self.input()
        expectTensor(x.softmax(), shape: [2, 3, 4], TorchRef.softmaxAxisLast, rtol: 1e-14, atol: 1e-15)
        expectTensor(x.logSoftmax(), shape: [2, 3, 4], TorchRef.logSoftmaxAxisLast, rtol: 1e-14, atol: 1e-15)
    }

    @Test func softmaxByHandAndStability() {
        // softmax([0, ln 2, ln 5]) = [1, 2, 5] / 8
        let x = tensor([1, 3], [0, 0.6931471805599453, 1.6094379124341003])
        expectTensor(x.softmax(axis: 1), shape: [1, 3], [0.125, 0.25, 0.625], rtol: 1e-15)
        // Huge logits: no overflow.
        expectTensor(tensor([2], [1000, 1000]).softmax(axis: 0), shape: [2], [0.5, 0.5])
        expectTensor(tensor([2], [-1000, 0]).logSoftmax(axis: 0), shape: [2], [-1000, 0])
        // -inf logits get probability 0.
        expectTensor(tensor([3], [-.infinity, 0, 0]).softmax(axis: 0), shape: [3], [0, 0.5, 0.5])
    }

    @Test func halfPrecisionAndIntegerInputs() {
        let h = tensor([2], [0, 0], dtype: .float16).softmax(axis: 0)
        #expect(h.dtype == .float16)
        #expect(h.doubles == [0.5, 0.5])
        let i = Tensor(shape: [2], scalars: [0, 0] as [Int32]).softmax(axis: 0)
        #expect(i.dtype == .float32)
        #expect(i.scalars(as: Float.self) == [0.5, 0.5])
    }

    static let logits: [Double] = pattern(20, 37, 2).map { $0 * 2 }

    @Test(arguments: [DType.float64, .float32])
    func crossEntropyMatchesPyTorch(_ dtype: DType) {
        let x = tensor([4, 5], Self.logits, dtype: dtype)
        let labels = Tensor(shape: [4], scalars: [1, 0, 4, 2] as [Int64])
        let tol = dtype == .float64 ? 1e-14 : 1e-6
        let loss = softmaxCrossEntropy(logits: x, labels: labels)
        #expect(loss.dtype == dtype)
        expectTensor(loss, shape: [], TorchRef.crossEntropy, rtol: tol)
        let (_, grad) = valueWithGradient(at: x) { softmaxCrossEntropy(logits: $0, labels: labels) }
        expectTensor(grad, shape: [4, 5], TorchRef.crossEntropyGrad, rtol: tol, atol: tol / 10)
    }

    @Test func crossEntropyByHandAndInt32Labels() {
        // Uniform logits over 4 classes: loss = ln 4 whatever the labels; gradient (1/4 − onehot)/N.
        let x = tensor([2, 4], [0, 0, 0, 0, 3, 3, 3, 3])
        let labels = Tensor(shape: [2], scalars: [3, 0] as [Int32])
        expectTensor(softmaxCrossEntropy(logits: x, labels: labels), shape: [], [1.3862943611198906], rtol: 1e-15)
        let (_, g) = valueWithGradient(at: x) { softmaxCrossEntropy(logits: $0, labels: labels) }
        expectTensor(g, shape: [2, 4], [0.125, 0.125, 0.125, -0.375, -0.375, 0.125, 0.125, 0.125], rtol: 1e-15)
        // Equals the mean of −logSoftmax at the labels.
        let y = tensor([3, 3], [2, -1, 0.5, 0, 0, 4, -3, 1, 1])
        let l = Tensor(shape: [3], scalars: [0, 2, 1] as [Int64])
        let viaLogSoftmax = -(y.logSoftmax(axis: 1) * oneHot(l, depth: 3, dtype: .float64)).sum() / 3
        expectClose([softmaxCrossEntropy(logits: y, labels: l).item], [viaLogSoftmax.item], rtol: 1e-15)
        // A scaled upstream gradient scales the logits' gradient.
        let (_, g2) = valueWithGradient(at: x) { softmaxCrossEntropy(logits: $0, labels: labels) * 3 }
        expectClose(g2.doubles, g.doubles.map { $0 * 3 }, rtol: 1e-15)
    }
}
