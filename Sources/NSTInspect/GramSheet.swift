// GramSheet: Gram matrices drawn as heatmaps with their colour scales, optionally two images' and their difference.
import Foundation
import NSTCore

/// One `C x C` matrix to show.
public struct GramMatrix: Sendable {
    public let layer: String, channels: Int
    /// `channels * channels` values, row-major.
    public let values: [Float]

    public init(layer: String, channels: Int, values: [Float]) {
        self.layer = layer
        self.channels = channels
        self.values = values
    }
}

/// The picture of `nst gram`: per layer, the Gram matrix of an image as a heatmap
/// (sequential colour map from the matrix's minimum to its maximum, with a labelled
/// colour bar); with a second image, both matrices on one shared scale and their difference
/// A - B on a diverging scale symmetric about 0, titled with that layer's style loss
/// `1/(4 C^2) sum (A - B)^2` (docs/MATH.md), which is what J_style sees of the two images.
public struct GramSheet: Sendable {
    public let drawing: Drawing

    static let margin = 12, barWidth = 14, labelRoom = 76, titleHeight = 24

    /// The side of a `channels x channels` heatmap: whole pixels per cell, 256 pixels or more.
    public static func side(channels: Int) -> Int { channels * max(1, 256 / max(channels, 1)) }

    /// The heatmap of `values` (`channels x channels`): each cell a square of
    /// `side / channels` pixels coloured `map.color(scale(v))`.
    public static func heatmap(_ values: [Float], channels: Int, map: ColorMap, scale: (Double) -> Double) -> Raster {
        let cell = side(channels: channels) / channels
        var raster = Raster(width: channels * cell, height: channels * cell)
        for i in 0..<channels {
            for j in 0..<channels {
                let color = map.color(scale(Double(values[i * channels + j]))).bytes
                for y in (i * cell)..<((i + 1) * cell) {
                    for x in (j * cell)..<((j + 1) * cell) { raster.set(x: x, y: y, color) }
                }
            }
        }
        return raster
    }

    /// Style loss of one layer between two Gram matrices, `1/(4 C^2) sum (a - b)^2`.
    public static func styleLoss(_ a: [Float], _ b: [Float], channels: Int) -> Double {
        zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / (4 * Double(channels * channels))
    }

    /// Draws `first` (and, when given, `second` and the difference), one row per layer.
    /// `names` label the images (file names).
    /// - Throws: `DeviceError.invalidArgument` when a matrix is malformed or the two lists do
    ///   not match layer by layer.
    public init(first: [GramMatrix], second: [GramMatrix]? = nil, names: [String]) throws {
        for matrix in first + (second ?? []) where matrix.channels < 1 || matrix.values.count != matrix.channels * matrix.channels {
            throw DeviceError.invalidArgument(op: matrix.layer, detail: "a Gram matrix of \(matrix.channels) channels needs \(matrix.channels * matrix.channels) values, not \(matrix.values.count)")
        }
        if let second, second.count != first.count || zip(first, second).contains(where: { $0.channels != $1.channels }) {
            throw DeviceError.invalidArgument(op: "GramSheet", detail: "the two images' Gram matrices do not match layer by layer")
        }
        let m = Self.margin
        let panelWidth = { (c: Int) in Self.side(channels: c) + 8 + Self.barWidth + Self.labelRoom }
        let panels = second == nil ? 1 : 3
        let width = 2 * m + (first.map { panelWidth($0.channels) }.max() ?? 256) * panels
        let height = 2 * m + first.reduce(0) { $0 + Self.titleHeight * 2 + Self.side(channels: $1.channels) + 8 }
        var d = Drawing(width: max(width, 360), height: height)
        var top = m
        for (k, a) in first.enumerated() {
            let c = a.channels, side = Self.side(channels: c)
            d.text("\(a.layer): Gram matrix G = A A^T / (H W), \(c)x\(c)", x: Double(m), y: Double(top + 17), size: 13, bold: true)
            let panelTop = top + 2 * Self.titleHeight
            if let b = second?[k] {
                let values = a.values + b.values
                let lo = Double(values.min() ?? 0), hi = Double(values.max() ?? 1)
                let difference = zip(a.values, b.values).map { $0 - $1 }
                let bound = Double(difference.map(abs).max() ?? 0)
                Self.panel(&d, a.values, c: c, x: m, y: panelTop, title: "A: \(names.first ?? "")", map: .sequential, lo: lo, hi: hi)
                Self.panel(&d, b.values, c: c, x: m + panelWidth(c), y: panelTop, title: "B: \(names.dropFirst().first ?? "")",
                           map: .sequential, lo: lo, hi: hi)
                let loss = Self.styleLoss(a.values, b.values, channels: c)
                Self.panel(&d, difference, c: c, x: m + 2 * panelWidth(c), y: panelTop,
                           title: "A - B (style loss \(String(format: "%.4g", loss)))", map: .diverging, lo: -bound, hi: bound)
            } else {
                Self.panel(&d, a.values, c: c, x: m, y: panelTop, title: names.first ?? "",
                           map: .sequential, lo: Double(a.values.min() ?? 0), hi: Double(a.values.max() ?? 1))
            }
            top = panelTop + side + 8
        }
        drawing = d
    }

    /// One heatmap with its title above and its colour bar (labelled at both ends and the
    /// middle) on the right. Sequential maps scale [lo, hi] to [0, 1]; diverging ones
    /// [-hi, hi] to [-1, 1], so white is exactly 0.
    static func panel(_ d: inout Drawing, _ values: [Float], c: Int, x: Int, y: Int, title: String,
                      map: ColorMap, lo: Double, hi: Double) {
        let side = Self.side(channels: c)
        let span = hi - lo
        let scale: (Double) -> Double
        switch map {
        case .sequential: scale = { span > 0 ? ($0 - lo) / span : 0 }
        case .diverging: scale = { hi > 0 ? $0 / hi : 0 }
        }
        d.text(title, x: Double(x), y: Double(y - 8), size: 12)
        d.add(.raster(Self.heatmap(values, channels: c, map: map, scale: scale), x: x, y: y))
        let barX = x + side + 8
        var bar = Raster(width: Self.barWidth, height: side)
        for row in 0..<side {
            // Top of the bar is hi, bottom lo.
            let value = hi - (Double(row) + 0.5) / Double(side) * span
            let color = map.color(scale(value)).bytes
            for column in 0..<Self.barWidth { bar.set(x: column, y: row, color) }
        }
        d.add(.raster(bar, x: barX, y: y))
        d.add(.rect(x: Double(barX) - 0.5, y: Double(y) - 0.5, width: Double(Self.barWidth) + 1, height: Double(side) + 1,
                    fill: nil, stroke: Stroke(RGBColor(hex: 0x555555))))
        for (fraction, value) in [(0.0, hi), (0.5, (lo + hi) / 2), (1.0, lo)] {
            d.text(String(format: "%.3g", value), x: Double(barX + Self.barWidth + 4),
                   y: Double(y) + fraction * Double(side) + (fraction == 0 ? 9 : fraction == 1 ? 0 : 4), size: 10,
                   color: RGBColor(hex: 0x333333))
        }
    }
}
