// TransferEngine: the optimisation loop on in-memory images: network, targets, objective, optimiser.
import Foundation
import NSTCore

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

    /// - Parameters:
    ///   - content: the content image at the generated size.
    ///   - styles: the style images at their final size.
    ///   - initial: the starting image for `--init FILE` (already at the content size).
    ///   - keepLastGood: keep a device copy of the previous image (for `--save-every`).
    public init(device: any Device, plan: TransferPlan, weights: VGGWeights,
                content: Image, styles: [Image], initial: Image? = nil, keepLastGood: Bool = false) throws {
        let options = plan.options
        self.device = device
        self.plan = plan
        height = content.height
        width = content.width
        let network = try VGGNetwork(device: device, weights: weights, pooling: options.pooling, depth: plan.depth)
        let shape = Shape(3, height, width)

        let styleTensors = try styles.map { try Self.upload($0, to: device) }
        let targets = try StyleTargets.compute(network: network, images: styleTensors, blend: plan.blend, layers: plan.style)

        let workspace = try VGGWorkspace(network: network, height: height, width: width,
                                         keepConvOutputs: Set(plan.content.indices).union(plan.style.indices))
        let contentTensor = try Self.upload(content, to: device)
        objective = try TransferObjective(workspace: workspace, contentImage: contentTensor, content: plan.content,
                                          style: plan.style, styleTargets: targets, contentWeight: options.contentWeight,
                                          styleWeight: options.styleWeight, tvWeight: options.tvWeight)
        image = try device.makeTensor(shape)
        gradient = try device.makeTensor(shape)
        switch options.initMode {
        case .content: try device.copy(contentTensor, to: image)
        case .random: try device.upload(Self.noise(count: shape.count, seed: options.seed), to: image)
        case .file:
            guard let initial, initial.width == width, initial.height == height else {
                throw TransferError.option("--init", "the initial image must be given at the content size \(width)x\(height)")
            }
            try device.upload(initial.pixels, to: image)
        }
        optimizer = try makeOptimizer(options.optimizer, device: device, like: shape,
                                      learningRate: plan.learningRate, iterations: plan.iterations)
        lastGood = keepLastGood ? try device.makeTensor(shape) : nil
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

    /// Runs `plan.iterations` iterations. `report(k, losses, seconds)` is called for
    /// k = 0 (the initial image) through N, with the wall time since the loop began.
    /// Returns how the run ended: all iterations done, stopped early by `stop` (after the
    /// iteration in progress), or stalled (L-BFGS found no step that lowers J; the image is
    /// that of the last iteration).
    /// - Throws: `TransferError.diverged` when a loss or the gradient's norm is NaN or
    ///   infinite, or no trial step gives a finite J (the image then holds the last good
    ///   state when `keepLastGood` was set); errors of `report`.
    @discardableResult
    public func run(stop: StopRequest? = nil,
                    report: (_ iteration: Int, _ losses: LossValues, _ seconds: Double) throws -> Void) throws -> RunEnd {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var losses = try objective.evaluate(image, gradient: gradient)
        guard losses.isFinite else { throw diverged(0, losses) }
        try report(0, losses, elapsed())
        for k in 1...plan.iterations {
            if let signal = stop?.signal { return .stopped(signal: signal, iteration: k - 1) }
            if let lastGood { try device.copy(image, to: lastGood) }
            do {
                losses = try optimizer.step(x: image, gradient: gradient, current: losses, objective: objective)
            } catch let failure as StepFailure {
                if let lastGood { try device.copy(lastGood, to: image) }
                switch failure {
                case .noDecrease: return .stalled(iteration: k - 1)
                case .noFiniteTrial:
                    throw TransferError.diverged("no trial step of the line search gave a finite J at iteration \(k); lower --learning-rate (now \(plan.learningRate)) or --style-weight")
                }
            }
            guard losses.isFinite else {
                if let lastGood { try device.copy(lastGood, to: image) }
                throw diverged(k, losses)
            }
            try report(k, losses, elapsed())
        }
        return .finished
    }

    private func diverged(_ k: Int, _ l: LossValues) -> TransferError {
        let hint = plan.options.optimizer == .lbfgs ? "lower --style-weight or use another --optimizer"
                                                    : "lower --learning-rate (now \(plan.learningRate))"
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
}
