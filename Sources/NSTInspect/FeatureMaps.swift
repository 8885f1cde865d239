// FeatureMaps: the activations and Gram matrices of chosen VGG layers (of any model) for one image, run on a device and read back.
import Foundation
import NSTCore
import NSTImages
import NSTWeights
import NSTMethod

/// The output of one layer for one image, on the host: `[channels, height, width]` row-major.
public struct FeatureMap: Sendable {
    /// The layer's name (`relu3_1`) and index in `VGG19.layers`.
    public let layer: String, index: Int
    public let channels: Int, height: Int, width: Int
    /// `channels * height * width` values.
    public let values: [Float]

    /// Wraps values already laid out as `[channels, height, width]`.
    /// - Throws: `DeviceError.invalidArgument` when the count does not match.
    public init(layer: String, index: Int, channels: Int, height: Int, width: Int, values: [Float]) throws {
        guard channels > 0, height > 0, width > 0, values.count == channels * height * width else {
            throw DeviceError.invalidArgument(op: "FeatureMap", detail: "\(values.count) values for \(channels)x\(height)x\(width)")
        }
        self.layer = layer
        self.index = index
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    /// The mean of channel `c` over its pixels.
    public func mean(channel c: Int) -> Double {
        let plane = height * width
        return values[(c * plane)..<((c + 1) * plane)].reduce(0.0) { $0 + Double($1) } / Double(plane)
    }
}

/// A VGG network (VGG-19, VGG-16) cut after the deepest of some layers, run on a device to read those layers back.
public final class FeatureExtractor {
    /// The layers read, as (name, index), in the order asked.
    public let layers: [(name: String, index: Int)]
    let network: VGGNetwork

    /// Resolves layer names (`option` names them in errors) and uploads the weights the deepest one needs.
    /// - Throws: `TransferError.option` naming `option` for an unknown, repeated or missing
    ///   layer name; weight and device errors.
    public init(device: any Device, layers names: [String], option: String, model: VGGModel = .vgg19,
                weights: (Int) throws -> VGGWeights, pooling: PoolKind = .max) throws {
        layers = try Self.resolve(names, option: option, model: model)
        let depth = (layers.map(\.index).max() ?? 0) + 1
        network = try VGGNetwork(device: device, weights: weights(depth), pooling: pooling, depth: depth)
    }

    /// The network depth (layers run) that `names` need; throws as `init` does for bad names.
    public static func depth(_ names: [String], option: String, model: VGGModel = .vgg19) throws -> Int {
        (try resolve(names, option: option, model: model).map(\.index).max() ?? 0) + 1
    }

    static func resolve(_ names: [String], option: String, model: VGGModel = .vgg19) throws -> [(name: String, index: Int)] {
        guard !names.isEmpty else { throw TransferError.option(option, "give at least one layer name") }
        var seen: Set<String> = []
        return try names.map { name in
            guard let index = model.index(of: name) else {
                throw TransferError.option(option, "unknown layer '\(name)' of \(model); layers are conv{b}_{i}, relu{b}_{i} and pool{b} for blocks b = 1..5 (\(model.blockSizes.map(String.init).joined(separator: ", ")) convolutions)")
            }
            guard seen.insert(name).inserted else { throw TransferError.option(option, "layer '\(name)' is listed twice") }
            return (name, index)
        }
    }

    /// Runs the network on `image` and returns the activations of the chosen layers.
    public func activations(_ image: Image) throws -> [FeatureMap] {
        let workspace = try forward(image)
        return try layers.map { layer in
            let tensor = workspace.activation(layer.index)
            return try FeatureMap(layer: layer.name, index: layer.index, channels: tensor.shape[0], height: tensor.shape[1],
                                  width: tensor.shape[2], values: network.device.download(tensor))
        }
    }

    /// Runs the network on `image` and returns each chosen layer's Gram matrix
    /// `G = A A^T / (H W)` (`DeviceOp.gram`, computed on the device), `[C*C]` row-major.
    public func grams(_ image: Image) throws -> [(layer: String, channels: Int, values: [Float])] {
        let workspace = try forward(image)
        let device = network.device
        return try layers.map { layer in
            let tensor = workspace.activation(layer.index)
            let c = tensor.shape[0]
            let gram = try device.makeTensor(Shape(c, c))
            try device.execute(.gram(input: tensor, output: gram))
            return (layer.name, c, try device.download(gram))
        }
    }

    private func forward(_ image: Image) throws -> VGGWorkspace {
        let device = network.device
        // Convolutions asked for keep their own output (their ReLU would overwrite it in place).
        let workspace = try VGGWorkspace(network: network, height: image.height, width: image.width,
                                         keepConvOutputs: Set(layers.map(\.index)))
        let input = try device.makeTensor(Shape(3, image.height, image.width))
        try device.upload(image.pixels, to: input)
        try workspace.forward(image: input)
        return workspace
    }
}
