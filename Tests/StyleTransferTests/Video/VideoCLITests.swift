// VideoCLITests: `nst video` end to end (issue 21's bar): an 8-frame pan is far more consistent than frames styled one by one; .mp4 with AAC in gives .mp4 with the audio out; SIGTERM keeps whole frames and --resume completes the clip as an uninterrupted run would; bad input fails in one line.
import Foundation
@testable import NSTImages
import StyleTransfer
import XCTest

final class VideoCLITests: ScratchFolderTestCase {
    static let (width, height, frames, step) = (96, 64, 8, 3)

    /// A smooth textured scene wider than a frame: blobs and stripes of several scales.
    static func scene(width: Int, height: Int, seed: UInt64) throws -> Image {
        var data = TestData(seed: seed)
        let blobs = (0..<24).map { _ in data.uniform(6, 0, 1) }
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    var v: Float = 0.35 + 0.15 * sin(Float(x) * 0.21 + Float(c)) * cos(Float(y) * 0.17 - Float(c))
                    for b in blobs {
                        let dx = Float(x) - b[0] * Float(width), dy = Float(y) - b[1] * Float(height), r = 4 + 10 * b[2]
                        v += (b[3 + c] - 0.5) * 0.6 * exp(-(dx * dx + dy * dy) / (2 * r * r))
                    }
                    pixels[(c * height + y) * width + x] = min(max(v, 0), 1)
                }
            }
        }
        return try Image(width: width, height: height, pixels: pixels)
    }

    /// Frame i (0-based) of the pan: the window at x = 3 i of the scene (the camera moves 3 px right per frame).
    static func panFrame(_ scene: Image, _ i: Int) throws -> Image {
        let x0 = step * i
        var pixels = [Float]()
        for c in 0..<3 { for y in 0..<height { for x in 0..<width { pixels.append(scene.value(channel: c, x: x0 + x, y: y)) } } }
        return try Image(width: width, height: height, pixels: pixels)
    }

    /// Writes the pan's frames as `frames/in-01.png` ... and a style image `style.png`.
    private func writePan() throws {
        let scene = try Self.scene(width: Self.width + Self.step * Self.frames, height: Self.height, seed: 21)
        try FileManager.default.createDirectory(atPath: path("frames"), withIntermediateDirectories: true)
        for i in 0..<Self.frames { try Self.panFrame(scene, i).writePNG(to: path(String(format: "frames/in-%02d.png", i + 1))) }
        try Self.scene(width: 64, height: 64, seed: 99).writePNG(to: path("style.png"))
    }

    /// The warping error of consecutive results under the pan's true motion (independent of
    /// any optical flow): pixel x of frame i was at x + 3 in frame i - 1, so over the columns
    /// where x + 3 is inside, the mean of (out_i(x) - out_{i-1}(x + 3))^2 on the [0,1] scale.
    static func panWarpingError(_ outputs: [Image]) -> Double {
        var sum = 0.0, count = 0
        for (previous, current) in zip(outputs, outputs.dropFirst()) {
            for c in 0..<3 { for y in 0..<height { for x in 0..<(width - step) {
                let d = Double(current.value(channel: c, x: x, y: y)) - Double(previous.value(channel: c, x: x + step, y: y))
                sum += d * d
                count += 1
            } } }
        }
        return sum / Double(count)
    }

    private func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> NSTResult {
        let result = try NSTProcess.run(arguments, in: folder)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result
    }

    private func loadFrames(_ pattern: String) throws -> [Image] {
        try (1...Self.frames).map { try Image.load(path: path(String(format: pattern, $0))) }
    }

    private let common = ["--style", "style.png", "--size", "96", "--device", "cpu"]

    /// The bar: at 96x64, 30 iterations, the warping error of `nst video` is at most 0.4 of
    /// the same frames styled one by one with `nst transfer`. Also the logs' columns.
    func testPanIsFarMoreConsistentThanFramesStyledOneByOne() throws {
        try writePan()
        try FileManager.default.createDirectory(atPath: path("single"), withIntermediateDirectories: true)
        _ = try run(["transfer", "--content", "frames", "--output", "single/{name}.png", "--iterations", "30", "--quiet"] + common)
        let single = try loadFrames("single/in-%02d.png")
        _ = try run(["video", "--content", "frames/in-%02d.png", "--output", "out-%02d.png", "--iterations", "30",
                     "--loss-log", "loss.csv", "--consistency-log", "consistency.csv", "--quiet"] + common)
        let video = try loadFrames("out-%02d.png")
        let (alone, together) = (Self.panWarpingError(single), Self.panWarpingError(video))
        print("pan warping error: one by one \(alone), nst video \(together), ratio \(together / alone)")
        XCTAssertGreaterThan(alone, 1e-4, "frames styled alone flicker")
        XCTAssertLessThanOrEqual(together, 0.4 * alone)
        // The loss log: a frame column; the first frame runs twice the iterations.
        let loss = try String(contentsOfFile: path("loss.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(loss.first, "frame,iteration,total,content,style,tv,temporal,seconds,scale")
        XCTAssertEqual(loss.count, 1 + 61 + 7 * 31)
        XCTAssertEqual(loss.last?.split(separator: ",").prefix(2), ["8", "30"])
        // The consistency log: one row per frame, the first without a previous frame.
        let rows = try String(contentsOfFile: path("consistency.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(rows.first, "frame,warping_error,reliable,seconds,flow_seconds")
        XCTAssertEqual(rows.count, 1 + Self.frames + 1, "8 rows and the final newline")
        let second = rows[2].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(second.first, "2")
        let reliable = Double(second[2]) ?? 0
        XCTAssertGreaterThan(reliable, 0.8, "most of a slow pan is reliable")
        XCTAssertLessThan(reliable, 1, "the columns that enter the frame are not")
    }

    /// An .mp4 with an AAC track in gives an .mp4 of 8 frames of 96x64 with the audio track out
    /// (without --size: the clip is not enlarged to the still-image default of 256).
    func testMP4WithAudioInGivesMP4WithAudioOut() throws {
        try writePan()
        let make = try NSTShell.run("ffmpeg -v error -framerate 12 -i frames/in-%02d.png -f lavfi -i sine=frequency=440:sample_rate=44100 "
                                    + "-t 0.6667 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest clip.mp4", in: folder)
        XCTAssertEqual(make.status, 0, make.stderr)
        // No --size: a clip keeps its own size (up to 256), as the bar runs it.
        _ = try run(["video", "--content", "clip.mp4", "--output", "styled.mp4", "--iterations", "2", "--first-frame-iterations", "2",
                     "--quiet", "--style", "style.png", "--device", "cpu"])
        let probe = try NSTShell.run("ffprobe -v error -count_frames -show_entries stream=codec_type,codec_name,width,height,nb_read_frames "
                                     + "-of csv=p=0 styled.mp4", in: folder)
        XCTAssertEqual(probe.status, 0, probe.stderr)
        let streams = probe.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(streams.contains("h264,video,96,64,8"), probe.stdout)
        XCTAssertTrue(streams.contains { $0.hasPrefix("aac,audio") }, probe.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("styled.mp4.nst-frames")), "the work folder is removed")
    }

    /// SIGTERM part-way: exit 143, only whole frames; --resume completes the clip without
    /// rewriting a finished frame, and the frames equal those of an uninterrupted run.
    func testSIGTERMKeepsWholeFramesAndResumeCompletesTheClip() throws {
        try writePan()
        let settings = ["--content", "frames/in-%02d.png", "--iterations", "6", "--first-frame-iterations", "6"] + common
        let (process, stderr) = try NSTShell.start(["video", "--output", "out-%02d.png"] + settings, in: folder)
        XCTAssertTrue(NSTShell.wait(for: "frame 3/8", in: stderr), NSTShell.text(stderr))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let text = NSTShell.text(stderr)
        XCTAssertEqual(process.terminationStatus, 143, text)
        XCTAssertTrue(text.contains("nst: stopped by SIGTERM in frame "), text)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("out-") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 2)
        XCTAssertLessThan(names.count, Self.frames)
        XCTAssertEqual(names, (1...names.count).map { String(format: "out-%02d.png", $0) }, "frames 1 to k, no gap")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }, [], "no temporary file")
        var before: [String: (Data, Date)] = [:]
        for name in names {
            XCTAssertNoThrow(try Image.load(path: path(name)), "\(name) is whole")
            let attributes = try FileManager.default.attributesOfItem(atPath: path(name))
            before[name] = (try Data(contentsOf: folder.appendingPathComponent(name)), attributes[.modificationDate] as! Date)
        }
        // Without --resume the finished frames are refused, not overwritten.
        try expectFailure(["video", "--output", "out-%02d.png"] + settings, mentions: ["out-01.png", "--resume"])
        usleep(1_100_000)
        _ = try run(["video", "--output", "out-%02d.png", "--resume", "--quiet"] + settings)
        for (name, (bytes, date)) in before {
            XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent(name)), bytes, "\(name) unchanged")
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path(name))[.modificationDate] as? Date, date, "\(name) not rewritten")
        }
        _ = try run(["video", "--output", "whole-%02d.png", "--quiet"] + settings)
        for k in 1...Self.frames {
            let resumed = try Data(contentsOf: folder.appendingPathComponent(String(format: "out-%02d.png", k)))
            XCTAssertEqual(resumed, try Data(contentsOf: folder.appendingPathComponent(String(format: "whole-%02d.png", k))),
                           "frame \(k): the resumed run equals the uninterrupted one")
        }
    }

    /// SIGTERM part-way through a clip going to an .mp4: exit 143, whole frames in the work
    /// folder and no video yet; --resume assembles all 8 frames and removes the work folder.
    func testSIGTERMWithAVideoOutputKeepsTheWorkFolderForResume() throws {
        try writePan()
        let settings = ["--content", "frames", "--output", "styled.mp4", "--iterations", "6", "--first-frame-iterations", "6"] + common
        let (process, stderr) = try NSTShell.start(["video"] + settings, in: folder)
        XCTAssertTrue(NSTShell.wait(for: "frame 3/8", in: stderr), NSTShell.text(stderr))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143, NSTShell.text(stderr))
        XCTAssertTrue(NSTShell.text(stderr).contains("styled.mp4.nst-frames"), NSTShell.text(stderr))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("styled.mp4")), "no video before every frame is finished")
        let work = try FileManager.default.contentsOfDirectory(atPath: path("styled.mp4.nst-frames")).sorted()
        XCTAssertEqual(work, (1...work.count).map { String(format: "frame-%06d.png", $0) }, "whole frames only, no temporary file")
        XCTAssertGreaterThanOrEqual(work.count, 2)
        for name in work { XCTAssertNoThrow(try Image.load(path: path("styled.mp4.nst-frames/" + name))) }
        _ = try run(["video", "--resume", "--quiet"] + settings)
        let probe = try NSTShell.run("ffprobe -v error -count_frames -show_entries stream=codec_name,width,height,nb_read_frames,r_frame_rate "
                                     + "-of csv=p=0 styled.mp4", in: folder)
        XCTAssertEqual(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "h264,96,64,24/1,8", "--fps 24 for frame files")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("styled.mp4.nst-frames")))
    }

    /// The long-term term (--temporal-frames 1,2,4) on a folder of frames, into an .mp4 of
    /// odd size (rounded, one note) at a given frame rate; J_temporal is in the loss log.
    func testLongTermConsistencyFolderInputAndAnOddSize() throws {
        try writePan()
        let result = try run(["video", "--content", "frames", "--output", "odd.mp4", "--temporal-frames", "1,2,4", "--iterations", "2",
                              "--first-frame-iterations", "2", "--fps", "10", "--loss-log", "loss.csv", "--quiet",
                              "--style", "style.png", "--size", "95", "--device", "cpu"])
        XCTAssertEqual(result.stderrLines, ["nst: 95x63 frames written as 94x62: mp4 needs even sides (the last column or row is left out)"])
        let probe = try NSTShell.run("ffprobe -v error -count_frames -show_entries stream=width,height,nb_read_frames,r_frame_rate "
                                     + "-of csv=p=0 odd.mp4", in: folder)
        XCTAssertEqual(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "94,62,10/1,8")
        let rows = try String(contentsOfFile: path("loss.csv"), encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        // Each frame's last row (iteration 2): a frame after the first has moved off its targets.
        let temporal = rows.filter { $0[1] == "2" }.map { Double($0[6]) ?? -1 }
        XCTAssertEqual(temporal.count, Self.frames)
        XCTAssertEqual(temporal[0], 0, "the first frame has no temporal term")
        XCTAssertTrue(temporal.dropFirst().allSatisfy { $0 > 0 && $0.isFinite }, "\(temporal)")
        // Frame 2 starts on its only target (the warped previous result where reliable): J_temporal 0
        // at iteration 0; from frame 3 on the targets of 2 frames back differ from the start.
        let starts = rows.filter { $0[1] == "0" }.map { Double($0[6]) ?? -1 }
        XCTAssertEqual(starts[1], 0)
        XCTAssertGreaterThan(starts[2], 0)
    }

    /// Bad input: one line naming the file or option, status 1, nothing written.
    func testBadInputFailsInOneLine() throws {
        try writePan()
        FileManager.default.createFile(atPath: path("text.mp4"), contents: Data("not a video\n".utf8))
        try expectFailure(["video", "--content", "text.mp4", "--output", "o.mp4"] + common, mentions: ["text.mp4"])
        try expectFailure(["video", "--content", "none-%03d.png", "--output", "o-%02d.png"] + common, mentions: ["none-%03d.png", "matches no file"])
        try expectFailure(["video", "--content", "frames/in-%02d.png", "--output", "o.avi"] + common, mentions: ["o.avi", "codec"])
        try expectFailure(["video", "--content", "frames/in-01.png", "--output", "o.mp4"] + common, mentions: ["in-01.png", "one image"])
        try expectFailure(["video", "--content", "frames/in-%02d.png", "--output", "o-%s.png"] + common, mentions: ["o-%s.png"])
        try expectFailure(["video", "--content", "frames/in-%02d.png", "--output", "o.mp4", "--temporal-frames", "2,1"] + common,
                          mentions: ["--temporal-frames"])
        try expectFailure(["video", "--content", "frames/in-%02d.png", "--output", "o.mp4", "--temporal-weight", "-1"] + common,
                          mentions: ["--temporal-weight"])
        // A frame of another size, named.
        try Image(width: 50, height: 40, pixels: [Float](repeating: 0.5, count: 3 * 50 * 40)).writePNG(to: path("frames/in-05.png"))
        try expectFailure(["video", "--content", "frames/in-%02d.png", "--output", "o-%02d.png", "--iterations", "1", "--quiet"] + common,
                          mentions: ["in-05.png", "50x40"], mayWrite: ["o-01.png", "o-02.png", "o-03.png", "o-04.png"])
    }
}
