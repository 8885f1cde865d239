// ProcessSettings+CPUKernels: which instruction set the CPU backend's C kernels use: the best the processor has, or the one NST_CPU_KERNELS names.
import CKernels
import NSTCore

extension ProcessSettings {
    /// The kernel variants' names, in `nst_isa` order.
    static let cpuKernelNames = ["generic", "avx2", "avx512"]

    /// The variant of the CPU backend's own kernels (`CKernels`) in use: "avx512", "avx2" or
    /// "generic". Shown by `nst devices` and `nst bench`.
    public static var cpuKernels: String { cpuKernelNames[Int(nst_kernels_isa().rawValue)] }

    /// Applies the environment variable `NST_CPU_KERNELS` ("generic", "avx2" or "avx512"),
    /// which picks a variant below the processor's best, to measure what a machine without
    /// AVX-512 would get. Unset or empty, the best variant stays.
    /// - Throws: `DeviceError.invalidArgument` naming the variable for any other value, or a
    ///   variant this processor cannot run.
    public static func useCPUKernels(fromEnvironment environment: [String: String]) throws {
        guard let value = environment["NST_CPU_KERNELS"], !value.isEmpty else { return }
        guard let wanted = cpuKernelNames.firstIndex(of: value.lowercased()) else {
            throw DeviceError.invalidArgument(op: "NST_CPU_KERNELS", detail:
                "unknown kernel variant '\(value)' (use \(cpuKernelNames.joined(separator: ", ")))")
        }
        let best = Int(nst_kernels_best_isa().rawValue)
        guard wanted <= best else {
            throw DeviceError.invalidArgument(op: "NST_CPU_KERNELS", detail:
                "this processor cannot run the \(value) kernels (the best it has: \(cpuKernelNames[best]))")
        }
        nst_kernels_use_isa(Int32(wanted))
    }
}
