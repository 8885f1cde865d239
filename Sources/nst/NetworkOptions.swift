// NetworkOptions: the network, size and backend options `nst activations` and `nst gram` share with `nst transfer`.
import ArgumentParser
import NSTArguments
import StyleTransfer

struct NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Comma-separated layers to show (conv{b}_{i}, relu{b}_{i}, pool{b}).", valueName: "layers"))
    var layers: String = "relu1_1,relu3_1,relu5_1"

    @Option(parsing: .unconditional, help: ArgumentHelp("Long side of the image in pixels, resized as transfer does.", valueName: "pixels"))
    var size: Int = TransferOptions().size

    @Option(help: ArgumentHelp("Compute backend: auto, cpu, opencl or opencl:N (as for transfer).", valueName: "name"))
    var device: String = "auto"

    @Option(help: ArgumentHelp("Pretrained weights as for transfer: a .pth, .caffemodel or .safetensors file, or a name fetched by `nst weights fetch`; default: built-in seeded random weights.", valueName: "file|name"))
    var weights: String?

    @Option(help: ArgumentHelp("Network: vgg19 or vgg16 (default: what the weights file holds, else vgg19).", valueName: "name"))
    var model: VGGModel?

    @Option(help: ArgumentHelp("Input convention: torchvision or caffe (default: what the weights need, else torchvision).", valueName: "name"))
    var preprocess: Preprocess?

    @Option(help: ArgumentHelp("Pooling after each block: max or avg.", valueName: "kind"))
    var pooling: PoolKind = .max

    var layerNames: [String] { TransferArguments.names(layers) }

    /// The backend, the extractor for the layers, and the images (each resized to --size).
    func open(images: [(role: String, path: String)]) throws -> (FeatureExtractor, [Image]) {
        let choice = try DeviceChoice(parsing: device)
        let file = try InspectInputs.weightsFile(self.weights)
        let model = try TransferPlan.model(given: self.model, file: file)
        let depth = try FeatureExtractor.depth(layerNames, option: "--layers", model: model)
        let weights = try InspectInputs.weights(file, depth: depth, model: model, preprocess: preprocess)
        let loaded = try images.map { try InspectInputs.image($0.path, role: $0.role, size: size, sizeOption: "--size", depth: depth, model: model) }
        let device = try DeviceSelection.makeDevice(choice)
        let extractor = try FeatureExtractor(device: device, layers: layerNames, option: "--layers", model: model, weights: { _ in weights },
                                             pooling: pooling)
        return (extractor, loaded)
    }

    /// The input files these options name, for the output checks.
    var inputs: [(String, String)] { weights.map { [("--weights", $0)] } ?? [] }
}
