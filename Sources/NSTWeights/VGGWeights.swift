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

/// The convolution weights of a VGG network, with the input normalisation they expect.
public struct VGGWeights: Sendable {
    /// Where the weights came from ("built-in" or the file path), for messages.
    public let source: String
    /// VGG-19 or VGG-16.
    public let model: VGGModel
    /// Weights by layer index (torchvision `features.N`); the first convolution reads RGB.
    public let convs: [Int: ConvWeights]
    /// Per-channel normalisation `x_net = (x - mean) / std` (torchvision's by default).
    public let mean: [Float], std: [Float]
    /// The input convention the weights were made for.
    public let preprocess: Preprocess

    /// torchvision's ImageNet normalisation, which its pretrained VGG-19 expects.
    public static let torchvisionMean: [Float] = [0.485, 0.456, 0.406]
    /// torchvision's ImageNet standard deviations, which its pretrained VGG-19 expects.
    public static let torchvisionStd: [Float] = [0.229, 0.224, 0.225]

    /// Wraps weights from `source` as they are (RGB first convolution), with torchvision's
    /// normalisation unless given.
    public init(source: String, convs: [Int: ConvWeights],
                mean: [Float] = VGGWeights.torchvisionMean, std: [Float] = VGGWeights.torchvisionStd,
                model: VGGModel = .vgg19, preprocess: Preprocess = .torchvision) {
        self.source = source
        self.model = model
        self.convs = convs
        self.mean = mean
        self.std = std
        self.preprocess = preprocess
    }

    /// Weights as a file stores them, put in the network's terms: for a BGR convention the
    /// first convolution's input channels are reversed (so it reads RGB); `mean` and `std`
    /// are the convention's unless given.
    public static func make(source: String, model: VGGModel, convs: [Int: ConvWeights], preprocess: Preprocess,
                            mean: [Float]? = nil, std: [Float]? = nil) -> VGGWeights {
        var convs = convs
        if preprocess.readsBGR, let first = model.convIndices(depth: model.layers.count).first, let conv = convs[first] {
            convs[first] = conv.reversingInputChannels()
        }
        return VGGWeights(source: source, convs: convs, mean: mean ?? preprocess.mean, std: std ?? preprocess.std,
                          model: model, preprocess: preprocess)
    }

    /// Reads the convolutions of the first `depth` layers of `model` from a weights file of
    /// any supported format (safetensors, PyTorch `.pth`, Caffe `.caffemodel`;
    /// `WeightsFile`). Other tensors are ignored and, where the format allows, not read.
    /// - Parameters:
    ///   - model: nil: the one the file holds (`WeightsFile.model`), else VGG-19.
    ///   - preprocess: nil: the one the file states (`WeightsFile.statedPreprocess`), else torchvision.
    /// - Throws: `WeightsError` naming the file and key for anything wrong.
    public static func load(from url: URL, depth: Int, model: VGGModel? = nil, preprocess: Preprocess? = nil) throws -> VGGWeights {
        try load(from: WeightsFile(url: url), depth: depth, model: model, preprocess: preprocess)
    }

    /// `load(from:depth:model:preprocess:)` for a file already opened.
    public static func load(from file: WeightsFile, depth: Int, model: VGGModel? = nil, preprocess: Preprocess? = nil) throws -> VGGWeights {
        let model = model ?? file.model ?? .vgg19
        if let held = file.model, held != model {
            throw WeightsError(file: file.path, problem:
                "holds the \(held.convolutionCount) convolutions of \(held), not \(model)'s \(model.convolutionCount); load it as \(held.name)")
        }
        var convs: [Int: ConvWeights] = [:]
        for index in model.convIndices(depth: depth) {
            guard case let .conv(inC, outC) = model.layers[index].kind else { continue }
            let layer = model.layers[index]
            let weight = try file.floats(file.weightKey(layer), shape: [outC, inC, 3, 3], for: "\(layer.name) of \(model)")
            let bias = try file.floats(file.biasKey(layer), shape: [outC], for: "\(layer.name) of \(model)")
            convs[index] = ConvWeights(inChannels: inC, outChannels: outC, weight: weight, bias: bias)
        }
        let preprocess = preprocess ?? file.statedPreprocess ?? .torchvision
        let mean = try file.normalisation("mean")
        let std = try file.normalisation("std")
        if let bad = std?.first(where: { !($0 > 0) }) {
            throw WeightsError(file: file.path, key: "__metadata__.std", problem: "standard deviations must be positive, got \(bad)")
        }
        return make(source: file.path, model: model, convs: convs, preprocess: preprocess, mean: mean, std: std)
    }
}

extension ConvWeights {
    /// The same convolution reading its input channels in reverse order (BGR <-> RGB).
    public func reversingInputChannels() -> ConvWeights {
        var reversed = weight
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                let from = (o * inChannels + (inChannels - 1 - i)) * 9, to = (o * inChannels + i) * 9
                for k in 0..<9 { reversed[to + k] = weight[from + k] }
            }
        }
        return ConvWeights(inChannels: inChannels, outChannels: outChannels, weight: reversed, bias: bias)
    }
}
