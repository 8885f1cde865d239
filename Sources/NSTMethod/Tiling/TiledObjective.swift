// TiledObjective: J and dJ/dx evaluated tile by tile, exactly, on one or several devices, behind the same seam as the untiled objective.
import NSTCore
import NSTImages
import NSTWeights

/// The objective of `TransferObjective`, evaluated over the tiles of a `TileGrid` so that
/// no device holds more than one crop's activations (docs/ARCHITECTURE.md, "Large images"):
///
/// 1. every tile's crop runs forward and the Gram matrices of its interior are collected;
///    the whole image's Gram at a style layer is their sum weighted by interior positions,
///    `G = sum_t n_t Gram_t / N`, and `E = G - T` gives the style losses;
/// 2. every crop runs forward again, its interior gets the content loss gradient (scaled
///    to the whole layer's normalisation) and the style gradient `E A / (C^2 N)`, and the
///    backward pass gives dJ/dx over the crop, which is added into the image's gradient;
/// 3. the total variation (and a video frame's temporal term) is computed on the whole
///    image on the home device.
///
/// With the W2 loss the tiles' Grams are the augmented ones (`[A; 1]`, `WassersteinStyle`),
/// which add up the same way; the host turns the whole image's into J and E', and pass 2
/// applies `E' [A; 1] / N`.
///
/// Partial results are combined on the host in tile order, so they do not depend on which
/// device computed which tile. The image, its gradient and the optimiser's state stay on
/// the home device; the content targets and the style targets stay on the host.
public final class TiledObjective: Objective {
    /// The device holding the image and its gradient (the TV term runs there).
    public let home: any Device
    /// The tiles of the generated image.
    public let grid: TileGrid
    let workers: [TileWorker]
    let content: LayerWeights, style: LayerWeights
    /// alpha, beta and gamma.
    let lossWeights: LossWeights
    /// Per tile, per content layer: the content image's interior activations.
    private let contentTargets: [[[Float]]]
    /// Per style layer: the target Gram matrix `[C*C]`.
    private let styleTargets: [[Double]]
    /// Per tile, per content layer: the share of the layer's positions the interior holds
    /// (the content op normalises by the interior, the loss by the whole layer).
    private let contentShares: [[Double]]
    /// Per style layer: `beta lambda_l / (C^2 N)`, the scale of the style gradient `E A`
    /// (with W2, `beta lambda_l / N`, that of `E' [A; 1]`).
    private let styleScales: [Float]
    /// With the W2 loss, each style layer's target on the host.
    private let w2: [WassersteinStyle]?
    private let tvSlots: LossSlots
    /// The total variation's kind; for the L1 kind (taken on the network's input), the
    /// normalisation and two full-size buffers for its gradient on the home device.
    private let tvKind: TVKind
    private let mean: [Float], std: [Float]
    private let normalized: Tensor?, normalizedGradient: Tensor?
    /// Other processes computing some of the tiles (`RemoteTiles`), or nil: all tiles here.
    private let remote: (any RemoteTiles)?
    /// The tiles this process computes (all of them without `remote`), in tile order.
    private let homeTiles: [Tile]
    /// Video's temporal term on the home device (its slots after the TV's and the norm's).
    private let temporal: TemporalTerm?

    /// Computes the content targets (tile by tile) and the style targets (each style image
    /// cut into tiles of the same side) with `workers`.
    /// - Parameters:
    ///   - content: the content image at the generated size (the grid's).
    ///   - styles: the style images at their final sizes, blended by `blend`.
    public convenience init(home: any Device, workers devices: [any Device], weights: VGGWeights, spec: ObjectiveSpec,
                            grid: TileGrid, content: Image, styles: [Image], temporal: TemporalTerm? = nil) throws {
        try self.init(home: home, workers: devices, weights: weights, spec: spec, grid: grid, content: content, styles: styles,
                      remote: nil, temporal: temporal)
    }

    /// The objective with the tiles not numbered `0 mod remote.processes` computed by other
    /// processes (`RemoteTiles`); this one computes the rest, the style targets, the TV term and
    /// the temporal term (on `home`, weighted by `spec.weights.temporal`).
    package init(home: any Device, workers devices: [any Device], weights: VGGWeights, spec: ObjectiveSpec,
                 grid: TileGrid, content: Image, styles: [Image], remote: (any RemoteTiles)?, temporal: TemporalTerm? = nil) throws {
        guard !devices.isEmpty, styles.count == spec.blend.count else {
            throw DeviceError.invalidArgument(op: "TiledObjective", detail: "\(devices.count) devices, \(styles.count) style images for \(spec.blend.count) blend weights")
        }
        self.home = home
        self.grid = grid
        self.content = spec.content
        self.style = spec.style
        var lossWeights = spec.weights
        if temporal == nil { lossWeights.temporal = 0 }
        self.lossWeights = lossWeights
        self.temporal = temporal
        // Style images may be larger than the generated one: the workers hold the largest crop of any grid.
        let styleGrids = styles.map { TileGrid(size: ImageSize(height: $0.height, width: $0.width), model: spec.model, depth: spec.depth,
                                               tileSide: grid.tileSide) }
        let sizing = Self.covering([grid] + styleGrids, model: spec.model, depth: spec.depth)
        workers = try devices.map {
            try TileWorker(device: $0, weights: weights, pooling: spec.pooling, depth: spec.depth, grid: sizing,
                           content: spec.content, style: spec.style, styleLoss: spec.styleLoss)
        }
        let contentPixels = content.pixels, contentSize = grid.size, contentLayers = spec.content.indices
        let workers = self.workers
        self.remote = remote
        // The content targets of this process's tiles (the others' stay with them).
        let mine = grid.tiles.filter { remote?.isHome($0.index) ?? true }
        homeTiles = mine
        let targetsOfMine = try TileScheduler.run(mine, on: workers) { worker, tile in
            try worker.activations(tile, pixels: HostImage.crop(contentPixels, channels: 3, size: contentSize, tile.crop),
                                   grid: grid, layers: contentLayers)
        }
        var contentTargets = Array(repeating: [[Float]](), count: grid.tiles.count)
        for (tile, targets) in zip(mine, targetsOfMine) { contentTargets[tile.index] = targets }
        self.contentTargets = contentTargets
        try remote?.begin(grid: grid, content: contentPixels)
        let extra = spec.styleLoss.augmented ? 1 : 0
        var targets = spec.style.indices.map { Array(repeating: 0.0, count: (grid.model.outputChannels(of: $0) + extra) * (grid.model.outputChannels(of: $0) + extra)) }
        for (image, (styleGrid, b)) in zip(styles, zip(styleGrids, spec.blend)) {
            let grams = try Self.grams(image.pixels, grid: styleGrid, workers: workers)
            for k in targets.indices {
                for i in targets[k].indices { targets[k][i] += b * grams[k][i] }
            }
        }
        styleTargets = targets
        w2 = spec.styleLoss == .w2
            ? try zip(spec.style.indices, targets).map { try WassersteinStyle(augmentedTarget: $1, channels: grid.model.outputChannels(of: $0)) }
            : nil
        contentShares = grid.tiles.map { tile in spec.content.indices.map { Self.fraction(of: tile, in: grid, layer: $0) } }
        styleScales = spec.style.indices.enumerated().map { k, layer -> Float in
            let c = Double(grid.model.outputChannels(of: layer)), n = Double(grid.positions(layer: layer))
            return Float(spec.weights.style * spec.style.weights[k] / (spec.styleLoss == .w2 ? n : c * c * n))
        }
        // The TV term, and |dJ/dx|^2, checked like the whole-image objective's.
        tvSlots = try home.makeLossSlots(count: 2 + (temporal?.slotCount ?? 0))
        tvKind = spec.tv
        mean = weights.mean
        std = weights.std
        let imageShape = Shape(3, grid.size.height, grid.size.width)
        normalized = spec.tv == .absolute ? try home.makeTensor(imageShape) : nil
        normalizedGradient = spec.tv == .absolute ? try home.makeTensor(imageShape) : nil
    }

    /// A grid whose largest crop and interiors bound those of all `grids` (for sizing buffers).
    private static func covering(_ grids: [TileGrid], model: VGGModel, depth: Int) -> TileGrid {
        let height = grids.map(\.largestCrop.height).max() ?? 0, width = grids.map(\.largestCrop.width).max() ?? 0
        // One tile of the largest crop size: its interior is the crop itself, which bounds
        // every tile's interior at every layer.
        return TileGrid(size: ImageSize(height: height, width: width), model: model, depth: depth, tileSide: max(height, width))
    }

    /// `Gram(A) = sum_t n_t Gram_t / N` (augmented with W2) at every style layer of an image, in Double, tile order.
    /// With `keepTape`, each worker keeps the tape of its last tile for the gradient pass.
    /// With `remote`, this process computes `mine` (default: every tile) and takes the others' results.
    private static func grams(_ pixels: [Float], grid: TileGrid, workers: [TileWorker], keepTape: Bool = false,
                              mine: [Tile]? = nil, remote: (any RemoteTiles)? = nil) throws -> [[Double]] {
        let size = grid.size
        let mine = mine ?? grid.tiles
        var parts = try TileScheduler.run(mine, on: workers) { worker, tile in
            try worker.grams(tile, pixels: HostImage.crop(pixels, channels: 3, size: size, tile.crop), grid: grid,
                             keepTape: keepTape)
        }
        if let remote { parts = try merge(mine, parts, try remote.receiveGrams(), grid: grid) }
        guard let style = workers.first?.style, let extra = workers.first.map({ $0.styleLoss.augmented ? 1 : 0 }) else { return [] }
        return style.indices.enumerated().map { k, layer in
            let c = grid.model.outputChannels(of: layer) + extra, total = Double(grid.positions(layer: layer))
            var g = Array(repeating: 0.0, count: c * c)
            for part in parts where part.positions[k] > 0 {
                let weight = Double(part.positions[k]) / total
                for i in g.indices { g[i] += weight * Double(part.grams[k][i]) }
            }
            return g
        }
    }

    /// Checks `stop` between every worker's layers, so tiles stop too (`Objective.watch`).
    /// With remote tiles an evaluation always finishes: abandoning it half-way would leave
    /// the other processes' replies unread.
    public func watch(_ stop: StopRequest?) {
        for worker in workers { worker.watch(remote == nil ? stop : nil) }
    }

    /// J and its parts at `x` (on the home device); `gradient` (home device) is overwritten with dJ/dx.
    public func evaluate(_ x: Tensor, gradient: Tensor) throws -> LossValues {
        let size = grid.size, grid = self.grid, workers = self.workers
        let pixels = try home.download(x)
        for worker in workers { worker.beginEvaluation() }
        // Pass 1: the whole image's Grams, the differences E = G - T and the style losses.
        try remote?.sendGrams(pixels: pixels)
        let generated = try Self.grams(pixels, grid: grid, workers: workers, keepTape: true, mine: homeTiles, remote: remote)
        var sum = LossSum(), differences: [[Float]] = []
        for (k, layer) in style.indices.enumerated() {
            if let w2 {
                let (value, e) = try w2[k].evaluate(augmented: generated[k])
                sum.addStyle(style.weights[k] * value)
                differences.append(e)
                continue
            }
            let c = Double(grid.model.outputChannels(of: layer))
            var squares = 0.0
            let e = zip(generated[k], styleTargets[k]).map { g, t -> Float in
                let d = g - t
                squares += d * d
                return Float(d)
            }
            sum.addStyle(style.weights[k] * squares / (4 * c * c))
            differences.append(e)
        }
        for worker in workers { try worker.setDifferences(differences) }
        // Pass 2: each tile's interior losses, back to its crop's pixels.
        let contentWeights = content.weights, alpha = lossWeights.content, styleScales = self.styleScales
        let contentTargets = self.contentTargets, contentShares = self.contentShares
        let contentScales = grid.tiles.map { tile in zip(contentWeights, contentShares[tile.index]).map { Float(alpha * $0 * $1) } }
        try remote?.sendGradients(differences: differences, contentScales: contentScales, styleScales: styleScales)
        // Pass 2 runs the tiles last to first, so each worker starts with the tile whose tape
        // it kept from pass 1; the parts come back in tile order all the same.
        let mine = homeTiles
        let reversed = try TileScheduler.run(mine.reversed(), on: workers) { worker, tile in
            try worker.gradient(tile, pixels: HostImage.crop(pixels, channels: 3, size: size, tile.crop), grid: grid,
                                targets: contentTargets[tile.index], contentScales: contentScales[tile.index], styleScales: styleScales)
        }
        var parts = Array(reversed.reversed())
        if let remote { parts = try Self.merge(mine, parts, try remote.receiveGradients(), grid: grid) }
        var total = [Float](repeating: 0, count: pixels.count)
        for (tile, part) in zip(grid.tiles, parts) {
            HostImage.add(part.gradient, into: &total, channels: 3, size: size, tile.crop)
            for k in content.indices.indices {
                sum.addContent(content.weights[k] * part.content[k] * contentShares[tile.index][k])
            }
        }
        var tvValue: Double?
        if tvKind == .ninePoint {
            // On the host, where the image and its gradient already are (`NinePointTV`).
            let (value, g) = NinePointTV.evaluate(pixels, channels: 3, height: size.height, width: size.width)
            tvValue = value
            let k = Float(lossWeights.tv)
            for i in total.indices { total[i] += k * g[i] }
        }
        try home.upload(total, to: gradient)
        if tvKind == .absolute, let n = normalized, let gn = normalizedGradient {
            // The L1 TV of the network's input (x - mean) / std; its gradient divided by std joins dJ/dx.
            try home.execute(.normalize(input: x, output: n, mean: mean, std: std))
            try home.fill(gn, with: 0)
            try home.execute(.totalVariationL1Loss(image: n, gradient: gn, scale: Float(lossWeights.tv), slots: tvSlots, index: 0))
            try home.execute(.normalizeGradient(outputGradient: gn, inputGradient: n, std: std))
            try home.execute(.axpy(alpha: 1, x: n, y: gradient))
        } else if tvKind == .squared {
            try home.execute(.totalVariationLoss(image: x, gradient: gradient, scale: Float(lossWeights.tv), slots: tvSlots, index: 0))
        }
        try temporal?.apply(image: x, gradient: gradient, tau: lossWeights.temporal, slots: tvSlots, first: 2, device: home)
        try home.execute(.dot(gradient, gradient, slots: tvSlots, index: 1))
        let read = try home.readLosses(tvSlots)
        return sum.values(tv: tvValue ?? read[0], temporal: temporal?.value(read, first: 2) ?? 0, gradientSquaredNorm: read[1],
                          weights: lossWeights)
    }

    /// This process's results for `mine` and the others' (by tile index), in tile order.
    /// - Throws: `DeviceError.backend` when a tile's result is missing.
    private static func merge<R>(_ mine: [Tile], _ local: [R], _ others: [Int: R], grid: TileGrid) throws -> [R] {
        var byIndex = others
        for (tile, part) in zip(mine, local) { byIndex[tile.index] = part }
        return try grid.tiles.map { tile in
            guard let part = byIndex[tile.index] else { throw DeviceError.backend("no result came back for tile \(tile.index)") }
            return part
        }
    }

    /// The share of `layer`'s positions that `tile`'s interior holds.
    static func fraction(of tile: Tile, in grid: TileGrid, layer: Int) -> Double {
        let window = grid.window(of: tile, layer: layer)
        return window.isEmpty ? 0 : Double(window.height * window.width) / Double(grid.positions(layer: layer))
    }
}
