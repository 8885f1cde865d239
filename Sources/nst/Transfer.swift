// Transfer: `nst transfer`, the style transfer command and its options (README.md "Using `nst`").
import ArgumentParser
import Foundation
import StyleTransfer

extension OptimizerKind: ExpressibleByArgument {}
extension PoolKind: ExpressibleByArgument {}

struct Transfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the content image in the style of one or more style images.",
        discussion: """
            Minimises J = alpha J_content + beta J_style + gamma J_tv over the pixels of the generated \
            image, with VGG-19 features (built-in seeded random weights unless --weights is given). \
            Layer names: conv{b}_{i}, relu{b}_{i}, pool{b} for blocks b = 1..5 (2, 2, 4, 4, 4 convolutions). \
            Bad input exits with status 1 and one line on stderr.
            """)

    /// The library's defaults, shown by --help.
    static let defaults = TransferOptions(contentPath: "", stylePaths: [], outputPath: "")

    @Option(help: ArgumentHelp("Content image (PNG or JPEG).", valueName: "file"))
    var content: String

    @Option(help: ArgumentHelp("Style image (PNG or JPEG); repeat for several, blended by --style-blend-weights.", valueName: "file"))
    var style: [String] = []

    @Option(help: ArgumentHelp("Output image (.png), written atomically.", valueName: "file"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Long side of the generated image in pixels (content image resized, aspect kept).", valueName: "pixels"))
    var size: Int = defaults.size

    @Option(parsing: .unconditional, help: ArgumentHelp("Optimiser iterations (accepted steps).", valueName: "n"))
    var iterations: Int = defaults.iterations

    @Option(help: ArgumentHelp("Optimiser: sgd, adam or lbfgs.", valueName: "name"))
    var optimizer: OptimizerKind = defaults.optimizer

    @Option(parsing: .unconditional, help: ArgumentHelp("Step size on the [0,1] pixel scale (default: sgd \(OptimizerKind.sgd.defaultLearningRate), adam \(OptimizerKind.adam.defaultLearningRate), lbfgs \(OptimizerKind.lbfgs.defaultLearningRate) = first trial step of each line search).", valueName: "rate"))
    var learningRate: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("alpha, the weight of J_content.", valueName: "alpha"))
    var contentWeight: Double = defaults.contentWeight

    @Option(parsing: .unconditional, help: ArgumentHelp("beta, the weight of J_style.", valueName: "beta"))
    var styleWeight: Double = defaults.styleWeight

    @Option(parsing: .unconditional, help: ArgumentHelp("gamma, the weight of the total variation J_tv.", valueName: "gamma"))
    var tvWeight: Double = defaults.tvWeight

    @Option(help: ArgumentHelp("Comma-separated layers of J_content (weight 1 each).", valueName: "layers"))
    var contentLayers: String = defaults.contentLayers.joined(separator: ",")

    @Option(help: ArgumentHelp("Comma-separated layers of J_style.", valueName: "layers"))
    var styleLayers: String = defaults.styleLayers.joined(separator: ",")

    @Option(help: ArgumentHelp("Comma-separated weight of each style layer (default: 1/L each).", valueName: "weights"))
    var styleLayerWeights: String?

    @Option(help: ArgumentHelp("Comma-separated weight of each --style image, normalised to sum 1 (default: equal).", valueName: "weights"))
    var styleBlendWeights: String?

    @Option(name: .customLong("init"), help: ArgumentHelp("Start image: content, random (uniform noise from --seed) or an image file.", valueName: "content|random|file"))
    var initMode: String = "content"

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of --init random.", valueName: "n"))
    var seed: UInt64 = defaults.seed

    @Option(help: ArgumentHelp("Compute backend: auto (an OpenCL GPU if any, else the CPU), cpu, opencl (the first OpenCL device) or opencl:N (as listed by `nst devices`).", valueName: "name"))
    var device: String = "auto"

    @Option(help: ArgumentHelp("VGG-19 weights in safetensors form (torchvision key names); default: built-in seeded random weights.", valueName: "file"))
    var weights: String?

    @Option(help: ArgumentHelp("Pooling after each block: max or avg.", valueName: "kind"))
    var pooling: PoolKind = defaults.pooling

    @Option(parsing: .unconditional, help: ArgumentHelp("Style images are resized to a long side of style-scale * size.", valueName: "factor"))
    var styleScale: Double = defaults.styleScale

    @Option(help: ArgumentHelp("Write the losses of every iteration to this CSV file.", valueName: "file"))
    var lossLog: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also write <output>-<iteration>.png every n iterations (0: never).", valueName: "n"))
    var saveEvery: Int = defaults.saveEvery

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        let deviceChoice = try DeviceChoice(parsing: device)
        var options = TransferOptions(contentPath: content, stylePaths: style, outputPath: output)
        options.size = size
        options.iterations = iterations
        options.optimizer = optimizer
        options.learningRate = learningRate
        options.contentWeight = contentWeight
        options.styleWeight = styleWeight
        options.tvWeight = tvWeight
        options.contentLayers = Self.names(contentLayers)
        options.styleLayers = Self.names(styleLayers)
        options.styleLayerWeights = try styleLayerWeights.map { try Self.numbers($0, option: "--style-layer-weights") }
        options.styleBlendWeights = try styleBlendWeights.map { try Self.numbers($0, option: "--style-blend-weights") }
        options.initMode = InitMode(argument: initMode)
        options.seed = seed
        options.weightsPath = weights
        options.pooling = pooling
        options.styleScale = styleScale
        options.lossLogPath = lossLog
        options.saveEvery = saveEvery
        options.quiet = quiet
        try TransferRunner.run(options, stop: Signals.stop) { try DeviceSelection.makeDevice(deviceChoice) }
    }

    static func names(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    static func numbers(_ list: String, option: String) throws -> [Double] {
        try names(list).map { text in
            guard let value = Double(text) else { throw TransferError.option(option, "'\(text)' is not a number") }
            return value
        }
    }
}
