// LayerWeights: a set of network layers a loss reads, each with its weight.

/// The layers one loss term reads and the weight of each (`w_l` for content, `lambda_l` for style).
public struct LayerWeights: Equatable, Sendable {
    /// Layer indices in the VGG-19 stack, in the order given.
    public let indices: [Int]
    /// One weight per index.
    public let weights: [Double]

    /// Resolves layer names to indices.
    /// - Parameters:
    ///   - names: layer names of docs/MATH.md (`relu4_2`, `conv1_1`, `pool2`, ...), no repeats.
    ///   - weights: one weight per name, or nil for `defaultWeight` each.
    ///   - option: the command-line option the names came from, for messages.
    /// - Throws: `TransferError.option` for an empty list, an unknown or repeated name, or a
    ///   count mismatch or a negative or non-finite weight.
    public init(names: [String], weights: [Double]?, defaultWeight: Double,
                option: String, weightsOption: String) throws {
        guard !names.isEmpty else { throw TransferError.option(option, "needs at least one layer name") }
        var indices: [Int] = []
        for name in names {
            guard let index = VGG19.index(of: name) else {
                throw TransferError.option(option, "unknown layer '\(name)' (want conv{b}_{i}, relu{b}_{i} or pool{b} of VGG-19, e.g. relu4_2)")
            }
            guard !indices.contains(index) else { throw TransferError.option(option, "layer '\(name)' is listed twice") }
            indices.append(index)
        }
        let values = weights ?? Array(repeating: defaultWeight, count: names.count)
        guard values.count == names.count else {
            throw TransferError.option(weightsOption, "has \(values.count) weights for the \(names.count) layers of \(option)")
        }
        if let bad = values.first(where: { !$0.isFinite || $0 < 0 }) {
            throw TransferError.option(weightsOption, "weights must be finite and >= 0, got \(bad)")
        }
        self.indices = indices
        self.weights = values
    }

    /// The deepest layer index + 1: how many layers of the stack must run.
    public var depth: Int { (indices.max() ?? -1) + 1 }
}
