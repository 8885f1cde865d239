// TransferOptions: every setting of one style transfer run, with the defaults of `nst transfer`.
import NSTCore
import NSTImages
import NSTWeights
import NSTMethod

/// Where the generated image starts.
public enum InitMode: Equatable, Sendable {
    /// The content image (the default).
    case content
    /// Uniform noise in [0, 1] drawn from the seed.
    case random
    /// An image file, resized to the content size.
    case file(String)

    /// Parses `content`, `random` or a file path.
    public init(argument: String) {
        switch argument {
        case "content": self = .content
        case "random": self = .random
        default: self = .file(argument)
        }
    }
}

/// A named objective whose option values mean what they mean in another program.
public enum TransferPreset: String, Sendable, CaseIterable {
    /// jcjohnson/neural-style as neural-style-pt implements it (docs/MATH.md, section 10):
    /// content weight x MSE of the activations, style weight x MSE of Gram matrices divided by
    /// C*H*W, TV weight x the L1 total variation of the 0-255 preprocessed image.
    case neuralStyle = "neural-style"
    /// crowsonkb's style-transfer-pytorch (docs/MATH.md section 12): content weight x MSE of
    /// the activations, the W2 style loss with layers weighted 256:64:16:4:1 (normalised), TV
    /// weight x its nine-point total variation; Adam, iterate averaging, coarse to fine by sqrt(2).
    case styleTransferPytorch = "style-transfer-pytorch"

    /// The preset's alpha: neural-style's 5, style-transfer-pytorch's 0.015.
    public var contentWeight: Double { self == .neuralStyle ? 5 : 0.015 }
    /// The preset's beta: neural-style's 100; style-transfer-pytorch's layer weights sum to 1.
    public var styleWeight: Double { self == .neuralStyle ? 100 : 1 }
    /// The preset's gamma: neural-style's 1e-3, style-transfer-pytorch's 2.
    public var tvWeight: Double { self == .neuralStyle ? 1e-3 : 2 }
    /// The input convention when neither `TransferOption.preprocess` nor the weights state one.
    public var preprocess: Preprocess { self == .neuralStyle ? .caffe : .torchvision }
    /// The iterations per stage when `TransferOption.iterations` is not given (style-transfer-pytorch:
    /// 500, and twice that on the first stage of its schedule); nil: nst's.
    public var iterations: Int? { self == .neuralStyle ? nil : 500 }
    /// The optimiser when `TransferOption.optimizer` is not given; nil: nst's.
    public var optimizer: OptimizerKind? { self == .neuralStyle ? nil : .adam }
    /// The style statistic when `TransferOption.styleLoss` is not given.
    public var styleLoss: StyleLossKind { self == .neuralStyle ? .gram : .w2 }
    /// The total variation's form.
    public var tv: TVKind { self == .neuralStyle ? .absolute : .ninePoint }
    /// style-transfer-pytorch's style layer weights (relu1_1 to relu5_1), before normalising.
    public static let styleTransferPytorchLayerWeights: [Double] = [256, 64, 16, 4, 1]
    /// Adam's beta2 unless the options give one; nil: nst's (`Adam.defaultBeta2`, torch's too).
    public var adamBeta2: Double? { self == .neuralStyle ? nil : 0.99 }
    /// The iterate average's decay unless `TransferOption.average` is given; nil: none.
    public var averageDecay: Double? { self == .neuralStyle ? nil : 0.99 }
}

/// The settings of one run; the defaults are those of `nst transfer` (see its help).
public struct TransferOptions: Sendable {
    /// The content image file (`TransferOption.content`).
    public var contentPath: String
    /// The style image files (`TransferOption.style`, one or more).
    public var stylePaths: [String]
    /// The output image (`TransferOption.output`): PNG, JPEG or TIFF by its extension.
    public var outputPath: String
    /// Long side of the generated image in pixels.
    public var size = 256
    /// Optimiser iterations as given (`TransferOption.iterations`); nil: the preset's, else 200.
    public var givenIterations: Int?
    /// Optimiser iterations (accepted steps): as given, else the preset's, else 200.
    public var iterations: Int {
        get { givenIterations ?? preset?.iterations ?? 200 }
        set { givenIterations = newValue }
    }
    /// The optimiser as given (`TransferOption.optimizer`); nil: the preset's, else L-BFGS.
    public var givenOptimizer: OptimizerKind?
    /// The optimiser: as given, else the preset's, else L-BFGS.
    public var optimizer: OptimizerKind {
        get { givenOptimizer ?? preset?.optimizer ?? .lbfgs }
        set { givenOptimizer = newValue }
    }
    /// nil: the optimiser's `defaultLearningRate`.
    public var learningRate: Double?
    /// The decay of the average of each stage's images (`TransferOption.average`), which becomes the
    /// output, the snapshots and the next stage's start; nil: off.
    public var averageDecay: Double?
    /// Adam's beta2, 0 to below 1; nil: the preset's, else `Adam.defaultBeta2`. No flag sets it (a
    /// preset or a library caller does), so a bad value is reported against `TransferOption.optimizer`.
    public var adamBeta2: Double?
    /// alpha, the weight of J_content; nil: the preset's, else 1 (`TransferPlan.lossWeights`).
    public var contentWeight: Double?
    /// beta, the weight of J_style; nil: the preset's, else the one derived for pretrained
    /// weights, else 100 (`TransferPlan.lossWeights`).
    public var styleWeight: Double?
    /// The statistic the style loss matches (`TransferOption.styleLoss`); nil: the preset's, else Gram matrices.
    public var styleLoss: StyleLossKind?
    /// gamma, the weight of J_tv; nil: the preset's, else 5e-4 (`TransferPlan.lossWeights`).
    public var tvWeight: Double?
    /// tau, the weight of the temporal term of a video's frames after the first (`nst video`); unused by still images.
    public var temporalWeight: Double = 0
    /// Layers of J_content (weight 1 each).
    public var contentLayers = ["relu4_2"]
    /// Layers of J_style.
    public var styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    /// nil: 1/L each.
    public var styleLayerWeights: [Double]?
    /// nil: equal.
    public var styleBlendWeights: [Double]?
    /// The devices of the run, the first holding the image (`DeviceChoice.list(parsing:)`).
    public var devices: [DeviceChoice] = [.auto]
    /// Tune an OpenCL device that has no tuning file yet, briefly, before the run (`AutoTune`;
    /// `--no-autotune` turns it off, as does `NST_AUTOTUNE=0`).
    public var autotune = true
    /// Where the generated image starts.
    public var initMode = InitMode.content
    /// Seed of a random start (`InitMode.random`).
    public var seed: UInt64 = 0
    /// Max or average pooling after each block.
    public var pooling = PoolKind.max
    /// Style images are resized to a long side of `styleScale * size`.
    public var styleScale = 1.0
    /// nil: the built-in seeded weights.
    public var weightsPath: String?
    /// nil: the model the weights file holds, else VGG-19.
    public var model: VGGModel?
    /// nil: the convention the weights state, else the preset's, else torchvision.
    public var preprocess: Preprocess?
    /// nil: the objective of docs/MATH.md as it stands; `.neuralStyle`: neural-style's.
    public var preset: TransferPreset?
    /// The CSV file of per-iteration losses, or nil for none.
    public var lossLogPath: String?
    /// The loss plot (`.svg` or `.png`) written at the end and at each snapshot, or nil for none.
    public var plotPath: String?
    /// Write a numbered intermediate image every N iterations (0: never).
    public var saveEvery = 0
    /// No progress display.
    public var quiet = false
    /// Tiles, memory budget and coarse-to-fine stages.
    public var large = LargeImageOptions()
    /// Colours, gradients, masks, early stop and the output format (all off by default).
    public var controls = ControlOptions()

    /// The default settings with no files named (for runs on images already in memory).
    public init() {
        self.init(contentPath: "", stylePaths: [], outputPath: "")
    }

    /// The default settings for these files.
    public init(contentPath: String, stylePaths: [String], outputPath: String) {
        self.contentPath = contentPath
        self.stylePaths = stylePaths
        self.outputPath = outputPath
    }

    /// The learning rate in effect.
    public var effectiveLearningRate: Double { learningRate ?? optimizer.defaultLearningRate }

    /// The long side of the style images (clamped to 0...16385 so that any option values
    /// convert; `TransferPlan` rejects the values outside 1...16384).
    public var styleSize: Int { styleSize(for: size) }

    /// The long side of the style images for a generated image of long side `size`:
    /// `styleScale * size`, rounded and clamped as `styleSize` is.
    public func styleSize(for size: Int) -> Int {
        let exact = (styleScale * Double(size)).rounded()
        return exact.isNaN ? 0 : Int(min(max(exact, 0), Double(Image.maxSide + 1)))
    }
}
