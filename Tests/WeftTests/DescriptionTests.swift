import Testing
@testable import Weft

// PyTorch-style printing. Weft follows PyTorch's layout (nesting, 8-space continuation indent,
// blank line between 3-D blocks, "..." summaries above 1000 elements, dtype suffix for non-default
// types) but formats each number on its own: up to 4 decimals with trailing zeros trimmed to one
// ("2.5", PyTorch "2.5000"), no column padding, scientific only for the elements that need it.
// Each test names what PyTorch (torch 2.15) prints for the same values.

@Suite struct DescriptionTests {
    @Test func smallFloatVector() {
        // torch: tensor([ 1.0000,  2.5000, -0.1250])
        #expect(tensor32([3], [1, 2.5, -0.125]).description == "tensor([1.0, 2.5, -0.125])")
        // torch: tensor([0.5000, 0.6667], dtype=torch.float64)
        #expect(tensor([2], [0.5, 2.0 / 3.0]).description == "tensor([0.5, 0.6667], dtype=float64)")
        // torch: tensor(3.5000)
        #expect(Tensor(Float(3.5)).description == "tensor(3.5)")
        #expect(tensor32([2], [-7, 100]).description == "tensor([-7.0, 100.0])")
    }

    @Test func matrixAnd3D() {
        // torch: tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])
        #expect(tensor32([2, 2], [1, 2.5, 3, 4]).description == "tensor([[1.0, 2.5],\n        [3.0, 4.0]])")
        // torch: tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])
        let t = tensor32([2, 2, 2], (0..<8).map(Float.init))
        #expect(t.description == "tensor([[[0.0, 1.0],\n         [2.0, 3.0]],\n\n        [[4.0, 5.0],\n         [6.0, 7.0]]])")
    }

    @Test func integerAndBoolTensors() {
        // torch: tensor([1, 2, 3], dtype=torch.int32)
        #expect(Tensor(shape: [3], scalars: [1, 2, 3] as [Int32]).description == "tensor([1, 2, 3], dtype=int32)")
        // torch: tensor([ 1, -2]) (int64 is the default integer type: no suffix)
        #expect(Tensor(shape: [2], scalars: [1, -2] as [Int64]).description == "tensor([1, -2])")
        #expect(Tensor(shape: [2, 2], scalars: [0, 255, 7, 8] as [UInt8]).description == "tensor([[0, 255],\n        [7, 8]], dtype=uint8)")
        // torch: tensor([ True, False])
        #expect(Tensor(shape: [2], scalars: [true, false]).description == "tensor([True, False])")
    }

    @Test func specialValuesAndScientificNotation() {
        // torch: tensor([nan, inf, -inf])
        #expect(tensor32([3], [.nan, .infinity, -.infinity]).description == "tensor([nan, inf, -inf])")
        // torch switches the whole tensor to scientific: tensor([2.5000e-05, 1.0000e+00]); Weft only the small element.
        #expect(tensor32([2], [2.5e-5, 1]).description == "tensor([2.5000e-05, 1.0])")
        #expect(tensor([2], [1e8, -12_345_678_900]).description == "tensor([1.0000e+08, -1.2346e+10], dtype=float64)")
        #expect(tensor32([1], [0]).description == "tensor([0.0])")
    }

    @Test func scientificMantissaThatRoundsUpMovesToTheNextPowerOfTen() {
        // Float(1e-5) is 9.99999974737875e-06: its 4-decimal mantissa rounds to 10.0000, which must
        // become 1.0000e-05 (torch: tensor([1.0000e-05, 1.0000e+00])), never "10.0000e-06".
        #expect(tensor32([2], [1e-5, 1]).description == "tensor([1.0000e-05, 1.0])")
        #expect(tensor([1], [9.99996e8]).description == "tensor([1.0000e+09], dtype=float64)")
    }

    @Test func halfPrecisionAndGradientMarkers() {
        #expect(tensor([2], [0.5, 1], dtype: .float16).description == "tensor([0.5, 1.0], dtype=float16)")
        #expect(tensor([1], [0.25], dtype: .bfloat16).description == "tensor([0.25], dtype=bfloat16)")
        // torch: tensor([1., 2.], requires_grad=True)
        #expect(tensor32([2], [1, 2]).requiringGradient().description == "tensor([1.0, 2.0], requiresGradient)")
        #expect(tensor32([1], [1]).debugDescription == "Tensor(shape: [1], dtype: float32, device: cpu)\ntensor([1.0])")
    }

    @Test func largeTensorsAreSummarised() {
        // torch: tensor([   0,    1,    2,  ..., 1997, 1998, 1999])
        #expect(Tensor.arange(0, 2000).description == "tensor([0, 1, 2, ..., 1997, 1998, 1999])")
        // 1000 elements print in full; 1001 are summarised (PyTorch's threshold).
        let full = Tensor.arange(0, 1000).description
        #expect(!full.contains("...") && full.hasSuffix("998, 999])") && full.hasPrefix("tensor([0, 1, 2, 3, "))
        #expect(Tensor.arange(0, 1001).description == "tensor([0, 1, 2, ..., 998, 999, 1000])")
        // torch (same structure, different number format):
        // tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01, 4.9000e+01],
        //         [5.0000e+01, ...], [1.0000e+02, ...], ..., [1.8500e+03, ...], ...])
        let m = Tensor.arange(0, 2000, dtype: .float32).reshaped(to: [40, 50])
        let expected = """
            tensor([[0.0, 1.0, 2.0, ..., 47.0, 48.0, 49.0],
                    [50.0, 51.0, 52.0, ..., 97.0, 98.0, 99.0],
                    [100.0, 101.0, 102.0, ..., 147.0, 148.0, 149.0],
                    ...,
                    [1850.0, 1851.0, 1852.0, ..., 1897.0, 1898.0, 1899.0],
                    [1900.0, 1901.0, 1902.0, ..., 1947.0, 1948.0, 1949.0],
                    [1950.0, 1951.0, 1952.0, ..., 1997.0, 1998.0, 1999.0]])
            """
        #expect(m.description == expected)
        // A short dimension is not cut, even in a summarised tensor.
        let s = Tensor.arange(0, 1200).reshaped(to: [400, 3])
        #expect(s.description.hasPrefix("tensor([[0, 1, 2],\n        [3, 4, 5],\n        [6, 7, 8],\n        ...,\n        [1191, 1192, 1193],"))
    }
}
