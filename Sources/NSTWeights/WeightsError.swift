// WeightsError: a problem with a weights file, naming the file, the tensor key and what is wrong.
import NSTCore

/// An error reading network weights, worded for the person running the tool:
/// `weights file 'vgg.safetensors': key 'features.0.weight': shape [64x3x5x5], want [64x3x3x3]`.
public struct WeightsError: Error, CustomStringConvertible, Equatable {
    /// The file (its path as given), or "built-in" for the generated weights.
    public let file: String
    /// The tensor key concerned, or nil for a problem with the file as a whole.
    public let key: String?
    /// What is wrong.
    public let problem: String

    /// Makes an error about `file` (and `key`, when one tensor is concerned).
    public init(file: String, key: String? = nil, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    /// `weights file 'F': key 'K': problem`, without the key part when none.
    public var description: String {
        if let key { return "weights file '\(file)': key '\(key)': \(problem)" }
        return "weights file '\(file)': \(problem)"
    }
}
