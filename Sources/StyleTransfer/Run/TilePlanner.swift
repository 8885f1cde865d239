// TilePlanner: whether a stage runs whole or in tiles, the tile side and the L-BFGS history, from each device's memory budget.
import NSTCore
import NSTMethod

/// How one stage is evaluated.
public enum EvaluationLayout: Equatable, Sendable {
    /// The whole image on one device (`TransferObjective`).
    case whole
    /// Tiles of at most `tileSide` pixels (`TiledObjective`) on every device given.
    case tiled(tileSide: Int)
}

/// The layout chosen for a stage, with the L-BFGS history that fits beside it.
public struct StageLayout: Equatable, Sendable {
    public let layout: EvaluationLayout
    /// (s, y) pairs L-BFGS keeps (its default unless the budget caps it).
    public let history: Int
    /// Why the history was capped, for the progress display (nil when it was not).
    public let note: String?
}

/// Chooses the layout of a stage: the whole image when it fits every budget and no tile
/// side is forced, else the largest tile (on the pooling grid) whose crop fits every
/// worker's budget beside what stays full-size, capping L-BFGS's history when its pairs
/// alone would not fit.
public enum TilePlanner {
    /// What each device may use: `TransferOption.maxMemory`, else what it reports less a tenth.
    public static func budget(for device: any Device, maxMemory: Int?) -> Int? {
        if let maxMemory { return maxMemory }
        return device.memory.map { $0.bytes / 10 * 9 }
    }

    /// The layout of a `size` stage of `plan` with `styleSizes` on `devices` (the first holds
    /// the image). `forcedTile` is `TransferOption.tile`.
    /// - Throws: `TransferError.option` naming `option` when not even the smallest tile fits.
    public static func choose(plan: TransferPlan, size: ImageSize, styleSizes: [ImageSize], devices: [any Device],
                              forcedTile: Int?, maxMemory: Int?, keepLastGood: Bool, option: String) throws -> StageLayout {
        let defaultHistory = min(LBFGS.defaultHistory, max(plan.iterations, 1))
        let budgets = devices.map { budget(for: $0, maxMemory: maxMemory) }
        var reasons: [String] = []
        if forcedTile == nil, devices.count == 1 {
            let whole = MemoryEstimate(plan: plan, height: size.height, width: size.width,
                                       styleSizes: styleSizes.map { ($0.height, $0.width) }, history: defaultHistory,
                                       keepLastGood: keepLastGood, device: devices[0])
            if let budget = budgets[0], whole.bytesNeeded(on: devices[0]) > budget {
                reasons.append("the whole image needs about \(MemoryEstimate.gib(whole.bytesNeeded(on: devices[0]))), "
                               + "more than the budget of \(MemoryEstimate.gib(budget)), so it is evaluated in tiles")
            } else {
                return StageLayout(layout: .whole, history: defaultHistory, note: nil)
            }
        }
        let alignment = 1 << TileGrid.pools(model: plan.model, depth: plan.depth)
        let longest = max(size.height, size.width)
        var sides = forcedTile.map { [roundUp(max($0, 1), to: alignment)] }
            ?? Array(stride(from: roundUp(longest, to: alignment), through: alignment, by: -alignment))
        if sides.isEmpty { sides = [alignment] }
        // The history first: as many pairs as fit beside the smallest tile.
        var history = defaultHistory
        var capped = false
        while history > 1, !fits(plan, size, styleSizes, devices, budgets, side: sides.last ?? alignment, history, keepLastGood) {
            history = max(1, history / 2)
            capped = true
        }
        if capped { reasons.append("L-BFGS history capped at \(history) pairs to fit the memory budget") }
        let note = reasons.isEmpty ? nil : reasons.joined(separator: "; ")
        // Memory grows with the tile side: the largest side that fits, by bisection.
        let fitting = { (side: Int) in fits(plan, size, styleSizes, devices, budgets, side: side, history, keepLastGood) }
        if let last = sides.last, fitting(last) {
            var fit = sides.count - 1, miss = -1   // sides are in decreasing order
            while fit - miss > 1 {
                let mid = (fit + miss) / 2
                if fitting(sides[mid]) { fit = mid } else { miss = mid }
            }
            return StageLayout(layout: .tiled(tileSide: sides[fit]), history: history, note: note)
        }
        // Still too large: devices that keep caches for speed give them up, and the search runs again.
        let traded = devices.compactMap { $0 as? any MemoryTrading }.map { $0.tradeSpeedForMemory() }
        if traded.contains(true) {
            let retry = try choose(plan: plan, size: size, styleSizes: styleSizes, devices: devices, forcedTile: forcedTile,
                                   maxMemory: maxMemory, keepLastGood: keepLastGood, option: option)
            let lean = "transformed convolution weights recomputed on every call to fit the memory budget"
            return StageLayout(layout: retry.layout, history: retry.history, note: [retry.note, lean].compactMap { $0 }.joined(separator: "; "))
        }
        let smallest = TiledMemory(plan: plan, size: size, styleSizes: styleSizes, tileSide: sides.last ?? alignment,
                                   history: history, keepLastGood: keepLastGood)
        let need = smallest.bytes(on: devices[0], isHome: true, isWorker: true)
        let have = budgets[0].map(MemoryEstimate.gib) ?? "unknown"
        throw TransferError.option(option, "needs at least \(MemoryEstimate.gib(need)) on \(devices[0].name) even in tiles of \(sides.last ?? alignment) pixels, but the budget is \(have); raise \(TransferOption.maxMemory) or lower \(TransferOption.size)")
    }

    private static func fits(_ plan: TransferPlan, _ size: ImageSize, _ styleSizes: [ImageSize], _ devices: [any Device],
                             _ budgets: [Int?], side: Int, _ history: Int, _ keepLastGood: Bool) -> Bool {
        let memory = TiledMemory(plan: plan, size: size, styleSizes: styleSizes, tileSide: side, history: history,
                                 keepLastGood: keepLastGood)
        for (k, (device, budget)) in zip(devices, budgets).enumerated() {
            guard let budget else { continue }
            if memory.bytes(on: device, isHome: k == 0, isWorker: true) > budget { return false }
        }
        return true
    }
}

/// The memory of a tiled stage, by where it lives (see `TiledObjective`).
struct TiledMemory {
    /// Full-size tensors on the home device: the image, its gradient, the last good copy, the
    /// average of the images and the optimiser's state.
    let home: Int
    /// One worker's device tensors: weights, the workspace of the largest crop, crop image
    /// and gradient, interior buffers and Gram matrices; `scratchSizes` for its scratch.
    let workerTensors: Int
    let scratchSizes: [ImageSize]
    let depth: Int
    let model: VGGModel
    /// Host arrays: the image and its gradient as pixels, the content targets, the decoded
    /// images, the loaded weights, Adam's warm start and the process's own overhead.
    let host: Int

    init(plan: TransferPlan, size: ImageSize, styleSizes: [ImageSize], tileSide: Int, history: Int, keepLastGood: Bool) {
        let floats = MemoryLayout<Float>.stride
        let image = 3 * size.height * size.width
        let optimizer: Int
        switch plan.options.optimizer {
        case .sgd: optimizer = 0
        case .adam: optimizer = 2 * image
        case .lbfgs: optimizer = (2 * history + 3) * image + 2 * history
        }
        // The L1 TV of the network's input keeps that input and its gradient at full size too.
        let copies = 2 + (keepLastGood ? 1 : 0) + (plan.averageDecay != nil ? 1 : 0)
        home = floats * (copies * image + optimizer + (plan.tv == .absolute ? 2 * image : 0))
        // A bound on the largest crop of any image's grid, worked out without cutting it: an
        // interior is at most `tileSide` (on the grid), plus a halo on each side, within the image.
        let alignment = 1 << TileGrid.pools(model: plan.model, depth: plan.depth)
        let side = roundUp(max(tileSide, 1), to: alignment), halo = TileGrid.halo(model: plan.model, depth: plan.depth)
        let images = [size] + styleSizes
        let crop = ImageSize(height: images.map { min($0.height, side + 2 * halo) }.max() ?? 0,
                             width: images.map { min($0.width, side + 2 * halo) }.max() ?? 0)
        let tapped = Set(plan.content.indices).union(plan.style.indices)
        // A tile's window at a layer is at most the layer's extent over the whole crop.
        let cropShapes = plan.model.shapes(height: crop.height, width: crop.width, depth: plan.depth).shapes
        var buffers = 0
        for layer in tapped {
            let c = plan.model.outputChannels(of: layer)
            let positions = cropShapes.indices.contains(layer) ? cropShapes[layer][1] * cropShapes[layer][2] : 1
            let count = c * max(positions, 1)
            buffers += (plan.content.indices.contains(layer) ? 3 : 2) * count
            if plan.style.indices.contains(layer) { buffers += 2 * c * c }
        }
        let weights = plan.model.convIndices(depth: plan.depth).reduce(0) { sum, index in
            guard case let .conv(inC, outC) = plan.model.layers[index].kind else { return sum }
            return sum + outC * inC * 9 + outC
        }
        let workspace = MemoryEstimate.workspaceFloats(height: crop.height, width: crop.width, depth: plan.depth, keep: tapped,
                                                       model: plan.model)
        workerTensors = floats * (weights + workspace + 2 * 3 * crop.height * crop.width + buffers)
        scratchSizes = [crop]
        depth = plan.depth
        model = plan.model
        let fullShapes = plan.model.shapes(height: size.height, width: size.width, depth: plan.depth).shapes
        let targets = plan.content.indices.reduce(0) { sum, layer in
            sum + (fullShapes.indices.contains(layer) ? fullShapes[layer].count : 0)
        }
        let pixels = images.reduce(0) { $0 + 3 * $1.height * $1.width }
        host = floats * (3 * image + targets + pixels + weights + MemoryEstimate.warmStartFloats(plan, image: image))
            + MemoryEstimate.processOverhead
    }

    /// Bytes `device` must hold: its worker share (with its own scratch), the full-size
    /// tensors when it is the home device, and the host arrays when its memory is the host's.
    func bytes(on device: any Device, isHome: Bool, isWorker: Bool) -> Int {
        var total = isHome ? home : 0
        if isWorker {
            total += workerTensors + MemoryLayout<Float>.stride * device.scratchFloats(sizes: scratchSizes, depth: depth, model: model)
        }
        if device.memory?.isHostMemory == true { total += host }
        return total
    }
}
