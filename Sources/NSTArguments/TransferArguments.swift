// TransferArguments: the options `nst transfer` and `nst video` share (styles, size, optimiser, weights, network, outputs beside the image, large images, controls).
import ArgumentParser
import Foundation
import StyleTransfer

/// Every option of a style transfer except what names its content and output, parsed once
/// for both commands that run one.
public struct TransferArguments: ParsableArguments {
    public init() {}

    /// The library's defaults, shown by --help.
    public static let defaults = TransferOptions(contentPath: "", stylePaths: [], outputPath: "")

    @Option(help: ArgumentHelp("Style image (PNG, JPEG or TIFF); repeat for several, blended by --style-blend-weights.", valueName: "file"))
    var style: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Long side of the generated image in pixels (content image resized, aspect kept; default: \(defaults.size); nst video: the clip's own, at most \(defaults.size)).", valueName: "pixels"))
    var size: Int?

    /// Whether `--size` was given (nst video then keeps the clip's size, up to the default).
    public var sizeGiven: Bool { size != nil }

    @Option(parsing: .unconditional, help: ArgumentHelp("Optimiser iterations (accepted steps) (default: \(defaults.iterations); style-transfer-pytorch preset: 500 per stage, 1000 on the first).", valueName: "n"))
    var iterations: Int?

    @Option(help: ArgumentHelp("Optimiser: sgd, adam or lbfgs (default: \(defaults.optimizer.rawValue); style-transfer-pytorch preset: adam).", valueName: "name"))
    var optimizer: OptimizerKind?

    @Option(parsing: .unconditional, help: ArgumentHelp("Step size on the [0,1] pixel scale (default: sgd \(OptimizerKind.sgd.defaultLearningRate), adam \(OptimizerKind.adam.defaultLearningRate), lbfgs \(OptimizerKind.lbfgs.defaultLearningRate) = first trial step of each line search).", valueName: "rate"))
    var learningRate: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Write the bias-corrected exponential moving average of each stage's images with this decay, 0 to below 1 (e.g. 0.99), instead of the last image (default: off).", valueName: "decay"))
    var average: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("alpha, the weight of J_content (default \(LossWeights.defaults.content); neural-style preset: 5; style-transfer-pytorch: 0.015).", valueName: "alpha"))
    var contentWeight: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("beta, the weight of J_style (default \(LossWeights.defaults.style); with pretrained --weights: 0.0066 x alpha for caffe-convention weights, 22 x alpha for torchvision ones, 0.33 x alpha for vgg19-normalised; with --style-loss w2: alpha / 0.06; neural-style preset: 100; style-transfer-pytorch: 1).", valueName: "beta"))
    var styleWeight: Double?

    @Option(help: ArgumentHelp("Style statistic: gram (Gram matrices, Gatys et al.) or w2 (mean and covariance under the Wasserstein-2 distance, as style-transfer-pytorch; default beta then alpha / 0.06).", valueName: "gram|w2"))
    var styleLoss: StyleLossKind?

    @Option(parsing: .unconditional, help: ArgumentHelp("gamma, the weight of the total variation J_tv (default \(LossWeights.defaults.tv); neural-style preset: 0.001; style-transfer-pytorch: 2, its nine-point TV).", valueName: "gamma"))
    var tvWeight: Double?

    @Option(help: ArgumentHelp("An objective whose weights mean what they mean elsewhere: neural-style (jcjohnson/neural-style as neural-style-pt computes it) or style-transfer-pytorch (crowsonkb's: W2 loss, Adam, averaging, sqrt(2) stages from 128).", valueName: "name"))
    var preset: TransferPreset?

    @Option(help: ArgumentHelp("Network: vgg19 or vgg16 (default: the one the weights file holds, else vgg19).", valueName: "name"))
    var model: VGGModel?

    @Option(help: ArgumentHelp("Input convention: torchvision (RGB, ImageNet mean/std) or caffe (BGR, 0-255 minus the mean pixel); default: what the weights need (.caffemodel and the caffe-converted files: caffe; .pth: torchvision), else the preset's.", valueName: "name"))
    var preprocess: Preprocess?

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

    @Option(help: ArgumentHelp("Compute backend: auto (an OpenCL GPU if any, else the CPU), cpu, opencl (the first OpenCL device) or opencl:N (as listed by `nst devices`); a comma-separated list (opencl:0,cpu) spreads tiles over several, the first holding the image.", valueName: "name"))
    var device: String = "auto"

    @Flag(help: "Do not tune an OpenCL device that has no tuning file yet (by default it is tuned once, in at most \(Int(AutoTune.defaultBudgetSeconds)) s besides building its kernels, and the result kept; NST_AUTOTUNE=0 does the same).")
    var noAutotune = false

    @Option(help: ArgumentHelp("Pretrained weights: a .pth (PyTorch, zip or legacy), .caffemodel or .safetensors file, or a name fetched by `nst weights fetch` (vgg19, vgg16, ...); default: built-in seeded random weights.", valueName: "file|name"))
    var weights: String?

    @Option(help: ArgumentHelp("Pooling after each block: max or avg.", valueName: "kind"))
    var pooling: PoolKind = defaults.pooling

    @Option(parsing: .unconditional, help: ArgumentHelp("Style images are resized to a long side of style-scale * size.", valueName: "factor"))
    var styleScale: Double = defaults.styleScale

    @Option(help: ArgumentHelp("Write the losses of every iteration to this CSV file.", valueName: "file"))
    var lossLog: String?

    @Option(help: ArgumentHelp("Write a plot of the losses (.svg or .png) at the end and at each --save-every snapshot.", valueName: "file"))
    var plot: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also write <output>-<iteration>.<ext> every n iterations (0: never).", valueName: "n"))
    var saveEvery: Int = defaults.saveEvery

    @Flag(help: "No progress display.")
    var quiet = false

    @OptionGroup(title: "Large images")
    var large: LargeImageArguments

    @OptionGroup(title: "Controls")
    var controls: ControlArguments

    /// The options of a run of `content` into `output`.
    public func options(content: String, output: String) throws -> TransferOptions {
        var options = TransferOptions(contentPath: content, stylePaths: style, outputPath: output)
        options.devices = try DeviceChoice.list(parsing: device)
        options.autotune = !noAutotune
        options.size = size ?? Self.defaults.size
        options.givenIterations = iterations
        options.givenOptimizer = optimizer
        options.learningRate = learningRate
        options.averageDecay = average
        // Unset weights are resolved by the plan (the preset's, the pretrained default, nst's).
        options.contentWeight = contentWeight
        options.styleWeight = styleWeight
        options.tvWeight = tvWeight
        options.styleLoss = styleLoss
        options.preset = preset
        options.model = model
        options.preprocess = preprocess
        options.contentLayers = Self.names(contentLayers)
        options.styleLayers = Self.names(styleLayers)
        options.styleLayerWeights = try styleLayerWeights.map { try Self.numbers($0, option: "--style-layer-weights") }
        options.styleBlendWeights = try styleBlendWeights.map { try Self.numbers($0, option: "--style-blend-weights") }
        options.initMode = InitMode(argument: initMode)
        options.seed = seed
        options.weightsPath = weights.map { WeightsCache().resolve($0) }
        options.pooling = pooling
        options.styleScale = styleScale
        options.lossLogPath = lossLog
        options.saveEvery = saveEvery
        options.plotPath = plot
        options.quiet = quiet
        options.large = try large.options()
        options.controls = controls.options()
        return options
    }

    /// The comma-separated items of `list`, trimmed, empty ones left out.
    public static func names(_ list: String) -> [String] {
        list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The comma-separated numbers of `list`; a word that is not one throws naming `option`.
    public static func numbers(_ list: String, option: String) throws -> [Double] {
        try names(list).map { text in
            guard let value = Double(text) else { throw TransferError.option(option, "'\(text)' is not a number") }
            return value
        }
    }
}
