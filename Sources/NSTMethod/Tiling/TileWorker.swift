// TileWorker: one device's share of a tiled evaluation: its weights, buffers for the largest crop, and the passes over one tile.
import NSTCore
import NSTWeights

/// What one tile's style pass returns: per style layer, the Gram matrix of the tile's
/// interior (normalised by the interior's own positions) and that position count.
package struct TileGrams: Sendable {
    package var grams: [[Float]]
    package var positions: [Int]

    package init(grams: [[Float]], positions: [Int]) {
        self.grams = grams
        self.positions = positions
    }
}

/// What one tile's gradient pass returns: dJ/dx over the tile's crop, and per content
/// layer the content loss of the interior (normalised by the interior's own size).
package struct TileGradient: Sendable {
    package var gradient: [Float]
    package var content: [Double]

    package init(gradient: [Float], content: [Double]) {
        self.gradient = gradient
        self.content = content
    }
}

/// A device with the network's weights and buffers sized for the largest crop of a grid.
/// A tile's work is self-contained: crop pixels (and content targets, Gram differences) in,
/// partial Grams or a crop gradient out, so tiles can go to any worker in any order.
// @unchecked: a worker is driven by one thread at a time (the scheduler hands it one tile
// after another), which its device's ops require anyway.
package final class TileWorker: @unchecked Sendable {
    let device: any Device
    let network: VGGNetwork
    /// Layers and weights of the losses.
    let content: LayerWeights, style: LayerWeights
    /// The statistic of the style terms: with W2 the tiles' Grams and differences are the
    /// augmented ones (`[C+1, C+1]`, `WassersteinStyle`).
    let styleLoss: StyleLossKind
    private let augmented: AugmentedFeatures?
    private let workspace: VGGWorkspace
    private let image: Tensor, imageGradient: Tensor
    /// Per tapped layer: the interior of the activation and its gradient, at the largest interior.
    private let interior: [Int: (activation: Tensor, gradient: Tensor)]
    /// Per content layer: the interior's target activation.
    private let targets: [Int: Tensor]
    /// Per style layer: a tile's Gram matrix and the global Gram difference `G - T` (with W2,
    /// the augmented Gram and the loss's E').
    private let grams: [Int: Tensor], differences: [Int: Tensor]
    private let slots: LossSlots
    /// The tile whose tape the workspace holds from this evaluation's Gram pass, if any: the
    /// gradient pass starts with it and skips its forward (the tape is left intact by the
    /// Gram pass, and the image has not changed within an evaluation).
    private var taped: (tile: Int, workspace: VGGWorkspace)?

    /// Uploads the weights to `device` and allocates every buffer the grid's tiles need.
    package init(device: any Device, weights: VGGWeights, pooling: PoolKind, depth: Int, grid: TileGrid,
                 content: LayerWeights, style: LayerWeights, styleLoss: StyleLossKind = .gram) throws {
        self.device = device
        self.content = content
        self.style = style
        self.styleLoss = styleLoss
        network = try VGGNetwork(device: device, weights: weights, pooling: pooling, depth: depth)
        let crop = grid.largestCrop
        let tapped = Set(content.indices).union(style.indices)
        workspace = try VGGWorkspace(network: network, height: crop.height, width: crop.width, keepConvOutputs: tapped)
        image = try device.makeTensor(Shape(3, crop.height, crop.width))
        imageGradient = try device.makeTensor(Shape(3, crop.height, crop.width))
        var interior: [Int: (Tensor, Tensor)] = [:], targets: [Int: Tensor] = [:]
        var grams: [Int: Tensor] = [:], differences: [Int: Tensor] = [:]
        for layer in tapped {
            let channels = network.model.outputChannels(of: layer)
            let largest = grid.tiles.map { grid.window(of: $0, layer: layer) }.map { max($0.height, 0) * max($0.width, 0) }.max() ?? 0
            let count = channels * max(largest, 1)
            interior[layer] = (try device.makeTensor(Shape(count)), try device.makeTensor(Shape(count)))
            if content.indices.contains(layer) { targets[layer] = try device.makeTensor(Shape(count)) }
            if style.indices.contains(layer) {
                let side = channels + (styleLoss.augmented ? 1 : 0)
                grams[layer] = try device.makeTensor(Shape(side, side))
                differences[layer] = try device.makeTensor(Shape(side, side))
            }
        }
        if styleLoss.augmented {
            let model = network.model
            let sizes = style.indices.map { layer -> (elements: Int, positions: Int) in
                let positions = grid.tiles.map { grid.window(of: $0, layer: layer) }.map { max($0.height, 0) * max($0.width, 0) }.max() ?? 0
                return (model.outputChannels(of: layer) * positions, positions)
            }
            augmented = try AugmentedFeatures(device: device, elements: sizes.map(\.elements).max() ?? 0,
                                              positions: sizes.map(\.positions).max() ?? 0,
                                              channels: style.indices.map { model.outputChannels(of: $0) }.max() ?? 0)
        } else {
            augmented = nil
        }
        self.interior = interior
        self.targets = targets
        self.grams = grams
        self.differences = differences
        slots = try device.makeLossSlots(count: max(content.indices.count, 1))
    }

    /// A tensor of `shape` over the first elements of `tensor`'s memory.
    private func view(_ tensor: Tensor, _ shape: Shape) -> Tensor { Tensor(shape: shape, storage: tensor.storage) }

    /// Forgets the tape kept from the last Gram pass (the image is about to change).
    package func beginEvaluation() { taped = nil }

    /// Makes this worker's network check `stop` between layers (see `VGGWorkspace.stop`).
    package func watch(_ stop: StopRequest?) { workspace.stop = stop }

    /// Runs the network on a crop's pixels (`[3, h, w]`, CHW) and returns the workspace holding the tape.
    private func forward(_ tile: Tile, pixels: [Float]) throws -> VGGWorkspace {
        taped = nil
        let crop = tile.crop
        let ws = try workspace.sized(height: crop.height, width: crop.width)
        let x = view(image, Shape(3, crop.height, crop.width))
        try device.upload(pixels, to: x)
        try ws.forward(image: x)
        return ws
    }

    /// Copies the interior of `layer`'s activation into its interior buffer; nil when the
    /// tile owns no position of that layer.
    private func interiorActivation(_ ws: VGGWorkspace, _ tile: Tile, _ grid: TileGrid, layer: Int) throws -> (Tensor, PixelRect)? {
        let window = grid.window(of: tile, layer: layer)
        guard !window.isEmpty, let buffers = interior[layer] else { return nil }
        let a = view(buffers.activation, Shape(network.model.outputChannels(of: layer), window.height, window.width))
        try device.execute(.crop(ws.activation(layer), y: window.y, x: window.x, into: a))
        return (a, window)
    }

    /// The interior activations of `layers` for a tile (the content targets), downloaded.
    package func activations(_ tile: Tile, pixels: [Float], grid: TileGrid, layers: [Int]) throws -> [[Float]] {
        let ws = try forward(tile, pixels: pixels)
        return try layers.map { layer in
            guard let (a, _) = try interiorActivation(ws, tile, grid, layer: layer) else { return [] }
            return try device.download(a)
        }
    }

    /// Pass 1: the Gram matrix of the tile's interior at every style layer.
    package func grams(_ tile: Tile, pixels: [Float], grid: TileGrid, keepTape: Bool = false) throws -> TileGrams {
        let ws = try forward(tile, pixels: pixels)
        if keepTape { taped = (tile.index, ws) }
        var result = TileGrams(grams: [], positions: [])
        for layer in style.indices {
            guard let (a, window) = try interiorActivation(ws, tile, grid, layer: layer), let g = grams[layer] else {
                result.grams.append([])
                result.positions.append(0)
                continue
            }
            if let augmented { try augmented.gram(a, into: g) } else { try device.execute(.gram(input: a, output: g)) }
            result.grams.append(try device.download(g))
            result.positions.append(window.height * window.width)
        }
        return result
    }

    /// Makes `differences[k]` (`G - T` of style layer k, `[C*C]`, or W2's E', `[(C+1)^2]`) the ones the gradient pass uses.
    package func setDifferences(_ values: [[Float]]) throws {
        for (layer, value) in zip(style.indices, values) {
            guard let e = differences[layer] else { continue }
            try device.upload(value, to: e)
        }
    }

    /// Pass 2: dJ/dx over the crop from the tile's interior: the content loss against
    /// `targets` (one per content layer, the interior's) with gradient scales
    /// `contentScales`, and the style gradient `styleScales[k] * (G - T) A` at each style layer
    /// (with W2, `styleScales[k] * E' [A; 1]`'s first C rows).
    package func gradient(_ tile: Tile, pixels: [Float], grid: TileGrid, targets contentTargets: [[Float]],
                  contentScales: [Float], styleScales: [Float]) throws -> TileGradient {
        let ws: VGGWorkspace
        if let taped, taped.tile == tile.index {
            ws = taped.workspace
            self.taped = nil
        } else {
            ws = try forward(tile, pixels: pixels)
        }
        var written = Array(repeating: false, count: content.indices.count)
        for (k, layer) in content.indices.enumerated() {
            let window = grid.window(of: tile, layer: layer)
            guard !window.isEmpty, let t = targets[layer] else { continue }
            try device.upload(contentTargets[k], to: view(t, Shape(network.model.outputChannels(of: layer), window.height, window.width)))
        }
        let g = view(imageGradient, Shape(3, tile.crop.height, tile.crop.width))
        try ws.backward(tapped: Set(content.indices).union(style.indices), imageGradient: g) { layer, layerGradient in
            for (k, index) in self.content.indices.enumerated() where index == layer {
                guard let (a, window) = try self.interiorActivation(ws, tile, grid, layer: layer),
                      let buffers = self.interior[layer], let t = self.targets[layer] else { continue }
                let da = self.view(buffers.gradient, a.shape)
                try self.device.fill(da, with: 0)
                try self.device.execute(.contentLoss(generated: a, target: self.view(t, a.shape), gradient: da,
                                                     scale: contentScales[k], slots: self.slots, index: k))
                try self.device.execute(.addWindow(da, into: layerGradient, y: window.y, x: window.x))
                written[k] = true
            }
            for (k, index) in self.style.indices.enumerated() where index == layer {
                guard let (a, window) = try self.interiorActivation(ws, tile, grid, layer: layer),
                      let buffers = self.interior[layer], let e = self.differences[layer] else { continue }
                let da = self.view(buffers.gradient, a.shape)
                try self.device.fill(da, with: 0)
                if let augmented = self.augmented {
                    try augmented.addGradient(matrix: e, activation: a, into: da, scale: styleScales[k])
                } else {
                    try self.device.execute(.gramGradient(input: a, gramGradient: e, inputGradient: da, scale: styleScales[k]))
                }
                try self.device.execute(.addWindow(da, into: layerGradient, y: window.y, x: window.x))
            }
        }
        let values = content.indices.isEmpty ? [] : try device.readLosses(slots)
        return TileGradient(gradient: try device.download(g),
                            content: content.indices.indices.map { written[$0] ? values[$0] : 0 })
    }
}
