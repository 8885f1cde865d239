// ProcessSettings: the library settings that hold for the whole process rather than one device (OpenBLAS's threads, CLBlast's parameters), made by explicit calls.
import CBLAS
import COpenCL
import Foundation

/// Settings of the libraries the backends call that hold for the whole process, not for
/// one device object. They are made by these calls, whose names say what they change,
/// rather than as side effects of opening a device.
public enum ProcessSettings {
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

    /// Overrides CLBlast's single-precision parameters of each kernel in `parameters`
    /// (kernel name, such as `Xgemm`, to its full parameter set) for `info`'s device.
    ///
    /// Process-wide: CLBlast keeps one parameter set per OpenCL device for the whole
    /// process, so this changes the products of every `OpenCLDevice` open on that device,
    /// the last call wins, and there is no way back to CLBlast's defaults. A set CLBlast
    /// refuses is skipped, leaving that kernel's previous parameters.
    /// - Returns: the refused sets, as `kernel: status`.
    @discardableResult
    public static func overrideCLBlastParameters(_ parameters: [String: [String: Int]],
                                                 device info: OpenCLDeviceInfo) -> [String] {
        var refused: [String] = []
        for (kernel, values) in parameters.sorted(by: { $0.key < $1.key }) {
            let pairs = values.sorted { $0.key < $1.key }
            let names = pairs.map { strdup($0.key) }
            defer { names.forEach { free($0) } }
            var pointers: [UnsafePointer<CChar>?] = names.map { UnsafePointer($0) }
            var numbers = pairs.map { $0.value }
            let status = CLBlastOverrideParameters(info.deviceID, kernel, CLBlastPrecisionSingle, pairs.count,
                                                   &pointers, &numbers)
            if status != CLBlastSuccess { refused.append("\(kernel): \(status.rawValue)") }
        }
        return refused
    }
}
