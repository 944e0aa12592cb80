import Testing
@testable import Weft

// Forward values of the elementwise unary ops, against PyTorch (TorchReferences.swift) or by hand.

private let xu: [Double] = [-2.5, -1.25, -0.5, -0.125, 0.25, 0.75, 1.5, 3.0]
private let xp: [Double] = [0.125, 0.5, 1.0, 2.25, 4.0, 9.5]
private let xl: [Double] = [-0.75, -0.25, 0.125, 0.5, 2.0]
private let xh: [Double] = [-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0]

/// (name, input, op, PyTorch result)
private let torchCases: [(String, [Double], @Sendable (Tensor) -> Tensor, [Double])] = [
    ("exp", xu, { exp($0) }, TorchRef.unary_exp),
    ("log", xp, { log($0) }, TorchRef.unary_log),
    ("log1p", xl, { log1p($0) }, TorchRef.unary_log1p),
    ("expm1", xl, { expm1($0) }, TorchRef.unary_expm1),
    ("sqrt", xp, { sqrt($0) }, TorchRef.unary_sqrt),
    ("rsqrt", xp, { rsqrt($0) }, TorchRef.unary_rsqrt),
    ("reciprocal", xu, { reciprocal($0) }, TorchRef.unary_reciprocal),
    ("sin", xu, { sin($0) }, TorchRef.unary_sin),
    ("cos", xu, { cos($0) }, TorchRef.unary_cos),
    ("sigmoid", xu, { sigmoid($0) }, TorchRef.unary_sigmoid),
    ("tanh", xu, { tanh($0) }, TorchRef.unary_tanh),
    ("softplus", xu, { softplus($0) }, TorchRef.unary_softplus),
    ("silu", xu, { silu($0) }, TorchRef.unary_silu),
    ("gelu", xu, { gelu($0) }, TorchRef.unary_gelu),
    ("geluTanh", xu, { gelu($0, approximate: true) }, TorchRef.unary_geluTanh),
    ("selu", xu, { selu($0) }, TorchRef.unary_selu),
    ("elu(0.5)", xu, { elu($0, alpha: 0.5) }, TorchRef.unary_elu05),
    ("leakyRelu(0.2)", xu, { leakyRelu($0, alpha: 0.2) }, TorchRef.unary_leakyRelu02),
    ("hardSigmoid", xh, { hardSigmoid($0) }, TorchRef.unary_hardSigmoid),
    ("pow 3", xp, { pow($0, 3) }, TorchRef.unary_powP3),
    ("pow 0.5", xp, { pow($0, 0.5) }, TorchRef.unary_powP05),
    ("pow -1.5", xp, { pow($0, -1.5) }, TorchRef.unary_powPm15),
]

@Suite struct UnaryOpTests {
    @Test(arguments: 0..<torchCases.count)
    func matchesPyTorchInFloat64(_ k: Int) {
        let (name, x, f, expected) = torchCases[k]
        let y = f(tensor([x.count], x))
        #expect(y.dtype == .float64, "\(name)")
        expectTensor(y, shape: [x.count], expected, rtol: 1e-13, atol: 1e-15, "\(name)")
    }

    @Test(arguments: 0..<torchCases.count)
    func matchesPyTorchInFloat32(_ k: Int) {
        let (name, x, f, expected) = torchCases[k]
        let y = f(tensor([x.count], x, dtype: .float32))
        #expect(y.dtype == .float32, "\(name)")
        expectTensor(y, shape: [x.count], expected, rtol: 2e-6, atol: 1e-7, "\(name)")
    }

    @Test func simpleOpsByHand() {
        let x = tensor([2, 3], [-2, -0.5, 0, 0.25, 1, 3])
        expectTensor(-x, shape: [2, 3], [2, 0.5, 0, -0.25, -1, -3])
        expectTensor(abs(x), shape: [2, 3], [2, 0.5, 0, 0.25, 1, 3])
        expectTensor(sign(x), shape: [2, 3], [-1, -1, 0, 1, 1, 1])
        expectTensor(square(x), shape: [2, 3], [4, 0.25, 0, 0.0625, 1, 9])
        expectTensor(relu(x), shape: [2, 3], [0, 0, 0, 0.25, 1, 3])
        expectTensor(clamp(x, min: -1, max: 2), shape: [2, 3], [-1, -0.5, 0, 0.25, 1, 2])
        expectTensor(clamp(x, min: 0.5), shape: [2, 3], [0.5, 0.5, 0.5, 0.5, 1, 3])
        expectTensor(clamp(x, max: 0), shape: [2, 3], [-2, -0.5, 0, 0, 0, 0])
        expectTensor(pow(x, 2), shape: [2, 3], [4, 0.25, 0, 0.0625, 1, 9])
        expectTensor(pow(x, 3), shape: [2, 3], [-8, -0.125, 0, 0.015625, 1, 27])
        expectTensor(relu(x).applying(.neg), shape: [2, 3], [0, 0, 0, -0.25, -1, -3])
    }

    @Test func specialValues() {
        let x = tensor([4], [0, -1, .infinity, .nan])
        expectTensor(log(tensor([2], [0, -1])), shape: [2], [-.infinity, .nan])
        expectTensor(sqrt(x), shape: [4], [0, .nan, .infinity, .nan])
        expectTensor(exp(tensor([2], [-.infinity, .infinity])), shape: [2], [0, .infinity])
        expectTensor(sigmoid(tensor([2], [-800, 800])), shape: [2], [0, 1])   // no overflow to NaN
        expectTensor(softplus(tensor([2], [-800, 800])), shape: [2], [0, 800])
        expectTensor(clamp(x, min: -0.5, max: 0.5), shape: [4], [0, -0.5, 0.5, .nan])   // NaN passes through, as torch.clamp
        expectTensor(sign(tensor([1], [.nan])), shape: [1], [.nan])
    }

    @Test func integerTensorsKeepTheirDtypeForIntegerOps() {
        let x = Tensor(shape: [5], scalars: [-3, -1, 0, 2, 7] as [Int32])
        let cases: [(Tensor, [Int32])] = [
            (-x, [3, 1, 0, -2, -7]),
            (abs(x), [3, 1, 0, 2, 7]),
            (sign(x), [-1, -1, 0, 1, 1]),
            (square(x), [9, 1, 0, 4, 49]),
            (relu(x), [0, 0, 0, 2, 7]),
            (clamp(x, min: -2, max: 5), [-2, -1, 0, 2, 5]),
        ]
        for (y, expected) in cases {
            #expect(y.dtype == .int32)
            #expect(y.scalars(as: Int32.self) == expected)
        }
        let u = Tensor(shape: [3], scalars: [0, 5, 200] as [UInt8])
        #expect(clamp(u, min: 1, max: 100).scalars(as: UInt8.self) == [1, 5, 100])
        #expect(Tensor(shape: [2], scalars: [-4, 9] as [Int64]).applying(.abs).scalars(as: Int64.self) == [4, 9])
    }

    @Test func floatOpsOnIntegersGiveTheDefaultFloatType() {
        let x = Tensor(shape: [3], scalars: [0, 1, 4] as [Int32])
        let s = sqrt(x)
        #expect(s.dtype == .float32)
        #expect(s.scalars(as: Float.self) == [0, 1, 2])
        let e = exp(Tensor(shape: [2], scalars: [0, 1] as [Int64]))
        #expect(e.dtype == .float32)
        expectClose(e.doubles, [1, 2.718281828459045], rtol: 1e-7)
        #expect(sigmoid(Tensor(shape: [1], scalars: [0] as [UInt8])).floats == [0.5])
    }

    @Test func halfPrecisionComputesInFloat32AndKeepsItsDtype() {
        let x = tensor([3], [0.5, 1, 2], dtype: .float16)
        let y = exp(x)
        #expect(y.dtype == .float16)
        // exp rounded to float16 (11-bit significand): 1.6484375, 2.71875, 7.390625
        #expect(y.doubles == [1.6484375, 2.71875, 7.390625])
        let b = tanh(tensor([2], [0.5, -1], dtype: .bfloat16))
        #expect(b.dtype == .bfloat16)
        // tanh(0.5) = 0.46211716 → bfloat16 (step 2^-9 there) 0.462890625; tanh(-1) = -0.76159416 → -0.76171875
        // (torch.tanh(torch.tensor([0.5, -1.0]).bfloat16()) gives the same)
        #expect(b.doubles == [0.462890625, -0.76171875])
    }

    @Test func geluBothFormsDifferAsInPyTorch() {
        // The two forms agree to ~1e-3 but are different functions; make sure each is the one asked for.
        let x = tensor([1], [-2.5])
        let exact = gelu(x).item, approx = gelu(x, approximate: true).item
        #expect(Swift.abs(exact - TorchRef.unary_gelu[0]) < 1e-15)
        #expect(Swift.abs(approx - TorchRef.unary_geluTanh[0]) < 1e-15)
        #expect(Swift.abs(exact - approx) > 1e-4)
    }
}
