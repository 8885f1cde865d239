// OpenCLDevice+Gram: the Gram product A A^T / (H W), split along the pixels into batched slices where its few output tiles would leave a GPU idle.
import COpenCL
import NSTCore

extension OpenCLDevice {
    /// Most floats of partial Gram matrices held at once (4 MiB).
    static let gramSliceLimit = 1 << 20

    /// How many slices of the pixels a `c x c` Gram of `k` pixels is split into: enough
    /// that the slices' 64x64 output tiles give every compute unit two, with slices of at
    /// least 2048 pixels, within `gramSliceLimit`; 1 (no split) with the project's GEMM
    /// kernels, whose dot-product work-items already cover a CPU's cores.
    func gramSlices(c: Int, k: Int) -> Int {
        guard !usesProjectGemm, c > 0 else { return 1 }
        let tiles = ((c + 63) / 64) * ((c + 63) / 64)
        let wanted = max(1, 2 * info.computeUnits / tiles)
        return max(1, min(wanted, k / 2048, Self.gramSliceLimit / (c * c)))
    }

    /// `out [c,c] = A A^T / hw` for `a` holding `[c, hw]`. Split into `gramSlices` batched
    /// products of equal length whose partial matrices are then added up (a 64-channel
    /// Gram of 262144 pixels is one CLBlast work-group otherwise, one compute unit busy
    /// while the others idle; see BENCHMARKS.md), and the remainder of the pixels added last.
    func gramProduct(_ op: String, a: cl_mem, c: Int, hw: Int, out: cl_mem) throws {
        let slices = gramSlices(c: c, k: hw)
        let alpha = 1 / Float(hw)
        guard slices > 1 else {
            return try sgemm(op, transB: true, m: c, n: c, k: hw, alpha: alpha, a: a, lda: hw, b: a, ldb: hw,
                             beta: 0, c: out, ldc: c)
        }
        let length = hw / slices, rest = hw - slices * length
        let partials = try scratchBuffer(count: slices * c * c, role: .gramSlices)
        var queue: cl_command_queue? = context.queue
        let status = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                                                c, c, length, alpha, a, 0, hw, length, a, 0, hw, length,
                                                0, partials, 0, c, c * c, slices, &queue, nil)
        try OpenCLStatus.check(Int32(status.rawValue), "CLBlastSgemmStridedBatched(\(op), \(slices) slices of \(c)x\(c)x\(length))")
        try run("reduce", "sum_slices", count: c * c, [.buffer(partials), .buffer(out), .int(c * c), .int(slices)])
        if rest > 0 {
            let offset = slices * length
            try sgemm(op, transB: true, m: c, n: c, k: rest, alpha: alpha, a: a, aOffset: offset, lda: hw,
                      b: a, bOffset: offset, ldb: hw, beta: 1, c: out, ldc: c)
        }
    }
}
