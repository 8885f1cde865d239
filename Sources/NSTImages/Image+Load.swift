// Image+Load: reading PNG, JPEG and TIFF files into images, the format found by magic bytes.
import Foundation
import NSTCore

extension Image {
    /// Reads the PNG, JPEG or TIFF file at `path` (the format is found from the file's
    /// first bytes, not its name). 8-bit samples become v/255, 16-bit v/65535; grey
    /// and palette images become RGB; alpha is composited on white. An embedded ICC profile
    /// is honoured: the pixels are converted from it to sRGB (an sRGB profile, or none,
    /// leaves them as stored).
    ///
    /// Throws `ImageError` naming `path` when the file is missing, unreadable,
    /// empty, of another format, damaged, truncated, over `Image.maxSide` pixels on a side,
    /// or carries an embedded ICC profile that is unusable (unreadable, over 16 MiB, or of
    /// another colour space than the pixels).
    public static func load(path: String) throws -> Image {
        // The format is checked as soon as the first bytes are in, so that a special file
        // that never ends (/dev/zero) is refused instead of read until memory runs out.
        let bytes = try ImageFile.contents(of: path) { prefix in _ = try format(of: prefix, path: path) }
        return try decode(bytes, path: path)
    }

    /// `load(path:)` for an input that `role` names (an option such as the content image's,
    /// given by the caller): errors become `TransferError.file` naming `role` and the file.
    public static func load(path: String, role: String) throws -> Image {
        do { return try load(path: path) } catch let error as ImageError {
            throw TransferError.file(role: role, path: path, problem: error.reason)
        }
    }

    /// Reads the PNG, JPEG or TIFF file at `url`; see `load(path:)`.
    public init(contentsOf url: URL) throws {
        self = try Image.load(path: url.path)
    }

    /// Decodes PNG, JPEG or TIFF bytes; `path` only names them in errors. A JPEG is
    /// turned upright by its EXIF orientation tag, as phone cameras store portraits sideways.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Image {
        try decode(bytes, path: path, budget: AvailableMemory.allocatableBytes())
    }

    /// `decode(_:path:)` with the decoders' memory budget given: the fuzz target
    /// (Fuzz/swift) bounds it so that a header claiming a huge image is refused, not allocated.
    static func decode(_ bytes: [UInt8], path: String, budget: Int) throws -> Image {
        let format = try format(of: bytes, path: path)
        let image = try CodecBridge.decode(bytes, format: format, path: path, budget: budget)
        guard format == .jpeg else { return image }
        let orientation = ExifOrientation.read(jpeg: bytes)
        guard orientation != 1 else { return image }
        // Turning makes a second copy; a Swift array traps when its memory cannot be had.
        guard AvailableMemory.canAllocate(image.pixels.count * MemoryLayout<Float>.stride) else {
            throw ImageError(.outOfMemory, path: path,
                             "out of memory turning a \(image.width)x\(image.height) image by its EXIF orientation")
        }
        return image.oriented(exif: orientation)
    }

    /// The format `bytes` (a whole file or its first bytes) start with.
    /// - Throws: `ImageError` naming `path` when `bytes` is empty or neither PNG nor JPEG.
    static func format(of bytes: [UInt8], path: String) throws -> ImageFormat {
        guard !bytes.isEmpty else { throw ImageError(.empty, path: path, "file is empty") }
        guard let format = ImageFormat.sniff(bytes) else {
            throw ImageError(.unsupportedFormat, path: path, "unsupported image format (only PNG, JPEG and TIFF can be read)")
        }
        return format
    }
}
