// OpenCLDevice+Tuning: where an OpenCL device's tuned parameters come from, and handing CLBlast's to CLBlast.
import COpenCL
import Foundation

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

    /// Overrides CLBlast's single-precision parameters of each kernel in `parameters` for
    /// `info`'s device (process-wide: CLBlast keeps them per device). A set CLBlast refuses
    /// is skipped, leaving that kernel's previous parameters.
    @discardableResult
    static func applyCLBlast(_ parameters: [String: [String: Int]], device info: OpenCLDeviceInfo) -> [String] {
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
