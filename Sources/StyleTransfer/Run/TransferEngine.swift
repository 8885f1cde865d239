// TransferEngine: the optimisation loop on in-memory images: network, targets, objective, optimiser.
import Foundation
import NSTCore
import NSTImages
import NSTWeights
import NSTMethod

/// One style transfer on images already in memory: builds the network and the loss
/// targets on a device, then runs the optimiser, reporting every iteration.
///
/// Everything the loop needs is allocated in `init`; an iteration allocates nothing and
/// moves no image data to the host (only the loss scalars come back).
public final class TransferEngine {
    /// The backend running the loop.
    public let device: any Device
    /// The run's validated settings.
    public let plan: TransferPlan
    /// The stage this engine runs (its size and iterations).
    public let stage: TransferStage
    /// The generated image's size (the content image's).
    public let height: Int, width: Int
    /// The generated image `[3,H,W]` being optimised, and dJ/dx at it.
    public let image: Tensor, gradient: Tensor
    /// J and its gradient for this run's images: the evaluation seam the optimiser and the
    /// loop see (another evaluator, e.g. a tiled one, can stand behind it).
    public let objective: any Objective
    private let optimizer: Optimizer
    /// A copy of the image before the current update, kept when `keepLastGood` is set.
    private let lastGood: Tensor?
    /// The stage's average of the images (`TransferOption.average`), or nil without one.
    private let average: IterateAverage?
    /// The iteration after which `TransferOption.tolerance` ended the last `run`, or nil when it ran them all.
    public private(set) var stoppedAt: Int?

    /// - Parameters:
    ///   - content: the content image at the generated size.
    ///   - styles: the style images at their final size.
    ///   - initial: the starting image (already at the content size): the file of `TransferOption.initial`, or the
    ///     previous stage's result; nil: as `TransferOption.initial` says.
    ///   - keepLastGood: keep a device copy of the previous image (for `TransferOption.saveEvery`).
    ///   - stage: the stage to run (default: the plan's last, which is its only one unless
    ///     coarse-to-fine).
    ///   - layout: whole or tiled evaluation and the L-BFGS history (default: whole, the
    ///     optimiser's default history).
    ///   - workers: the devices tiles go to (default: `device` alone); `device` holds the image.
    ///   - masks: style and content masks at the content size (`TransferOption.styleMask`, `TransferOption.contentMask`).
    public convenience init(device: any Device, plan: TransferPlan, weights: VGGWeights,
                            content: Image, styles: [Image], initial: Image? = nil, keepLastGood: Bool = false,
                            stage: TransferStage? = nil, layout: StageLayout? = nil, workers: [any Device] = [],
                            masks: TransferMasks? = nil) throws {
        try self.init(device: device, plan: plan, weights: weights, content: content, styles: styles, initial: initial,
                      keepLastGood: keepLastGood, stage: stage, layout: layout, workers: workers, masks: masks,
                      cache: EngineCache(sharesStyleTargets: false))
    }

    /// The engine with the network and style targets taken from `cache` when it has them
    /// (the items of a batch share them).
    /// With `remote`, a tiled stage's tiles are shared with other processes (`RemoteTiles`).
    /// `temporal`: a video frame's earlier results warped into it, at the content's size
    /// (the temporal term, weighted by the plan's tau), or none. `warmStart`: the last stage's
    /// Adam state, which an Adam run starts from (resized to this stage's size), or nil.
    init(device: any Device, plan: TransferPlan, weights: VGGWeights, content: Image, styles: [Image], initial: Image?,
         keepLastGood: Bool, stage: TransferStage?, layout: StageLayout?, workers: [any Device], masks: TransferMasks?,
         cache: EngineCache, remote: (any RemoteTiles)? = nil, temporal: [TemporalTarget] = [], warmStart: AdamState? = nil) throws {
        let options = plan.options
        self.device = device
        self.plan = plan
        let stage = stage ?? plan.stages[plan.stages.count - 1]
        self.stage = stage
        height = content.height
        width = content.width
        guard weights.model == plan.model else {
            throw WeightsError(file: weights.source, problem: "holds \(weights.model), but the run is planned for \(plan.model)")
        }
        let shape = Shape(3, height, width)
        var contentTensor: Tensor?
        let temporalTerm = try temporal.isEmpty ? nil
            : TemporalTerm(device: device, targets: temporal, height: content.height, width: content.width)
        if case let .tiled(side)? = layout?.layout {
            // The pipeline refuses these controls for a tiled stage before any work, naming the option.
            guard options.controls.untiledOption == nil else {
                throw DeviceError.invalidArgument(op: "TransferEngine", detail: "masks and normalised gradients need the whole-image evaluation, not tiles")
            }
            let grid = TileGrid(size: ImageSize(height: height, width: width), model: plan.model, depth: plan.depth, tileSide: side)
            objective = try TiledObjective(home: device, workers: workers.isEmpty ? [device] : workers, weights: weights,
                                           spec: plan.objective, grid: grid, content: content, styles: styles, remote: remote,
                                           temporal: temporalTerm)
        } else {
            let network = try cache.network(on: device, weights: weights, pooling: options.pooling, depth: plan.depth)
            let styleTensors = try styles.map { try Self.upload($0, to: device) }
            let side = styles.map { max($0.width, $0.height) }.max() ?? 0
            let targets = try cache.styleTargets(side: side) {
                try StyleTargets.compute(network: network, images: styleTensors, blend: plan.blend, layers: plan.style,
                                         statistic: plan.objective.styleLoss)
            }
            let workspace = try VGGWorkspace(network: network, height: height, width: width,
                                             keepConvOutputs: Set(plan.content.indices).union(plan.style.indices))
            let uploaded = try Self.upload(content, to: device)
            contentTensor = uploaded
            let controls = try ObjectiveControls.make(spec: plan.objective, network: network, styles: styleTensors, masks: masks)
            objective = try TransferObjective(workspace: workspace, contentImage: uploaded, spec: plan.objective,
                                              styleTargets: targets, controls: controls, temporal: temporalTerm)
        }
        image = try device.makeTensor(shape)
        gradient = try device.makeTensor(shape)
        if let initial {
            // The pipeline resizes every start image to the stage's size.
            guard initial.width == width, initial.height == height else {
                throw DeviceError.invalidArgument(op: "TransferEngine", detail: "the initial image is \(initial.width)x\(initial.height), not the content's \(width)x\(height)")
            }
            try device.upload(initial.pixels, to: image)
        } else {
            switch options.initMode {
            case .content:
                if let contentTensor { try device.copy(contentTensor, to: image) } else { try device.upload(content.pixels, to: image) }
            case .random: try device.upload(Self.noise(count: shape.count, seed: options.seed), to: image)
            case .file:
                throw DeviceError.invalidArgument(op: "TransferEngine", detail: "a start image file is planned, but none was given")
            }
        }
        optimizer = try makeOptimizer(options.optimizer, device: device, like: shape, learningRate: plan.learningRate,
                                      iterations: stage.iterations, history: layout?.history ?? LBFGS.defaultHistory,
                                      adamBeta2: plan.adamBeta2)
        // Only Adam has state worth carrying: L-BFGS's pairs belong to the old size, SGD keeps none.
        if let warmStart, let adam = optimizer as? Adam { try adam.warmStart(from: warmStart) }
        lastGood = keepLastGood ? try device.makeTensor(shape) : nil
        average = try plan.averageDecay.map { try IterateAverage(device: device, shape: shape, decay: $0) }
    }

    /// Uniform noise in [0, 1): `SplitMix64(seed).nextUnitFloat()` for each value in CHW order.
    public static func noise(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in rng.nextUnitFloat() }
    }

    static func upload(_ image: Image, to device: any Device) throws -> Tensor {
        let tensor = try device.makeTensor(Shape(3, image.height, image.width))
        try device.upload(image.pixels, to: tensor)
        return tensor
    }

    /// Runs the stage's iterations. `report(k, losses, seconds)` is called for
    /// k = 0 (the initial image) through N, with the wall time since the loop began.
    /// With `TransferOption.tolerance`, the run ends early (`stoppedAt`) when `EarlyStop` says so.
    /// Returns how the run ended: all iterations done (or stopped early by the tolerance),
    /// stopped by `stop` (after the iteration in progress, or, when that iteration is still
    /// running `stop.patience` seconds after the request, with it abandoned and the image of
    /// the iteration before restored: this needs `keepLastGood`), or stalled (L-BFGS found
    /// no step that lowers J; the image is that of the last iteration).
    /// - Throws: `TransferError.diverged` when a loss or the gradient's norm is NaN or
    ///   infinite, or no trial step gives a finite J (the image then holds the last good
    ///   state when `keepLastGood` was set); errors of `report`.
    @discardableResult
    public func run(stop: StopRequest? = nil,
                    report: (_ iteration: Int, _ losses: LossValues, _ seconds: Double) throws -> Void) throws -> RunEnd {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        // Without a copy of the last finished image an abandoned iteration could not be undone.
        objective.watch(lastGood == nil ? nil : stop)
        defer { objective.watch(nil) }
        var losses: LossValues
        do {
            losses = try objective.evaluate(image, gradient: gradient)
        } catch is StopInterruption {
            // The image is untouched by an evaluation: it is still the stage's starting image.
            return .stopped(signal: stop?.signal ?? 0, iteration: 0)
        }
        guard losses.isFinite else { throw diverged(0, losses) }
        // Each stage averages its own images, from its start (style-transfer-pytorch's restart).
        try average?.restart(from: image)
        try report(0, losses, elapsed())
        let controls = plan.options.controls
        var early = controls.tolerance.map { EarlyStop(tolerance: $0, window: controls.toleranceWindow) }
        stoppedAt = nil
        _ = early?.shouldStop(after: losses.total)
        for k in 1...stage.iterations {
            if let signal = stop?.signal { return .stopped(signal: signal, iteration: k - 1) }
            if let lastGood { try device.copy(image, to: lastGood) }
            do {
                losses = try optimizer.step(x: image, gradient: gradient, current: losses, objective: objective)
            } catch is StopInterruption {
                if let lastGood { try device.copy(lastGood, to: image) }
                return .stopped(signal: stop?.signal ?? 0, iteration: k - 1)
            } catch let failure as StepFailure {
                if let lastGood { try device.copy(lastGood, to: image) }
                switch failure {
                case .noDecrease: return .stalled(iteration: k - 1)
                case .noFiniteTrial:
                    throw TransferError.diverged("no trial step of the line search gave a finite J at iteration \(k); lower \(TransferOption.learningRate) (now \(plan.learningRate)) or \(TransferOption.styleWeight)")
                }
            }
            guard losses.isFinite else {
                if let lastGood { try device.copy(lastGood, to: image) }
                throw diverged(k, losses)
            }
            // Only a finished, finite step joins the average, before the report that may snapshot it.
            try average?.add(image)
            try report(k, losses, elapsed())
            if k < stage.iterations, early?.shouldStop(after: losses.total) == true {
                stoppedAt = k
                return .finished
            }
        }
        return .finished
    }

    private func diverged(_ k: Int, _ l: LossValues) -> TransferError {
        var hint = plan.options.optimizer == .lbfgs ? "lower \(TransferOption.styleWeight) or use another \(TransferOption.optimizer)"
                                                    : "lower \(TransferOption.learningRate) (now \(plan.learningRate))"
        // A weight so large that its term overflows is the cause to name: beyond float's range
        // its gradient's scale is infinite on the device, or its weighted part is in Double.
        let w = plan.lossWeights
        let terms: [(TransferOption, Double, Double)] = [(.contentWeight, w.content, l.content), (.styleWeight, w.style, l.style),
                                                          (.tvWeight, w.tv, l.tv)]
        if let (option, weight, _) = terms.first(where: { !Float($0.1).isFinite || ($0.2.isFinite && !($0.1 * $0.2).isFinite) }) {
            hint = "the \(option) term overflowed: lower \(option) (now \(weight))"
        }
        let losses = [l.total, l.content, l.style, l.tv]
        guard losses.allSatisfy(\.isFinite) else {
            return .diverged("loss became \(losses.contains { $0.isNaN } ? "NaN" : "infinite") at iteration \(k) (content \(l.content), style \(l.style), tv \(l.tv)); \(hint)")
        }
        let size = l.gradientSquaredNorm.isNaN ? "NaN" : "too large for float (its squared norm is over \(Float.greatestFiniteMagnitude))"
        return .diverged("the gradient of J became \(size) at iteration \(k) (J \(l.total)); \(hint)")
    }

    /// The current image, downloaded (CHW, unclamped).
    public func currentImage() throws -> Image {
        try Image(width: width, height: height, pixels: device.download(image))
    }

    /// What the stage has made: with `TransferOption.average`, the average of its images so far
    /// (the current image while none has been averaged), else the current image. The output,
    /// the snapshots and the next stage's start are this.
    public func resultImage() throws -> Image {
        guard let average, average.count > 0 else { return try currentImage() }
        return try Image(width: width, height: height, pixels: device.download(average.average))
    }

    /// J at the average of the stage's images (`TransferOption.average`), or nil without one
    /// (or before any image was averaged). One more evaluation; it overwrites `gradient`, so
    /// it belongs after `run`.
    public func averageLosses() throws -> LossValues? {
        guard let average, average.count > 0 else { return nil }
        return try objective.evaluate(average.average, gradient: gradient)
    }

    /// The optimiser's state for the next coarse-to-fine stage: Adam's moments and step
    /// count, downloaded; nil for the optimisers whose state does not carry over.
    public func carriedState() throws -> AdamState? {
        try (optimizer as? Adam)?.state()
    }
}
