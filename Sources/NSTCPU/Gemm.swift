// Gemm: row-major SGEMM through single-threaded OpenBLAS, split over the cores by the CPU backend itself.
import CBLAS
import NSTCore

/// Matrix products for the CPU backend.
///
/// OpenBLAS's own threads spin and yield while they wait for work, and fight the
/// backend's Dispatch workers for the cores (a third of the time went to
/// `sched_yield` in a profile). So OpenBLAS runs single-threaded
/// (`ProcessSettings.useSingleThreadedOpenBLAS`), and products are
/// split into independent blocks of C that `Parallel` spreads over the cores.
enum Gemm {
    /// `C[m,n] = alpha * op(A) op(B) + beta * C`, row-major, with `op` a transpose when
    /// `transA`/`transB`; `lda`, `ldb`, `ldc` are row strides as in CBLAS.
    static func multiply(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                         _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                         beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        ProcessSettings.useSingleThreadedOpenBLAS()
        guard m > 0, n > 0 else { return }
        let threads = CPUDevice.coreCount
        let work = m * n * max(k, 1)
        // Split the longer side of C into column (or row) blocks, at least 32 wide.
        let byColumns = n >= m
        let side = byColumns ? n : m
        let parts = work < 1 << 18 ? 1 : max(1, min(threads, side / 32))
        let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
        Parallel.forEach(parts, costPerItem: 1 << 20) { part in
            // Blocks rounded to multiples of 16 keep the SIMD kernels on full panels.
            let lo = (side * part / parts) & ~15, hi = part == parts - 1 ? side : (side * (part + 1) / parts) & ~15
            guard hi > lo else { return }
            if byColumns {
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(hi - lo), Int32(k), alpha, a, Int32(lda),
                            b + (transB ? lo * ldb : lo), Int32(ldb), beta, c + lo, Int32(ldc))
            } else {
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(hi - lo), Int32(n), Int32(k), alpha,
                            a + (transA ? lo : lo * lda), Int32(lda), b, Int32(ldb), beta, c + lo * ldc, Int32(ldc))
            }
        }
    }
}
