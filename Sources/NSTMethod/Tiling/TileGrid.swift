// TileGrid: how an image is cut into tiles for exact tiled evaluation: tile interiors on the pooling grid, halos from the network's receptive field.
import NSTCore

/// A rectangle of pixels (or of activation positions at some layer).
public struct PixelRect: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let y: Int, x: Int, height: Int, width: Int

    public init(y: Int, x: Int, height: Int, width: Int) {
        self.y = y
        self.x = x
        self.height = height
        self.width = width
    }

    /// True when the rectangle holds no position.
    public var isEmpty: Bool { height <= 0 || width <= 0 }
    public var description: String { "\(width)x\(height) at (\(x), \(y))" }
}

/// One tile: the interior it is responsible for and the crop the network runs on (the
/// interior plus a halo on every side that is not an image border).
public struct Tile: Equatable, Sendable {
    /// Position in the grid's fixed order (row-major): partial results are combined in it.
    public let index: Int
    public let interior: PixelRect
    public let crop: PixelRect
}

/// The tiles of an image for the first `depth` layers of a VGG network, chosen so that evaluating
/// the objective tile by tile gives the untiled values up to float summation order
/// (docs/ARCHITECTURE.md, "Large images"):
/// - tile and crop origins lie on the pooling grid of the deepest layer used (multiples of
///   `alignment = 2^pools`), so every pooling window of a crop is one of the whole image's;
/// - every crop extends its interior by `halo` pixels (clipped at the image borders, where
///   the network's zero padding is the whole image's), and `halo` covers the rows a cut edge
///   contaminates at every layer, so the interior's activations equal the whole image's.
public struct TileGrid: Equatable, Sendable {
    /// The image the tiles cover.
    public let size: ImageSize
    /// The network whose layers run.
    public let model: VGGModel
    /// Layers of the network that run.
    public let depth: Int
    /// Tile and crop origins are multiples of this (`2^pools` in the first `depth` layers).
    public let alignment: Int
    /// Pixels of context around each interior (a multiple of `alignment`).
    public let halo: Int
    /// The interiors' side (a multiple of `alignment`); edge tiles may be smaller.
    public let tileSide: Int
    /// The tiles, row-major.
    public let tiles: [Tile]

    /// Cuts a `size` image into tiles of side at most `tileSide` (rounded up to the pooling
    /// grid), balanced so the last row and column are not slivers.
    /// - Parameter halo: the context around each interior; nil for `TileGrid.halo(depth:)`.
    ///   Tests pass a shorter one to show that it is needed.
    public init(size: ImageSize, model: VGGModel = .vgg19, depth: Int, tileSide: Int, halo: Int? = nil) {
        let alignment = 1 << Self.pools(model: model, depth: depth)
        let halo = halo ?? Self.halo(model: model, depth: depth)
        let side = roundUp(max(tileSide, 1), to: alignment)
        func cuts(_ extent: Int) -> [Int] {
            let count = (extent + side - 1) / side
            let step = roundUp((extent + count - 1) / max(count, 1), to: alignment)
            return Array(stride(from: 0, to: extent, by: max(step, 1)))
        }
        let rows = cuts(size.height), columns = cuts(size.width)
        var tiles: [Tile] = []
        for (r, y) in rows.enumerated() {
            let y1 = r + 1 < rows.count ? rows[r + 1] : size.height
            for (c, x) in columns.enumerated() {
                let x1 = c + 1 < columns.count ? columns[c + 1] : size.width
                let cy = max(0, y - halo), cx = max(0, x - halo)
                let cy1 = min(size.height, y1 + halo), cx1 = min(size.width, x1 + halo)
                tiles.append(Tile(index: tiles.count, interior: PixelRect(y: y, x: x, height: y1 - y, width: x1 - x),
                                  crop: PixelRect(y: cy, x: cx, height: cy1 - cy, width: cx1 - cx)))
            }
        }
        self.size = size
        self.model = model
        self.depth = depth
        self.alignment = alignment
        self.halo = halo
        self.tileSide = side
        self.tiles = tiles
    }

    /// The largest crop of any tile (what a worker's buffers must hold).
    public var largestCrop: ImageSize {
        ImageSize(height: tiles.map(\.crop.height).max() ?? 0, width: tiles.map(\.crop.width).max() ?? 0)
    }

    /// The largest interior of any tile.
    public var largestInterior: ImageSize {
        ImageSize(height: tiles.map(\.interior.height).max() ?? 0, width: tiles.map(\.interior.width).max() ?? 0)
    }

    /// Pooling layers among the first `depth` layers.
    public static func pools(model: VGGModel = .vgg19, depth: Int) -> Int {
        model.layers.prefix(depth).filter { $0.kind == .pool }.count
    }

    /// The halo exact tiling needs through the first `depth` layers: walking up the stack,
    /// a cut edge contaminates one more row per 3x3 convolution and half as many (rounded
    /// up) after each 2x2 pooling; the largest contaminated band in pixels, rounded up to
    /// the pooling grid.
    public static func halo(model: VGGModel = .vgg19, depth: Int) -> Int {
        var rows = 0, scale = 1, widest = 0
        for layer in model.layers.prefix(depth) {
            switch layer.kind {
            case .conv: rows += 1
            case .relu: break
            case .pool:
                rows = (rows + 1) / 2
                scale *= 2
            }
            widest = max(widest, rows * scale)
        }
        return roundUp(widest, to: 1 << pools(model: model, depth: depth))
    }

    /// The part of the whole image's activation at `layer` that `tile` is responsible for,
    /// in the coordinates of the activation of the tile's crop (empty when the interior is
    /// thinner than one position at that layer's scale).
    public func window(of tile: Tile, layer: Int) -> PixelRect {
        let scale = 1 << model.layers.prefix(layer + 1).filter { $0.kind == .pool }.count
        let full = model.shapes(height: size.height, width: size.width, depth: layer + 1).shapes
        let fullRows = full.last?[1] ?? 0, fullColumns = full.last?[2] ?? 0
        let i = tile.interior
        // Pooling rounds down: the last tile of a row or column owns what remains of the layer.
        let y0 = i.y / scale, y1 = i.y + i.height == size.height ? fullRows : (i.y + i.height) / scale
        let x0 = i.x / scale, x1 = i.x + i.width == size.width ? fullColumns : (i.x + i.width) / scale
        return PixelRect(y: y0 - tile.crop.y / scale, x: x0 - tile.crop.x / scale, height: y1 - y0, width: x1 - x0)
    }

    /// Positions of the whole image's activation at `layer` (`H*W` of its shape).
    public func positions(layer: Int) -> Int {
        guard let shape = model.shapes(height: size.height, width: size.width, depth: layer + 1).shapes.last else { return 0 }
        return shape[1] * shape[2]
    }
}
