// VideoErrorTests: missing, foreign and truncated files throw a VideoError naming the file (no crash); formats by extension; sizes codecs can take.
import Foundation
import NSTImages
import NSTVideo
import XCTest

final class VideoErrorTests: ScratchFolderTestCase {
    /// Opening and reading `path` to its end throws a VideoError naming it, whose one line
    /// contains `text`.
    private func assertUnreadable(_ path: String, mentions text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try VideoFixtures.readAll(path), file: file, line: line) { error in
            guard let error = error as? VideoError else { return XCTFail("not a VideoError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("'\(path)': "), error.description, file: file, line: line)
            XCTAssertTrue(error.problem.contains(text), "\(error) should mention '\(text)'", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
        }
    }

    /// A valid 8-frame MP4 of the moving pattern.
    private func validMP4(_ name: String, fastStart: Bool = false) throws -> String {
        let path = path(name)
        if fastStart {
            // The index (moov) first, as streaming sites write it: truncation then cuts frames, not the index.
            let plain = try validMP4("plain-" + name)
            try VideoTools.ffmpeg(["-i", plain, "-c", "copy", "-movflags", "+faststart", path])
            return path
        }
        let writer = try VideoWriter(path: path, width: 96, height: 64, fps: 25, crf: 18, audioFrom: nil)
        for t in 0..<8 { try writer.append(try VideoFixtures.movingFrame(t)) }
        try writer.finish()
        return path
    }

    func testMissingFileAndFolder() throws {
        let missing = path("missing.mp4")
        XCTAssertThrowsError(try VideoReader(path: missing)) { error in
            XCTAssertEqual("\(error)", "'\(missing)': no such file")
        }
        assertUnreadable(folder.path, mentions: "folder")
        assertUnreadable("/dev/zero", mentions: "not a video file")
    }

    func testTextFileNamedMP4AndEmptyFile() throws {
        let text = path("notes.mp4")
        try Data("These are notes, not a video.\nLine two.\n".utf8).write(to: URL(fileURLWithPath: text))
        assertUnreadable(text, mentions: "not a video")
        let empty = path("empty.webm")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        assertUnreadable(empty, mentions: "empty")
        // A PNG is a real format FFmpeg knows, but no video container.
        let png = path("still.mp4")
        try Data(try VideoFixtures.movingFrame(0).pngData()).write(to: URL(fileURLWithPath: png))
        assertUnreadable(png, mentions: "not a video")
    }

    func testTruncatedMP4() throws {
        // Our writer puts the index at the end: half the file has none.
        let whole = try Data(contentsOf: URL(fileURLWithPath: try validMP4("whole.mp4")))
        let half = path("half.mp4")
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: half))
        assertUnreadable(half, mentions: "truncated")
    }

    func testTruncatedFastStartMP4EndsInAnErrorNotFewerFrames() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: try validMP4("whole.mp4", fastStart: true)))
        XCTAssertEqual(try VideoFixtures.readAll(path("whole.mp4")).1.count, 8)
        let cut = path("cut.mp4")
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        assertUnreadable(cut, mentions: "truncated")
    }

    /// Matroska reports a cut file as a plain end: the reader must not stop quietly.
    func testTruncatedWebMAndMKVEndInAnErrorNotFewerFrames() throws {
        let webm = path("whole.webm")
        let writer = try VideoWriter(path: webm, width: 96, height: 64, fps: 25, crf: nil, audioFrom: nil)
        for t in 0..<8 { try writer.append(try VideoFixtures.movingFrame(t)) }
        try writer.finish()
        let mkv = path("whole.mkv")
        try VideoTools.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=2", "-c:v", "libx264", mkv])
        for whole in [webm, mkv] {
            XCTAssertGreaterThanOrEqual(try VideoFixtures.readAll(whole).1.count, 8)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
            let cut = path("cut-" + (whole as NSString).lastPathComponent)
            try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
            assertUnreadable(cut, mentions: "truncated")
        }
    }

    func testFormatFromExtension() {
        XCTAssertEqual(VideoFormat(path: "a/b/clip.mp4"), .mp4)
        XCTAssertEqual(VideoFormat(path: "CLIP.WebM"), .webm)
        XCTAssertEqual(VideoFormat(path: "x.GIF"), .gif)
        XCTAssertNil(VideoFormat(path: "clip.avi"), "read, not written")
        XCTAssertNil(VideoFormat(path: "clip.mp4.txt"))
        XCTAssertNil(VideoFormat(path: "mp4"))
        XCTAssertNil(VideoFormat(path: ".mp4"), "a hidden name, not an extension")
        XCTAssertNil(VideoFormat(path: "folder.mp4/clip"))
    }

    func testCodecSizeRoundsDownToEvenForYUV420() {
        XCTAssertTrue(VideoFormat.mp4.codecSize(width: 97, height: 65) == (96, 64))
        XCTAssertTrue(VideoFormat.webm.codecSize(width: 1, height: 3) == (2, 2))
        XCTAssertTrue(VideoFormat.mp4.codecSize(width: 96, height: 64) == (96, 64))
        XCTAssertTrue(VideoFormat.gif.codecSize(width: 97, height: 65) == (97, 65))
    }

    func testWriterRefusesBadArgumentsNamingTheFile() throws {
        let frame = try VideoFixtures.movingFrame(0)
        let cases: [(String, Int, Int, Double, Int?, String)] = [
            ("odd.mp4", 97, 64, 25, nil, "96x64"),
            ("rate.webm", 96, 64, 0, nil, "frame rate"),
            ("rate.gif", 96, 64, .nan, nil, "frame rate"),
            ("crf.mp4", 96, 64, 25, 52, "crf 52"),
            ("crf.webm", 96, 64, 25, -1, "crf -1"),
            ("clip.mov", 96, 64, 25, nil, ".mp4, .webm or .gif"),
            ("huge.gif", 16385, 2, 25, nil, "1 to 16384"),
            ("missing/clip.mp4", 96, 64, 25, nil, "does not exist"),
        ]
        for (name, width, height, fps, crf, text) in cases {
            let path = path(name)
            XCTAssertThrowsError(try VideoWriter(path: path, width: width, height: height, fps: fps, crf: crf, audioFrom: nil)) { error in
                XCTAssertEqual((error as? VideoError)?.path, path, name)
                XCTAssertTrue("\(error)".contains(text), "\(error) should mention '\(text)'")
            }
        }
        // GIF takes odd sizes and ignores crf.
        let gif = try VideoWriter(path: path("odd.gif"), width: 97, height: 65, fps: 10, crf: 99, audioFrom: nil)
        XCTAssertThrowsError(try gif.append(frame)) { error in
            XCTAssertTrue("\(error)".contains("96x64 does not fit a video of 97x65"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }, [])
    }
}
