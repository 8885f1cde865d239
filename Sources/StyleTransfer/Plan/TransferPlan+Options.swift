// TransferPlan+Options: the options of a run as `nst transfer` spells them, the one place below the command line that does.

/// An option of `nst transfer`, by the name a user types. Errors and notes below the
/// command line name options only through this table (and the plan that checks them), so
/// a renamed option changes here and in `Sources/nst`, nowhere else. Its description is
/// the flag itself, so `"\(TransferOption.size)"` reads `--size`.
public enum TransferOption: String, Sendable, CaseIterable, CustomStringConvertible {
    case content = "--content", style = "--style", output = "--output", size = "--size", iterations = "--iterations"
    case optimizer = "--optimizer", learningRate = "--learning-rate"
    case average = "--average"
    case contentWeight = "--content-weight", styleWeight = "--style-weight", tvWeight = "--tv-weight"
    case preset = "--preset", model = "--model", preprocess = "--preprocess"
    case contentLayers = "--content-layers", styleLayers = "--style-layers", styleLayerWeights = "--style-layer-weights"
    case styleBlendWeights = "--style-blend-weights", initial = "--init", seed = "--seed", device = "--device"
    case weights = "--weights", pooling = "--pooling", styleScale = "--style-scale", lossLog = "--loss-log", plot = "--plot"
    case saveEvery = "--save-every", quiet = "--quiet"
    case tile = "--tile", maxMemory = "--max-memory", startSize = "--start-size", scaleFactor = "--scale-factor"
    case stageIterations = "--stage-iterations"
    case originalColors = "--original-colors", colorMatch = "--color-match", normalizeGradients = "--normalize-gradients"
    case styleMask = "--style-mask", contentMask = "--content-mask", tolerance = "--tolerance"
    case toleranceWindow = "--tolerance-window", bitDepth = "--bit-depth", jpegQuality = "--jpeg-quality"
    case skipExisting = "--skip-existing", shard = "--shard", distributed = "--distributed"
    case temporalWeight = "--temporal-weight", temporalFrames = "--temporal-frames", frameInit = "--frame-init"
    case firstFrameIterations = "--first-frame-iterations", flow = "--flow", fps = "--fps", crf = "--crf"
    case resume = "--resume", consistencyLog = "--consistency-log", styleLoss = "--style-loss"

    /// The flag, e.g. `--size`.
    public var description: String { rawValue }
}

extension TransferError {
    /// `.option` naming `option`: `--size: must be positive, got 0`.
    static func invalid(_ option: TransferOption, _ problem: String) -> TransferError { .option(option.rawValue, problem) }

    /// `.file` whose role is `option`: `--content 'a.png': no such file`.
    static func file(_ option: TransferOption, path: String, problem: String) -> TransferError {
        .file(role: option.rawValue, path: path, problem: problem)
    }
}
