import Testing
@testable import Weft
@testable import WeftNN

// The 3-D, transposed, depthwise and separable convolution layers, 3-D pooling and the 1-D/3-D
// padding, cropping and upsampling layers: output shapes, parameter counts (Keras's formulas),
// shape errors, summary names, and values and gradients against PyTorch.
//
// References (ConvLayerRef below): torch 2.x, float64, with pat(shape, a, b) = ((i*a + b) % 23 - 11) / 8:
//   depthwise: x = pat([2,3,5,4], 37, 1), w = pat([6,1,3,2], 29, 5), b = pat([6], 7, 4);
//              y = F.conv2d(F.pad(x, (0,1,1,1)), w, b, stride=(2,1), groups=3)   (Keras "same" pads)
//   separable: x = pat([1,2,5,6], 37, 1), dw = pat([4,1,3,3], 29, 5), pw = pat([4,4,1,1], 17, 6),
//              b = pat([4], 7, 4); y = F.conv2d(F.conv2d(x, dw, dilation=(1,2), groups=2), pw, b)
//   transpose: x = pat([1,1,3,3], 37, 1), w = pat([1,2,4,4], 29, 5), b = pat([2], 7, 4);
//              y = F.conv_transpose2d(x, w, stride=2)[:, :, 1:6, 1:6] + b.reshape(1,-1,1,1)
//              (Keras "same" with output_padding 1: length (3−1)·2 + 4 − 2·2 + 1 = 5, TF pads (1, 2))
//   then G = pat(y.shape, 13, 3), (y * G).sum().backward(), values printed with repr().

private func pat(_ shape: Shape, _ a: Int, _ b: Int) -> Tensor {
    nnTensor(shape, (0..<shape.elementCount).map { Double(($0 * a + b) % 23 - 11) / 8 })
}

private let tol = (rtol: 1e-5, atol: 1e-5)

/// The layer's gradients of sum(layer(x) · G) by parameter name, and the input gradient.
private func layerGradients(_ layer: some Layer, _ x: Tensor, _ g: Tensor) -> (Gradients, Tensor) {
    let (_, grads) = valueWithGradient(at: layer) { l in (l(x) * g).sum() }
    let (_, gx) = valueWithGradient(at: x) { x in (layer(x) * g).sum() }
    return (grads, gx)
}

@Suite struct ConvLayerTests {
    // MARK: shapes and parameter counts

    @Test func conv3DShapeAndParameters() throws {
        let l = Conv3D(4, kernel: (2, 3, 3), strides: (1, 2, 2), padding: .same)
        #expect(try l.build(inputShape: [3, 5, 8, 9]) == [4, 5, 4, 5])
        #expect(l.weight?.value.shape == [4, 3, 2, 3, 3])
        #expect(l.parameterCount == 4 * 3 * 2 * 3 * 3 + 4)   // Keras: kd·kh·kw·C·filters + filters
        let v = Conv3D(2, kernel: 3)
        #expect(try v.build(inputShape: [1, 4, 5, 6]) == [2, 2, 3, 4])
        let y = v(nnTensor([2, 1, 4, 5, 6], nnRandom(240, seed: 3)))
        #expect(y.shape == [2, 2, 2, 3, 4])
        let g = Conv3D(6, kernel: (1, 1, 1), groups: 3, useBias: false)
        _ = try g.build(inputShape: [3, 2, 2, 2])
        #expect(g.parameterCount == 6)
    }

    @Test func conv3DLayerEqualsOp() throws {
        let l = Conv3D(3, kernel: (2, 2, 3), strides: (2, 1, 1), padding: .same, activation: .relu)
        _ = try l.build(inputShape: [2, 3, 4, 5])
        setFloat64Parameters(l, seed: 5)
        let x = nnTensor([1, 2, 3, 4, 5], nnRandom(120, seed: 4))
        let expected = relu(conv3d(x, weight: l.weight!.value, bias: l.bias!.value, stride: (2, 1, 1), padding: .same))
        expectNear(l(x).doubles, expected.doubles, rtol: 1e-12, atol: 1e-12)
        #expect(l(x).shape == [1, 3, 2, 4, 5])
    }

    @Test func conv2DTransposeShapeAndParameters() throws {
        func out(_ l: Conv2DTranspose, _ s: Shape) throws -> Shape { try l.build(inputShape: s) }
        let same = Conv2DTranspose(5, kernel: 3, strides: 2, padding: .same)
        #expect(try out(same, [3, 7, 6]) == [5, 14, 12])                              // L·s
        #expect(same.weight?.value.shape == [3, 5, 3, 3])                               // [C_in, filters, KH, KW]
        #expect(same.parameterCount == 3 * 5 * 9 + 5)
        #expect(try out(Conv2DTranspose(5, kernel: 3, strides: 2), [3, 7, 6]) == [5, 15, 13])    // L·s + max(k − s, 0)
        #expect(try out(Conv2DTranspose(5, kernel: 2, strides: 3), [3, 7, 6]) == [5, 21, 18])
        #expect(try out(Conv2DTranspose(2, kernel: (3, 3), strides: (2, 2), outputPadding: (1, 0)), [3, 7, 6]) == [2, 16, 13])
        #expect(try out(Conv2DTranspose(2, kernel: (4, 4), strides: (2, 2), padding: .same, outputPadding: (1, 1)), [1, 3, 3]) == [2, 5, 5])
        #expect(try out(Conv2DTranspose(2, kernel: (3, 3), dilation: (2, 1)), [1, 4, 4]) == [2, 8, 6])
    }

    @Test func conv3DTransposeShapeAndParameters() throws {
        func out(_ l: Conv3DTranspose, _ s: Shape) throws -> Shape { try l.build(inputShape: s) }
        let same = Conv3DTranspose(5, kernel: 3, strides: 2, padding: .same)
        #expect(try out(same, [3, 4, 7, 6]) == [5, 8, 14, 12])                          // L·s
        #expect(same.weight?.value.shape == [3, 5, 3, 3, 3])                            // [C_in, filters, KD, KH, KW]
        #expect(same.parameterCount == 3 * 5 * 27 + 5)
        #expect(try out(Conv3DTranspose(2, kernel: (3, 2, 1), strides: (2, 3, 1)), [1, 4, 5, 6]) == [2, 9, 15, 6])  // L·s + max(k − s, 0)
        #expect(try out(Conv3DTranspose(2, kernel: (3, 3, 3), strides: (2, 2, 2), outputPadding: (1, 0, 1)), [1, 2, 3, 4]) == [2, 6, 7, 10])
        #expect(try out(Conv3DTranspose(2, kernel: (3, 3, 3), dilation: (2, 1, 1)), [1, 4, 4, 4]) == [2, 8, 6, 6])
        // The layer is the op with its weight and bias, then the activation.
        let l = Conv3DTranspose(2, kernel: (2, 3, 2), strides: (1, 2, 2), padding: .same, activation: .relu)
        _ = try l.build(inputShape: [3, 2, 3, 2])
        setFloat64Parameters(l, seed: 4)
        let x = nnTensor([2, 3, 2, 3, 2], nnRandom(72, seed: 5))
        let y = l(x)
        #expect(y.shape == [2, 2, 2, 6, 4])
        let ref = relu(convTranspose3d(x, weight: l.weight!.value, bias: l.bias!.value, stride: (1, 2, 2), padding: .same))
        expectNear(y.doubles, ref.doubles, rtol: 0, atol: 0)
        #expect(y.doubles.contains(0) && y.doubles.contains { $0 > 0 })
    }

    @Test func depthwiseAndSeparableParameterCounts() throws {
        let d = DepthwiseConv2D(kernel: 3, depthMultiplier: 2)
        #expect(try d.build(inputShape: [4, 8, 8]) == [8, 6, 6])
        #expect(d.weight?.value.shape == [8, 1, 3, 3])
        #expect(d.parameterCount == 3 * 3 * 4 * 2 + 4 * 2)               // Keras: kh·kw·C·m + C·m
        let s = SeparableConv2D(6, kernel: 3, padding: .same, depthMultiplier: 2)
        #expect(try s.build(inputShape: [4, 8, 8]) == [6, 8, 8])
        #expect(s.parameterCount == 3 * 3 * 4 * 2 + 4 * 2 * 6 + 6)       // Keras: kh·kw·C·m + C·m·filters + filters
        #expect(s.namedParameters.map(\.0) == ["depthwise_kernel", "pointwise_kernel", "bias"])
        #expect(s.depthwise_kernel?.value.shape == [8, 1, 3, 3])
        #expect(s.pointwise_kernel?.value.shape == [6, 8, 1, 1])
        let nb = SeparableConv2D(5, kernel: (3, 1), strides: (2, 1), useBias: false)
        #expect(try nb.build(inputShape: [3, 9, 4]) == [5, 4, 4])
        #expect(nb.parameterCount == 3 * 3 + 3 * 5)
    }

    @Test func pooling3DShapes() throws {
        #expect(try MaxPool3D(2).build(inputShape: [3, 5, 6, 7]) == [3, 2, 3, 3])
        #expect(try MaxPooling3D(2, padding: .same).build(inputShape: [3, 5, 6, 7]) == [3, 3, 3, 4])
        #expect(try AveragePooling3D((1, 2, 3), strides: (1, 1, 2)).build(inputShape: [2, 4, 4, 9]) == [2, 4, 3, 4])
        #expect(try GlobalAveragePooling3D().build(inputShape: [3, 2, 2, 2]) == [3])
        #expect(try GlobalMaxPooling3D().build(inputShape: [3, 2, 2, 2]) == [3])
        let x = nnTensor([2, 3, 5, 6, 7], nnRandom(1260, seed: 2))
        #expect(MaxPool3D(2, padding: .same)(x).shape == [2, 3, 3, 3, 4])
        #expect(AvgPool3D()(x).shape == [2, 3, 2, 3, 3])
        let gmax = GlobalMaxPooling3D()(x), gavg = GlobalAveragePooling3D()(x)
        #expect(gmax.shape == [2, 3] && gavg.shape == [2, 3])
        let v = x.doubles
        expectNear(gmax.doubles, (0..<6).map { v[($0 * 210)..<($0 * 210 + 210)].max()! })
        expectNear(gavg.doubles, (0..<6).map { v[($0 * 210)..<($0 * 210 + 210)].reduce(0, +) / 210 }, rtol: 1e-12, atol: 1e-15)
    }

    // MARK: values and gradients against PyTorch

    @Test func depthwiseConv2DMatchesPyTorch() throws {
        let l = DepthwiseConv2D(kernel: (3, 2), strides: (2, 1), padding: .same, depthMultiplier: 2)
        #expect(try l.build(inputShape: [3, 5, 4]) == [6, 3, 4])
        l.weight!.value = pat([6, 1, 3, 2], 29, 5)
        l.bias!.value = pat([6], 7, 4)
        let x = pat([2, 3, 5, 4], 37, 1)
        let y = l(x)
        #expect(y.shape == [2, 6, 3, 4])
        expectNear(y.doubles, ConvLayerRef.dwOut, rtol: tol.rtol, atol: tol.atol, "depthwise forward")
        let (g, gx) = layerGradients(l, x, pat([2, 6, 3, 4], 13, 3))
        expectNear(gx.doubles, ConvLayerRef.dwGradX, rtol: tol.rtol, atol: tol.atol, "depthwise dx")
        expectNear(g["weight"]!.doubles, ConvLayerRef.dwGradW, rtol: tol.rtol, atol: tol.atol, "depthwise dw")
        expectNear(g["bias"]!.doubles, ConvLayerRef.dwGradB, rtol: tol.rtol, atol: tol.atol, "depthwise db")
    }

    @Test func separableConv2DMatchesPyTorch() throws {
        let l = SeparableConv2D(4, kernel: (3, 3), depthMultiplier: 2, dilation: (1, 2))
        #expect(try l.build(inputShape: [2, 5, 6]) == [4, 3, 2])
        l.depthwise_kernel!.value = pat([4, 1, 3, 3], 29, 5)
        l.pointwise_kernel!.value = pat([4, 4, 1, 1], 17, 6)
        l.bias!.value = pat([4], 7, 4)
        let x = pat([1, 2, 5, 6], 37, 1)
        let y = l(x)
        #expect(y.shape == [1, 4, 3, 2])
        expectNear(y.doubles, ConvLayerRef.sepOut, rtol: tol.rtol, atol: tol.atol, "separable forward")
        let (g, gx) = layerGradients(l, x, pat([1, 4, 3, 2], 13, 3))
        expectNear(gx.doubles, ConvLayerRef.sepGradX, rtol: tol.rtol, atol: tol.atol, "separable dx")
        expectNear(g["depthwise_kernel"]!.doubles, ConvLayerRef.sepGradDW, rtol: tol.rtol, atol: tol.atol, "separable d depthwise")
        expectNear(g["pointwise_kernel"]!.doubles, ConvLayerRef.sepGradPW, rtol: tol.rtol, atol: tol.atol, "separable d pointwise")
        expectNear(g["bias"]!.doubles, ConvLayerRef.sepGradB, rtol: tol.rtol, atol: tol.atol, "separable db")
    }

    @Test func conv2DTransposeSameWithOutputPaddingMatchesPyTorch() throws {
        let l = Conv2DTranspose(2, kernel: (4, 4), strides: (2, 2), padding: .same, outputPadding: (1, 1))
        #expect(try l.build(inputShape: [1, 3, 3]) == [2, 5, 5])
        l.weight!.value = pat([1, 2, 4, 4], 29, 5)
        l.bias!.value = pat([2], 7, 4)
        let x = pat([1, 1, 3, 3], 37, 1)
        let y = l(x)
        #expect(y.shape == [1, 2, 5, 5])
        expectNear(y.doubles, ConvLayerRef.trOut, rtol: tol.rtol, atol: tol.atol, "transpose forward")
        let (g, gx) = layerGradients(l, x, pat([1, 2, 5, 5], 13, 3))
        expectNear(gx.doubles, ConvLayerRef.trGradX, rtol: tol.rtol, atol: tol.atol, "transpose dx")
        expectNear(g["weight"]!.doubles, ConvLayerRef.trGradW, rtol: tol.rtol, atol: tol.atol, "transpose dw")
        expectNear(g["bias"]!.doubles, ConvLayerRef.trGradB, rtol: tol.rtol, atol: tol.atol, "transpose db")
    }

    // MARK: padding, cropping, upsampling

    @Test func zeroPaddingCroppingUpSampling1D() throws {
        let x = nnTensor([1, 2, 3], [1, 2, 3, 4, 5, 6])
        let zp = ZeroPadding1D((1, 2))
        #expect(try zp.build(inputShape: [2, 3]) == [2, 6])
        #expect(zp(x).doubles == [0, 1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0])
        let cr = Cropping1D((1, 0))
        #expect(try cr.build(inputShape: [2, 3]) == [2, 2])
        #expect(cr(x).doubles == [2, 3, 5, 6])
        let up = UpSampling1D(2)
        #expect(try up.build(inputShape: [2, 3]) == [2, 6])
        #expect(up(x).doubles == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])
        // Gradients: upsampling sums the copies, cropping and padding route them back.
        let (_, g) = valueWithGradient(at: x) { x in (up(x) * nnTensor([1, 2, 6], (0..<12).map(Double.init))).sum() }
        #expect(g.doubles == [1, 5, 9, 13, 17, 21])
    }

    @Test func zeroPaddingCroppingUpSampling3D() throws {
        let x = nnTensor([1, 1, 2, 2, 2], (1...8).map(Double.init))
        let zp = ZeroPadding3D(((1, 0), (0, 1), (0, 0)))
        #expect(try zp.build(inputShape: [1, 2, 2, 2]) == [1, 3, 3, 2])
        let p = zp(x)
        #expect(p.shape == [1, 1, 3, 3, 2])
        #expect(p.doubles == [0, 0, 0, 0, 0, 0,  1, 2, 3, 4, 0, 0,  5, 6, 7, 8, 0, 0])
        #expect(try ZeroPadding3D(2).build(inputShape: [3, 1, 1, 1]) == [3, 5, 5, 5])
        let cr = Cropping3D(((1, 0), (0, 1), (1, 0)))
        #expect(try cr.build(inputShape: [1, 2, 2, 2]) == [1, 1, 1, 1])
        #expect(cr(x).doubles == [6])
        #expect(Cropping3D(((0, 1), (0, 0), (0, 1)))(x).doubles == [1, 3])
        let up = UpSampling3D((1, 2, 3))
        #expect(try up.build(inputShape: [1, 2, 2, 2]) == [1, 2, 4, 6])
        let u = up(x)
        #expect(u.shape == [1, 1, 2, 4, 6])
        #expect(Array(u.doubles[0..<12]) == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
        #expect(Array(u.doubles[36..<48]) == [7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8])
    }

    // MARK: errors and names

    @Test func shapeErrorsNameTheLayer() throws {
        func layerName(_ body: () throws -> Shape) -> String? {
            do { _ = try body(); return nil } catch let e as ShapeError { return e.layer } catch { return "?" }
        }
        #expect(layerName { try Conv3D(2, kernel: 3).build(inputShape: [1, 4, 4]) } == "Conv3D")
        #expect(layerName { try Conv3D(2, kernel: 3).build(inputShape: [1, 2, 4, 4]) } == "Conv3D")
        #expect(layerName { try Conv3D(2, kernel: (1, 1, 1), groups: 2).build(inputShape: [3, 2, 2, 2]) } == "Conv3D")
        #expect(layerName { try Conv2DTranspose(2, kernel: 3).build(inputShape: [1, 4]) } == "Conv2DTranspose")
        #expect(layerName { try Conv3DTranspose(2, kernel: 3).build(inputShape: [1, 4, 4]) } == "Conv3DTranspose")
        #expect(layerName { try Conv3DTranspose(2, kernel: 3, strides: 2, padding: .explicit(3, 0, 0)).build(inputShape: [1, 1, 4, 4]) } == "Conv3DTranspose")
        #expect(layerName { try DepthwiseConv2D(kernel: 5).build(inputShape: [2, 4, 4]) } == "DepthwiseConv2D")
        #expect(layerName { try SeparableConv2D(2, kernel: 3).build(inputShape: [2, 4]) } == "SeparableConv2D")
        #expect(layerName { try MaxPool3D(3).build(inputShape: [1, 2, 4, 4]) } == "MaxPool3D")
        #expect(layerName { try AvgPool3D(2).build(inputShape: [1, 4, 4]) } == "AvgPool3D")
        #expect(layerName { try GlobalMaxPooling3D().build(inputShape: [1, 4, 4]) } == "GlobalMaxPooling3D")
        #expect(layerName { try Cropping1D((2, 2)).build(inputShape: [1, 4]) } == "Cropping1D")
        #expect(layerName { try Cropping3D(1).build(inputShape: [1, 2, 4, 4]) } == "Cropping3D")
        #expect(layerName { try UpSampling3D(2).build(inputShape: [1, 4, 4]) } == "UpSampling3D")
        #expect(layerName { try ZeroPadding1D(1).build(inputShape: [4]) } == "ZeroPadding1D")
        // A built layer refuses an input that does not match its weights.
        let c = Conv2DTranspose(2, kernel: 3)
        _ = try c.build(inputShape: [3, 4, 4])
        #expect(layerName { try c.build(inputShape: [4, 4, 4]) } == "Conv2DTranspose")
        let e = #expect(throws: ShapeError.self) { try Conv3D(2, kernel: 3).build(inputShape: [1, 2, 4, 4]) }
        #expect(e?.message.contains("[1, 2, 4, 4]") == true)
    }

    @Test func summaryNames() throws {
        let m = Sequential {
            Conv3D(2, kernel: 1)
            MaxPool3D(1)
            AveragePooling3D(1)
            GlobalAveragePooling3D()
        }
        _ = try m.build(inputShape: [1, 2, 2, 2])
        let rows = try #require(m.summaryRows)
        #expect(rows.map(\.name) == ["conv3d", "max_pooling3d", "average_pooling3d", "global_average_pooling3d"])
        #expect(rows.map { $0.layer.typeName } == ["Conv3D", "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D"])
        let names = [Conv2DTranspose(1, kernel: 1).typeName, DepthwiseConv2D(kernel: 1).typeName, SeparableConv2D(1, kernel: 1).typeName,
                     GlobalMaxPooling3D().typeName, ZeroPadding3D().typeName, UpSampling1D().typeName, Cropping3D().typeName]
        #expect(names.map(kerasName) == ["conv2d_transpose", "depthwise_conv2d", "separable_conv2d", "global_max_pooling3d",
                                         "zero_padding3d", "up_sampling1d", "cropping3d"])
    }

    /// Regularizers and constraints reach `regularizationLoss()` / `applyConstraints()`.
    @Test func regularizersAndConstraints() throws {
        let l = SeparableConv2D(2, kernel: (1, 1), pointwiseRegularizer: .l2(0.5), depthwiseConstraint: .nonNeg)
        _ = try l.build(inputShape: [2, 3, 3])
        l.depthwise_kernel!.value = nnTensor([2, 1, 1, 1], [-1, 2])
        l.pointwise_kernel!.value = nnTensor([2, 2, 1, 1], [1, 2, 3, 4])
        #expect(l.regularizationLoss()?.item == 0.5 * 30)
        l.applyConstraints()
        #expect(l.depthwise_kernel!.value.doubles == [0, 2])
        // Conv3D's max-norm bounds each filter's weights (axes 1–4).
        let c = Conv3D(2, kernel: (1, 1, 2), useBias: false, kernelConstraint: .maxNorm(1))
        _ = try c.build(inputShape: [1, 1, 1, 2])
        c.weight!.value = nnTensor([2, 1, 1, 1, 2], [3, 4, 0.3, 0.4])
        c.applyConstraints()
        expectNear(c.weight!.value.doubles, [0.6, 0.8, 0.3, 0.4], rtol: 1e-6, atol: 1e-7)
        let t = Conv2DTranspose(2, kernel: (1, 1), useBias: false, kernelConstraint: .unitNorm())
        _ = try t.build(inputShape: [2, 1, 1])
        t.weight!.value = nnTensor([2, 2, 1, 1], [3, 1, 4, 0])   // [C_in, filters]: filter 0 gets (3, 4), filter 1 (1, 0)
        t.applyConstraints()
        expectNear(t.weight!.value.doubles, [0.6, 1, 0.8, 0], rtol: 1e-6, atol: 1e-7)
    }
}

private enum ConvLayerRef {
    // depthwise: out [2, 6, 3, 4]
    static let dwOut: [Double] = [-2.640625, 1.140625, -3.34375, 0.28125, 0.296875, 0.609375, -3.390625, 0.609375, 0.40625, -0.203125, -2.609375, 0.0625, 2.015625, -2.234375, 1.78125, -1.0625, -1.109375, -0.984375, 3.09375, -1.6875, -2.546875, 0.671875, 2.09375, -0.953125, -1.40625, 2.84375, 1.703125, -0.53125, -1.96875, 3.359375, -1.734375, 2.375, 1.75, 2.6875, -1.40625, 2.0, 0.75, -3.03125, -0.34375, -0.96875, 1.5, -5.21875, 2.4375, -1.796875, -0.109375, -3.609375, 0.796875, -1.703125, 0.96875, 0.296875, -0.015625, 0.84375, -0.546875, -1.703125, 1.09375, 1.3125, 0.28125, -0.109375, -0.5, -2.140625, -1.890625, 1.265625, 1.1875, -0.125, -0.109375, 1.78125, -0.640625, -0.421875, 0.59375, 0.4375, 0.28125, 0.8125, 1.421875, -3.0625, 0.71875, -1.6875, 1.078125, -2.921875, 1.703125, -2.484375, -3.8125, -0.109375, 1.4375, -2.09375, -2.140625, 1.875, -2.375, 1.125, -0.796875, 3.28125, -4.140625, 1.8125, 1.546875, 0.8125, -2.078125, 1.046875, 2.75, -1.265625, 1.546875, 1.5, 3.265625, -1.828125, 2.421875, 0.96875, 2.65625, -1.4375, 2.734375, -0.109375, -3.3125, 1.171875, -0.453125, -3.046875, -5.59375, 2.0625, -2.140625, -1.28125, -3.828125, 0.578125, -3.28125, 0.34375, -0.890625, 0.59375, -0.078125, -1.390625, 0.515625, 1.15625, -0.359375, -0.921875, 0.203125, -0.1875, -2.734375, -0.25, 0.96875, -1.984375, 1.171875, 1.796875, 0.84375, -3.734375, 1.390625, 3.21875, 0.5625, 0.40625, 1.6875, 2.1875]
    static let dwGradX: [Double] = [-1.375, 2.15625, -0.703125, 1.109375, 1.296875, -1.203125, -2.25, 3.53125, 0.25, 0.78125, -1.359375, -1.703125, -1.203125, 0.359375, 0.03125, 1.5, 0.4375, -0.59375, 1.21875, -0.921875, 0.703125, -1.171875, 0.921875, -0.9375, 0.265625, -2.0625, 3.203125, -2.671875, 1.453125, -0.703125, -1.84375, 2.40625, -0.75, 0.3125, 1.265625, -0.65625, -0.671875, 0.84375, -1.015625, 1.078125, 0.546875, -2.140625, -0.125, -2.421875, 1.953125, -1.4375, 0.4375, 1.59375, -0.296875, 1.25, 1.109375, 0.25, 0.265625, 0.671875, -1.765625, 3.34375, -1.140625, -0.03125, -2.328125, -0.3125, 0.5625, -1.03125, 0.78125, -1.359375, 1.578125, -2.90625, 0.359375, 0.03125, -1.40625, 2.265625, -0.59375, 1.21875, 1.234375, -0.984375, -2.03125, 3.75, 0.21875, 0.890625, -1.25, -1.59375, -0.171875, 1.15625, -0.703125, -1.84375, -1.484375, 0.078125, 0.3125, 1.265625, 0.578125, -1.25, 0.84375, -1.015625, 0.015625, -2.21875, 3.046875, -2.828125, 1.328125, -0.78125, -1.921875, 2.328125, -1.703125, -0.40625, 1.25, 1.109375, 1.046875, 1.3125, 0.671875, -1.765625, 0.6875, -2.046875, -0.03125, -2.328125, 2.234375, -1.25, 0.625, -1.8125, -0.15625, 1.34375, 1.203125, 1.0625]
    static let dwGradW: [Double] = [0.390625, -2.140625, 4.484375, -1.296875, -0.84375, 2.625, -2.734375, -0.984375, 0.515625, -2.4375, 0.34375, -0.53125, -3.53125, -0.53125, -0.6875, -2.4375, 1.8125, -0.984375, -1.234375, 2.625, -1.015625, -1.296875, 0.875, -2.140625, 1.65625, 0.09375, 0.078125, 0.15625, 0.28125, -0.1875, 0.03125, -4.09375, -1.28125, 6.09375, -0.984375, 0.65625]
    static let dwGradB: [Double] = [1.75, -1.75, 3.375, -3.0, 2.125, -1.375]
    // separable: out [1, 4, 3, 2]
    static let sepOut: [Double] = [2.912109375, -2.17578125, -4.345703125, 2.919921875, -0.822265625, -0.115234375, 0.955078125, 4.69921875, 10.9765625, -5.08984375, -6.134765625, 0.349609375, 2.09765625, 4.92578125, 11.205078125, -3.845703125, -5.47265625, 2.20703125, 0.365234375, 2.27734375, 8.55859375, -5.4765625, -7.685546875, 1.189453125]
    static let sepGradX: [Double] = [0.68359375, 0.21875, 2.546875, -1.140625, -2.912109375, 0.779296875, -1.833984375, -0.2578125, 0.837890625, -3.4921875, 3.958984375, 3.291015625, -4.068359375, 0.033203125, -0.654296875, -3.390625, 0.46875, -1.2890625, 0.939453125, 5.640625, -1.23828125, -1.185546875, 0.1328125, -5.181640625, -0.720703125, 2.388671875, -0.203125, 0.94140625, 0.359375, -1.1796875, -0.205078125, 0.41015625, 0.1875, -0.19921875, -0.09375, -0.26953125, -1.19140625, 0.087890625, 0.509765625, 0.50390625, 0.50390625, 0.24609375, -1.01953125, -0.10546875, -1.31640625, -0.533203125, 1.08203125, 0.1171875, 0.287109375, 0.720703125, -0.94140625, 0.36328125, 1.01953125, -0.66796875, 0.015625, 0.234375, -0.005859375, 0.333984375, -0.02734375, -1.18359375]
    static let sepGradDW: [Double] = [-0.306640625, 1.158203125, 0.33203125, 1.078125, -0.9609375, 0.68359375, -2.07421875, 0.6484375, -1.435546875, -5.951171875, -1.052734375, 0.1171875, -4.552734375, 2.90625, 0.482421875, -1.626953125, -0.90625, 4.44140625, -1.390625, 0.3828125, 0.404296875, 0.3359375, -1.349609375, 0.423828125, 0.35546875, 0.376953125, 0.982421875, 0.0859375, 0.44140625, -0.685546875, -0.28515625, -0.154296875, 0.201171875, 0.6015625, -0.525390625, 0.279296875]
    static let sepGradPW: [Double] = [-2.400390625, -4.123046875, -6.365234375, 0.853515625, 1.47265625, 0.666015625, -1.396484375, 2.392578125, -6.513671875, -7.662109375, -4.783203125, 1.326171875, 8.3203125, 6.875, 7.6875, -4.27734375]
    static let sepGradB: [Double] = [1.125, -0.75, 0.25, -1.625]
    // transpose: out [1, 2, 5, 5]
    static let trOut: [Double] = [-1.03125, -2.28125, 0.75, -0.046875, -1.578125, -1.1875, -1.53125, -0.890625, 0.78125, -1.59375, -1.203125, -1.484375, -0.84375, 0.625, -1.75, -0.59375, 1.09375, -3.0, -1.625, -0.46875, -0.375, 1.25, -2.84375, -1.671875, -0.515625, -0.78125, -1.78125, 1.25, 0.765625, -0.765625, -0.375, 3.125, 0.171875, -0.40625, -1.34375, -0.390625, 3.171875, 0.21875, -0.5625, -1.5, 1.15625, -0.640625, -1.5, -0.9375, 0.21875, 1.375, -0.484375, -1.34375, -0.984375, 0.171875]
    static let trGradX: [Double] = [3.421875, 2.4375, -2.65625, 0.53125, 4.875, -0.625, -6.140625, -1.390625, 1.125]
    static let trGradW: [Double] = [-0.75, 3.65625, -0.15625, -1.359375, -0.875, 4.0625, -1.0625, 1.90625, 0.3125, -2.65625, -0.890625, 1.875, 0.9375, -0.53125, -1.078125, -1.90625, -0.890625, -2.65625, 0.3125, 0.546875, -1.0625, 4.0625, -0.875, -1.140625, -0.15625, 3.65625, -0.75, 2.015625, 0.46875, -2.484375, -0.9375, 1.828125]
    static let trGradB: [Double] = [-0.375, 0.375]
}
