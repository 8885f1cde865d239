// FrameSource: the content frames of a clip, one at a time: a video file read through FFmpeg's libraries, a printf frame pattern, or a folder of images in name order.
import Foundation
import NSTCore
import NSTImages
import NSTVideo

/// The frames of `--content` in order. A video file is decoded as it is read (one frame in
/// memory); image files are decoded one at a time. Every frame must have the first one's size.
final class FrameSource {
    /// The clip as given.
    let path: String
    /// How many frames the clip has.
    let count: Int
    /// The video's frame rate, or nil for image files.
    let fps: Double?
    /// Whether the video file has an audio track (which a video output copies).
    let hasAudio: Bool
    /// The first frame's file, or the video file.
    var firstPath: String { files.first ?? path }
    /// The first frame's size (read from the video's stream or the first file).
    private(set) var firstSize = (width: 0, height: 0)
    private var reader: VideoReader?
    private var files: [String]
    private var index = 0
    private var size: (width: Int, height: Int)?
    /// The first file's image, decoded by `init`, until `next()` hands it over.
    private var firstImage: Image?

    /// The extensions a video file may have (FFmpeg's demuxers decide what it really is).
    static let videoExtensions: Set<String> = ["mp4", "mov", "mkv", "webm", "avi", "gif", "m4v"]

    /// Opens `path`: a frame pattern, a folder, or a video file.
    /// - Throws: `TransferError.file` naming `--content` for a pattern or folder without
    ///   frames, a single image, or a missing file; `VideoError` for an unreadable video.
    init(path: String) throws {
        self.path = path
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        // A file or folder that exists is taken as it is, even with a % in its name.
        let exists = fm.fileExists(atPath: path, isDirectory: &isFolder)
        if !exists, let pattern = try FramePattern(path, option: .content) {
            files = pattern.existingFrames()
            guard !files.isEmpty else {
                throw TransferError.file(.content, path: path, problem: "is a frame pattern that matches no file (tried frame numbers 0 and 1)")
            }
            (count, fps, hasAudio) = (files.count, nil, false)
        } else if exists, isFolder.boolValue {
            let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { !$0.hasPrefix(".") && ContentList.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted().map { (path as NSString).appendingPathComponent($0) }
            guard !files.isEmpty else {
                throw TransferError.file(.content, path: path, problem: "is a folder with no image files (\(ContentList.imageExtensions.sorted().map { "." + $0 }.joined(separator: ", ")))")
            }
            (count, fps, hasAudio) = (files.count, nil, false)
        } else {
            guard exists else { throw TransferError.file(.content, path: path, problem: "no such file") }
            let ext = (path as NSString).pathExtension.lowercased()
            if ContentList.imageExtensions.contains(ext) {
                throw TransferError.file(.content, path: path, problem: "is one image; nst video takes a video file, a frame pattern (frames/in-%04d.png) or a folder of frames (use nst transfer for one image)")
            }
            files = []
            let reader = try VideoReader(path: path)
            self.reader = reader
            fps = reader.info.fps > 0 ? reader.info.fps : nil
            hasAudio = reader.info.hasAudio
            firstSize = (reader.info.width, reader.info.height)
            // The container's count can be missing or an estimate: count by decoding once (cheap beside the styling).
            let counter = try VideoReader(path: path)
            var frames = 0
            while try counter.next() != nil { frames += 1 }
            guard frames > 0 else { throw TransferError.file(.content, path: path, problem: "has no video frames") }
            count = frames
        }
        // The first file is decoded once: for its size now, and kept for the first `next()`.
        if reader == nil {
            let first = try Image.load(path: files[0], role: TransferOption.content.rawValue)
            firstSize = (first.width, first.height)
            firstImage = first
        }
    }

    /// The next frame, or nil after the last.
    /// - Throws: `ImageError` or `VideoError` naming the file; `TransferError.file` for a
    ///   frame of another size than the first.
    func next() throws -> Image? {
        let image: Image
        if let reader {
            guard let frame = try reader.next() else { return nil }
            image = frame
        } else {
            guard index < files.count else { return nil }
            if index == 0, let first = firstImage {
                image = first
                firstImage = nil
            } else {
                image = try Image.load(path: files[index], role: TransferOption.content.rawValue)
            }
        }
        index += 1
        if let size, size.width != image.width || size.height != image.height {
            throw TransferError.file(.content, path: reader == nil ? files[index - 1] : path,
                                     problem: "frame \(index) is \(image.width)x\(image.height), but the clip's first frame is \(size.width)x\(size.height); all frames must have one size")
        }
        size = (image.width, image.height)
        return image
    }
}
