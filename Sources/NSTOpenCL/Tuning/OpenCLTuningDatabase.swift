// OpenCLTuningDatabase: the shipped tuning entries (Tuning/Database/*.json, embedded at build time) and the one rule that picks the nearest for a device.
import NSTCore

/// Tuned settings shipped inside `nst`, per device family, in the spirit of CLBlast's
/// database: what a device gets when no tuning file of its own exists.
///
/// The entries are the files of `Tuning/Database/` (one JSON file each, see
/// `OpenCLTuningEntry`), embedded as text by the `EmbedKernels` plugin and read once. They
/// stay JSON rather than generated Swift so that an entry is the very file `nst tune`
/// wrote, read by the same decoder and judged by the same `validate` as a file in the cache;
/// the tests read every shipped entry, so a malformed one fails the build's tests rather
/// than a user's run. An entry that does not read or validate is left out (`refused`).
public struct OpenCLTuningDatabase: Sendable {
    /// The entries that read and validated, by name.
    public let entries: [OpenCLTuningEntry]
    /// The entries left out, each as "name: reason".
    public let refused: [String]

    /// How an entry matched a device.
    public enum Match: Sendable, Equatable {
        /// Measured on this very device and driver (same name and driver version).
        case exact
        /// Measured on another device of the same family (`OpenCLDeviceFamily`).
        case family
        /// Measured with the same driver on the same kind of device and instruction set, but
        /// another architecture or vendor (PoCL's AVX2 entry on an AVX-512 or Intel processor,
        /// `OpenCLDeviceIdentity.relatives`): the nearest measured settings, which beat the
        /// defaults there too, and the automatic tune refines them.
        case related
    }

    /// Reads entries from `sources`, file name without `.json` to its text.
    public init(sources: [String: String]) {
        var entries: [OpenCLTuningEntry] = [], refused: [String] = []
        for name in sources.keys.sorted() {
            do {
                entries.append(try OpenCLTuningEntry(name: name, json: sources[name] ?? ""))
            } catch {
                refused.append("\(name): \(ErrorWords.describe(error))")
            }
        }
        self.entries = entries
        self.refused = refused
    }

    /// The entries built into this binary (`Tuning/Database/`).
    public static let shipped = OpenCLTuningDatabase(sources: TuningDatabaseSources.all)
    /// No entries: devices without a tuning file get the defaults.
    public static let empty = OpenCLTuningDatabase(sources: [:])

    /// The nearest entry for `device`, CLBlast's way: an entry measured on this very device
    /// and driver (`name` and `driverVersion` equal); else one of the same family (driver
    /// family, vendor, type and architecture equal, `OpenCLDeviceIdentity.family`); else a
    /// related one (same driver family, type and instruction set, `relatives`; one of the same
    /// vendor first); else none, and the device keeps the defaults. Within a rank the first
    /// entry by name wins.
    public func nearest(to device: OpenCLDeviceIdentity) -> (entry: OpenCLTuningEntry, match: Match)? {
        if let exact = entries.first(where: { $0.device.name == device.name && $0.device.driverVersion == device.driverVersion }) {
            return (exact, .exact)
        }
        if let family = entries.first(where: { $0.device.family == device.family }) {
            return (family, .family)
        }
        let related = entries.filter { $0.device.relatives == device.relatives }
        if let kin = related.first(where: { $0.device.vendor == device.vendor }) ?? related.first {
            return (kin, .related)
        }
        return nil
    }

    /// The nearest entry's settings made for `device`, when they pass `OpenCLTuning.validate`
    /// for it (a family member may allow smaller work-groups than the measured device); nil:
    /// no entry applies, the defaults do.
    public func tuning(for device: OpenCLDeviceIdentity) -> (tuning: OpenCLTuning, entry: OpenCLTuningEntry, match: Match)? {
        guard let (entry, match) = nearest(to: device) else { return nil }
        let tuning = entry.tuning(for: device)
        guard (try? tuning.validate(for: device)) != nil else { return nil }
        return (tuning, entry, match)
    }
}
