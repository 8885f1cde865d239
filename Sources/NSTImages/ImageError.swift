// ImageError: what went wrong reading, writing or resizing an image, always naming the file.
import NSTCore

/// An error from loading, saving or resizing an image. Its description is one line
/// a user can act on, starting with the file it concerns, e.g.
/// `starry.jpg: truncated JPEG data`.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of failure, for callers that react differently to each.
    public enum Kind: Equatable, Sendable {
        /// The file does not exist.
        case fileNotFound
        /// The file exists but cannot be read (permissions, a folder, an I/O error).
        case unreadable
        /// The file is empty.
        case empty
        /// The file is neither PNG nor JPEG.
        case unsupportedFormat
        /// The data is damaged or not valid for its format.
        case corrupt
        /// The data ends before the image does.
        case truncated
        /// A side is zero or larger than `Image.maxSide`.
        case tooLarge
        /// Valid data of a kind the decoder does not handle (e.g. 12-bit JPEG).
        case unsupportedContent
        /// Memory ran out.
        case outOfMemory
        /// The output cannot be written (missing or read-only folder, disk full).
        case notWritable
        /// A requested size is out of range.
        case invalidSize
        /// Pixels and dimensions passed to `Image.init` do not agree.
        case invalidImage
    }

    /// The class of failure.
    public let kind: Kind
    /// The file concerned, as the caller named it; nil for errors about no file (resizing).
    public let path: String?
    /// What is wrong, without the file name.
    public let reason: String

    /// Makes an error about `path` (or about no file when nil).
    public init(_ kind: Kind, path: String?, _ reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// `path: reason`, or the reason alone when no file is concerned.
    public var description: String {
        guard let path else { return reason }
        return "\(path): \(reason)"
    }
}
