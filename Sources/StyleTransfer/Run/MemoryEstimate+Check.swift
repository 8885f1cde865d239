// MemoryEstimate+Check: the check of a MemoryEstimate against what the device reports it can hold.
import Foundation
import NSTCore

extension MemoryEstimate {
    /// Bytes to compare with `device.memory`: device tensors and scratch, plus
    /// the decoded images when the device is the host's memory.
    public func bytesNeeded(on device: any Device) -> Int {
        deviceTotal + (device.memory?.isHostMemory == true ? host : 0)
    }

    /// Throws when the run would not fit on `device` (nothing is checked for a device whose
    /// memory is unknown).
    /// - Parameter option: how to name the option to blame, e.g. the size option and its value.
    /// - Throws: `TransferError.option` saying how much is needed and how much there is.
    public func check(fits device: any Device, option: String) throws {
        guard let memory = device.memory else { return }
        let needed = bytesNeeded(on: device)
        guard needed > memory.bytes else { return }
        throw TransferError.option(option, "needs about \(Self.gib(needed)) but \(memory.label) has \(Self.gib(memory.bytes)); try a smaller \(TransferOption.size)")
    }

    /// `41.2 GiB`, one decimal.
    static func gib(_ bytes: Int) -> String {
        // Under 10 GiB two decimals, so a need and a budget a few MiB apart never read alike.
        let value = Double(bytes) / 1_073_741_824
        return String(format: value < 10 ? "%.2f GiB" : "%.1f GiB", value)
    }
}
