// ImageEncoding: the output file formats (PNG, JPEG, TIFF) chosen by extension, their bit depth and quality, and atomic writing.
import NSTCore

/// An output file format, chosen by the file name's extension.
public enum OutputFormat: String, Sendable, CaseIterable {
    case png = "PNG", jpeg = "JPEG", tiff = "TIFF"

    /// The format of `path`'s extension (`.png`; `.jpg`, `.jpeg`; `.tif`, `.tiff`; any
    /// letter case), or nil for any other.
    public init?(path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        case "tif", "tiff": self = .tiff
        default: return nil
        }
    }

    /// The extensions accepted, for messages.
    public static let extensionList = ".png, .jpg (.jpeg) or .tif (.tiff)"
    /// The bit depths the format can hold.
    public var bitDepths: [Int] { self == .jpeg ? [8] : [8, 16] }
}

/// How an image is written: the format, bits per channel and JPEG quality. PNG carries an
/// sRGB chunk, TIFF an sRGB ICC profile (`SRGBProfile`); JPEG (JFIF) has no tag, and is
/// read as sRGB by convention.
public struct ImageEncoding: Equatable, Sendable {
    public var format: OutputFormat
    /// 8 or 16 bits per channel (16 for PNG and TIFF only).
    public var bitDepth: Int
    /// libjpeg's quality, 1 to 100.
    public var jpegQuality: Int

    /// The default encoding: 8-bit, quality 95.
    public static let defaultJPEGQuality = 95

    public init(format: OutputFormat, bitDepth: Int = 8, jpegQuality: Int = ImageEncoding.defaultJPEGQuality) {
        self.format = format
        self.bitDepth = bitDepth
        self.jpegQuality = jpegQuality
    }
}

extension Image {
    /// Interleaved 16-bit RGB: each value clamped to [0, 1] (NaN to 0), scaled by 65535 and
    /// rounded to nearest (`rgb8()`'s rule at 16 bits).
    public func rgb16() -> [UInt16] { interleaved(UInt16.self) }

    /// `rgb16()` as PNG stores it: each sample big-endian.
    func rgb16BigEndianBytes() -> [UInt8] {
        let samples = rgb16()
        var bytes = [UInt8](repeating: 0, count: 2 * samples.count)
        for (i, s) in samples.enumerated() {
            bytes[2 * i] = UInt8(s >> 8)
            bytes[2 * i + 1] = UInt8(s & 0xFF)
        }
        return bytes
    }

    /// The image encoded as `encoding` says; `path` names the file in errors.
    /// - Throws: `ImageError` for an impossible combination (16-bit JPEG, a quality outside
    ///   1...100) or an encoder failure.
    public func encoded(_ encoding: ImageEncoding, path: String) throws -> [UInt8] {
        guard encoding.format.bitDepths.contains(encoding.bitDepth) else {
            throw ImageError(.invalidImage, path: path, "\(encoding.format.rawValue) cannot hold \(encoding.bitDepth) bits per channel")
        }
        switch encoding.format {
        case .png where encoding.bitDepth == 16:
            return try CodecBridge.encodePNG(rows: rgb16BigEndianBytes(), width: width, height: height, bitDepth: 16, srgb: true, path: path)
        case .png:
            return try CodecBridge.encodePNG(rows: rgb8(), width: width, height: height, bitDepth: 8, srgb: true, path: path)
        case .jpeg:
            guard (1...100).contains(encoding.jpegQuality) else {
                throw ImageError(.invalidImage, path: path, "JPEG quality must be 1 to 100, got \(encoding.jpegQuality)")
            }
            return try CodecBridge.encodeJPEGRaw(samples: rgb8(), width: width, height: height, components: 3,
                                                 quality: encoding.jpegQuality, path: path)
        case .tiff where encoding.bitDepth == 16:
            return try CodecBridge.encodeTIFF(samples8: [], samples16: rgb16(),
                                              width: width, height: height, icc: SRGBProfile.bytes, path: path)
        case .tiff:
            return try CodecBridge.encodeTIFF(samples8: rgb8(), samples16: [], width: width, height: height,
                                              icc: SRGBProfile.bytes, path: path)
        }
    }

    /// Writes the image at `path` as `encoding` says, atomically (temporary file, rename).
    /// - Throws: `ImageError` naming `path`.
    public func write(to path: String, encoding: ImageEncoding) throws {
        try ImageFile.writeAtomically(encoded(encoding, path: path), to: path)
    }
}
