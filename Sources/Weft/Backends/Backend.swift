/// The seam between op definitions and the hardware.
///
/// Ops (in `Ops/`) check arguments, infer shapes and dtypes, record their gradients and call
/// exactly one of these kernels. A backend implements this small set and nothing else; the CUDA
/// backend registers itself with `Device.register(_:for:)`. Inputs arrive contiguous, on the
/// backend's device, with the dtypes the op has already settled (for example both operands of
/// `binary` share a dtype).
public protocol Backend: AnyObject, Sendable {
    // Elementwise
    func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor
    func unaryBackward(_ op: UnaryOp, x: Tensor, y: Tensor, gradient: Tensor) -> Tensor
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, shape: Shape) -> Tensor
    func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor, shape: Shape) -> Tensor
    func logicalNot(_ x: Tensor) -> Tensor
    func cast(_ x: Tensor, to dtype: DType) -> Tensor
    func fill(_ shape: Shape, value: Double, dtype: DType) -> Tensor
    // Reductions (result keeps reduced dims as size 1)
    func reduce(_ op: ReduceOp, _ x: Tensor, axes: [Int]) -> Tensor
    func argReduce(max: Bool, _ x: Tensor, axis: Int) -> Tensor
    // Data movement
    func copyStrided(_ x: Tensor, offset: Int, strides: [Int], shape: Shape) -> Tensor
    func concatenate(_ xs: [Tensor], axis: Int, shape: Shape) -> Tensor
    func pad(_ x: Tensor, before: [Int], after: [Int], value: Double) -> Tensor
    func indexSelect(_ x: Tensor, axis: Int, indices: Tensor) -> Tensor
    func indexAdd(_ shape: Shape, axis: Int, indices: Tensor, source: Tensor) -> Tensor
    func gather(_ x: Tensor, axis: Int, indices: Tensor) -> Tensor
    func scatterAdd(_ shape: Shape, axis: Int, indices: Tensor, source: Tensor) -> Tensor
    // Linear algebra: C[b] = op(A[b]) · op(B[b]), batch counts equal or one side 1.
    func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor
    // Neural-network kernels
    func softmax(_ x: Tensor, axis: Int, log: Bool) -> Tensor
    func softmaxBackward(y: Tensor, gradient: Tensor, axis: Int, log: Bool) -> Tensor
    func softmaxCrossEntropy(logits: Tensor, labels: Tensor) -> (losses: Tensor, probabilities: Tensor)
    func conv2d(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ p: Conv2DParameters, fuseReLU: Bool) -> Tensor
    /// Gradients of a convolution with respect to its input (`data`), weight and bias (`weights`, `bias`).
    func conv2dBackward(_ gradient: Tensor, input: Tensor, weight: Tensor, _ p: Conv2DParameters,
                        data: Bool, weights: Bool, bias: Bool) -> (data: Tensor?, weight: Tensor?, bias: Tensor?)
    func pool2d(_ x: Tensor, _ p: Pool2DParameters, training: Bool) -> (Tensor, workspace: Tensor?)
    func pool2dBackward(_ gradient: Tensor, inputShape: Shape, workspace: Tensor?, _ p: Pool2DParameters) -> Tensor
    /// The input gradient of a 2-D convolution alone (`inputShape` is the convolution's input); the forward of a transposed convolution.
    func conv2dBackwardData(_ gradient: Tensor, inputShape: Shape, weight: Tensor, _ p: Conv2DParameters) -> Tensor
    // 3-D convolution and pooling (NCDHW / OIDHW)
    func conv3d(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ p: Conv3DParameters) -> Tensor
    func conv3dBackward(_ gradient: Tensor, input: Tensor, weight: Tensor, _ p: Conv3DParameters,
                        data: Bool, weights: Bool, bias: Bool) -> (data: Tensor?, weight: Tensor?, bias: Tensor?)
    /// The input gradient of a 3-D convolution alone (`inputShape` is the convolution's input); the forward of a transposed convolution.
    func conv3dBackwardData(_ gradient: Tensor, inputShape: Shape, weight: Tensor, _ p: Conv3DParameters) -> Tensor
    func pool3d(_ x: Tensor, _ p: Pool3DParameters, training: Bool) -> (Tensor, workspace: Tensor?)
    func pool3dBackward(_ gradient: Tensor, inputShape: Shape, workspace: Tensor?, _ p: Pool3DParameters) -> Tensor
    /// A recurrent cell over a whole sequence (see `rnn`): returns the packed result (output
    /// sequence, last hidden state, LSTM: last cell state) and, when `training`, the workspace
    /// the backward pass needs.
    func rnnForward(_ c: RNNConfiguration, input: Tensor, initialHidden: Tensor, initialCell: Tensor?,
                    weightsLayer: Tensor, weightsIter: Tensor, bias: Tensor, training: Bool) -> (packed: Tensor, workspace: Tensor?)
    /// Gradients of `rnnForward` from the gradient of its packed result.
    func rnnBackward(_ c: RNNConfiguration, gradient: Tensor, packed: Tensor, workspace: Tensor, input: Tensor,
                     initialHidden: Tensor, initialCell: Tensor?, weightsLayer: Tensor, weightsIter: Tensor, bias: Tensor) -> RNNGradients
    // Random numbers (counter-based: element i depends only on key, counter and i)
    func randomUniform(_ shape: Shape, dtype: DType, low: Double, high: Double, key: UInt64, counter: UInt64) -> Tensor
    func randomNormal(_ shape: Shape, dtype: DType, mean: Double, std: Double, truncated: Bool, key: UInt64, counter: UInt64) -> Tensor
    func dropoutMask(_ shape: Shape, dtype: DType, keep: Double, key: UInt64, counter: UInt64) -> Tensor
}

extension Device {
    nonisolated(unsafe) private static var registered: [Device: any Backend] = [:]

    /// Registers the backend that runs tensors on `device` (CUDA calls this when it loads).
    public static func register(_ backend: any Backend, for device: Device) { registered[device] = backend }

    /// The backend for this device.
    @inlinable public var backend: any Backend {
        if case .cpu = self { return CPUBackend.shared }
        return lookupBackend()
    }

    @usableFromInline func lookupBackend() -> any Backend {
        guard let b = Device.registered[self] else {
            preconditionFailure("no backend is available for device \(self); is the CUDA backend loaded and a GPU present?")
        }
        return b
    }
}
