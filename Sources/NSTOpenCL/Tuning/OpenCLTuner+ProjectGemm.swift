// OpenCLTuner+ProjectGemm: choosing the register tiles and work-group width of Kernels/gemm.cl by timing them on a workload.
import Dispatch
import NSTCore

extension OpenCLTuner {
    /// Tiles of the `A B` and `A^T B` kernels to try, the standard first: 6x16 and 4x16 fill
    /// AVX2's 16 vector registers, 8x8 and 4x24 are other shapes of about that many
    /// accumulators, 6x32 and 4x32 (16-wide) suit AVX-512's 32 registers, 4x16 of 4-wide
    /// vectors suits 128-bit SIMD.
    static let projectTiles: [(rows: Int, vectors: Int, width: Int)] = [
        (6, 2, 8), (4, 2, 8), (8, 1, 8), (4, 3, 8), (6, 2, 16), (4, 2, 16), (4, 4, 4),
    ]
    /// Tiles of the `A B^T` kernel to try.
    static let projectNTTiles: [(rows: Int, columns: Int)] = [(3, 4), (4, 3), (2, 4), (4, 4)]
    /// Work-group widths to try (0: the driver's choice).
    static let projectGroups = [0, 1, 4, 16]

    /// The fastest tiles and group width of `Kernels/gemm.cl` for `workload`, tried in
    /// three rounds (tiles of the `A B`/`A^T B` kernels, then of `A B^T`, then the group
    /// width), each keeping the best of the round before; stops early after `budget`
    /// seconds. Returns the tiles, the group width (for `OpenCLGemmEngine.projectKernels`)
    /// and the seconds of the real products with them.
    public func searchProjectGemm(info: OpenCLDeviceInfo, workload: Workload, budget: Double) throws
        -> (tiles: OpenCLGemmTiles, group: Int, seconds: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var best = (tiles: OpenCLGemmTiles.standard, group: 0, seconds: Double.infinity)
        func attempt(_ tiles: OpenCLGemmTiles, group: Int) {
            guard group <= info.maxWorkGroupSize else { return }
            let tuning = OpenCLTuning(info: info, gemmEngine: .projectKernels(group: group), gemmTiles: tiles)
            // A driver may refuse a shape (too many registers, say): skip it, as the search does CLBlast's.
            guard let device = try? OpenCLDevice(info: info, tuning: .given(tuning)),
                  let time = try? seconds(workload, on: device) else {
                log("  \(tiles), group \(group): failed on this device, skipped")
                return
            }
            log(String(format: "  %.1f GFLOP/s  tiles %@, group %@", workload.flops / time / 1e9, tiles.description,
                       group == 0 ? "driver's" : String(group)))
            if time < best.seconds { best = (tiles, group, time) }
        }
        for t in Self.projectTiles where elapsed() < budget || best.seconds == .infinity {
            var tiles = OpenCLGemmTiles.standard
            tiles.rows = t.rows; tiles.vectors = t.vectors; tiles.width = t.width
            attempt(tiles, group: 0)
        }
        let base = best.tiles
        for t in Self.projectNTTiles where elapsed() < budget && (t.rows, t.columns) != (base.ntRows, base.ntColumns) {
            var tiles = base
            tiles.ntRows = t.rows; tiles.ntColumns = t.columns
            attempt(tiles, group: 0)
        }
        let chosen = best.tiles
        for group in Self.projectGroups where elapsed() < budget && group != 0 { attempt(chosen, group: group) }
        guard best.seconds.isFinite else {
            throw DeviceError.backend("OpenCL tuning: no tile size of Kernels/gemm.cl ran on \(info.name)")
        }
        return (best.tiles, best.group, best.seconds)
    }
}
