// Image: a float32 RGB picture in planar (CHW) layout with values in [0, 1], as docs/MATH.md defines.
import NSTCore

/// A picture as the engine sees it: float32, planar RGB (all red values, then all
/// green, then all blue; each plane row by row), values in [0, 1].
///
/// Load one with `Image.load(path:)`, resize it with `resized(longSide:)` and save
/// it with `writePNG(to:)`.
public struct Image: Equatable, Sendable {
    /// The largest width or height an image may have, in pixels.
    public static let maxSide = 16384

    /// The width in pixels.
    public let width: Int
    /// The height in pixels.
    public let height: Int
    /// `3 * width * height` values: index `(c * height + y) * width + x` for channel c.
    /// Read-only, so that the count always matches the size; make a new image to change it.
    public let pixels: [Float]

    /// Wraps planar RGB pixels. Throws `ImageError` (kind `.invalidImage`) unless
    /// both sides are 1 to `maxSide` and `pixels.count == 3 * width * height`.
    public init(width: Int, height: Int, pixels: [Float]) throws {
        guard (1...Image.maxSide).contains(width), (1...Image.maxSide).contains(height) else {
            throw ImageError(.invalidImage, path: nil,
                             "an image of \(width)x\(height) pixels is not possible; each side must be 1 to \(Image.maxSide)")
        }
        guard pixels.count == 3 * width * height else {
            throw ImageError(.invalidImage, path: nil,
                             "a \(width)x\(height) RGB image needs \(3 * width * height) values, not \(pixels.count)")
        }
        self.init(checkedWidth: width, height: height, pixels: pixels)
    }

    /// For callers that have already established the invariants (decoders, resize).
    init(checkedWidth width: Int, height: Int, pixels: [Float]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The number of pixels in one channel plane.
    public var planeCount: Int { width * height }

    /// The value of channel `channel` (0 red, 1 green, 2 blue) at column `x`, row `y`.
    /// Like an array subscript, the indices must be in range (`0..<3`, `0..<width`, `0..<height`).
    public func value(channel: Int, x: Int, y: Int) -> Float {
        pixels[(channel * height + y) * width + x]
    }
}
