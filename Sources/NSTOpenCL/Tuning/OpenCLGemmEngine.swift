// OpenCLGemmEngine: which code runs an OpenCL device's matrix products, CLBlast or the project's Kernels/gemm.cl.
import NSTCore

/// Which code runs an OpenCL device's matrix products.
///
/// Stored in a tuning file as `GEMM_KERNELS` (0: CLBlast, 1: gemm.cl) and, for gemm.cl,
/// `GEMM_GROUP` (see `OpenCLTuning`'s JSON form).
public enum OpenCLGemmEngine: Hashable, Sendable {
    /// CLBlast's kernels, with the tuning's CLBlast parameters where it has any.
    case clblast
    /// The project's register-tiled kernels in `Kernels/gemm.cl`, launched in work-groups
    /// `group` work-items wide along the columns (0 leaves the width to the driver).
    case projectKernels(group: Int)

    /// The engine of a device without a tuned choice: gemm.cl on CPU devices, CLBlast on
    /// others. CLBlast's kernels stage tiles in local memory, which CPU drivers emulate at a
    /// loss; GPUs have it in hardware, where CLBlast wins (BENCHMARKS.md has `nst tune`'s figures).
    /// Oclgrind's simulated device (a "GPU") gets the project's kernels too: CLBlast's host
    /// code corrupts the heap under that driver (the abort at exit of issue 25; never seen in
    /// runs with the project's kernels, nor under ASan), and the project's kernels are the
    /// ones it is there to check.
    public static func untuned(for info: OpenCLDeviceInfo) -> OpenCLGemmEngine {
        info.type == "CPU" || info.platformName.hasPrefix("Oclgrind") ? .projectKernels(group: 0) : .clblast
    }

    /// Whether the products run in `Kernels/gemm.cl`.
    public var usesProjectKernels: Bool {
        if case .projectKernels = self { return true }
        return false
    }

    /// Work-group width of the gemm.cl kernels (0: the driver's choice, and always 0 for CLBlast).
    public var group: Int {
        if case .projectKernels(let group) = self { return group }
        return 0
    }
}
