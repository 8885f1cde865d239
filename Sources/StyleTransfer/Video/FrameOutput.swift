// FrameOutput: where a clip's finished frames go: a frame pattern, or for a video file a work folder beside it whose frames are assembled at the end; which frames an earlier run finished.
import Foundation
import NSTCore
import NSTImages
import NSTVideo

/// The output of a video run. Each finished frame is written atomically as an image file:
/// at the frame pattern's path, or for a video output into the work folder
/// `<output>.nst-frames/` beside it, from which `assemble` encodes the video at the end
/// (and then removes the folder). Frame numbers start at 1.
struct FrameOutput {
    /// The output as given.
    let path: String
    /// The video's format, or nil for a frame pattern.
    let format: VideoFormat?
    /// Where frame k goes.
    private let frames: FramePattern

    /// - Throws: `TransferError.file` naming `--output` for an extension no codec or image
    ///   format takes, or a folder that cannot take the files.
    init(path: String) throws {
        self.path = path
        // A video's name may hold a % (its work folder's pattern escapes it); any other output is a frame pattern.
        if let format = VideoFormat(path: path) {
            self.format = format
            guard let work = try FramePattern(Self.workFolder(of: path).replacingOccurrences(of: "%", with: "%%") + "/frame-%06d.png", option: .output) else {
                throw TransferError.file(.output, path: path, problem: "gives no work folder")
            }
            frames = work
        } else if let pattern = try FramePattern(path, option: .output) {
            guard OutputFormat(path: pattern.path(1)) != nil else {
                throw TransferError.file(.output, path: path, problem: "is a frame pattern whose frames end in no image format; want \(OutputFormat.extensionList)")
            }
            format = nil
            frames = pattern
        } else {
            throw TransferError.file(.output, path: path, problem: "has no codec: want .mp4 (H.264), .webm (VP9), .gif, or a frame pattern such as out-%04d.png")
        }
        let folder = AtomicWrite.folderName(of: path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw TransferError.file(.output, path: path, problem: "is in a folder that does not exist ('\(folder)')")
        }
        guard AtomicWrite.canCreateFile(in: folder) else {
            throw TransferError.file(.output, path: path, problem: "cannot be written: its folder '\(folder)' does not take new files (permission denied)")
        }
    }

    /// The work folder of a video output: `<output>.nst-frames` beside it.
    static func workFolder(of path: String) -> String { path + ".nst-frames" }

    /// The work folder (video outputs) or nil.
    var workFolder: String? { format == nil ? nil : Self.workFolder(of: path) }

    /// Where frame `k` (1-based) is written.
    func framePath(_ k: Int) -> String { frames.path(k) }

    /// How many frames, from frame 1 on without a gap, an earlier run finished.
    func finishedFrames(limit: Int) -> Int {
        var k = 0
        while k < limit, FileManager.default.fileExists(atPath: framePath(k + 1)) { k += 1 }
        return k
    }

    /// Makes the work folder of a video output.
    func prepare() throws {
        guard let workFolder else { return }
        do {
            try FileManager.default.createDirectory(atPath: workFolder, withIntermediateDirectories: true)
        } catch {
            throw TransferError.file(.output, path: path, problem: "its work folder '\(workFolder)' cannot be made: \(ErrorWords.describe(error))")
        }
    }

    /// Encodes frames 1 to `count` of the work folder into the video (atomically), with the
    /// audio of `audioFrom` when given, then removes the work folder. A size the codec
    /// cannot take (odd sides for H.264 and VP9's 4:2:0) loses its last column or row, and
    /// `note` says so once. Returns a note when the audio could not be copied.
    func assemble(count: Int, fps: Double, crf: Int?, audioFrom: String?, note: (String) -> Void) throws -> String? {
        guard let format, let workFolder else { return nil }
        func frame(_ k: Int) throws -> Image { try Image.load(path: framePath(k), role: TransferOption.output.rawValue) }
        let first = try frame(1)
        let size = format.codecSize(width: first.width, height: first.height)
        if size.width != first.width || size.height != first.height {
            note("nst: \(first.width)x\(first.height) frames written as \(size.width)x\(size.height): \(format.rawValue) needs even sides (the last column or row is left out)")
        }
        let writer = try VideoWriter(path: path, width: size.width, height: size.height, fps: fps, crf: crf, audioFrom: audioFrom)
        for k in 1...max(count, 1) {
            try writer.append(Self.cropped(k == 1 ? first : frame(k), width: size.width, height: size.height))
        }
        try writer.finish()
        try? FileManager.default.removeItem(atPath: workFolder)
        return writer.audioNote
    }

    /// The top-left `width x height` of `image` (itself when that is its size).
    static func cropped(_ image: Image, width: Int, height: Int) throws -> Image {
        guard width != image.width || height != image.height else { return image }
        var pixels = [Float]()
        pixels.reserveCapacity(3 * width * height)
        for c in 0..<3 {
            for y in 0..<height {
                let row = (c * image.height + y) * image.width
                pixels += image.pixels[row..<(row + width)]
            }
        }
        return try Image(width: width, height: height, pixels: pixels)
    }
}
