// OriginalColors: the result's luminance with the content image's chroma (full-range YCbCr of BT.601, as JPEG uses).
import NSTCore
import NSTImages

/// Original colours, as neural-style does it: convert both images to YCbCr (BT.601
/// coefficients, full range, as JPEG/JFIF), keep the result's Y and the content's Cb and Cr,
/// convert back. The result is clamped to [0, 1] first (as it would be written); the
/// combination may leave [0, 1] where a bright luminance meets a saturated chroma, and is
/// clamped when written.
public enum OriginalColors {
    /// Luma weights of R, G, B.
    static let kr = 0.299, kg = 0.587, kb = 0.114

    /// (Y, Cb, Cr) of an RGB triple, Cb and Cr centred on 0.
    public static func ycbcr(_ r: Double, _ g: Double, _ b: Double) -> (y: Double, cb: Double, cr: Double) {
        let y = kr * r + kg * g + kb * b
        return (y, (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr)))
    }

    /// The RGB triple of (Y, Cb, Cr), the inverse of `ycbcr`.
    public static func rgb(y: Double, cb: Double, cr: Double) -> (r: Double, g: Double, b: Double) {
        let r = y + 2 * (1 - kr) * cr, b = y + 2 * (1 - kb) * cb
        return (r, (y - kr * r - kb * b) / kg, b)
    }

    /// `result`'s luminance with `content`'s chroma.
    /// - Throws: `ImageError` (`.invalidImage`) unless the two images have the same size.
    public static func apply(result: Image, content: Image) throws -> Image {
        guard result.width == content.width, result.height == content.height else {
            throw ImageError(.invalidImage, path: nil, "original colours: the result is \(result.width)x\(result.height), the content \(content.width)x\(content.height)")
        }
        let plane = result.planeCount
        var out = [Float](repeating: 0, count: 3 * plane)
        func clamped(_ v: Float) -> Double { v.isNaN ? 0 : Double(min(max(v, 0), 1)) }
        for i in 0..<plane {
            let y = ycbcr(clamped(result.pixels[i]), clamped(result.pixels[plane + i]), clamped(result.pixels[2 * plane + i])).y
            let c = ycbcr(Double(content.pixels[i]), Double(content.pixels[plane + i]), Double(content.pixels[2 * plane + i]))
            let rgb = rgb(y: y, cb: c.cb, cr: c.cr)
            out[i] = Float(rgb.r)
            out[plane + i] = Float(rgb.g)
            out[2 * plane + i] = Float(rgb.b)
        }
        return try Image(width: result.width, height: result.height, pixels: out)
    }
}
