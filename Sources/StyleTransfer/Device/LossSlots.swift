// LossSlots: loss values an evaluation leaves on its device and reads back together, and the host-side default every backend starts from.

/// Room for the loss values of one evaluation, read back together by `Device.readLosses`:
/// on OpenCL the reductions write raw sums into a device tensor and one transfer fetches
/// them all (instead of one wait per loss); on the CPU the values are kept here directly.
/// Made by `Device.makeLossSlots` and usable only with that device.
public final class LossSlots {
    /// How many values there is room for.
    public let count: Int
    /// Per slot: the value itself (host-side slots), or the factor the raw device sum is
    /// multiplied by on reading (device-side slots).
    var values: [Double]
    /// The raw sums on the device, or nil when the values are kept on the host.
    let storage: Tensor?

    init(count: Int, storage: Tensor?) {
        self.count = count
        self.storage = storage
        values = Array(repeating: 0, count: count)
    }

    /// Checks that `index` is a slot.
    func check(_ op: String, _ index: Int) throws {
        guard index >= 0, index < count else {
            throw DeviceError.invalidArgument(op: op, detail: "loss slot \(index) outside the \(count) slots")
        }
    }
}

/// Host-side defaults: each loss is computed (and waited for) at once and its value kept in
/// the slots, so a backend whose losses cost no transfer needs nothing more.
public extension Device {
    func makeLossSlots(count: Int) throws -> LossSlots {
        guard count >= 0 else { throw DeviceError.invalidArgument(op: "makeLossSlots", detail: "negative count \(count)") }
        return LossSlots(count: count, storage: nil)
    }

    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float,
                     into slots: LossSlots, at index: Int) throws {
        try slots.check("contentLoss", index)
        slots.values[index] = try contentLoss(generated: generated, target: target, gradient: gradient, scale: scale)
    }

    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float,
                   into slots: LossSlots, at index: Int) throws {
        try slots.check("styleLoss", index)
        slots.values[index] = try styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale)
    }

    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try slots.check("totalVariationLoss", index)
        slots.values[index] = try totalVariationLoss(image: image, gradient: gradient, scale: scale)
    }

    func readLosses(_ slots: LossSlots) throws -> [Double] {
        guard slots.storage == nil else { throw DeviceError.foreignTensor(op: "readLosses", device: name) }
        return slots.values
    }
}
