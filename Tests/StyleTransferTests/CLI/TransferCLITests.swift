// TransferCLITests: `nst transfer` through the real executable: a small run, and every kind of bad input.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class TransferCLITests: ScratchFolderTestCase {
    /// Content (24x20) and style (20x20) PNGs written by the test.
    var content: String { folder.appendingPathComponent("content.png").path }
    var style: String { folder.appendingPathComponent("style.png").path }

    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 1)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: content)
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: style)
    }

    /// Fast arguments: a 24-pixel image, two iterations, layers of block 1 and 2 only.
    private func arguments(output: String? = nil, _ extra: [String] = []) -> [String] {
        ["transfer", "--content", content, "--style", style, "--output", output ?? path("out.png"),
         "--size", "24", "--iterations", "2", "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1",
         "--device", "cpu", "--quiet"] + extra
    }

    /// `nst --version` prints the one version string and exits 0.
    func testVersion() throws {
        let result = try NSTProcess.run(["--version"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, NSTVersion.string + "\n")
    }

    func testSmallTransferWritesImageLogAndIntermediates() throws {
        let result = try NSTProcess.run(arguments([ "--loss-log", path("loss.csv"), "--save-every", "1", "--optimizer", "adam"]), in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "", "--quiet")
        let image = try Image.load(path: path("out.png"))
        XCTAssertEqual([image.width, image.height], [24, 20])
        XCTAssertNotEqual(image.pixels, try Image.load(path: content).pixels, "the image changed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out-1.png")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out-2.png")), "the last iteration is the output itself")
        let csv = try String(contentsOfFile: path("loss.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "iteration,total,content,style,tv,seconds,scale")
        XCTAssertEqual(lines.count, 4, csv)
        for (k, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",")
            XCTAssertEqual(fields.count, 7)
            XCTAssertEqual(fields.last, "24", "the scale column is the stage's long side (--size)")
            XCTAssertEqual(Int(fields[0]), k)
            XCTAssertTrue(fields.dropFirst().allSatisfy { Double($0) != nil }, String(line))
        }
        let totals = lines.dropFirst().map { Double($0.split(separator: ",")[1])! }
        XCTAssertLessThan(totals.last!, totals.first!, "J went down")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary files left")
    }

    /// Two blended styles, random start, average pooling, L-BFGS, a style scale and an
    /// explicit layer weighting all go through; the log's time column never goes back.
    func testEveryOptionTogether() throws {
        try Image(width: 8, height: 12, pixels: Array(repeating: 0.3, count: 288)).writePNG(to: path("style2.png"))
        let result = try NSTProcess.run(arguments([
            "--style", path("style2.png"), "--style-blend-weights", "1,3", "--init", "random", "--seed", "3",
            "--pooling", "avg", "--optimizer", "lbfgs", "--style-scale", "1.5", "--style-layer-weights", "0.5,2",
            "--content-weight", "2", "--style-weight", "50", "--tv-weight", "1e-3", "--learning-rate", "0.5",
            "--loss-log", path("log.csv")]), in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try String(contentsOfFile: path("log.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertEqual(rows.count, 3)
        XCTAssertGreaterThan(rows[0][2], 0, "a random start differs from the content")
        XCTAssertTrue(zip(rows, rows.dropFirst()).allSatisfy { $1[5] >= $0[5] && $1[1] <= $0[1] }, "\(rows)")
        assertClose(rows[0][1], 2 * rows[0][2] + 50 * rows[0][3] + 1e-3 * rows[0][4], abs: 0, rel: 1e-9, "J = alpha Jc + beta Js + gamma Jtv")
    }

    func testProgressLinesWhenNotATerminal() throws {
        let args = arguments().filter { $0 != "--quiet" }
        let result = try NSTProcess.run(args, in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("2/2  J "), result.stderr)
        XCTAssertTrue(result.stderr.contains("it/s"), result.stderr)
        XCTAssertFalse(result.stderr.contains("\r"), "plain lines, no carriage returns")
    }

    func testHelpExitsZero() throws {
        let result = try NSTProcess.run(["transfer", "--help"], in: folder)
        XCTAssertEqual(result.status, 0)
        for option in ["--content", "--style", "--style-blend-weights", "--loss-log", "--save-every", "default: 256"] {
            XCTAssertTrue(result.stdout.contains(option), option)
        }
    }

    func testMissingAndCorruptInputs() throws {
        try expectFailure(arguments().map { $0 == content ? path("nope.png") : $0 }, mentions: ["nope.png", "no such file"])
        try Data("not an image at all".utf8).write(to: URL(fileURLWithPath: path("corrupt.png")))
        try expectFailure(arguments().map { $0 == style ? path("corrupt.png") : $0 }, mentions: ["corrupt.png"])
        try expectFailure(arguments(["--init", path("missing-init.png")]), mentions: ["--init", "missing-init.png"])
        // A folder is a batch of its images; one output file cannot name three results.
        try expectFailure(arguments().map { $0 == content ? folder.path : $0 }, mentions: ["--output", "3 contents", "{name}"])
        try expectFailure(arguments().map { $0 == content ? "/dev/zero" : $0 }, mentions: ["--content", "/dev/zero", "unsupported image format"])
        try Data().write(to: URL(fileURLWithPath: path("empty.png")))
        try expectFailure(arguments().map { $0 == content ? path("empty.png") : $0 }, mentions: ["--content", "empty.png", "empty"])
    }

    func testUnreadableInput() throws {
        try XCTSkipIf(getuid() == 0, "root reads any file; the permission check cannot fail")
        chmod(style, 0)
        defer { chmod(style, 0o644) }
        try expectFailure(arguments(), mentions: ["--style", "cannot be read"])
    }

    func testBadWeightsFiles() throws {
        try Data("{\"definitely\": \"not safetensors\"}".utf8).write(to: URL(fileURLWithPath: path("bad.safetensors")))
        try expectFailure(arguments(["--weights", path("bad.safetensors")]), mentions: ["bad.safetensors", "not a safetensors file"])
        let noConv12 = safetensorsData(blockOneTensors().filter { !$0.key.hasPrefix("features.2.") })
        try noConv12.write(to: URL(fileURLWithPath: path("short.safetensors")))
        try expectFailure(arguments(["--weights", path("short.safetensors")]), mentions: ["short.safetensors", "features.2.weight", "missing"])
        var wrong = blockOneTensors()
        wrong[0].shape = [64, 3, 9]
        try safetensorsData(wrong).write(to: URL(fileURLWithPath: path("shape.safetensors")))
        try expectFailure(arguments(["--weights", path("shape.safetensors")]), mentions: ["features.0.weight", "conv1_1"])
    }

    func testBadNumbersAndNames() throws {
        try expectFailure(arguments(["--size=0"]), mentions: ["--size"])
        try expectFailure(arguments(["--size=-3"]), mentions: ["--size"])
        // A negative number after a space is the option's value, not another option.
        try expectFailure(arguments(["--size", "-3"]), mentions: ["--size", "positive", "-3"])
        try expectFailure(arguments(["--save-every", "-1"]), mentions: ["--save-every", "-1"])
        try expectFailure(arguments(["--tv-weight", "-1e-3"]), mentions: ["--tv-weight", "-0.001"])
        try expectFailure(arguments(["--iterations", "0"]), mentions: ["--iterations"])
        try expectFailure(arguments(["--iterations", "many"]), mentions: ["--iterations"])
        try expectFailure(arguments(["--style-layers", "relu1_1,relu9_1"]), mentions: ["--style-layers", "relu9_1"])
        try expectFailure(arguments(["--content-layers", "fc7"]), mentions: ["--content-layers", "fc7"])
        try expectFailure(arguments(["--style-layer-weights", "1,x"]), mentions: ["--style-layer-weights"])
        try expectFailure(arguments(["--style-blend-weights", "1,1"]), mentions: ["--style-blend-weights"])
        try expectFailure(arguments(["--learning-rate", "-1"]), mentions: ["--learning-rate"])
        try expectFailure(arguments(["--optimizer", "newton"]), mentions: ["--optimizer"])
        try expectFailure(arguments(["--pooling", "min"]), mentions: ["--pooling"])
        try expectFailure(arguments(["--device", "tpu"]), mentions: ["--device"])
        try expectFailure(arguments(["--bogus"]), mentions: ["--bogus"])
        try expectFailure(arguments().filter { $0 != "--style" && $0 != style }, mentions: ["--style"])
        try expectFailure(arguments(["--size", "4", "--style-layers", "relu3_1"]), mentions: ["--size", "pool2"])
        try expectFailure(arguments(["--size", "100000"]), mentions: ["--size", "16384"])
        try expectFailure(arguments(["--style-scale", "1e30"]), mentions: ["--style-scale", "more than 16384"])
        try expectFailure(arguments(["--style-layer-weights", "1,2,3"]), mentions: ["--style-layer-weights", "3 weights"])
    }

    func testBadOutputs() throws {
        try expectFailure(arguments(output: path("no-such-folder/out.png")), mentions: ["--output", "does not exist"])
        try expectFailure(arguments(output: "/proc/nst-out.png"), mentions: ["--output", "not writable"])
        try expectFailure(arguments(output: content), mentions: ["--output", "--content"])
        // Only the extensions of the formats it writes (`.jpg` and `.tif` are outputs too now).
        try expectFailure(arguments(output: path("out.gif")), mentions: ["--output", ".png, .jpg (.jpeg) or .tif (.tiff)"])
        try expectFailure(arguments(["--loss-log", style]), mentions: ["--loss-log", "--style"])
        try expectFailure(arguments(["--loss-log", path("missing/loss.csv")]), mentions: ["--loss-log", "does not exist"])
        try expectFailure(arguments(output: style + "/out.png"), mentions: ["--output", "is a file, not a folder"])
        // An intermediate's name taken by a folder is found before the run writes anything.
        try FileManager.default.createDirectory(atPath: path("out-2.png"), withIntermediateDirectories: false)
        try expectFailure(arguments(["--iterations", "3", "--save-every", "1"]), mentions: ["--save-every", "out-2.png", "folder"])
        XCTAssertEqual(mkfifo(path("pipe.csv"), 0o644), 0)
        try expectFailure(arguments(["--loss-log", path("pipe.csv")]), mentions: ["--loss-log", "pipe.csv", "not a regular file"])
        var info = stat()
        XCTAssertTrue(stat(path("pipe.csv"), &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "still a pipe")
    }

    /// A --size whose run cannot fit the memory budget even in tiles (the full-size image,
    /// gradient and optimiser state alone exceed it) fails at once with one line naming
    /// --size, before any image is resized or tensor allocated (no OOM kill, exit 1).
    func testSizeTooLargeForMemoryFailsBeforeAllocating() throws {
        let start = Date()
        try expectFailure(["transfer", "--content", content, "--style", style, "--output", path("out.png"),
                           "--size", "16000", "--optimizer", "lbfgs", "--device", "cpu", "--max-memory", "2GiB", "--quiet"],
                          mentions: ["--size 16000", "needs at least", "GiB", "even in tiles", "--max-memory"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "refused before any work")
    }
}
