// MemoryEstimate: the bytes a style transfer needs on its device, worked out from the sizes before anything is allocated.

/// The memory one `TransferEngine` run needs, from image sizes, layers and optimiser alone.
///
/// The device tensors mirror what the engine allocates, in the order it does:
/// 1. the network weights (`VGGNetwork`), the style images and their target Grams;
/// 2. while the targets are computed: one `VGGWorkspace` per style image at a time (the
///    largest counts) and one `[C,C]` scratch Gram per style layer, all released after;
/// 3. then the generated image's workspace, the content image and its target activations,
///    the image, its gradient, the last good copy (`--save-every`) and the optimiser state
///    (Adam: 2 image-sized tensors; L-BFGS: `2 * history` pairs plus 3, history capped by the
///    iterations as `makeOptimizer` caps it, and `2 * history` coefficients; SGD: none).
///
/// The peak is 1 plus the larger of 2 and 3. Workspaces follow `VGGWorkspace`'s rules: a
/// ReLU shares its convolution's tensor unless a loss reads that convolution, and there are
/// two gradient buffers per distinct shape (the `[3,H,W]` image's included).
///
/// `scratch` is what the backend borrows inside its ops, which no tensor shows:
/// - CPU: the `ScratchPool` keeps the buffers of a convolution (an im2col band, or Winograd's
///   transformed weights `16*C_in*C_out` and two tile bands), each band bounded by the
///   column budget (4M floats = 16 MiB) unless one row alone is larger; the pool reuses any
///   buffer big enough, but is grow-only and keeps the smaller buffers of earlier calls, so
///   twice the largest call is counted, plus one `[C,C]` Gram difference and the partial
///   Grams of a split Gram product (`CPUDevice.gramPartialLimit`).
/// - OpenCL: one grow-only im2col buffer (bands bounded by `im2colLimit`, 32M floats by
///   default, unless one row is larger) and a `[C,C]` buffer per style loss; CLBlast may
///   make padded copies of a GEMM's operands, so the largest band's three operands
///   (weights, columns, output) are counted once more. When tuning turns Winograd on, its
///   own grow-only buffers (filters `16*C_in*C_out`, tiles and products of a band of tile
///   rows bounded by `im2colLimit`) are kept beside the im2col one: the largest of each path
///   is counted.
///
/// `host` is what the run keeps in host memory besides the device: the decoded images at
/// their final sizes and the weights as loaded (`VGGWeights`, held for the whole run). On
/// the CPU backend host and device are the same memory, so the CPU check counts both.
/// `host` also holds `processOverhead` for the runtime, the libraries and the decoded files
/// before resizing, set above what a bare `nst` process keeps resident; the estimate was
/// checked against the peak resident memory of real runs (figures in BENCHMARKS.md).
public struct MemoryEstimate: Equatable, Sendable {
    /// How a backend uses memory beyond its tensors.
    public enum Backend: Equatable, Sendable {
        /// `CPUDevice` with its column budget and Winograd threshold (both in floats/channels).
        case cpu(columnBudget: Int, winogradMinChannels: Int)
        /// `OpenCLDevice` with its im2col band limit in floats and its (tuned) Winograd threshold.
        case opencl(im2colLimit: Int, winogradMinChannels: Int = OpenCLDevice.winogradOff)
        /// Any other device: no scratch is counted.
        case other

        /// The model of `device` (wrappers and unknown devices are `.other`).
        public static func of(_ device: any Device) -> Backend {
            if let cpu = device as? CPUDevice {
                return .cpu(columnBudget: cpu.columnBudget, winogradMinChannels: cpu.winogradMinChannels)
            }
            if let cl = device as? OpenCLDevice {
                return .opencl(im2colLimit: cl.im2colLimit, winogradMinChannels: cl.winogradMinChannels)
            }
            return .other
        }
    }

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
    ///   - keepLastGood: whether the engine keeps a last good copy (`--save-every`).
    public init(height: Int, width: Int, styleSizes: [(height: Int, width: Int)], content: LayerWeights,
                style: LayerWeights, optimizer: OptimizerKind, iterations: Int,
                history: Int = LBFGS.defaultHistory, keepLastGood: Bool, backend: Backend) {
        let depth = max(content.depth, style.depth, 1)
        let floats = MemoryLayout<Float>.stride
        let image = 3 * height * width
        weights = floats * VGG19.convIndices(depth: depth).reduce(0) { sum, index in
            guard case let .conv(inC, outC) = VGG19.layers[index].kind else { return sum }
            return sum + outC * inC * 9 + outC
        }
        let grams = style.indices.reduce(0) { $0 + VGG19.outputChannels(of: $1) * VGG19.outputChannels(of: $1) }
        styleInputs = floats * (styleSizes.reduce(0) { $0 + 3 * $1.height * $1.width } + grams)
        let styleWorkspace = styleSizes.map {
            Self.workspaceFloats(height: $0.height, width: $0.width, depth: depth, keep: Set(style.indices))
        }.max() ?? 0
        styleTargetPhase = floats * (styleWorkspace + grams)

        let (shapes, _) = VGG19.shapes(height: height, width: width, depth: depth)
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
                                             keep: Set(content.indices).union(style.indices))
        // The content image, the generated image, its gradient and the optional last good copy.
        let imageTensors = (keepLastGood ? 4 : 3) * image
        transferPhase = floats * (workspace + contentTargets + imageTensors) + optimizerState

        let sizes = [(height: height, width: width)] + styleSizes
        let largestGram = style.indices.map { VGG19.outputChannels(of: $0) }.max().map { $0 * $0 } ?? 0
        scratch = backend == .other ? 0
            : floats * (Self.scratchFloats(sizes: sizes, depth: depth, backend: backend) + largestGram)
        host = floats * sizes.reduce(0) { $0 + 3 * $1.height * $1.width } + weights + Self.processOverhead
    }

    /// Floats of a `VGGWorkspace` made with `keepConvOutputs: keep`, following its `init`.
    static func workspaceFloats(height: Int, width: Int, depth: Int, keep: Set<Int>) -> Int {
        let (shapes, _) = VGG19.shapes(height: height, width: width, depth: depth)
        var total = 3 * height * width  // the normalised input
        for (i, layer) in VGG19.layers.prefix(shapes.count).enumerated()
        where !(layer.kind == .relu && !keep.contains(i - 1)) {
            total += shapes[i].count
        }
        for shape in Set([Shape(3, height, width)] + shapes) { total += 2 * shape.count }
        return total
    }

    /// Floats of scratch the backend holds at most for convolutions on images of `sizes`.
    static func scratchFloats(sizes: [(height: Int, width: Int)], depth: Int, backend: Backend) -> Int {
        if case let .opencl(limit, winogradMin) = backend {
            return openCLScratchFloats(sizes: sizes, depth: depth, limit: limit, winogradMin: winogradMin)
        }
        var largest = 0
        for size in sizes {
            let (shapes, _) = VGG19.shapes(height: size.height, width: size.width, depth: depth)
            var h = size.height, w = size.width
            for (i, layer) in VGG19.layers.prefix(shapes.count).enumerated() {
                guard case let .conv(ci, co) = layer.kind else { h = shapes[i][1]; w = shapes[i][2]; continue }
                largest = max(largest, convScratch(inChannels: ci, outChannels: co, height: h, width: w, backend: backend))
            }
        }
        switch backend {
        case .cpu: return 2 * largest + CPUDevice.gramPartialLimit
        case .opencl, .other: return largest
        }
    }

    /// `OpenCLDevice`'s grow-only scratch slots, each as large as its largest use: im2col
    /// columns; with Winograd tuned on, filters (`16*C_in*C_out`) and the tiles and products
    /// of a band of tile rows (bounded by `limit`); and CLBlast's operand copies, which any
    /// product may need (a convolution band's or a Gram matrix's three operands), or the
    /// packed operands of `Kernels/gemm.cl`, no larger but for panel padding.
    static func openCLScratchFloats(sizes: [(height: Int, width: Int)], depth: Int, limit: Int, winogradMin: Int) -> Int {
        var columns = 0, filters = 0, tiles = 0, copies = 0
        for size in sizes {
            let (shapes, _) = VGG19.shapes(height: size.height, width: size.width, depth: depth)
            var h = size.height, w = size.width
            for (i, layer) in VGG19.layers.prefix(shapes.count).enumerated() {
                let c = shapes[i][0], hw = shapes[i][1] * shapes[i][2]
                copies = max(copies, 2 * c * hw + c * c)   // a Gram product of this activation
                guard case let .conv(ci, co) = layer.kind else { h = shapes[i][1]; w = shapes[i][2]; continue }
                if max(ci, co) >= winogradMin {
                    let tilesY = (h + 1) / 2, tilesX = (w + 1) / 2
                    let rows = max(1, min(tilesY, limit / max(16 * max(ci, co) * tilesX, 1)))
                    let pixels = rows * tilesX
                    filters = max(filters, 16 * ci * co)
                    tiles = max(tiles, 16 * max(ci, co) * pixels)
                    copies = max(copies, ci * co + 2 * max(ci, co) * pixels)
                }
                if min(ci, co) < winogradMin {
                    let col = 9 * ci * max(1, min(h, limit / max(9 * ci * w, 1))) * w, pixels = col / (9 * ci)
                    columns = max(columns, col)
                    copies = max(copies, 9 * ci * co + col + co * pixels)
                }
            }
        }
        // Tiles and products are two slots of the same bound. With the project's GEMM kernels
        // the copies slot holds packed operands instead, padded to whole panels (at most 128
        // columns, on up to 9 * 512 rows); the column buffer is padded the same way.
        // Split Gram products keep their partial matrices in one more slot (`gramSliceLimit`).
        let panelPadding = 9 * 512 * 128
        return columns + filters + 2 * tiles + copies + 2 * panelPadding + OpenCLDevice.gramSliceLimit
    }

    /// Scratch floats of one 3x3 pad-1 convolution, its input gradient being no larger,
    /// mirroring the band rules of `CPUDevice` and `OpenCLDevice`.
    static func convScratch(inChannels ci: Int, outChannels co: Int, height h: Int, width w: Int,
                            backend: Backend) -> Int {
        // im2col columns of a band of output rows (9 * ci rows), at least one row of output.
        func columns(limit: Int) -> Int { 9 * ci * max(1, min(h, limit / max(9 * ci * w, 1))) * w }
        switch backend {
        case let .cpu(budget, winogradMin):
            guard min(ci, co) >= winogradMin else { return columns(limit: budget) }
            // Winograd (the input gradient swaps ci and co, which changes nothing here).
            let tilesY = (h + 1) / 2, tilesXP = 4 * (((w + 1) / 2 + 3) / 4)
            let band = max(1, min(tilesY, budget / max(1, 16 * (ci + co) * tilesXP)))
            return 16 * co * ci + 16 * (ci + co) * band * tilesXP
        case let .opencl(limit, _):
            let col = columns(limit: limit), pixels = col / (9 * ci)
            // The column buffer, and CLBlast's possible copies of the band's GEMM operands.
            return col + (9 * ci * co + col + co * pixels)
        case .other:
            return 0
        }
    }
}
