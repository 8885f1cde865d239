// VideoAudioTests: a writer copies another file's audio stream unchanged (same codec, packets and duration, checked with ffprobe and ffmpeg's md5), and says one line when it cannot.
import Foundation
import NSTImages
import NSTVideo
import XCTest

final class VideoAudioTests: ScratchFolderTestCase {
    /// A 2-second 96x64 H.264 MP4 at 25 fps with a 440 Hz AAC track, made by the ffmpeg tool.
    private func sourceWithAudio() throws -> String {
        let path = path("source.mp4")
        try VideoTools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=2",
                               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
                               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", path])
        return path
    }

    /// Reads every frame of `source` and writes them to `name` with the audio of `source`.
    private func rewrite(_ source: String, to name: String) throws -> (path: String, writer: VideoWriter) {
        let path = path(name)
        let reader = try VideoReader(path: source)
        let size = try XCTUnwrap(VideoFormat(path: path)).codecSize(width: reader.info.width, height: reader.info.height)
        let writer = try VideoWriter(path: path, width: size.width, height: size.height, fps: reader.info.fps, crf: nil,
                                     audioFrom: source)
        while let frame = try reader.next() { try writer.append(frame) }
        try writer.finish()
        return (path, writer)
    }

    /// The md5 of the audio stream's packets, as ffmpeg's md5 muxer computes it over a stream copy.
    private func audioPacketDigest(_ path: String) throws -> String {
        let data = try VideoTools.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:a", "-c", "copy", "-f", "md5", "-"])
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func duration(_ stream: [String: Any]?) -> Double {
        Double(stream?["duration"] as? String ?? "") ?? -1
    }

    func testMP4KeepsTheSourcesAACStreamUnchanged() throws {
        let source = try sourceWithAudio()
        XCTAssertTrue(try VideoReader(path: source).info.hasAudio)
        let (path, writer) = try rewrite(source, to: "out.mp4")
        XCTAssertNil(writer.audioNote)

        let before = try VideoTools.streams(source), after = try VideoTools.streams(path)
        let audio = try XCTUnwrap(VideoTools.stream("audio", in: after), "the output has an audio stream")
        XCTAssertEqual(audio["codec_name"] as? String, "aac")
        XCTAssertEqual(audio["sample_rate"] as? String, "44100")
        XCTAssertEqual(duration(audio), duration(VideoTools.stream("audio", in: before)), accuracy: 0.05)
        XCTAssertEqual(duration(VideoTools.stream("video", in: after)), 2, accuracy: 0.05)
        XCTAssertEqual(try audioPacketDigest(path), try audioPacketDigest(source), "the audio packets are copied, not re-encoded")
        XCTAssertTrue(try VideoReader(path: path).info.hasAudio)
    }

    /// WebM takes Opus: an MKV's Opus track goes into the WebM unchanged.
    func testWebMKeepsAnOpusStream() throws {
        let source = path("source.mkv")
        try VideoTools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=1",
                               "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:duration=1",
                               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "libopus", source])
        let (path, writer) = try rewrite(source, to: "out.webm")
        XCTAssertNil(writer.audioNote)
        let audio = try XCTUnwrap(VideoTools.stream("audio", in: try VideoTools.streams(path)))
        XCTAssertEqual(audio["codec_name"] as? String, "opus")
        XCTAssertEqual(try audioPacketDigest(path), try audioPacketDigest(source))
    }

    func testGIFCannotHoldAudioAndSaysSo() throws {
        let source = try sourceWithAudio()
        let (path, writer) = try rewrite(source, to: "out.gif")
        let note = try XCTUnwrap(writer.audioNote)
        XCTAssertTrue(note.contains("GIF") && note.contains(source), note)
        XCTAssertFalse(note.contains("\n"))
        let streams = try VideoTools.streams(path)
        XCTAssertNil(VideoTools.stream("audio", in: streams))
        XCTAssertEqual(VideoTools.stream("video", in: streams)?["codec_name"] as? String, "gif")
    }

    func testWebMRefusesAACAndSaysSo() throws {
        let source = try sourceWithAudio()
        let (path, writer) = try rewrite(source, to: "out.webm")
        let note = try XCTUnwrap(writer.audioNote)
        XCTAssertTrue(note.contains("WebM") && note.contains("aac"), note)
        XCTAssertNil(VideoTools.stream("audio", in: try VideoTools.streams(path)))
    }

    func testSourceWithoutAudioIsNoted() throws {
        let silent = path("silent.mp4")
        let writer = try VideoWriter(path: silent, width: 96, height: 64, fps: 25, crf: nil, audioFrom: nil)
        try writer.append(try VideoFixtures.movingFrame(0))
        try writer.finish()
        let (path, copy) = try rewrite(silent, to: "out.mp4")
        XCTAssertEqual(copy.audioNote, "the audio of '\(silent)' was not copied: it has no audio")
        XCTAssertNil(VideoTools.stream("audio", in: try VideoTools.streams(path)))
    }

    func testUnreadableAudioSourceNamesThatFile() throws {
        let missing = path("nope.mp4")
        XCTAssertThrowsError(try VideoWriter(path: path("out.mp4"), width: 96, height: 64, fps: 25, crf: nil, audioFrom: missing)) { error in
            XCTAssertEqual("\(error)", "'\(missing)': no such file")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no temporary file left")
    }
}
