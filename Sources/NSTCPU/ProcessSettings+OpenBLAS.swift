// ProcessSettings+OpenBLAS: OpenBLAS's thread count (a process-wide setting of the CPU backend) and the kernels it chose.
import CBLAS
import NSTCore

extension ProcessSettings {
    /// Puts OpenBLAS in single-threaded mode; only the first call does anything.
    ///
    /// OpenBLAS's own threads spin and yield while they wait for work and fight the CPU
    /// backend's workers for the cores, so the backend splits products over the cores
    /// itself (see `Gemm`). `nst` calls this at start-up; the CPU backend calls it before
    /// its first product too, so that a program using the library without calling it gets
    /// the same behaviour.
    public static func useSingleThreadedOpenBLAS() { _ = openBLASSingleThreaded }

    /// A `static let` runs its initialiser once, thread-safely, on first use.
    private static let openBLASSingleThreaded: Void = { openblas_set_num_threads(1) }()

    /// The kernels OpenBLAS runs ("Cooperlake", "SkylakeX", "Haswell", ...): its own choice
    /// for the CPU, or the one `OPENBLAS_CORETYPE` forces. Shown by `nst devices`, since the
    /// choice moves the CPU backend's speed by a fifth on AVX-512 machines.
    public static var openBLASCore: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }
}
