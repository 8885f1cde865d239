// VideoFormat: the kinds of video file nst writes (MP4, WebM, GIF), chosen by extension, and the sizes their codecs take.
import CVideo

/// A video file kind the writer makes: `.mp4` (H.264), `.webm` (VP9) or `.gif`.
public enum VideoFormat: String, Sendable, CaseIterable {
    /// H.264 (libx264) in MP4, yuv420p.
    case mp4
    /// VP9 (libvpx-vp9) in WebM, yuv420p.
    case webm
    /// GIF, 8-bit palette.
    case gif

    /// The format of `path`'s extension, in any case (`clip.MP4` is `.mp4`); nil for any
    /// other extension or none.
    public init?(path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        // A leading dot starts a hidden name (".mp4"), not an extension.
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        self.init(rawValue: name[name.index(after: dot)...].lowercased())
    }

    /// The size nearest to `width` x `height` this format's codec can encode: MP4 and WebM
    /// store yuv420p, whose halved colour planes need even sides, so each side is rounded
    /// down to even (at least 2); GIF takes any size.
    public func codecSize(width: Int, height: Int) -> (width: Int, height: Int) {
        guard self != .gif else { return (width, height) }
        // Computed here rather than in C so that no size is narrowed to Int32 on the way.
        return (max(2, width & ~1), max(2, height & ~1))
    }

    /// The range of `crf` this format's encoder takes (nil for GIF, which has none) and its
    /// default.
    public var crfRange: (range: ClosedRange<Int>, fallback: Int)? {
        guard self != .gif else { return nil }
        var lowest: Int32 = 0, highest: Int32 = 0, fallback: Int32 = 0
        nst_video_crf_range(shimFormat, &lowest, &highest, &fallback)
        return (Int(lowest)...Int(highest), Int(fallback))
    }

    /// The C shim's name for it.
    var shimFormat: nst_video_format {
        switch self {
        case .mp4: return NST_VIDEO_MP4
        case .webm: return NST_VIDEO_WEBM
        case .gif: return NST_VIDEO_GIF
        }
    }
}
