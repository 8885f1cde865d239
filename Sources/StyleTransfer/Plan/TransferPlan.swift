// TransferPlan: a run's options validated once and resolved into what every later step reads.
import Foundation
import NSTCore
import NSTImages
import NSTWeights
import NSTMethod

/// One stage of the optimisation: an image size and the iterations spent at it. A run has
/// one stage; coarse-to-fine runs add smaller ones before it.
public struct TransferStage: Equatable, Sendable {
    /// Long side of the generated image in pixels.
    public let size: Int
    /// Optimiser iterations at this size.
    public let iterations: Int
}

/// The options of a run, checked once and resolved: the weights file (opened once), the
/// model and input convention, alpha, beta and gamma, layers and their weights, blend
/// weights, network depth, sizes, optimiser settings, devices and stages. The runner, the
/// pipeline, the engine, the benchmark, the memory estimate and the tuner all read the
/// plan; none re-validates.
///
/// Errors name the command-line option, because `TransferOptions` mirrors `nst transfer`'s
/// options one to one; the layers below report domain errors (`WeightListError`) and this
/// is where the option is attached.
public struct TransferPlan {
    /// The options as given (files, flags, raw values).
    public private(set) var options: TransferOptions
    /// Layers and weights of J_content and J_style.
    public let content: LayerWeights, style: LayerWeights
    /// One weight per style image, summing to 1.
    public let blend: [Double]
    /// Layers of the model that must run: up to the deepest one a loss reads.
    public let depth: Int
    /// The network: `--model`, else the one the weights file holds, else VGG-19.
    public let model: VGGModel
    /// The input convention: `--preprocess`, else the weights' own, else the preset's, else torchvision.
    public let preprocess: Preprocess
    /// The total variation term: squared differences (docs/MATH.md section 6) or, with the
    /// neural-style preset, absolute ones on the preprocessed image.
    public let tv: TVKind
    /// The statistic the style terms match: `--style-loss`, else the preset's, else Gram matrices.
    public let styleLoss: StyleLossKind
    /// The optimiser's step size (its default unless given).
    public let learningRate: Double
    /// The decay of the average of each stage's images (`TransferOption.average`), or nil: none.
    public let averageDecay: Double?
    /// Adam's beta2: as given, else the preset's, else `Adam.defaultBeta2`.
    public let adamBeta2: Double
    /// Sizes and iterations, coarsest first; the last is the output's size.
    public let stages: [TransferStage]
    /// alpha, beta and gamma: as given, else the preset's, else (beta) the one derived for
    /// pretrained weights (`PretrainedDefaults`), else nst's defaults (`LossWeights.defaults`).
    public let lossWeights: LossWeights
    /// The weights file `options.weightsPath` names, opened once; nil: the built-in weights.
    public let weightsFile: WeightsFile?

    /// Validates `options` and resolves every default: a library caller gets what
    /// `nst transfer` gets for the same options. `styleCount` is the number of style images
    /// when they do not come from `options.stylePaths` (images already in memory).
    /// `weights` is the weights file when the caller has opened it; otherwise the file
    /// `options.weightsPath` names is opened here, once. The model and the convention it
    /// states are taken from it unless the options name them.
    /// - Throws: `TransferError.option` naming the first bad option; `WeightsError` for a
    ///   weights file that cannot be read.
    public init(_ options: TransferOptions, styleCount: Int? = nil, weights: WeightsFile? = nil) throws {
        let o = options
        guard !o.devices.isEmpty else { throw TransferError.option("--device", "names no device") }
        let weights = try weights ?? o.weightsPath.map { try WeightsFile(url: URL(fileURLWithPath: $0)) }
        weightsFile = weights
        let model = try Self.model(given: o.model, file: weights)
        self.model = model
        preprocess = o.preprocess ?? weights?.statedPreprocess ?? o.preset?.preprocess ?? .torchvision
        tv = o.preset?.tv ?? .squared
        guard o.size > 0 else { throw TransferError.option("--size", "must be a positive number of pixels, got \(o.size)") }
        guard o.size <= Image.maxSide else { throw TransferError.option("--size", "must be at most \(Image.maxSide), got \(o.size)") }
        guard o.iterations > 0 else { throw TransferError.option("--iterations", "must be positive, got \(o.iterations)") }
        if let rate = o.learningRate, !(rate > 0 && rate.isFinite) {
            throw TransferError.option("--learning-rate", "must be a positive number, got \(rate)")
        }
        let styleLoss = o.styleLoss ?? o.preset?.styleLoss ?? .gram
        self.styleLoss = styleLoss
        if styleLoss == .w2, !o.controls.styleMaskPaths.isEmpty {
            throw TransferError.invalid(.styleLoss, "w2 does not combine with \(TransferOption.styleMask) (masked styles match Gram matrices); use \(TransferOption.styleLoss) gram")
        }
        (averageDecay, adamBeta2) = try Self.averaging(o)
        let alpha = o.contentWeight ?? o.preset?.contentWeight ?? LossWeights.defaults.content
        // W2 is quadratic in the features, as the content loss is, so one ratio serves every
        // weights file: style-transfer-pytorch's (docs/MATH.md section 12).
        let beta = o.styleWeight ?? o.preset?.styleWeight
            ?? (styleLoss == .w2 ? alpha / WassersteinStyleDefaults.contentToStyle
                : PretrainedDefaults.styleWeight(contentWeight: alpha, weights: weights, preprocess: o.preprocess))
        let gamma = o.tvWeight ?? o.preset?.tvWeight ?? LossWeights.defaults.tv
        for (name, value) in [("--content-weight", alpha), ("--style-weight", beta), ("--tv-weight", gamma)]
        where !(value >= 0 && value.isFinite) {
            throw TransferError.option(name, "must be a finite number >= 0, got \(value)")
        }
        guard o.temporalWeight >= 0, o.temporalWeight.isFinite else {
            throw TransferError.option("--temporal-weight", "must be a finite number >= 0, got \(o.temporalWeight)")
        }
        lossWeights = LossWeights(content: alpha, style: beta, tv: gamma, temporal: o.temporalWeight)
        guard o.styleScale > 0, o.styleScale.isFinite else {
            throw TransferError.option("--style-scale", "must be a positive number, got \(o.styleScale)")
        }
        guard (1...Image.maxSide).contains(o.styleSize) else {
            let shown = o.styleSize > Image.maxSide ? "more than \(Image.maxSide)" : String(o.styleSize)
            throw TransferError.option("--style-scale", "gives a style size of \(shown) pixels; want 1 to \(Image.maxSide)")
        }
        guard o.saveEvery >= 0 else { throw TransferError.option("--save-every", "must be 0 (off) or positive, got \(o.saveEvery)") }
        let styles = styleCount ?? o.stylePaths.count
        guard styles > 0 else { throw TransferError.option("--style", "needs at least one style image") }
        try Self.checkControls(o, styleCount: styles)
        var content = try Self.layers(o.contentLayers, weights: nil, defaultWeight: 1, model: model,
                                      option: "--content-layers", weightsOption: "--content-layers")
        // style-transfer-pytorch weighs its five layers 256:64:16:4:1, normalised to sum 1.
        let presetLayerWeights = o.preset == .styleTransferPytorch && o.styleLayerWeights == nil
            && o.styleLayers.count == TransferPreset.styleTransferPytorchLayerWeights.count
            ? TransferPreset.styleTransferPytorchLayerWeights.map { $0 / TransferPreset.styleTransferPytorchLayerWeights.reduce(0, +) } : nil
        var style = try Self.layers(o.styleLayers, weights: o.styleLayerWeights ?? presetLayerWeights,
                                    defaultWeight: o.preset == .neuralStyle ? 1 : 1 / Double(o.styleLayers.count), model: model,
                                    option: "--style-layers", weightsOption: "--style-layer-weights")
        if o.preset == .neuralStyle {
            // neural-style's terms in the specification's (docs/MATH.md section 10): MSE of the
            // activations is 4 J_c^l; MSE of Gram/(C H W) is (4 / C^2) J_s^l.
            content = content.scaled(by: { _ in 4 })
            style = style.scaled(by: { index in 4 / Double(model.outputChannels(of: index) * model.outputChannels(of: index)) })
        }
        if o.preset == .styleTransferPytorch {
            // Its content loss is the MSE of the activations, 4 J_c^l (section 12).
            content = content.scaled(by: { _ in 4 })
        }
        self.content = content
        self.style = style
        do {
            blend = try StyleTargets.normalizedBlend(o.styleBlendWeights, count: styles)
        } catch let error as WeightListError {
            throw TransferError.option("--style-blend-weights", Self.describe(error, items: "style images"))
        }
        self.options = o
        depth = max(content.depth, style.depth)
        learningRate = o.effectiveLearningRate
        stages = try Self.stages(o)
    }

    /// `TransferOption.average`'s decay and Adam's beta2, each 0 to below 1 (1 would divide by
    /// `1 - 1^t = 0` in the bias correction).
    private static func averaging(_ o: TransferOptions) throws -> (Double?, Double) {
        // The preset's average unless --average is given (--average 0 is the last image itself).
        let averageDecay = o.averageDecay ?? o.preset?.averageDecay
        if let decay = averageDecay, !(decay >= 0 && decay < 1) {
            throw TransferError.invalid(.average, "must be a number from 0 up to but not including 1 (e.g. 0.99), got \(decay)")
        }
        let beta2 = o.adamBeta2 ?? o.preset?.adamBeta2 ?? Adam.defaultBeta2
        guard beta2 >= 0, beta2 < 1 else {
            throw TransferError.invalid(.optimizer, "adam's beta2 must be a number from 0 up to but not including 1, got \(beta2)")
        }
        return (averageDecay, beta2)
    }

    /// The most stages a coarse-to-fine run may have: sixteen doublings span any size nst takes.
    static let maxStages = 16

    /// The stages of `--start-size`, `--scale-factor` and `--stage-iterations`: long sides
    /// from the start size, each `factor` times the last (rounded), the last exactly `--size`.
    private static func stages(_ o: TransferOptions) throws -> [TransferStage] {
        let large = o.large
        if let tile = large.tile, tile < 1 { throw TransferError.option("--tile", "must be a positive number of pixels, got \(tile)") }
        if let bytes = large.maxMemory, bytes < 1 { throw TransferError.option("--max-memory", "must be positive, got \(bytes)") }
        guard large.scaleFactor > 1, large.scaleFactor.isFinite else {
            throw TransferError.option("--scale-factor", "must be a number greater than 1, got \(large.scaleFactor)")
        }
        if o.preset == .styleTransferPytorch, large.startSize == nil, large.stageIterations == nil {
            return styleTransferPytorchStages(o)
        }
        var sizes = [o.size]
        if let start = large.startSize {
            guard start >= 1, start <= o.size else {
                throw TransferError.option("--start-size", "must be 1 to --size (\(o.size)), got \(start)")
            }
            sizes = []
            // Compared as Doubles, so that a huge factor never converts an out-of-range side.
            var side = Double(start)
            while side.rounded() < Double(o.size), sizes.count <= maxStages {
                let rounded = Int(side.rounded())
                guard sizes.last != rounded else {
                    throw TransferError.option("--scale-factor", "\(large.scaleFactor) gives the stage size \(rounded) twice (from --start-size \(start)); use a larger factor")
                }
                sizes.append(rounded)
                side *= large.scaleFactor
            }
            sizes.append(o.size)
            guard sizes.count <= maxStages else {
                throw TransferError.option("--scale-factor", "\(large.scaleFactor) gives more than \(maxStages) stages from --start-size \(start) to --size \(o.size); use a larger factor or start size")
            }
        }
        let iterations = large.stageIterations ?? Array(repeating: o.iterations, count: sizes.count)
        guard iterations.count == sizes.count else {
            throw TransferError.option("--stage-iterations", "has \(iterations.count) numbers for the \(sizes.count) stages \(sizes.map(String.init).joined(separator: ", "))")
        }
        if let bad = iterations.first(where: { $0 < 1 }) {
            throw TransferError.option("--stage-iterations", "must be positive, got \(bad)")
        }
        return zip(sizes, iterations).map { TransferStage(size: $0, iterations: $1) }
    }

    /// style-transfer-pytorch's schedule: long sides `round(size / sqrt(2)^i)` down to 128 (or
    /// `size` when smaller), coarsest first; twice the iterations on the first (its 1000 and 500).
    private static func styleTransferPytorchStages(_ o: TransferOptions) -> [TransferStage] {
        let end = o.size, start = min(128, end)
        var sizes = Set<Int>(), i = 0, side = end
        while side >= start, sizes.count < maxStages {
            sizes.insert(side)
            i += 1
            side = Int((Double(end) / pow(2, Double(i) / 2)).rounded(.toNearestOrEven))
        }
        return sizes.sorted().enumerated().map { k, size in TransferStage(size: size, iterations: k == 0 ? 2 * o.iterations : o.iterations) }
    }

    /// The network of a run: `--model` (`given`) when the weights `file` holds no other, else
    /// the file's, else VGG-19.
    /// - Throws: `TransferError.option("--model")` when `given` and the file's model differ.
    public static func model(given: VGGModel?, file: WeightsFile?) throws -> VGGModel {
        if let given, let file, let held = file.model, given != held {
            throw TransferError.option("--model", "is \(given.name), but '\(file.path)' holds the \(held.convolutionCount) convolutions of \(held)")
        }
        return given ?? file?.model ?? .vgg19
    }

    /// The objective the plan resolved, for the evaluators to build from.
    public var objective: ObjectiveSpec {
        ObjectiveSpec(content: content, style: style,
                      weights: lossWeights,
                      tv: tv, blend: blend, model: model, pooling: options.pooling,
                      normalizeGradients: options.controls.normalizeGradients, styleLoss: styleLoss)
    }

    /// This plan for another item of a batch: `item`'s files (content, outputs), everything
    /// else as resolved here. `item` must differ from the plan's options in those paths only.
    func with(_ item: TransferOptions) -> TransferPlan {
        var plan = self
        plan.options = item
        return plan
    }

    /// The network's weights for this plan: the file's (opened once, by `init`), read with the
    /// plan's model, depth and convention, or the built-in ones; checked for values that are
    /// not finite.
    /// - Throws: `WeightsError` naming the file and the tensor.
    public func loadWeights() throws -> VGGWeights {
        let weights = try weightsFile.map { try VGGWeights.load(from: $0, depth: depth, model: model, preprocess: preprocess) }
            ?? VGGWeights.builtIn(depth: depth, model: model, preprocess: preprocess)
        try weights.checkValues()
        return weights
    }

    /// Optimiser iterations over all stages.
    public var iterations: Int { stages.reduce(0) { $0 + $1.iterations } }

    /// Resolves a layer list, naming `option` (the names) or `weightsOption` (the weights).
    private static func layers(_ names: [String], weights: [Double]?, defaultWeight: Double, model: VGGModel,
                               option: String, weightsOption: String) throws -> LayerWeights {
        do {
            return try LayerWeights(names: names, weights: weights, defaultWeight: defaultWeight, model: model)
        } catch let error as WeightListError {
            switch error {
            case .noLayers, .unknownLayer, .repeatedLayer: throw TransferError.option(option, error.reason)
            case .count, .badWeight, .allZero:
                throw TransferError.option(weightsOption, describe(error, items: "layers of \(option)"))
            }
        }
    }

    /// A weight-list problem in words; counts say what the weights were for.
    private static func describe(_ error: WeightListError, items: String) -> String {
        if case let .count(given, expected) = error {
            return "has \(given) weights for \(items == "style images" ? "" : "the ")\(expected) \(items)"
        }
        return error.reason
    }
}
