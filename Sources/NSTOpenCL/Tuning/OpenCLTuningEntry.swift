// OpenCLTuningEntry: one entry of the shipped tuning database: a tuning file as `nst tune` wrote it, the device it was measured on, and where and when.
import Foundation
import NSTCore

/// One entry of the shipped tuning database (`Tuning/Database/<name>.json`): what `nst
/// tune` stored on one device, copied unchanged, with that device's identity and a line
/// saying where and when it was measured. Entries hold measured choices only; settings a
/// measurement did not record are left out of `tuning`, which then means the defaults.
public struct OpenCLTuningEntry: Sendable, Equatable {
    /// The file name without `.json`; `nst devices` shows it as `shipped: <name>`.
    public let name: String
    /// Where, when and how the values were measured (machine, date, command, commit).
    public let measured: String
    /// The device the values were measured on; its family is the entry's key.
    public let device: OpenCLDeviceIdentity
    /// The tuning file `nst tune` wrote there (made for `device`).
    public let tuning: OpenCLTuning

    private struct File: Codable {
        var measured: String
        var device: OpenCLDeviceIdentity
        var tuning: OpenCLTuning
    }

    /// Reads entry `name` from its JSON `text` and checks it: every key present (the
    /// tuning's in the tuning file's own form, `OpenCLTuning+JSON`), a non-empty account of
    /// the measurement, and a tuning that passes `OpenCLTuning.validate` for the device the
    /// entry says it was measured on, exactly as a tuning file must for its device.
    /// - Throws: `DeviceError.backend` naming the entry and what is wrong with it.
    public init(name: String, json text: String) throws {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(text.utf8))
        } catch {
            throw DeviceError.backend("shipped OpenCL tuning \(name) is not a well-formed entry: \(ErrorWords.describe(error))")
        }
        guard !file.measured.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw DeviceError.backend("shipped OpenCL tuning \(name) does not say where and when it was measured")
        }
        do {
            try file.tuning.validate(for: file.device)
        } catch {
            throw DeviceError.backend("shipped OpenCL tuning \(name): \(ErrorWords.describe(error))")
        }
        self.name = name
        measured = file.measured
        device = file.device
        tuning = file.tuning
    }

    /// The entry's values for `target`: the same settings, made for `target`'s name, driver
    /// and platform (so `validate(for: target)` judges them as it would a file of its own),
    /// without the measured device's notes, which describe another device.
    public func tuning(for target: OpenCLDeviceIdentity) -> OpenCLTuning {
        var adapted = tuning
        adapted.deviceName = target.name
        adapted.driverVersion = target.driverVersion
        adapted.platformVersion = target.platformVersion
        adapted.notes = [:]
        return adapted
    }
}
