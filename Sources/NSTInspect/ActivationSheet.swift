// ActivationSheet: a grid of each layer's strongest channel maps, colour-mapped and labelled, as one picture.
import Foundation
import NSTMethod
import NSTCore

/// The activation sheet of `nst activations`: for each layer a heading and a grid of its
/// strongest channels (by mean activation), each map normalised to its own minimum and
/// maximum, drawn with the sequential colour map and labelled `layer cN`.
public struct ActivationSheet: Sendable {
    /// Where one channel's map was drawn.
    public struct Tile: Equatable, Sendable {
        public let layer: String, channel: Int
        public let x: Int, y: Int, width: Int, height: Int
    }

    /// The picture.
    public let drawing: Drawing
    /// Every map drawn, layer by layer, strongest first (row by row within a layer).
    public let tiles: [Tile]

    static let margin = 12, gap = 6, labelHeight = 14, headingHeight = 26

    /// The channels of `map` with the largest mean activation, strongest first (ties: the
    /// lower channel first); at most `count`, at most all channels.
    public static func strongest(_ map: FeatureMap, count: Int) -> [Int] {
        let means = (0..<map.channels).map { map.mean(channel: $0) }
        return (0..<map.channels).sorted { means[$0] != means[$1] ? means[$0] > means[$1] : $0 < $1 }
            .prefix(max(count, 0)).map { $0 }
    }

    /// The tile size for a `height x width` map: long side `tile`, aspect kept, at least 1.
    public static func tileSize(height: Int, width: Int, tile: Int) -> (width: Int, height: Int) {
        let long = max(height, width)
        return (max(1, Int((Double(width * tile) / Double(long)).rounded())),
                max(1, Int((Double(height * tile) / Double(long)).rounded())))
    }

    /// Rows and columns of a grid of `count` tiles at most `columns` wide.
    public static func grid(count: Int, columns: Int) -> (rows: Int, columns: Int) {
        let c = max(1, min(columns, count))
        return ((count + c - 1) / c, c)
    }

    /// The first of `channels` (1 or more), `tile` (8 to 512 pixels) and `columns` (1 to 64)
    /// out of range: its parameter name and what is wrong; nil when all are in range.
    public static func problem(channels: Int, tile: Int, columns: Int) -> (parameter: String, text: String)? {
        if channels < 1 { return ("channels", "must be 1 or more, got \(channels)") }
        if !(8...512).contains(tile) { return ("tile", "must be 8 to 512 pixels, got \(tile)") }
        if !(1...64).contains(columns) { return ("columns", "must be 1 to 64, got \(columns)") }
        return nil
    }

    /// Lays out and draws the sheet.
    /// - Parameters:
    ///   - maps: one activation per layer, in the order to show them.
    ///   - channels: maps shown per layer (the strongest ones); must be at least 1.
    ///   - tile: long side of each map's tile in pixels (maps are scaled by nearest neighbour,
    ///     so each activation is a visible block).
    ///   - columns: tiles per row.
    /// - Throws: `DeviceError.invalidArgument` for a count or size out of `limits` (the
    ///   command line checks its options against the same limits first, naming them).
    public init(maps: [FeatureMap], channels: Int, tile: Int = 96, columns: Int = 8, title: String? = nil) throws {
        if let problem = Self.problem(channels: channels, tile: tile, columns: columns) {
            throw DeviceError.invalidArgument(op: "ActivationSheet", detail: "\(problem.parameter) \(problem.text)")
        }
        let m = Self.margin, gap = Self.gap
        var width = 2 * m, y = m + (title == nil ? 0 : 22)
        var placed: [(FeatureMap, [Int], (width: Int, height: Int), Int)] = []
        for map in maps {
            let chosen = Self.strongest(map, count: channels)
            let size = Self.tileSize(height: map.height, width: map.width, tile: tile)
            let grid = Self.grid(count: chosen.count, columns: columns)
            width = max(width, 2 * m + grid.columns * (size.width + gap) - gap)
            placed.append((map, chosen, size, y))
            y += Self.headingHeight + grid.rows * (size.height + Self.labelHeight + gap)
        }
        var drawing = Drawing(width: max(width, 320), height: y + m - gap)
        if let title { drawing.text(title, x: Double(m), y: Double(m + 14), size: 15, bold: true) }
        var tiles: [Tile] = []
        for (map, chosen, size, top) in placed {
            drawing.text("\(map.layer): \(map.channels) channels of \(map.width)x\(map.height); the \(chosen.count) strongest by mean activation, each scaled to its own range",
                         x: Double(m), y: Double(top + 17), size: 12, bold: true)
            let grid = Self.grid(count: chosen.count, columns: columns)
            for (k, channel) in chosen.enumerated() {
                let x = m + (k % grid.columns) * (size.width + gap)
                let y = top + Self.headingHeight + (k / grid.columns) * (size.height + Self.labelHeight + gap)
                drawing.add(.raster(Self.render(map, channel: channel, width: size.width, height: size.height), x: x, y: y))
                drawing.text("\(map.layer) c\(channel)", x: Double(x + size.width / 2), y: Double(y + size.height + 11),
                             size: 10, color: RGBColor(hex: 0x333333), anchor: .middle)
                tiles.append(Tile(layer: map.layer, channel: channel, x: x, y: y, width: size.width, height: size.height))
            }
        }
        self.drawing = drawing
        self.tiles = tiles
    }

    /// Channel `channel` of `map` scaled to `width x height` by nearest neighbour, its values
    /// mapped from [min, max] of the channel to [0, 1] (a constant map is all 0) and coloured
    /// with `ColorMap.sequential`.
    public static func render(_ map: FeatureMap, channel: Int, width: Int, height: Int) -> Raster {
        let plane = map.height * map.width, base = channel * plane
        let slice = map.values[base..<(base + plane)]
        let lo = Double(slice.min() ?? 0), hi = Double(slice.max() ?? 0)
        var raster = Raster(width: width, height: height)
        for y in 0..<height {
            let sy = min(map.height - 1, y * map.height / height)
            for x in 0..<width {
                let sx = min(map.width - 1, x * map.width / width)
                let v = Double(map.values[base + sy * map.width + sx])
                raster.set(x: x, y: y, ColorMap.sequential.color(hi > lo ? (v - lo) / (hi - lo) : 0).bytes)
            }
        }
        return raster
    }
}
