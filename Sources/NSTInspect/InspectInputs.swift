// InspectInputs: loading the weights and the images of the inspection commands, the way `nst transfer` does.
import Foundation
import NSTCore
import NSTImages
import NSTWeights

/// Inputs of `nst activations` and `nst gram`: errors name the option they came from.
public enum InspectInputs {
    /// The weights file `path` names (any format `nst transfer` reads, or a name in the
    /// weights cache), opened once; nil for the built-in weights.
    public static func weightsFile(_ path: String?) throws -> WeightsFile? {
        try path.map { try WeightsFile(url: URL(fileURLWithPath: WeightsCache().resolve($0))) }
    }

    /// The built-in weights, or those of `file`, for `depth` layers of `model` (see
    /// `TransferPlan.model(given:file:)`) with the input convention `preprocess` (default:
    /// the file's, else torchvision).
    /// - Throws: `WeightsError`.
    public static func weights(_ file: WeightsFile?, depth: Int, model: VGGModel, preprocess: Preprocess? = nil) throws -> VGGWeights {
        guard let file else { return VGGWeights.builtIn(depth: depth, model: model, preprocess: preprocess ?? .torchvision) }
        return try VGGWeights.load(from: file, depth: depth, model: model, preprocess: preprocess ?? file.statedPreprocess ?? .torchvision)
    }

    /// The image at `path`; errors name `role` and the file.
    public static func load(_ path: String, role: String) throws -> Image {
        try Image.load(path: path, role: role)
    }

    /// The image at `path` resized to a long side of `size` (as `nst transfer` resizes),
    /// checked to be large enough for `depth` layers.
    /// - Throws: `TransferError` naming `role`, or `sizeOption` (the caller's name for the size).
    public static func image(_ path: String, role: String, size: Int, sizeOption: String, depth: Int,
                             model: VGGModel = .vgg19) throws -> Image {
        guard (1...Image.maxSide).contains(size) else {
            throw TransferError.option(sizeOption, "must be 1 to \(Image.maxSide), got \(size)")
        }
        let file = try Image.load(path: path, role: role)
        let target = Image.size(width: file.width, height: file.height, longSide: size)
        try model.checkFits(width: target.width, height: target.height, depth: depth, option: sizeOption)
        return try file.resized(longSide: size)
    }
}
