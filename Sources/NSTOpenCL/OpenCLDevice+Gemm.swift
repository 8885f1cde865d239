// OpenCLDevice+Gemm: every matrix product of the backend, through CLBlast or the project's own register-tiled kernels.
import COpenCL
import NSTCore

extension OpenCLDevice {
    /// Row-major SGEMM `C = alpha op(A) op(B) + beta C` with offsets and leading dimensions
    /// in floats, through the engine this device uses (`usesProjectGemm`). With `bPacked`,
    /// `b` already holds B in `gemm.cl`'s panel layout (from `im2col_packed`; project
    /// engine only, `transB` false).
    func sgemm(_ op: String, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float,
               a: cl_mem, aOffset: Int = 0, lda: Int, b: cl_mem, bOffset: Int = 0, ldb: Int,
               beta: Float, c: cl_mem, cOffset: Int = 0, ldc: Int, bPacked: Bool = false) throws {
        // The project kernels trust these; CLBlast checks them too, but the message should not depend on the engine.
        guard m >= 0, n >= 0, k >= 0, lda >= max(1, transA ? m : k), ldb >= max(1, transB ? k : n), ldc >= max(1, n),
              aOffset >= 0, bOffset >= 0, cOffset >= 0 else {
            throw DeviceError.invalidArgument(op: op, detail: "matrix product \(m)x\(n)x\(k) with leading dimensions "
                + "\(lda), \(ldb), \(ldc) or offsets \(aOffset), \(bOffset), \(cOffset) that do not fit")
        }
        guard m > 0, n > 0 else { return }
        // CLBlast refuses k = 0 (C = beta C); the project kernels take it. They have no A^T B^T form.
        if (usesProjectGemm || k == 0), !(transA && transB) {
            try projectSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, aOffset: aOffset,
                             lda: lda, b: b, bOffset: bOffset, ldb: ldb, beta: beta, c: c, cOffset: cOffset, ldc: ldc,
                             bPacked: bPacked)
        } else {
            try clblastSgemm(op, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, aOffset: aOffset,
                             lda: lda, b: b, bOffset: bOffset, ldb: ldb, beta: beta, c: c, cOffset: cOffset, ldc: ldc)
        }
    }

    /// Floats of B (`k` rows, `n` columns) in the packed panel layout.
    func packedCount(k: Int, n: Int) -> Int {
        k * roundUp(n, to: gemmTiles.panel)
    }

    /// The product through `Kernels/gemm.cl`: B packed into panels first (unless it is),
    /// then one work-item per register tile of C.
    private func projectSgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                              a: cl_mem, aOffset: Int, lda: Int, b: cl_mem, bOffset: Int, ldb: Int,
                              beta: Float, c: cl_mem, cOffset: Int, ldc: Int, bPacked: Bool) throws {
        let t = gemmTiles
        let local = gemmGroup > 0 ? [gemmGroup, 1] : nil
        func grid(_ x: Int, _ y: Int) -> [Int] { [gemmGroupsAlongX(x), y] }
        if transB {
            try context.launch(try context.kernel("gemm", "gemm_nt"), "gemm_nt",
                               global: grid((n + t.ntColumns - 1) / t.ntColumns, (m + t.ntRows - 1) / t.ntRows), local: local,
                               args: [.int(m), .int(n), .int(k), .float(alpha), .buffer(a), .int(aOffset), .int(lda),
                                      .buffer(b), .int(bOffset), .int(ldb), .float(beta), .buffer(c), .int(cOffset), .int(ldc)])
            return
        }
        let panels = (n + t.panel - 1) / t.panel
        var packed = b
        if !bPacked {
            packed = try scratchBuffer(count: packedCount(k: k, n: n), role: .gemmPacked)
            try context.launch(try context.kernel("gemm", "gemm_pack_b"), "gemm_pack_b", global: [k, panels], local: nil,
                               args: [.int(n), .int(k), .buffer(b), .int(bOffset), .int(ldb), .buffer(packed)])
        }
        let name = transA ? "gemm_tn" : "gemm_nn"
        try context.launch(try context.kernel("gemm", name), name, global: grid((m + t.rows - 1) / t.rows, panels),
                           local: local,
                           args: [.int(m), .int(n), .int(k), .float(alpha), .buffer(a), .int(aOffset), .int(lda),
                                  .buffer(packed), .float(beta), .buffer(c), .int(cOffset), .int(ldc)])
    }

    /// `x` work-items rounded up to whole work-groups when a group size is set (the
    /// project's GEMM kernels skip the extra items).
    private func gemmGroupsAlongX(_ x: Int) -> Int {
        gemmGroup > 0 ? roundUp(x, to: gemmGroup) : x
    }

    /// `batch` products `C[z] = A[z] B[z]` through `Kernels/gemm.cl` in one launch, with B
    /// already in packed panels (`packedCount(k:n:)` floats each): A[z] `[m,k]` row-major at
    /// `z * strideA`, B[z] at `z * strideB`, C[z] `[m,n]` row-major at `z * strideC`.
    func batchedPackedSgemm(m: Int, n: Int, k: Int, batch: Int, a: cl_mem, strideA: Int, packed: cl_mem, strideB: Int,
                            c: cl_mem, strideC: Int) throws {
        guard m > 0, n > 0, batch > 0 else { return }
        let t = gemmTiles, panels = (n + t.panel - 1) / t.panel
        let global = [gemmGroupsAlongX((m + t.rows - 1) / t.rows), panels, batch]
        try context.launch(try context.kernel("gemm", "gemm_nn_batched"), "gemm_nn_batched", global: global,
                           local: gemmGroup > 0 ? [gemmGroup, 1, 1] : nil,
                           args: [.int(m), .int(n), .int(k), .float(1), .buffer(a), .int(0), .int(k),
                                  .buffer(packed), .float(0), .buffer(c), .int(0), .int(n),
                                  .int(strideA), .int(strideB), .int(strideC)])
    }

    /// The product through CLBlast.
    private func clblastSgemm(_ op: String, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                              a: cl_mem, aOffset: Int, lda: Int, b: cl_mem, bOffset: Int, ldb: Int,
                              beta: Float, c: cl_mem, cOffset: Int, ldc: Int) throws {
        var queue: cl_command_queue? = context.queue
        let ta = transA ? CLBlastTransposeYes : CLBlastTransposeNo, tb = transB ? CLBlastTransposeYes : CLBlastTransposeNo
        // CLBlast pads and transposes operands into a temporary buffer; hand it a kept one
        // so that it does not allocate one per call.
        var bytes = 0
        let sized = CLBlastSGemmTempBufferSize(CLBlastLayoutRowMajor, ta, tb, m, n, k, aOffset, lda, bOffset, ldb,
                                               cOffset, ldc, &queue, &bytes)
        let status: CLBlastStatusCode
        if sized == CLBlastSuccess, bytes > 0 {
            let temp = try scratchBuffer(count: (bytes + 3) / 4, role: .gemmTemp)
            status = CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
                                                beta, c, cOffset, ldc, &queue, nil, temp)
        } else {
            status = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
                                  beta, c, cOffset, ldc, &queue, nil)
        }
        try OpenCLStatus.check(Int32(status.rawValue), "CLBlastSgemm(\(op), m \(m), n \(n), k \(k))")
    }
}
