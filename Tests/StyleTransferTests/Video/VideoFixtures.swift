// VideoFixtures: synthetic moving frames, frame comparisons, and the ffmpeg/ffprobe tools the video tests make inputs and check outputs with.
import Foundation
import NSTImages
import NSTVideo
import XCTest

enum VideoFixtures {
    /// Frame `t` of a smooth colour pattern that moves 3 pixels right per frame (values in
    /// [0.15, 0.85], so no clamping hides an error).
    static func movingFrame(_ t: Int, width: Int = 96, height: Int = 64) throws -> Image {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        let plane = width * height
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x - 3 * t), v = Double(y)
                let i = y * width + x
                pixels[i] = Float(0.5 + 0.35 * sin(2 * .pi * u / 32))
                pixels[plane + i] = Float(0.5 + 0.35 * cos(2 * .pi * v / 24 + 2 * .pi * u / 48))
                pixels[2 * plane + i] = Float(0.5 + 0.3 * sin(2 * .pi * (u + v) / 40))
            }
        }
        return try Image(width: width, height: height, pixels: pixels)
    }

    /// The mean absolute difference of two images' values.
    static func meanAbsoluteError(_ a: Image, _ b: Image) -> Double {
        precondition(a.pixels.count == b.pixels.count, "test images of different sizes")
        var sum = 0.0
        for i in a.pixels.indices { sum += Double(abs(a.pixels[i] - b.pixels[i])) }
        return sum / Double(a.pixels.count)
    }

    /// The mean absolute difference of the 4x4 block averages of two images: what survives
    /// dithering, which moves values within a block but keeps their mean.
    static func blockMeanError(_ a: Image, _ b: Image, block: Int = 4) -> Double {
        var sum = 0.0, count = 0
        for c in 0..<3 {
            for by in stride(from: 0, to: a.height - block + 1, by: block) {
                for bx in stride(from: 0, to: a.width - block + 1, by: block) {
                    var ma = 0.0, mb = 0.0
                    for y in by..<(by + block) {
                        for x in bx..<(bx + block) {
                            ma += Double(a.value(channel: c, x: x, y: y))
                            mb += Double(b.value(channel: c, x: x, y: y))
                        }
                    }
                    sum += abs(ma - mb) / Double(block * block)
                    count += 1
                }
            }
        }
        return sum / Double(count)
    }

    /// Every frame of the video at `path`, read with `VideoReader`.
    static func readAll(_ path: String) throws -> (VideoInfo, [Image]) {
        let reader = try VideoReader(path: path)
        var frames: [Image] = []
        while let frame = try reader.next() { frames.append(frame) }
        return (reader.info, frames)
    }
}

/// The ffmpeg and ffprobe command-line tools (Debian's `ffmpeg` package, which
/// scripts/install-deps.sh installs): independent makers of inputs and judges of outputs.
enum VideoTools {
    /// The path of `tool` on PATH. Skips the test when it is missing, except under CI, where
    /// it fails.
    static func require(_ tool: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for folder in paths {
            let candidate = "\(folder)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let reason = "\(tool) was not found (install the ffmpeg package: scripts/install-deps.sh)"
        if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI is set but \(reason)", file: file, line: line) }
        throw XCTSkip(reason)
    }

    /// Runs `tool arguments` and returns its standard output; fails the test with its
    /// standard error when it exits with another status than 0.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try require(tool, file: file, line: line))
        process.arguments = arguments
        let scratch = try makeScratchFolder("tool")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        // Files, not pipes: a full pipe would block the tool while we wait for it.
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let errors = String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ToolFailed(description: "\(tool) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(errors)")
        }
        return try Data(contentsOf: out)
    }

    /// A tool that exited with another status than 0, with its standard error.
    struct ToolFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// `ffmpeg -y arguments`, quiet.
    static func ffmpeg(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        try run("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + arguments, file: file, line: line)
    }

    /// ffprobe's streams of `path` (with `-count_frames` for the video ones' nb_read_frames),
    /// as JSON dictionaries.
    static func streams(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let data = try run("ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-of", "json", path], file: file, line: line)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return json?["streams"] as? [[String: Any]] ?? []
    }

    /// The stream of `type` ("video", "audio") among `streams`, if any.
    static func stream(_ type: String, in streams: [[String: Any]]) -> [String: Any]? {
        streams.first { $0["codec_type"] as? String == type }
    }

    /// The frames of `path` decoded by the ffmpeg tool to RGB, with the same scaler flags as
    /// the reader: an independent decode to compare with.
    static func decodeRGB(_ path: String, width: Int, height: Int, in folder: URL) throws -> [Image] {
        let raw = folder.appendingPathComponent("frames-\(UUID().uuidString).rgb").path
        try ffmpeg(["-i", path, "-sws_flags", "bicubic+accurate_rnd+full_chroma_int+full_chroma_inp",
                    "-f", "rawvideo", "-pix_fmt", "rgb24", raw])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        let frameBytes = 3 * width * height
        var frames: [Image] = []
        for start in stride(from: 0, to: bytes.count - frameBytes + 1, by: frameBytes) {
            var pixels = [Float](repeating: 0, count: frameBytes)
            let plane = width * height
            for i in 0..<plane {
                for c in 0..<3 { pixels[c * plane + i] = Float(bytes[start + 3 * i + c]) / 255 }
            }
            frames.append(try Image(width: width, height: height, pixels: pixels))
        }
        return frames
    }
}
