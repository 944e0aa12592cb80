import CDNNL

/// Row-major single-precision GEMM through oneDNN (`dnnl_sgemm`, the same call in 2.x and 3.x).
/// It runs on oneDNN's OpenMP threads, the pool the convolutions use, instead of OpenBLAS's own
/// pthreads, whose idle threads spin in `sched_yield` and take the cores from Weft's loops.
enum DNNLGemm {
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let status = dnnl_sgemm(CChar(UInt8(ascii: transA ? "T" : "N")), CChar(UInt8(ascii: transB ? "T" : "N")),
                                Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        precondition(status == dnnl_success, "dnnl_sgemm failed with status \(status.rawValue) for \(m)×\(k) · \(k)×\(n)")
    }
}
