// OpenCLDevice+Tuning: where an OpenCL device's tuned parameters come from (its file, a shipped entry, the defaults), and handing its CLBlast parameters to CLBlast on request.
import Foundation
import NSTCore

/// Where `OpenCLDevice` takes its tuned parameters from.
public enum OpenCLTuningSource: Sendable {
    /// The file `nst tune` stored for the device and driver (`OpenCLTuning.defaultURL`), when
    /// valid; else the nearest shipped entry (`OpenCLTuningDatabase.shipped`); else none.
    /// `NST_TUNING` (`ProcessSettings.tuningPolicy`) may rule out the file, or both.
    case stored
    /// The file stored under the cache root `root` (as `NST_CACHE_DIR` would name it), when
    /// valid; else the nearest entry of `database`; else none.
    case storedIn(root: URL, database: OpenCLTuningDatabase = .shipped)
    /// No tuning: CLBlast's and the kernels' defaults.
    case none
    /// These values (checked with `OpenCLTuning.validate`; invalid values are ignored).
    case given(OpenCLTuning)
}

/// Where the tuning a device runs with came from; `label` is what `nst devices` prints.
public enum OpenCLTuningOrigin: Sendable, Equatable {
    /// The device's own tuning file (`nst tune`), at this path.
    case file(path: String)
    /// The shipped database's entry of this name (`OpenCLTuningDatabase.nearest`).
    case shipped(entry: String, match: OpenCLTuningDatabase.Match)
    /// Values handed over by the caller (`OpenCLTuningSource.given`).
    case given
    /// No tuning: CLBlast's and the kernels' defaults, the GEMM engine by the kind of device.
    case defaults

    /// "tuned (file)", "shipped: <entry>", "given" or "defaults".
    public var label: String {
        switch self {
        case .file: return "tuned (file)"
        case .shipped(let entry, _): return "shipped: \(entry)"
        case .given: return "given"
        case .defaults: return "defaults"
        }
    }
}

extension OpenCLDevice {
    /// The tuning `source` gives `info`'s device and where it came from, without opening
    /// the device (`nst devices` asks this; the device's `init` uses the same answer). A
    /// tuning file that is missing, unreadable or invalid for the device is passed over,
    /// so the shipped entry or the defaults apply.
    public static func tuning(for info: OpenCLDeviceInfo, source: OpenCLTuningSource = .stored)
        -> (tuning: OpenCLTuning?, origin: OpenCLTuningOrigin) {
        func storedOrShipped(_ url: URL?, _ database: OpenCLTuningDatabase) -> (OpenCLTuning?, OpenCLTuningOrigin) {
            // NST_TUNING (`ProcessSettings.tuningPolicy`) may rule out the file, or both.
            let policy = ProcessSettings.tuningPolicy
            if policy == .defaults { return (nil, .defaults) }
            if policy == .auto, let url, let tuning = OpenCLTuning.load(from: url, for: info) { return (tuning, .file(path: url.path)) }
            if let shipped = database.tuning(for: info.identity) {
                return (shipped.tuning, .shipped(entry: shipped.entry.name, match: shipped.match))
            }
            return (nil, .defaults)
        }
        switch source {
        case .none: return (nil, .defaults)
        case .stored: return storedOrShipped(OpenCLTuning.defaultURL(for: info), .shipped)
        case .storedIn(let root, let database): return storedOrShipped(OpenCLTuning.url(in: root, for: info), database)
        case .given(let tuning): return (try? tuning.validate(for: info)) != nil ? (tuning, .given) : (nil, .defaults)
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
