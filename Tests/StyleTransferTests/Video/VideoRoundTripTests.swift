// VideoRoundTripTests: frames written to MP4, WebM and GIF come back from VideoReader as written (size, count, rate, pixels), and ffprobe agrees; every container the reader promises is read.
import Foundation
import NSTImages
import NSTVideo
import XCTest

final class VideoRoundTripTests: ScratchFolderTestCase {
    private let frameCount = 8

    /// Writes the moving pattern's 8 frames to `name` at 25 fps, reads them back, and checks
    /// the count, size, rate and that each frame is close to its own original (and further
    /// from its neighbours, so order and motion survive).
    private func roundTrip(_ name: String, crf: Int?, meanTolerance: Double, blockTolerance: Double,
                           file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = path(name)
        let originals = try (0..<frameCount).map { try VideoFixtures.movingFrame($0) }
        let writer = try VideoWriter(path: path, width: 96, height: 64, fps: 25, crf: crf, audioFrom: nil)
        for frame in originals { try writer.append(frame) }
        try writer.finish()
        XCTAssertEqual(writer.frameCount, frameCount, file: file, line: line)

        let (info, frames) = try VideoFixtures.readAll(path)
        XCTAssertEqual(info.width, 96, file: file, line: line)
        XCTAssertEqual(info.height, 64, file: file, line: line)
        XCTAssertEqual(info.fps, 25, accuracy: 0.01, file: file, line: line)
        XCTAssertFalse(info.hasAudio, file: file, line: line)
        XCTAssertEqual(frames.count, frameCount, file: file, line: line)
        for (k, frame) in frames.enumerated() where k < originals.count {
            XCTAssertEqual(frame.width, 96, file: file, line: line)
            XCTAssertEqual(frame.height, 64, file: file, line: line)
            let own = VideoFixtures.meanAbsoluteError(frame, originals[k])
            XCTAssertLessThan(own, meanTolerance, "\(name) frame \(k): mean abs error", file: file, line: line)
            XCTAssertLessThan(VideoFixtures.blockMeanError(frame, originals[k]), blockTolerance,
                              "\(name) frame \(k): 4x4 block means", file: file, line: line)
            for neighbour in [k - 1, k + 1] where originals.indices.contains(neighbour) {
                XCTAssertLessThan(own, VideoFixtures.meanAbsoluteError(frame, originals[neighbour]),
                                  "\(name) frame \(k) is closer to frame \(neighbour)", file: file, line: line)
            }
        }
        return path
    }

    /// ffprobe's view of `path`'s video stream: codec, size, frames decoded, pixel format.
    private func assertProbe(_ path: String, codec: String, pixelFormat: String?, rate: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let streams = try VideoTools.streams(path, file: file, line: line)
        XCTAssertEqual(streams.count, 1, "only a video stream: \(streams)", file: file, line: line)
        let video = try XCTUnwrap(VideoTools.stream("video", in: streams), file: file, line: line)
        XCTAssertEqual(video["codec_name"] as? String, codec, file: file, line: line)
        XCTAssertEqual(video["width"] as? Int, 96, file: file, line: line)
        XCTAssertEqual(video["height"] as? Int, 64, file: file, line: line)
        XCTAssertEqual(video["nb_read_frames"] as? String, "\(frameCount)", file: file, line: line)
        XCTAssertEqual(video["r_frame_rate"] as? String, rate, file: file, line: line)
        if let pixelFormat { XCTAssertEqual(video["pix_fmt"] as? String, pixelFormat, file: file, line: line) }
    }

    func testMP4RoundTripIsH264YUV420WithinTolerance() throws {
        // crf 18 is visually lossless for x264: the smooth pattern comes back within 0.03 on
        // average (8-bit rounding and 4:2:0 chroma included; 0.015 measured), its 4x4 means
        // within 0.015 (0.009 measured; a BT.601/709 mix-up of writer and tags gives 0.022).
        let path = try roundTrip("clip.mp4", crf: 18, meanTolerance: 0.03, blockTolerance: 0.015)
        try assertProbe(path, codec: "h264", pixelFormat: "yuv420p", rate: "25/1")
        // The colour tags say what the writer did: BT.709, limited range.
        let video = try XCTUnwrap(VideoTools.stream("video", in: try VideoTools.streams(path)))
        XCTAssertEqual(video["color_space"] as? String, "bt709")
        XCTAssertEqual(video["color_range"] as? String, "tv")
    }

    func testWebMRoundTripIsVP9YUV420WithinTolerance() throws {
        // As MP4 (0.005 and 0.003 measured).
        let path = try roundTrip("clip.webm", crf: 20, meanTolerance: 0.03, blockTolerance: 0.015)
        try assertProbe(path, codec: "vp9", pixelFormat: "yuv420p", rate: "25/1")
    }

    func testGIFRoundTripIsCloseAfterDithering() throws {
        // 6x7x6 palette levels: a step of 0.2 (red, blue) or 0.17 (green); ordered dithering
        // spreads the error per pixel (under 0.08 on average, 0.057 measured) but keeps 4x4
        // means (under 0.02, 0.011 measured).
        let path = try roundTrip("clip.gif", crf: nil, meanTolerance: 0.08, blockTolerance: 0.02)
        try assertProbe(path, codec: "gif", pixelFormat: nil, rate: "25/1")
    }

    /// The reader's pixels equal the ffmpeg tool's own decode (same scaler flags): the colour
    /// matrix and range the writer tagged are the ones undone, and frame order is kept.
    func testReaderMatchesTheFFmpegToolsDecode() throws {
        let path = try roundTrip("clip.mp4", crf: 23, meanTolerance: 0.04, blockTolerance: 0.015)
        let (_, ours) = try VideoFixtures.readAll(path)
        let theirs = try VideoTools.decodeRGB(path, width: 96, height: 64, in: folder)
        XCTAssertEqual(ours.count, theirs.count)
        for (a, b) in zip(ours, theirs) {
            XCTAssertLessThan(VideoFixtures.meanAbsoluteError(a, b), 1.5 / 255)
        }
    }

    /// 29.97 fps given as 30000/1001 is stored as that fraction, not 2997/100.
    func testNTSCRateIsKeptExactly() throws {
        let path = path("ntsc.mp4")
        let writer = try VideoWriter(path: path, width: 96, height: 64, fps: 30000.0 / 1001, crf: nil, audioFrom: nil)
        for t in 0..<3 { try writer.append(try VideoFixtures.movingFrame(t)) }
        try writer.finish()
        XCTAssertEqual(try VideoReader(path: path).info.fps, 30000.0 / 1001, accuracy: 1e-6)
        let video = try XCTUnwrap(VideoTools.stream("video", in: try VideoTools.streams(path)))
        XCTAssertEqual(video["r_frame_rate"] as? String, "30000/1001")
    }

    /// MOV, MKV, AVI (MJPEG, full-range YUV) and WebM made by the ffmpeg tool are read: the
    /// frame count and rate it wrote, and the pixels of its own decode.
    func testReadsEveryPromisedContainer() throws {
        let cases: [(name: String, codec: [String])] = [
            ("in.mov", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
            ("in.mkv", ["-c:v", "libx264", "-pix_fmt", "yuv444p"]),
            ("in.avi", ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"]),
            ("in.webm", ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p"]),
            ("in.gif", ["-c:v", "gif"]),
        ]
        for (name, codec) in cases {
            let path = path(name)
            try VideoTools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1"] + codec + [path])
            let (info, frames) = try VideoFixtures.readAll(path)
            XCTAssertEqual(info.width, 64, name)
            XCTAssertEqual(info.height, 48, name)
            XCTAssertEqual(info.fps, 10, accuracy: 0.01, name)
            XCTAssertEqual(frames.count, 10, name)
            if let estimate = info.frameCount { XCTAssertEqual(estimate, 10, name) }
            let theirs = try VideoTools.decodeRGB(path, width: 64, height: 48, in: folder)
            XCTAssertEqual(frames.count, theirs.count, name)
            for (k, (a, b)) in zip(frames, theirs).enumerated() {
                XCTAssertLessThan(VideoFixtures.meanAbsoluteError(a, b), 2.0 / 255, "\(name) frame \(k)")
            }
        }
    }
}
