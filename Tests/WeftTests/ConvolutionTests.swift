import Testing
@testable import Weft

// conv2d and 2-D pooling (oneDNN, float32 on the CPU) against PyTorch float64 values and
// gradients (TorchReferences.swift). Inputs: x = pattern(n, 37, 1) (pooling: pattern(n, 37, 2)),
// w = pattern(n, 29, 5), b = pattern(O, 7, 4), upstream gradient G = pattern(n_out, 13, 3).

/// Tolerances for float32 oneDNN results against PyTorch float64.
private let rtol = 1e-5, atol = 1e-5

private struct ConvCase: Sendable, CustomTestStringConvertible {
    var name: String
    var x: Shape, w: Shape, bias: Bool
    var stride = (1, 1), padding = Padding.valid, dilation = (1, 1), groups = 1, fuseReLU = false
    var out: Shape
    var refs: (y: [Double], gx: [Double], gw: [Double], gb: [Double]?)
    var testDescription: String { name }
}

private let convCases: [ConvCase] = [
    ConvCase(name: "conv1: valid, bias", x: [1, 2, 5, 5], w: [3, 2, 3, 3], bias: true, out: [1, 3, 3, 3],
             refs: (TorchRef.conv1Out, TorchRef.conv1GradX, TorchRef.conv1GradW, TorchRef.conv1GradB)),
    ConvCase(name: "conv1 + fused ReLU", x: [1, 2, 5, 5], w: [3, 2, 3, 3], bias: true, fuseReLU: true, out: [1, 3, 3, 3],
             refs: (TorchRef.conv1ReLUOut, TorchRef.conv1ReLUGradX, TorchRef.conv1ReLUGradW, TorchRef.conv1ReLUGradB)),
    ConvCase(name: "conv2: stride 2, padding 1, batch 2", x: [2, 2, 5, 5], w: [3, 2, 3, 3], bias: true, stride: (2, 2),
             padding: .explicit(1, 1), out: [2, 3, 3, 3],
             refs: (TorchRef.conv2Out, TorchRef.conv2GradX, TorchRef.conv2GradW, TorchRef.conv2GradB)),
    ConvCase(name: "conv3: same, stride 1", x: [1, 1, 4, 5], w: [2, 1, 3, 3], bias: false, padding: .same, out: [1, 2, 4, 5],
             refs: (TorchRef.conv3Out, TorchRef.conv3GradX, TorchRef.conv3GradW, nil)),
    ConvCase(name: "conv4: same, stride 2 (Keras padding)", x: [1, 1, 5, 6], w: [1, 1, 3, 3], bias: false, stride: (2, 2),
             padding: .same, out: [1, 1, 3, 3], refs: (TorchRef.conv4Out, TorchRef.conv4GradX, TorchRef.conv4GradW, nil)),
    ConvCase(name: "conv5: stride (1, 2), padding 1, dilation 2", x: [1, 1, 6, 6], w: [2, 1, 3, 3], bias: false, stride: (1, 2),
             padding: .explicit(1, 1), dilation: (2, 2), out: [1, 2, 4, 2],
             refs: (TorchRef.conv5Out, TorchRef.conv5GradX, TorchRef.conv5GradW, nil)),
    ConvCase(name: "conv6: groups 2, padding 1, bias", x: [1, 4, 4, 4], w: [6, 2, 3, 3], bias: true, padding: .explicit(1, 1),
             groups: 2, out: [1, 6, 4, 4], refs: (TorchRef.conv6Out, TorchRef.conv6GradX, TorchRef.conv6GradW, TorchRef.conv6GradB)),
    ConvCase(name: "conv7: same, even kernel", x: [1, 2, 4, 4], w: [2, 2, 2, 2], bias: false, padding: .same, out: [1, 2, 4, 4],
             refs: (TorchRef.conv7Out, TorchRef.conv7GradX, TorchRef.conv7GradW, nil)),
]

private func run(_ c: ConvCase, _ inputs: [Tensor]) -> Tensor {
    conv2d(inputs[0], weight: inputs[1], bias: c.bias ? inputs[2] : nil, stride: c.stride, padding: c.padding,
           dilation: c.dilation, groups: c.groups, fuseReLU: c.fuseReLU)
}

private func inputs(_ c: ConvCase, dtype: DType) -> [Tensor] {
    var ins = [patterned(c.x, 37, 1, dtype: dtype), patterned(c.w, 29, 5, dtype: dtype)]
    if c.bias { ins.append(patterned([c.w[0]], 7, 4, dtype: dtype)) }
    return ins
}

@Suite struct ConvolutionTests {
    @Test(arguments: convCases)
    fileprivate func conv2dMatchesPyTorch(_ c: ConvCase) {
        let ins = inputs(c, dtype: .float32)
        let y = run(c, ins)
        #expect(y.dtype == .float32)
        expectTensor(y, shape: c.out, c.refs.y, rtol: rtol, atol: atol, "\(c.name) forward")
        let g = patterned(c.out, 13, 3, dtype: .float32)
        let (_, grads) = valueWithGradient(at: ins) { (run(c, $0) * g).sum() }
        expectTensor(grads[0], shape: c.x, c.refs.gx, rtol: rtol, atol: atol, "\(c.name) dx")
        expectTensor(grads[1], shape: c.w, c.refs.gw, rtol: rtol, atol: atol, "\(c.name) dw")
        if let gb = c.refs.gb { expectTensor(grads[2], shape: [c.w[0]], gb, rtol: rtol, atol: atol, "\(c.name) db") }
    }

    @Test fileprivate func conv2dOnFloat64ComputesInFloat32AndReturnsFloat64() {
        let c = convCases[2]
        let ins = inputs(c, dtype: .float64)
        let y = run(c, ins)
        #expect(y.dtype == .float64)
        expectTensor(y, shape: c.out, c.refs.y, rtol: rtol, atol: atol)
        let g = patterned(c.out, 13, 3)
        let (_, grads) = valueWithGradient(at: ins) { (run(c, $0) * g).sum() }
        #expect(grads.map(\.dtype) == [.float64, .float64, .float64])
        expectTensor(grads[0], shape: c.x, c.refs.gx, rtol: rtol, atol: atol)
        expectTensor(grads[1], shape: c.w, c.refs.gw, rtol: rtol, atol: atol)
    }

    @Test func fusedReLUEqualsReLUAfterConvolution() {
        let c = convCases[0]
        let ins = inputs(c, dtype: .float32)
        let fused = conv2d(ins[0], weight: ins[1], bias: ins[2], fuseReLU: true)
        let separate = relu(conv2d(ins[0], weight: ins[1], bias: ins[2]))
        #expect(fused.floats == separate.floats)
        #expect(fused.floats.contains(0) && fused.floats.contains { $0 > 0 })
    }

    @Test func conv2dByHand() {
        // A 1×1×3×3 ones kernel sums each 3×3 window; with bias 1.
        let x = tensor32([1, 1, 4, 4], (0..<16).map(Float.init))
        let w = Tensor.ones([1, 1, 3, 3])
        let y = conv2d(x, weight: w, bias: tensor32([1], [1]))
        // window sums: rows 0-2 cols 0-2 = 0+1+2+4+5+6+8+9+10 = 45, then +9 per step right, +36 per step down
        expectTensor(y, shape: [1, 1, 2, 2], [46, 55, 82, 91])
        // 1×1 convolution mixes channels: out = 2·c0 − c1.
        let x2 = tensor32([1, 2, 1, 2], [1, 2, 10, 20])
        expectTensor(conv2d(x2, weight: tensor32([1, 2, 1, 1], [2, -1])), shape: [1, 1, 1, 2], [-8, -16])
    }

    @Test func conv2dGradientByFiniteDifferencesInFloat32() {
        // Convolution is linear in x and in w, so float32 differences with h = 1e-2 are accurate to ~1e-4.
        let x = patterned([1, 2, 4, 4], 37, 1, dtype: .float32)
        let w = patterned([2, 2, 2, 2], 29, 5, dtype: .float32)
        let b = patterned([2], 7, 4, dtype: .float32)
        checkGradients({ conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: .explicit(1, 0)) },
                       at: [x, w, b], h: 1e-2, rtol: 1e-2, atol: 1e-3)
    }

    @Test func outputSizes() {
        let p = Conv2DParameters(stride: (2, 3), padding: (1, 0, 1, 2), dilation: (2, 1))
        #expect(p.outputSize(height: 10, width: 11, kernelH: 3, kernelW: 4) == (4, 4))
        #expect(Pool2DParameters(kind: .max, kernel: (2, 2)).outputSize(height: 5, width: 4) == (2, 2))
        #expect(Pool2DParameters(kind: .max, kernel: (3, 3), stride: (1, 2)).outputSize(height: 5, width: 5) == (3, 2))
    }
}

private struct PoolCase: Sendable, CustomTestStringConvertible {
    var name: String
    var x: Shape, out: Shape
    var op: @Sendable (Tensor) -> Tensor
    var y: [Double], gx: [Double]
    var testDescription: String { name }
}

private let poolCases: [PoolCase] = [
    PoolCase(name: "maxPool 2×2", x: [1, 2, 4, 6], out: [1, 2, 2, 3], op: { maxPool2d($0, kernel: (2, 2)) },
             y: TorchRef.maxPool1Out, gx: TorchRef.maxPool1GradX),
    PoolCase(name: "maxPool 3×3 stride 2 padding 1", x: [1, 1, 5, 5], out: [1, 1, 3, 3],
             op: { maxPool2d($0, kernel: (3, 3), stride: (2, 2), padding: .explicit(1, 1)) },
             y: TorchRef.maxPool2Out, gx: TorchRef.maxPool2GradX),
    PoolCase(name: "maxPool 2×2 same", x: [1, 1, 5, 5], out: [1, 1, 3, 3], op: { maxPool2d($0, kernel: (2, 2), padding: .same) },
             y: TorchRef.maxPool3Out, gx: TorchRef.maxPool3GradX),
    PoolCase(name: "avgPool 2×2", x: [1, 2, 4, 6], out: [1, 2, 2, 3], op: { avgPool2d($0, kernel: (2, 2)) },
             y: TorchRef.avgPool1Out, gx: TorchRef.avgPool1GradX),
    PoolCase(name: "avgPool 3×3 stride 2 padding 1, padding excluded", x: [1, 1, 5, 5], out: [1, 1, 3, 3],
             op: { avgPool2d($0, kernel: (3, 3), stride: (2, 2), padding: .explicit(1, 1)) },
             y: TorchRef.avgPool2ExclOut, gx: TorchRef.avgPool2ExclGradX),
    PoolCase(name: "avgPool 3×3 stride 2 padding 1, padding included", x: [1, 1, 5, 5], out: [1, 1, 3, 3],
             op: { avgPool2d($0, kernel: (3, 3), stride: (2, 2), padding: .explicit(1, 1), countIncludePadding: true) },
             y: TorchRef.avgPool2InclOut, gx: TorchRef.avgPool2InclGradX),
    PoolCase(name: "avgPool 2×2 same", x: [1, 1, 5, 5], out: [1, 1, 3, 3], op: { avgPool2d($0, kernel: (2, 2), padding: .same) },
             y: TorchRef.avgPool3Out, gx: TorchRef.avgPool3GradX),
]

@Suite struct PoolingTests {
    @Test(arguments: poolCases)
    fileprivate func poolingMatchesPyTorch(_ c: PoolCase) {
        let x = patterned(c.x, 37, 2, dtype: .float32)
        let y = c.op(x)
        #expect(y.dtype == .float32)
        expectTensor(y, shape: c.out, c.y, rtol: rtol, atol: atol, "\(c.name) forward")
        // Without a gradient (no workspace) the forward is the same.
        expectTensor(withoutGradient { c.op(x) }, shape: c.out, c.y, rtol: rtol, atol: atol, "\(c.name) inference forward")
        let g = patterned(c.out, 13, 3, dtype: .float32)
        let (_, gx) = valueWithGradient(at: x) { (c.op($0) * g).sum() }
        expectTensor(gx, shape: c.x, c.gx, rtol: rtol, atol: atol, "\(c.name) dx")
    }

    @Test func poolingByHand() {
        let x = tensor32([1, 1, 4, 4], [1, 5, 2, 0,
                                        3, 4, 8, 1,
                                        0, 0, 1, 1,
                                        9, 2, 1, 3])
        expectTensor(maxPool2d(x, kernel: (2, 2)), shape: [1, 1, 2, 2], [5, 8, 9, 3])
        expectTensor(avgPool2d(x, kernel: (2, 2)), shape: [1, 1, 2, 2], [3.25, 2.75, 2.75, 1.5])
        expectTensor(maxPool2d(x, kernel: (2, 2), stride: (1, 1)), shape: [1, 1, 3, 3], [5, 8, 8, 4, 8, 8, 9, 2, 3])
        // Max pooling's gradient goes to the arg-max of each window.
        let (_, g) = valueWithGradient(at: x) { maxPool2d($0, kernel: (2, 2)).sum() }
        expectTensor(g, shape: [1, 1, 4, 4], [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1])
    }

    @Test func globalPooling() {
        // [2, 3, 2, 2]: channel (n, c) holds 4(3n + c) + 0…3.
        let x = tensor32([2, 3, 2, 2], (0..<24).map(Float.init))
        expectTensor(globalAvgPool2d(x), shape: [2, 3], (0..<6).map { Double(4 * $0) + 1.5 })
        expectTensor(globalMaxPool2d(x), shape: [2, 3], (0..<6).map { Double(4 * $0) + 3 })
        let (_, ga) = valueWithGradient(at: x) { globalAvgPool2d($0).sum() }
        expectTensor(ga, shape: [2, 3, 2, 2], [Double](repeating: 0.25, count: 24))
        let (_, gm) = valueWithGradient(at: x) { globalMaxPool2d($0).sum() }
        expectTensor(gm, shape: [2, 3, 2, 2], (0..<24).map { $0 % 4 == 3 ? 1 : 0 })
    }

    @Test func poolingKeepsFloat64() {
        let x = patterned([1, 2, 4, 6], 37, 2)
        let y = maxPool2d(x, kernel: (2, 2))
        #expect(y.dtype == .float64)
        expectTensor(y, shape: [1, 2, 2, 3], TorchRef.maxPool1Out)
        let (_, g) = valueWithGradient(at: x) { (maxPool2d($0, kernel: (2, 2)) * patterned([1, 2, 2, 3], 13, 3)).sum() }
        #expect(g.dtype == .float64)
        expectTensor(g, shape: [1, 2, 4, 6], TorchRef.maxPool1GradX)
    }
}
