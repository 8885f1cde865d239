// LayerWeights: a set of network layers a loss reads, each with its weight, and the errors of choosing them.
import NSTCore

/// A problem with a list of layers or of weights, named in the terms of the network and
/// the numbers; the command line adds the option it came from (`TransferPlan`).
public enum WeightListError: Error, Equatable, Sendable {
    /// No layer was named.
    case noLayers
    /// A name that is not a layer of the model (VGG-19 unless `model` says otherwise).
    case unknownLayer(String, model: String = "VGG-19")
    /// A layer named twice.
    case repeatedLayer(String)
    /// `given` weights for `expected` items (layers or images).
    case count(given: Int, expected: Int)
    /// A weight that is negative, NaN or infinite.
    case badWeight(Double)
    /// Weights that must be normalised but sum to 0.
    case allZero

    /// The problem in words, without the option: `unknown layer 'relu9_1' (...)`.
    public var reason: String {
        switch self {
        case .noLayers: return "needs at least one layer name"
        case let .unknownLayer(name, model):
            return "unknown layer '\(name)' (want conv{b}_{i}, relu{b}_{i} or pool{b} of \(model), e.g. relu4_2)"
        case let .repeatedLayer(name): return "layer '\(name)' is listed twice"
        case let .count(given, expected): return "has \(given) weights for \(expected)"
        case let .badWeight(value): return "weights must be finite and >= 0, got \(value)"
        case .allZero: return "weights must not all be 0"
        }
    }
}

/// The layers one loss term reads and the weight of each (`w_l` for content, `lambda_l` for style).
public struct LayerWeights: Equatable, Sendable {
    /// Layer indices in the model's stack, in the order given.
    public let indices: [Int]
    /// One weight per index.
    public let weights: [Double]

    /// Resolves layer names to indices.
    /// - Parameters:
    ///   - names: layer names (`relu4_2`, `conv1_1`, `pool2`, ...; docs/MATH.md), no repeats.
    ///   - weights: one weight per name, or nil for `defaultWeight` each.
    /// - Throws: `WeightListError` for an empty list, an unknown or repeated name, a count
    ///   mismatch, or a negative or non-finite weight.
    ///   - model: the network whose layers the names are (VGG-19 by default).
    public init(names: [String], weights: [Double]?, defaultWeight: Double, model: VGGModel = .vgg19) throws {
        guard !names.isEmpty else { throw WeightListError.noLayers }
        var indices: [Int] = []
        for name in names {
            guard let index = model.index(of: name) else { throw WeightListError.unknownLayer(name, model: model.description) }
            guard !indices.contains(index) else { throw WeightListError.repeatedLayer(name) }
            indices.append(index)
        }
        let values = weights ?? Array(repeating: defaultWeight, count: names.count)
        guard values.count == names.count else { throw WeightListError.count(given: values.count, expected: names.count) }
        if let bad = values.first(where: { !$0.isFinite || $0 < 0 }) { throw WeightListError.badWeight(bad) }
        self.indices = indices
        self.weights = values
    }

    /// The same layers with each weight multiplied by `factor(index)`.
    public func scaled(by factor: (Int) -> Double) -> LayerWeights {
        LayerWeights(indices: indices, weights: zip(indices, weights).map { $1 * factor($0) })
    }

    private init(indices: [Int], weights: [Double]) {
        self.indices = indices
        self.weights = weights
    }

    /// The deepest layer index + 1: how many layers of the stack must run.
    public var depth: Int { (indices.max() ?? -1) + 1 }
}
