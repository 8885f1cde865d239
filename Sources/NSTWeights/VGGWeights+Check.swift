// VGGWeights+Check: the finiteness and range checks every set of loaded weights passes before it reaches a device.
import NSTCore

extension VGGWeights {
    /// The smallest standard deviation accepted: a smaller one scales the image by more than
    /// a million before the first convolution, which overflows float activations.
    public static let minimumStd: Float = 1e-6

    /// Checks that every weight and bias is finite and the normalisation is usable, whatever
    /// format the weights came from. A NaN or infinity would otherwise reach the network,
    /// where backends treat it differently (a ReLU written as `max(x, 0)` may drop a NaN).
    /// - Throws: `WeightsError` naming the file and the tensor (`features.N.weight`).
    public func checkValues() throws {
        for index in convs.keys.sorted() {
            guard let conv = convs[index] else { continue }
            for (part, values) in [("weight", conv.weight), ("bias", conv.bias)] {
                if let at = values.firstIndex(where: { !$0.isFinite }) {
                    throw WeightsError(file: source, key: "features.\(index).\(part)",
                                       problem: "value \(at) is \(values[at]); weights must be finite numbers")
                }
            }
        }
        if let bad = mean.first(where: { !$0.isFinite }) {
            throw WeightsError(file: source, key: "__metadata__.mean", problem: "means must be finite numbers, got \(bad)")
        }
        if let bad = std.first(where: { !($0 >= Self.minimumStd) || !$0.isFinite }) {
            throw WeightsError(file: source, key: "__metadata__.std",
                               problem: "standard deviations must be finite and at least \(Self.minimumStd), got \(bad)")
        }
    }
}
