// OpenCLDevice+Tuning: where an OpenCL device's tuned parameters come from, and handing its CLBlast parameters to CLBlast on request.
import Foundation
import NSTCore

/// Where `OpenCLDevice` takes its tuned parameters from.
public enum OpenCLTuningSource: Sendable {
    /// The file `nst tune` stored for the device and driver (`OpenCLTuning.defaultURL`), when valid.
    case stored
    /// The file stored under the cache root `root` (as `NST_CACHE_DIR` would name it), when valid.
    case storedIn(root: URL)
    /// No tuning: CLBlast's and the kernels' defaults.
    case none
    /// These values (checked with `OpenCLTuning.validate`; invalid values are ignored).
    case given(OpenCLTuning)
}

extension OpenCLDevice {
    /// The valid tuning `source` names for `info`, or nil.
    static func resolve(_ source: OpenCLTuningSource, info: OpenCLDeviceInfo) -> OpenCLTuning? {
        switch source {
        case .none: return nil
        case .stored: return OpenCLTuning.defaultURL(for: info).flatMap { OpenCLTuning.load(from: $0, for: info) }
        case .storedIn(let root): return OpenCLTuning.load(from: OpenCLTuning.url(in: root, for: info), for: info)
        case .given(let tuning): return (try? tuning.validate(for: info)) != nil ? tuning : nil
        }
    }

    /// Hands this device's tuned CLBlast parameters (`tuning?.clblast`) to CLBlast, which
    /// opening the device does not do because they hold for the whole process: every
    /// `OpenCLDevice` on the same OpenCL device runs with the parameters of the last call
    /// (see `ProcessSettings.overrideCLBlastParameters`). `DeviceSelection.makeDevice`
    /// calls it; call it after opening a tuned device yourself. Without tuned parameters it
    /// changes nothing.
    /// - Returns: the refused sets, as `kernel: status`.
    @discardableResult
    public func applyCLBlastTuning() -> [String] {
        ProcessSettings.overrideCLBlastParameters(tuning?.clblast ?? [:], device: info)
    }
}
