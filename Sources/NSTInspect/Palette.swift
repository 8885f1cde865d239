// Palette: reduces a raster to at most N colours (median cut) so that pictures stored in the repository stay small.
import NSTCore

/// An indexed form of a raster: a palette of RGB colours and one palette index per pixel.
public struct Palette: Sendable {
    /// The colours, at most 256.
    public let colors: [(UInt8, UInt8, UInt8)]
    /// One index into `colors` per pixel, rows top to bottom.
    public let indices: [UInt8]

    /// Quantises `raster` to at most `maxColors` (1 to 256) colours. A raster with that
    /// many distinct colours or fewer is kept exactly; otherwise the colours are split by
    /// median cut (the box with the widest channel range is halved at its median until
    /// there are `maxColors` boxes), each box becomes its mean colour, and every pixel takes
    /// the nearest palette colour (squared RGB distance). No dithering: flat areas stay flat.
    public init(_ raster: Raster, maxColors: Int) {
        let limit = min(max(maxColors, 1), 256)
        var counts: [UInt32: Int] = [:]
        for i in stride(from: 0, to: raster.rgb.count, by: 3) {
            counts[Self.key(raster.rgb[i], raster.rgb[i + 1], raster.rgb[i + 2]), default: 0] += 1
        }
        let distinct = counts.keys.sorted()
        let colors: [(UInt8, UInt8, UInt8)]
        if distinct.count <= limit {
            colors = distinct.map(Self.unkey)
        } else {
            colors = Self.medianCut(distinct.map { (Self.unkey($0), counts[$0] ?? 0) }, limit: limit)
        }
        var lookup: [UInt32: UInt8] = [:]
        for key in distinct { lookup[key] = UInt8(Self.nearest(Self.unkey(key), in: colors)) }
        var indices = [UInt8](repeating: 0, count: raster.width * raster.height)
        for p in 0..<indices.count {
            indices[p] = lookup[Self.key(raster.rgb[3 * p], raster.rgb[3 * p + 1], raster.rgb[3 * p + 2])] ?? 0
        }
        self.colors = colors
        self.indices = indices
    }

    /// The index of the colour of `colors` nearest to `color` (first of equals).
    static func nearest(_ color: (UInt8, UInt8, UInt8), in colors: [(UInt8, UInt8, UInt8)]) -> Int {
        var best = 0, bestDistance = Int.max
        for (i, c) in colors.enumerated() {
            let dr = Int(c.0) - Int(color.0), dg = Int(c.1) - Int(color.1), db = Int(c.2) - Int(color.2)
            let distance = dr * dr + dg * dg + db * db
            if distance < bestDistance { best = i; bestDistance = distance }
        }
        return best
    }

    private typealias Entry = (color: (UInt8, UInt8, UInt8), count: Int)

    private static func medianCut(_ entries: [Entry], limit: Int) -> [(UInt8, UInt8, UInt8)] {
        var boxes: [[Entry]] = [entries]
        while boxes.count < limit {
            // The box with the widest range in any channel is split next.
            var widest = -1, widestRange = 0, widestChannel = 0
            for (b, box) in boxes.enumerated() where box.count > 1 {
                for channel in 0..<3 {
                    let values = box.map { Self.component($0.color, channel) }
                    let range = Int(values.max() ?? 0) - Int(values.min() ?? 0)
                    if range > widestRange { widest = b; widestRange = range; widestChannel = channel }
                }
            }
            guard widest >= 0 else { break }
            let sorted = boxes[widest].sorted { Self.component($0.color, widestChannel) < Self.component($1.color, widestChannel) }
            // Split where half of the pixels (not of the colours) lie on each side.
            let total = sorted.reduce(0) { $0 + $1.count }
            var running = 0, cut = 1
            for (i, entry) in sorted.enumerated() {
                running += entry.count
                if running * 2 >= total { cut = min(max(i + 1, 1), sorted.count - 1); break }
            }
            boxes[widest] = Array(sorted[..<cut])
            boxes.append(Array(sorted[cut...]))
        }
        return boxes.map { box in
            let total = max(box.reduce(0) { $0 + $1.count }, 1)
            func mean(_ channel: Int) -> UInt8 {
                let sum = box.reduce(0) { $0 + Int(Self.component($1.color, channel)) * $1.count }
                return UInt8(min(255, (sum + total / 2) / total))
            }
            return (mean(0), mean(1), mean(2))
        }
    }

    private static func component(_ color: (UInt8, UInt8, UInt8), _ channel: Int) -> UInt8 {
        channel == 0 ? color.0 : channel == 1 ? color.1 : color.2
    }

    private static func key(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt32 { UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) }

    private static func unkey(_ key: UInt32) -> (UInt8, UInt8, UInt8) {
        (UInt8((key >> 16) & 0xff), UInt8((key >> 8) & 0xff), UInt8(key & 0xff))
    }
}
