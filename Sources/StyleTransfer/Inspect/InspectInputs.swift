// InspectInputs: loading the weights and the images of the inspection commands, the way `nst transfer` does.
import Foundation
import NSTCore

/// Inputs of `nst activations` and `nst gram`: errors name the option they came from.
public enum InspectInputs {
    /// The built-in weights, or the weights file at `path` (any format `nst transfer` reads,
    /// or a name in the weights cache), for `depth` layers of `model` (default: the file's,
    /// else VGG-19) with the input convention `preprocess` (default: the file's, else torchvision).
    /// - Throws: `TransferError.option("--model")` when the file holds another model; `WeightsError`.
    public static func weights(path: String?, depth: Int, model: VGGModel? = nil, preprocess: Preprocess? = nil) throws -> VGGWeights {
        guard let path else {
            return VGGWeights.builtIn(depth: depth, model: model ?? .vgg19, preprocess: preprocess ?? .torchvision)
        }
        let file = try WeightsFile(url: URL(fileURLWithPath: WeightsCache().resolve(path)))
        if let model, let held = file.model, held != model {
            throw TransferError.option("--model", "is \(model.name), but '\(file.path)' holds the \(held.convolutionCount) convolutions of \(held)")
        }
        return try VGGWeights.load(from: file, depth: depth, model: model ?? file.model ?? .vgg19,
                                   preprocess: preprocess ?? file.statedPreprocess ?? .torchvision)
    }

    /// The model `--model` names, or the one the weights file at `path` holds, else VGG-19
    /// (layer names are resolved in it before any weight is read).
    public static func model(_ given: VGGModel?, weightsPath path: String?) throws -> VGGModel {
        if let given { return given }
        guard let path else { return .vgg19 }
        return try WeightsFile(url: URL(fileURLWithPath: WeightsCache().resolve(path))).model ?? .vgg19
    }

    /// The image at `path`; errors name `role` and the file.
    public static func load(_ path: String, role: String) throws -> Image {
        try TransferRunner.load(path, role: role)
    }

    /// The image at `path` resized to a long side of `size` (as `nst transfer --size` does),
    /// checked to be large enough for `depth` layers.
    /// - Throws: `TransferError` naming `role` or `--size`.
    public static func image(_ path: String, role: String, size: Int, depth: Int, model: VGGModel = .vgg19) throws -> Image {
        guard (1...Image.maxSide).contains(size) else {
            throw TransferError.option("--size", "must be 1 to \(Image.maxSide), got \(size)")
        }
        let file = try TransferRunner.load(path, role: role)
        let target = Image.size(width: file.width, height: file.height, longSide: size)
        try TransferRunner.checkFits(width: target.width, height: target.height, depth: depth, model: model, option: "--size")
        return try file.resized(longSide: size)
    }
}
