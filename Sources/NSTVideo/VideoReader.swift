// VideoReader: reads the frames of a video file (MP4, MOV, MKV, WebM, AVI, GIF) one at a time through FFmpeg's libraries, as Images.
import CVideo
import NSTCore
import NSTImages

/// What a video file's header says about its video.
public struct VideoInfo: Equatable, Sendable {
    /// The width of the frames in pixels (1 to `Image.maxSide`).
    public var width: Int
    /// The height of the frames in pixels (1 to `Image.maxSide`).
    public var height: Int
    /// Frames per second: the stream's average rate, else its base rate; 25 when the file
    /// states neither.
    public var fps: Double
    /// The number of frames the container states, else its duration times `fps` rounded;
    /// nil when neither is known. An estimate: count what `next()` returns to be sure.
    public var frameCount: Int?
    /// Whether the file has an audio stream.
    public var hasAudio: Bool

    /// Describes a video.
    public init(width: Int, height: Int, fps: Double, frameCount: Int?, hasAudio: Bool) {
        self.width = width
        self.height = height
        self.fps = fps
        self.frameCount = frameCount
        self.hasAudio = hasAudio
    }
}

/// Reads the frames of a video file through libavformat and libavcodec, in C: nothing is
/// executed, and only the MP4/MOV, Matroska/WebM, AVI and GIF containers are opened (no
/// playlist, no URL, no other file). Frames come as planar RGB in [0, 1] at the size in
/// `info`; damaged data is an error, not concealed.
///
/// Not for use from several threads at once.
public final class VideoReader {
    /// What the file's header says.
    public let info: VideoInfo
    /// The file, as the caller named it.
    public let path: String
    /// The shim's reader; nil once the last frame was read or an error ended the reading.
    private var reader: OpaquePointer?
    /// The error that ended the reading, thrown again by every later `next()`.
    private var failure: VideoError?

    /// Room for the shim's one-line messages.
    static let messageCapacity = 512

    /// Opens `path` and its video stream.
    /// - Throws: `VideoError` naming `path` when it is missing, not a regular file, not a
    ///   video of a supported container, damaged, of a codec this FFmpeg cannot decode, or
    ///   has a side over `Image.maxSide`.
    public init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        var header = nst_video_info()
        var message = [CChar](repeating: 0, count: Self.messageCapacity)
        let capacity = message.count
        let status = nst_video_open(path, &handle, &header, &message, capacity)
        guard status == NST_VIDEO_OK, let handle else {
            throw VideoError(path: path, problem: Self.text(message, status: status))
        }
        reader = handle
        info = VideoInfo(width: Int(header.width), height: Int(header.height), fps: header.fps,
                         frameCount: header.frame_count >= 0 ? Int(header.frame_count) : nil,
                         hasAudio: header.has_audio != 0)
    }

    deinit {
        nst_video_close(reader)
    }

    /// The next frame as an RGB image of `info.width` x `info.height`, or nil after the last.
    /// - Throws: `VideoError` naming the file when the data is damaged or truncated, or
    ///   memory runs out; every later call throws it again.
    public func next() throws -> Image? {
        if let failure { throw failure }
        guard let reader else { return nil }
        let count = 3 * info.width * info.height
        // A Swift array traps when its memory cannot be had: make sure it can first.
        guard AvailableMemory.canAllocate(count * MemoryLayout<Float>.stride) else {
            throw end(with: "out of memory reading a \(info.width)x\(info.height) frame")
        }
        var pixels = [Float](repeating: 0, count: count)
        var message = [CChar](repeating: 0, count: Self.messageCapacity)
        let capacity = message.count
        let status = pixels.withUnsafeMutableBufferPointer { planes in
            nst_video_read_frame(reader, planes.baseAddress, &message, capacity)
        }
        switch status {
        case NST_VIDEO_OK:
            do {
                return try Image(width: info.width, height: info.height, pixels: pixels)
            } catch {
                throw end(with: "\(error)")
            }
        case NST_VIDEO_END:
            nst_video_close(reader)
            self.reader = nil
            return nil
        default:
            throw end(with: Self.text(message, status: status))
        }
    }

    /// Ends the reading with `problem`, releasing the decoder, and returns the error.
    private func end(with problem: String) -> VideoError {
        nst_video_close(reader)
        reader = nil
        let error = VideoError(path: path, problem: problem)
        failure = error
        return error
    }

    /// The shim's message, or a generic one if it left none.
    static func text(_ message: [CChar], status: nst_video_status) -> String {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? "video error \(status.rawValue)" : text
    }
}
