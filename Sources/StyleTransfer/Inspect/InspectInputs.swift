// InspectInputs: loading the weights and the images of the inspection commands, the way `nst transfer` does.
import Foundation
import NSTCore

/// Inputs of `nst activations` and `nst gram`: errors name the option they came from.
public enum InspectInputs {
    /// The built-in weights, or the safetensors file at `path`, for `depth` layers.
    public static func weights(path: String?, depth: Int) throws -> VGGWeights {
        guard let path else { return VGGWeights.builtIn(depth: depth) }
        return try VGGWeights.load(from: URL(fileURLWithPath: path), depth: depth)
    }

    /// The image at `path`; errors name `role` and the file.
    public static func load(_ path: String, role: String) throws -> Image {
        try TransferRunner.load(path, role: role)
    }

    /// The image at `path` resized to a long side of `size` (as `nst transfer --size` does),
    /// checked to be large enough for `depth` layers.
    /// - Throws: `TransferError` naming `role` or `--size`.
    public static func image(_ path: String, role: String, size: Int, depth: Int) throws -> Image {
        guard (1...Image.maxSide).contains(size) else {
            throw TransferError.option("--size", "must be 1 to \(Image.maxSide), got \(size)")
        }
        let file = try TransferRunner.load(path, role: role)
        let target = Image.size(width: file.width, height: file.height, longSide: size)
        try TransferRunner.checkFits(width: target.width, height: target.height, depth: depth, option: "--size")
        return try file.resized(longSide: size)
    }
}
