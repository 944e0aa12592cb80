import Testing
@testable import Weft

// einsum against torch.einsum (TorchEinsumReference.swift, PyTorch float64, operands
// pattern(shape, 5 + 2·i, 3 + i) for operand i):
//
//   import torch; torch.set_default_dtype(torch.float64)
//   pattern = lambda shape, a, b: torch.tensor([((i * a + b) % 23 - 11) / 8 for i in range(prod(shape))]).reshape(shape)
//   for eq, shapes in cases: out = torch.einsum(eq, *[pattern(s, 5 + 2 * i, 3 + i) for i, s in enumerate(shapes)])
//
// The cases cover matrix and batched products, "..." (also of different ranks, and broadcast
// against each other), diagonals and the trace, transposes, full contractions, outer products,
// three operands, size-1 broadcasting and numpy's implicit output. Gradients: central differences.

@Suite("einsum")
struct EinsumTests {
    @Test("Values equal torch.einsum", arguments: 0..<TorchEinsumReference.cases.count)
    func values(_ k: Int) {
        let (eq, shapes, outShape, ref) = TorchEinsumReference.cases[k]
        let ops = shapes.enumerated().map { patterned($0.element, 5 + 2 * $0.offset, 3 + $0.offset) }
        let y = einsum(eq, ops)
        #expect(y.shape == outShape, "\(eq)")
        expectClose(y.doubles, ref, rtol: 1e-12, atol: 1e-12, "\(eq)")
        // float32 operands give float32 results.
        let y32 = einsum(eq, ops.map { $0.cast(to: .float32) })
        #expect(y32.dtype == .float32)
        expectClose(y32.doubles, ref, rtol: 1e-5, atol: 1e-5, "\(eq) float32")
    }

    @Test("Gradients of every operand against central differences", arguments: 0..<TorchEinsumReference.cases.count)
    func gradients(_ k: Int) {
        let (eq, shapes, _, _) = TorchEinsumReference.cases[k]
        let ops = shapes.enumerated().map { tensor($0.element, fixedRandom($0.element.elementCount, seed: UInt64(7 + $0.offset))) }
        checkGradients({ einsum(eq, $0) }, at: ops, h: 1e-6, rtol: 1e-6, atol: 1e-7, "\(eq)")
    }

    @Test("It is the matmul and the sums it stands for")
    func identities() {
        let a = patterned([3, 4], 5, 1), b = patterned([4, 2], 7, 2)
        #expect(einsum("ij,jk->ik", a, b).doubles == matmul(a, b).doubles)
        #expect(einsum("ij->", a).doubles == a.sum().doubles)
        #expect(einsum("ij->j", a).doubles == a.sum(alongAxes: [0]).doubles)
        #expect(einsum("ij->ji", a).doubles == a.transposed().doubles)
        // Spaces are ignored; upper-case labels are labels.
        #expect(einsum(" iJ , Jk -> ik ", a, b).doubles == matmul(a, b).doubles)
    }
}
