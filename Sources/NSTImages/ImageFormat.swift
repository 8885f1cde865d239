// ImageFormat: recognising PNG, JPEG and TIFF by their first bytes, and the codec library versions.
import CJPEG
import CPNG
import NSTCore

/// The file formats the engine reads.
public enum ImageFormat: String, Sendable {
    case png = "PNG"
    case jpeg = "JPEG"
    case tiff = "TIFF"

    /// The format whose magic bytes `bytes` starts with, or nil. The extension of a
    /// file is ignored: only its contents count.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.count >= 8, png_sig_cmp(bytes, 0, 8) == 0 { return .png }
        // SOI marker (FF D8) followed by the start of the next marker.
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        // Byte order (II little-endian, MM big-endian) and the number 42 in that order.
        if bytes.count >= 4, bytes[0...3] == [0x49, 0x49, 0x2A, 0x00] || bytes[0...3] == [0x4D, 0x4D, 0x00, 0x2A] { return .tiff }
        return nil
    }

    /// The codec libraries this build decodes with, e.g. "libpng 1.6.39, libjpeg API 62".
    public static var libraryVersions: String {
        let png = png_get_libpng_ver(nil).map { String(cString: $0) } ?? "unknown"
        return "libpng \(png), libjpeg API \(JPEG_LIB_VERSION)"
    }
}
