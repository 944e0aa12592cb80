import COpenBLAS

import CWeftShims
#if canImport(Glibc)
import Glibc
#endif

let useDNNLGemm = getenv("WEFT_GEMM").map { String(cString: $0) } != "openblas"

extension CPUBackend {
    /// C[b] = op(A[b]) · op(B[b]) through OpenBLAS sgemm/dgemm. A and B are rank 2 or 3; a rank-2
    /// operand (or batch 1) is shared by every batch. When B is shared and A is not transposed,
    /// the batch folds into M (one large GEMM instead of many small ones).
    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let ba = a.rank == 3 ? a.shape[0] : 1, bb = b.rank == 3 ? b.shape[0] : 1
        let batch = Swift.max(ba, bb)
        let ar = a.shape.suffix(2), br = b.shape.suffix(2)
        let m = transposeA ? ar.last! : ar.first!, k = transposeA ? ar.first! : ar.last!
        let n = transposeB ? br.first! : br.last!
        let kb = transposeB ? br.last! : br.first!
        precondition(k == kb, "matmul: inner dimensions differ: \(shapeString(a.shape)) and \(shapeString(b.shape))")
        let outShape = (a.rank == 3 || b.rank == 3) ? [batch, m, n] : [m, n]
        let out = Tensor(empty: outShape, dtype: a.dtype)
        if m == 0 || n == 0 { return out }
        if k == 0 { var o = out; o.fillScalar(0); return o }
        let lda = ar.last!, ldb = br.last!
        var mm = m, bCount = batch
        if bb == 1 && !transposeA && ba == batch { mm = m * batch; bCount = 1 }   // fold the batch
        let ta = transposeA ? CblasTrans : CblasNoTrans, tb = transposeB ? CblasTrans : CblasNoTrans
        let aStride = ba == 1 ? 0 : m * k, bStride = bb == 1 ? 0 : k * n
        switch a.dtype {
        case .float32:
            let pa = a.ptr(Float.self), pb = b.ptr(Float.self), pc = out.ptr(Float.self)
            for i in 0..<bCount {
                if useDNNLGemm {
                    DNNLGemm.sgemm(transA: transposeA, transB: transposeB, m: mm, n: n, k: k, alpha: 1, a: pa + i * aStride, lda: lda,
                                   b: pb + i * bStride, ldb: ldb, beta: 0, c: pc + i * m * n, ldc: n)
                } else {
                    cblas_sgemm(CblasRowMajor, ta, tb, Int32(mm), Int32(n), Int32(k), 1, pa + i * aStride, Int32(lda),
                                pb + i * bStride, Int32(ldb), 0, pc + i * m * n, Int32(n))
                }
            }
        case .float64:
            let pa = a.ptr(Double.self), pb = b.ptr(Double.self), pc = out.ptr(Double.self)
            for i in 0..<bCount {
                cblas_dgemm(CblasRowMajor, ta, tb, Int32(mm), Int32(n), Int32(k), 1, pa + i * aStride, Int32(lda),
                            pb + i * bStride, Int32(ldb), 0, pc + i * m * n, Int32(n))
            }
        default:
            unsupported("matmul", a.dtype)
        }
        return out
    }
}
