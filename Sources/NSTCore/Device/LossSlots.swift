// LossSlots: the scalar results (losses, dot products) ops leave on their device and read back together.

/// Room for the scalar results of ops (the losses of one evaluation, an optimiser's dot
/// products), read back together by `Device.readLosses`:
/// on OpenCL the reductions write raw sums into a device tensor and one transfer fetches
/// them all (instead of one wait per loss); on the CPU the values are kept here directly.
/// Made by `Device.makeLossSlots` and usable only with that device.
public final class LossSlots {
    /// How many values there is room for.
    public let count: Int
    /// Per slot: the value itself (host-side slots), or the factor the raw device sum is
    /// multiplied by on reading (device-side slots).
    package var values: [Double]
    /// The raw sums on the device, or nil when the values are kept on the host.
    package let storage: Tensor?

    package init(count: Int, storage: Tensor?) {
        self.count = count
        self.storage = storage
        values = Array(repeating: 0, count: count)
    }

    /// Checks that `index` is a slot.
    package func check(_ op: String, _ index: Int) throws {
        guard index >= 0, index < count else {
            throw DeviceError.invalidArgument(op: op, detail: "loss slot \(index) outside the \(count) slots")
        }
    }
}
