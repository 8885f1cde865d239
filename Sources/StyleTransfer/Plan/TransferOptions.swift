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

    /// neural-style's defaults: content 5, style 100, TV 1e-3.
    public var contentWeight: Double { 5 }
    public var styleWeight: Double { 100 }
    public var tvWeight: Double { 1e-3 }
    /// The input convention when neither `TransferOption.preprocess` nor the weights state one.
    public var preprocess: Preprocess { .caffe }
    /// Adam's beta2 unless the options give one; nil: nst's (`Adam.defaultBeta2`, torch's too).
    public var adamBeta2: Double? { nil }
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
    /// Optimiser iterations (accepted steps).
    public var iterations = 200
    /// The optimiser.
    public var optimizer = OptimizerKind.lbfgs
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
