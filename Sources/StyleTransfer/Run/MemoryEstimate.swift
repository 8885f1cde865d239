// MemoryEstimate: the bytes a style transfer needs on its device, worked out from the sizes before anything is allocated.
import NSTCore
import NSTMethod

/// The memory one `TransferEngine` run needs, from image sizes, layers and optimiser alone.
///
/// The device tensors mirror what the engine allocates, in the order it does:
/// 1. the network weights (`VGGNetwork`), the style images and their target Grams;
/// 2. while the targets are computed: one `VGGWorkspace` per style image at a time (the
///    largest counts) and one `[C,C]` scratch Gram per style layer, all released after;
/// 3. then the generated image's workspace, the content image and its target activations,
///    the image, its gradient, the last good copy (`TransferOption.saveEvery`), the average of the
///    images (`TransferOption.average`) and the optimiser state
///    (Adam: 2 image-sized tensors; L-BFGS: `2 * history` pairs plus 3, history capped by the
///    iterations as `makeOptimizer` caps it, and `2 * history` coefficients; SGD: none).
///
/// With the W2 loss the Grams are `[C+1, C+1]`, and phases 2 and 3 each hold the
/// `AugmentedFeatures` buffers of their image: `[A; 1]` and its gradient at the largest
/// style layer, and one `[C+1, C+1]` matrix.
///
/// The peak is 1 plus the larger of 2 and 3. Workspaces follow `VGGWorkspace`'s rules: a
/// ReLU shares its convolution's tensor unless a loss reads that convolution, and there are
/// two gradient buffers per distinct shape (the `[3,H,W]` image's included).
///
/// `scratch` is what the backend borrows inside its ops, which no tensor shows: each
/// backend reports it (`Device.scratchFloats`) from the same band rules its ops use.
///
/// `host` is what the run keeps in host memory besides the device: the decoded images at
/// their final sizes and the weights as loaded (`VGGWeights`, held for the whole run). On
/// the CPU backend host and device are the same memory, so the CPU check counts both.
/// An Adam run of several stages also holds, between stages, the last stage's moments and one
/// of them resized (`Adam.warmStart`): at most 3 image-sized arrays, counted in `host`.
/// `host` also holds `processOverhead` for the runtime, the libraries and the decoded files
/// before resizing, set above what a bare `nst` process keeps resident; the estimate was
/// checked against the peak resident memory of real runs (figures in BENCHMARKS.md).
public struct MemoryEstimate: Equatable, Sendable {
    /// Network weights and biases.
    public let weights: Int
    /// Style images and their target Grams (alive for the whole run).
    public let styleInputs: Int
    /// Held only while the targets are computed: the largest style workspace and the scratch Grams.
    public let styleTargetPhase: Int
    /// The generated image's workspace, content targets and image-sized tensors.
    public let transferPhase: Int
    /// The optimiser's state (part of `transferPhase`).
    public let optimizerState: Int
    /// Backend scratch inside the ops (see the type's documentation).
    public let scratch: Int
    /// Decoded images, loaded weights and `processOverhead` in host memory.
    public let host: Int
    /// Host bytes counted for the process itself (runtime, libraries, files before resizing).
    public static let processOverhead = 64 << 20

    /// Peak bytes of device tensors.
    public var deviceTensors: Int { weights + styleInputs + max(styleTargetPhase, transferPhase) }
    /// Device tensors plus scratch: what the device must hold.
    public var deviceTotal: Int { deviceTensors + scratch }

    /// The estimate for a `height x width` generated image.
    /// - Parameters:
    ///   - styleSizes: each style image's final size.
    ///   - iterations: bounds L-BFGS's history as `makeOptimizer` does.
    ///   - keepLastGood: whether the engine keeps a last good copy (`TransferOption.saveEvery`).
    ///   - device: the backend whose scratch memory is counted (nil: none).
    public init(plan: TransferPlan, height: Int, width: Int, styleSizes: [(height: Int, width: Int)],
                history: Int = LBFGS.defaultHistory, keepLastGood: Bool, device: (any Device)?) {
        let content = plan.content, style = plan.style
        let optimizer = plan.options.optimizer, iterations = plan.iterations
        let depth = max(plan.depth, 1), model = plan.model
        let floats = MemoryLayout<Float>.stride
        let image = 3 * height * width
        weights = floats * model.convIndices(depth: depth).reduce(0) { sum, index in
            guard case let .conv(inC, outC) = model.layers[index].kind else { return sum }
            return sum + outC * inC * 9 + outC
        }
        let extra = plan.styleLoss == .w2 ? 1 : 0
        let grams = style.indices.reduce(0) { $0 + (model.outputChannels(of: $1) + extra) * (model.outputChannels(of: $1) + extra) }
        styleInputs = floats * (styleSizes.reduce(0) { $0 + 3 * $1.height * $1.width } + grams)
        let styleWorkspace = styleSizes.map {
            Self.workspaceFloats(height: $0.height, width: $0.width, depth: depth, keep: Set(style.indices), model: model)
                + (extra == 0 ? 0 : Self.augmentedFloats(height: $0.height, width: $0.width, depth: depth, layers: style.indices, model: model))
        }.max() ?? 0
        styleTargetPhase = floats * (styleWorkspace + grams)

        let (shapes, _) = model.shapes(height: height, width: width, depth: depth)
        let contentTargets = content.indices.reduce(0) { $0 + (shapes.indices.contains($1) ? shapes[$1].count : 0) }
        let optimizerTensors: Int
        switch optimizer {
        case .sgd: optimizerTensors = 0
        case .adam: optimizerTensors = 2
        case .lbfgs: optimizerTensors = 2 * max(min(history, max(iterations, 1)), 1) + 3
        }
        // L-BFGS also keeps its two-loop coefficients on the device: 2 per pair.
        let coefficients = optimizer == .lbfgs ? 2 * max(min(history, max(iterations, 1)), 1) : 0
        optimizerState = floats * (optimizerTensors * image + coefficients)
        let workspace = Self.workspaceFloats(height: height, width: width, depth: depth,
                                             keep: Set(content.indices).union(style.indices), model: model)
            + (extra == 0 ? 0 : Self.augmentedFloats(height: height, width: width, depth: depth, layers: style.indices, model: model))
        // The content image, the generated image, its gradient, the optional last good copy and average.
        let imageTensors = (3 + (keepLastGood ? 1 : 0) + (plan.averageDecay != nil ? 1 : 0)) * image
        transferPhase = floats * (workspace + contentTargets + imageTensors) + optimizerState

        let sizes = [ImageSize(height: height, width: width)] + styleSizes.map { ImageSize(height: $0.height, width: $0.width) }
        scratch = floats * (device?.scratchFloats(sizes: sizes, depth: depth, model: model) ?? 0)
        host = floats * (sizes.reduce(0) { $0 + 3 * $1.height * $1.width } + Self.warmStartFloats(plan, image: image))
            + weights + Self.processOverhead
    }

    /// Host floats of Adam's warm start between stages for an image of `image` floats: the
    /// moments of the last stage (smaller) and one resized moment; 0 without one.
    static func warmStartFloats(_ plan: TransferPlan, image: Int) -> Int {
        plan.options.optimizer == .adam && plan.stages.count > 1 ? 3 * image : 0
    }

    /// Floats of `AugmentedFeatures(workspace:layers:)` for an image of this size: two buffers
    /// of the largest `(C+1) H W` among `layers` and one `(C+1)^2` matrix.
    static func augmentedFloats(height: Int, width: Int, depth: Int, layers: [Int], model: VGGModel) -> Int {
        let (shapes, _) = model.shapes(height: height, width: width, depth: depth)
        let used = layers.filter { shapes.indices.contains($0) }.map { shapes[$0] }
        let elements = used.map(\.count).max() ?? 0, positions = used.map { $0[1] * $0[2] }.max() ?? 0
        let channels = used.map { $0[0] }.max() ?? 0
        return 2 * max(elements + positions, 1) + (channels + 1) * (channels + 1)
    }

    /// Floats of a `VGGWorkspace` made with `keepConvOutputs: keep`, following its `init`.
    static func workspaceFloats(height: Int, width: Int, depth: Int, keep: Set<Int>, model: VGGModel = .vgg19) -> Int {
        let (shapes, _) = model.shapes(height: height, width: width, depth: depth)
        var total = 3 * height * width  // the normalised input
        for (i, layer) in model.layers.prefix(shapes.count).enumerated()
        where !(layer.kind == .relu && !keep.contains(i - 1)) {
            total += shapes[i].count
        }
        for shape in Set([Shape(3, height, width)] + shapes) { total += 2 * shape.count }
        return total
    }
}
