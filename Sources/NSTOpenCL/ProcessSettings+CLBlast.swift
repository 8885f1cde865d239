// ProcessSettings+CLBlast: CLBlast's kernel parameters, a process-wide setting of the OpenCL backend.
import COpenCL
import Foundation
import NSTCore

extension ProcessSettings {
    /// Registers, once, an exit handler that empties CLBlast's program cache. Left to
    /// itself, CLBlast releases its cached programs in its library destructor, after the
    /// exit handlers; by then an OpenCL driver that tears itself down earlier (Oclgrind's
    /// runtime does) has freed what those programs point into, and the process aborted with
    /// heap corruption after a finished run (status 134, issue 25). Exit handlers run before
    /// library destructors, so the cache is emptied while the driver still stands.
    static let clearCLBlastCacheAtExit: Void = {
        atexit { _ = CLBlastClearCache() }
    }()

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
