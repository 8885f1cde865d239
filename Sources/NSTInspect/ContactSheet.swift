// ContactSheet: images side by side at one height with a caption under each (content, style, result).
import Foundation
import NSTImages
import NSTCore

/// The picture of `nst sheet`: each image resized (Lanczos, aspect kept) to a common height
/// and placed left to right with a small gap, its caption centred below.
public struct ContactSheet: Sendable {
    /// Where each image went.
    public struct Placement: Equatable, Sendable {
        public let x: Int, y: Int, width: Int, height: Int
    }

    public let drawing: Drawing
    public let placements: [Placement]
    /// The images as placed (already resized).
    public let images: [Image]

    static let gap = 8, captionHeight = 22

    /// The heights a sheet can have, in pixels.
    public static let heights = 16...4096

    /// The height images get when none is asked: the shortest image's, at least 16 and at most 512.
    public static func defaultHeight(_ images: [Image]) -> Int { min(max(images.map(\.height).min() ?? 256, 16), 512) }

    /// Lays out `images` at `height` pixels with `captions` (one per image; empty strings
    /// leave the caption out).
    /// - Throws: `DeviceError.invalidArgument` for no images, a caption count that differs, or
    ///   a height out of `heights` (the command line checks its options first, naming them);
    ///   `ImageError` when resizing fails.
    public init(images: [Image], captions: [String], height: Int) throws {
        guard !images.isEmpty, captions.count == images.count, Self.heights.contains(height) else {
            throw DeviceError.invalidArgument(op: "ContactSheet", detail: "\(images.count) images, \(captions.count) captions, height \(height) (want \(Self.heights))")
        }
        let showCaptions = captions.contains { !$0.isEmpty }
        let resized = try images.map { image in
            try image.resized(width: max(1, Int((Double(image.width) * Double(height) / Double(image.height)).rounded())), height: height)
        }
        var placements: [Placement] = []
        var x = 0
        for image in resized {
            placements.append(Placement(x: x, y: 0, width: image.width, height: image.height))
            x += image.width + Self.gap
        }
        var d = Drawing(width: x - Self.gap, height: height + (showCaptions ? Self.captionHeight : 0))
        for (image, (place, caption)) in zip(resized, zip(placements, captions)) {
            d.add(.raster(Raster(image), x: place.x, y: place.y))
            if !caption.isEmpty {
                d.text(caption, x: Double(place.x) + Double(place.width) / 2, y: Double(height + 16), size: 13,
                       color: RGBColor(hex: 0x222222), anchor: .middle)
            }
        }
        drawing = d
        self.placements = placements
        self.images = resized
    }
}
