// ProcessSettings+Tuning: NST_TUNING, which makes every OpenCL device of the process run with the defaults or the shipped entry whatever tuning file exists.
import NSTCore
import Synchronization

/// Which tunings `OpenCLTuningSource.stored` may use (`NST_TUNING`).
public enum OpenCLTuningPolicy: String, Sendable, CaseIterable {
    /// The device's tuning file, else the nearest shipped entry, else the defaults (unset).
    case auto
    /// The nearest shipped entry, else the defaults: a tuning file is ignored.
    case shipped
    /// The defaults of CLBlast and the kernels: files and shipped entries are ignored.
    case defaults
}

extension ProcessSettings {
    private static let tuningPolicyState = Mutex(OpenCLTuningPolicy.auto)

    /// The process's tuning policy (`auto` unless `useTuningPolicy(fromEnvironment:)` set another).
    public static var tuningPolicy: OpenCLTuningPolicy { tuningPolicyState.withLock { $0 } }

    /// Applies the environment variable `NST_TUNING` (auto, shipped or defaults), so that the
    /// bench can compare the untuned, shipped and tuned settings of one device on one machine.
    /// Unset or empty means auto.
    /// - Throws: `DeviceError.invalidArgument` naming the variable for any other value.
    public static func useTuningPolicy(fromEnvironment environment: [String: String]) throws {
        let value = environment["NST_TUNING"] ?? ""
        guard let policy = value.isEmpty ? .auto : OpenCLTuningPolicy(rawValue: value.lowercased()) else {
            throw DeviceError.invalidArgument(op: "NST_TUNING", detail:
                "unknown tuning policy '\(value)' (use \(OpenCLTuningPolicy.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        tuningPolicyState.withLock { $0 = policy }
    }
}
