// Raster: an 8-bit RGB picture in memory, the form every inspection picture takes before it is encoded.
import NSTImages
import NSTCore

/// Interleaved 8-bit RGB pixels, rows top to bottom.
public struct Raster: Equatable, Sendable {
    /// Size in pixels.
    public let width: Int, height: Int
    /// `3 * width * height` bytes: pixel (x, y) starts at `3 * (y * width + x)`.
    public private(set) var rgb: [UInt8]

    /// A raster filled with `color`.
    public init(width: Int, height: Int, color: RGBColor = .white) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        let (r, g, b) = color.bytes
        var bytes = [UInt8](repeating: 0, count: 3 * self.width * self.height)
        for i in stride(from: 0, to: bytes.count, by: 3) {
            bytes[i] = r; bytes[i + 1] = g; bytes[i + 2] = b
        }
        rgb = bytes
    }

    /// A raster of an image (clamped to [0, 1], rounded as `Image.rgb8()` does).
    public init(_ image: Image) {
        width = image.width
        height = image.height
        rgb = image.rgb8()
    }

    /// The pixel at (x, y), which must be inside the raster.
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = 3 * (y * width + x)
        return (rgb[i], rgb[i + 1], rgb[i + 2])
    }

    /// Sets the pixel at (x, y); pixels outside the raster are ignored.
    public mutating func set(x: Int, y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 3 * (y * width + x)
        rgb[i] = color.0; rgb[i + 1] = color.1; rgb[i + 2] = color.2
    }

    /// Copies `other` with its top left corner at (x, y), clipped to this raster.
    public mutating func paste(_ other: Raster, x: Int, y: Int) {
        for row in 0..<other.height where y + row >= 0 && y + row < height {
            for column in 0..<other.width {
                set(x: x + column, y: y + row, other.pixel(x: column, y: row))
            }
        }
    }
}
