// VideoWriter: encodes Images into an MP4 (H.264), WebM (VP9) or GIF file through FFmpeg's libraries, written atomically, optionally with another file's audio.
import CVideo
import NSTCore
import NSTImages

/// Writes a video frame by frame, in the format of the path's extension (`VideoFormat`).
///
/// Writes to a temporary file beside `path`; `finish()` renames it into place atomically
/// (nothing at `path` until then). The temporary file is removed when an error ends the
/// writing or the writer goes away without `finish()`, and it is registered with
/// `TemporaryFiles`, so a signal that ends the process removes it too (`AtomicWrite.begin`).
///
/// Not for use from several threads at once.
public final class VideoWriter {
    /// The file to write, as the caller named it.
    public let path: String
    /// The format, from `path`'s extension.
    public let format: VideoFormat
    /// The width of every frame.
    public let width: Int
    /// The height of every frame.
    public let height: Int
    /// Set when audio was asked for but not copied, saying why in one line (the source has
    /// none, GIF holds no audio, the container cannot hold its codec); nil otherwise.
    public private(set) var audioNote: String?
    /// The frames appended so far.
    public private(set) var frameCount = 0

    /// The shim's writer; nil once finished or failed.
    private var writer: OpaquePointer?
    /// The temporary file; nil once renamed into place or removed.
    private var pending: AtomicWrite.PendingFile?
    /// Why this writer can take no more frames (finished, or an error ended it).
    private var closedReason: String?

    /// Starts a video at `path` of `width` x `height` frames at `fps` frames per second.
    ///
    /// - Parameters:
    ///   - width: must already be what `format.codecSize` gives (even for MP4 and WebM), 1
    ///     to `Image.maxSide`; resize the frames first.
    ///   - fps: finite, above 0 and at most 1000 (GIF stores delays in hundredths of a second,
    ///     so its frame times are rounded to those).
    ///   - crf: the quality of MP4 (0 to 51, default 23) and WebM (0 to 63, default 31),
    ///     lower is better; ignored for GIF.
    ///   - audioFrom: a video whose audio stream is copied unchanged (no re-encoding), kept
    ///     in step with its first video frame; when it cannot be copied, `audioNote` says why.
    /// - Throws: `VideoError` naming `path` for an unknown extension, a bad size, rate or
    ///   crf, an output that cannot be created, or an encoder this FFmpeg lacks; naming
    ///   `audioFrom` when that file cannot be read.
    public init(path: String, width: Int, height: Int, fps: Double, crf: Int?, audioFrom: String?) throws {
        guard let format = VideoFormat(path: path) else {
            throw VideoError(path: path, problem: "unknown video format (the name must end in .mp4, .webm or .gif)")
        }
        self.path = path
        self.format = format
        self.width = width
        self.height = height
        guard (1...Image.maxSide).contains(width), (1...Image.maxSide).contains(height) else {
            throw VideoError(path: path, problem: "a video of \(width)x\(height) pixels cannot be written; each side must be 1 to \(Image.maxSide)")
        }
        let size = format.codecSize(width: width, height: height)
        guard size == (width, height) else {
            throw VideoError(path: path, problem: "\(format.rawValue.uppercased()) needs even sides: \(width)x\(height) must be resized to \(size.width)x\(size.height) first")
        }
        guard fps.isFinite, fps > 0, fps <= 1000 else {
            throw VideoError(path: path, problem: "a frame rate of \(fps) cannot be written; it must be above 0 and at most 1000")
        }
        if let crf, let (range, _) = format.crfRange, !range.contains(crf) {
            throw VideoError(path: path, problem: "crf \(crf) is out of range for \(format.rawValue.uppercased()) (\(range.lowerBound) to \(range.upperBound))")
        }
        let file: AtomicWrite.PendingFile
        do {
            file = try AtomicWrite.begin(path)
        } catch let error as FileWriteError {
            throw VideoError(path: path, problem: error.reason)
        }
        var message = [CChar](repeating: 0, count: VideoReader.messageCapacity)
        let capacity = message.count
        var handle: OpaquePointer?
        let shimCRF = format == .gif ? -1 : Int32(crf ?? -1)
        let status = nst_video_writer_open(file.descriptor, format.shimFormat, Int32(width), Int32(height), fps, shimCRF,
                                           &handle, &message, capacity)
        guard status == NST_VIDEO_OK, let handle else {
            AtomicWrite.discard(file)
            throw VideoError(path: path, problem: VideoReader.text(message, status: status))
        }
        writer = handle
        pending = file
        if let audioFrom {
            var note = [CChar](repeating: 0, count: 256)
            let status = nst_video_writer_add_audio(handle, audioFrom, &note, 256, &message, capacity)
            guard status == NST_VIDEO_OK else {
                close()
                throw VideoError(path: audioFrom, problem: VideoReader.text(message, status: status))
            }
            if note[0] != 0 {
                let why = String(decoding: note.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                audioNote = "the audio of '\(audioFrom)' was not copied: \(why)"
            }
        }
    }

    deinit {
        close()
    }

    /// Encodes `image` as the next frame: its values clamped to [0, 1] (NaN as 0) and
    /// rounded to 8 bits.
    /// - Throws: `VideoError` naming the file when `image` is not `width` x `height` (the
    ///   writer stays usable), or when encoding or writing fails or the writer is finished
    ///   (the temporary file is then gone).
    public func append(_ image: Image) throws {
        if let closedReason { throw VideoError(path: path, problem: closedReason) }
        guard image.width == width, image.height == height else {
            throw VideoError(path: path, problem: "a frame of \(image.width)x\(image.height) does not fit a video of \(width)x\(height)")
        }
        var message = [CChar](repeating: 0, count: VideoReader.messageCapacity)
        let capacity = message.count
        let status = image.pixels.withUnsafeBufferPointer { planes in
            nst_video_writer_append(writer, planes.baseAddress, &message, capacity)
        }
        guard status == NST_VIDEO_OK else { throw fail(VideoReader.text(message, status: status)) }
        frameCount += 1
    }

    /// Finishes the encoding, writes the trailer and renames the temporary file to `path`.
    /// - Throws: `VideoError` naming the file when no frame was appended, or encoding or
    ///   writing fails (the temporary file is then gone and `path` is as it was).
    public func finish() throws {
        if let closedReason { throw VideoError(path: path, problem: closedReason) }
        guard frameCount > 0 else { throw fail("no frames were written") }
        var message = [CChar](repeating: 0, count: VideoReader.messageCapacity)
        let capacity = message.count
        let status = nst_video_writer_finish(writer, &message, capacity)
        guard status == NST_VIDEO_OK else { throw fail(VideoReader.text(message, status: status)) }
        nst_video_writer_free(writer)
        writer = nil
        if let file = pending {
            pending = nil
            do {
                try AtomicWrite.commit(file)
            } catch let error as FileWriteError {
                closedReason = "the writing failed earlier"
                throw VideoError(path: path, problem: error.reason)
            }
        }
        closedReason = "the video is already finished"
    }

    /// Ends the writing with `problem`: releases the encoder, removes the temporary file.
    private func fail(_ problem: String) -> VideoError {
        close()
        closedReason = "the writing failed earlier"
        return VideoError(path: path, problem: problem)
    }

    /// Releases the encoder and removes the temporary file, if still there.
    private func close() {
        nst_video_writer_free(writer)
        writer = nil
        if let file = pending {
            pending = nil
            AtomicWrite.discard(file)
        }
    }
}
