// Image+WritePNG: saving an image as 8-bit RGB PNG, atomically.
import Foundation
import NSTCore

extension Image {
    /// The image as interleaved 8-bit RGB: each value clamped to [0, 1], scaled by
    /// 255 and rounded to nearest (NaN becomes 0).
    public func rgb8() -> [UInt8] { interleaved(UInt8.self) }

    /// Interleaved RGB samples of type `T`: each value clamped to [0, 1] (NaN to 0), scaled
    /// by `T.max` and rounded to nearest, halves away from zero.
    func interleaved<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> [T] {
        let plane = planeCount, top = Float(T.max)
        var samples = [T](repeating: 0, count: 3 * plane)
        pixels.withUnsafeBufferPointer { source in
            samples.withUnsafeMutableBufferPointer { target in
                for channel in 0..<3 {
                    for i in 0..<plane {
                        let value = source[channel * plane + i]
                        let clamped = value.isNaN ? 0 : Swift.min(Swift.max(value, 0), 1)
                        target[3 * i + channel] = T((clamped * top).rounded(.toNearestOrAwayFromZero))
                    }
                }
            }
        }
        return samples
    }

    /// The image encoded as an 8-bit RGB PNG file (see `rgb8()` for the conversion).
    public func pngData() throws -> [UInt8] {
        try CodecBridge.encodePNG(rgb: rgb8(), width: width, height: height, path: "PNG encoder")
    }

    /// Writes the image as an 8-bit RGB PNG file at `path`, through a temporary file
    /// in the same folder renamed into place: a failure never leaves a partial file.
    /// Throws `ImageError` naming `path` when the folder is missing or not writable.
    public func writePNG(to path: String) throws {
        let encoded = try CodecBridge.encodePNG(rgb: rgb8(), width: width, height: height, path: path)
        try ImageFile.writeAtomically(encoded, to: path)
    }

    /// Writes the image as a PNG file at `url`; see `writePNG(to:)` taking a path.
    public func writePNG(to url: URL) throws {
        try writePNG(to: url.path)
    }
}
