// VGGWeights: host-side VGG-19 convolution weights, loaded from safetensors or generated, plus input normalisation.
import Foundation
import NSTCore

/// Weights of one 3x3 convolution, row-major on the host.
public struct ConvWeights: Sendable {
    /// Input and output channel counts.
    public let inChannels: Int, outChannels: Int
    /// `[out, in, 3, 3]`.
    public let weight: [Float]
    /// `[out]`.
    public let bias: [Float]
}

/// The VGG-19 convolution weights a network needs, with the input normalisation they expect.
public struct VGGWeights: Sendable {
    /// Where the weights came from ("built-in" or the file path), for messages.
    public let source: String
    /// Weights by layer index (torchvision `features.N`).
    public let convs: [Int: ConvWeights]
    /// Per-channel normalisation `x_net = (x - mean) / std` (torchvision's by default).
    public let mean: [Float], std: [Float]

    /// torchvision's ImageNet normalisation, which its pretrained VGG-19 expects.
    public static let torchvisionMean: [Float] = [0.485, 0.456, 0.406]
    /// torchvision's ImageNet standard deviations, which its pretrained VGG-19 expects.
    public static let torchvisionStd: [Float] = [0.229, 0.224, 0.225]

    /// Wraps weights from `source`, with torchvision's normalisation unless given.
    public init(source: String, convs: [Int: ConvWeights],
                mean: [Float] = VGGWeights.torchvisionMean, std: [Float] = VGGWeights.torchvisionStd) {
        self.source = source
        self.convs = convs
        self.mean = mean
        self.std = std
    }

    /// Reads the convolutions of the first `depth` layers from a safetensors file with
    /// torchvision's key names (`features.N.weight` `[out,in,3,3]`, `features.N.bias` `[out]`).
    /// Other keys are ignored. The file's `__metadata__` may override the normalisation with
    /// `"mean"` and `"std"`, each three comma-separated numbers.
    /// - Throws: `WeightsError` naming the file and key for anything wrong.
    public static func load(from url: URL, depth: Int) throws -> VGGWeights {
        let file = try SafeTensorsFile(url: url)
        var convs: [Int: ConvWeights] = [:]
        for index in VGG19.convIndices(depth: depth) {
            guard case let .conv(inC, outC) = VGG19.layers[index].kind else { continue }
            let name = VGG19.layers[index].name
            let weight = try file.floats("features.\(index).weight", shape: [outC, inC, 3, 3], for: name)
            let bias = try file.floats("features.\(index).bias", shape: [outC], for: name)
            convs[index] = ConvWeights(inChannels: inC, outChannels: outC, weight: weight, bias: bias)
        }
        let mean = try normalisation(file, "mean") ?? torchvisionMean
        let std = try normalisation(file, "std") ?? torchvisionStd
        if let bad = std.first(where: { !($0 > 0) }) {
            throw WeightsError(file: file.path, key: "__metadata__.std", problem: "standard deviations must be positive, got \(bad)")
        }
        return VGGWeights(source: file.path, convs: convs, mean: mean, std: std)
    }

    private static func normalisation(_ file: SafeTensorsFile, _ key: String) throws -> [Float]? {
        guard let text = file.metadata[key] else { return nil }
        let parts = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
            .split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let values = parts as? [Float], values.allSatisfy({ $0.isFinite }) else {
            throw WeightsError(file: file.path, key: "__metadata__.\(key)", problem: "want three comma-separated numbers, got '\(text)'")
        }
        return values
    }
}
