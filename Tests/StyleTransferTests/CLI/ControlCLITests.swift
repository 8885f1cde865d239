// ControlCLITests: `nst transfer`'s "Controls" options through the real executable: one run with all of them, and bad values.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class ControlCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 4)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: path("content.png"))
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: path("style.png"))
        try Image(width: 6, height: 5, pixels: (0..<90).map { Float($0 % 6) / 5 }).writePNG(to: path("mask.png"))
    }

    private func arguments(output: String, _ extra: [String]) -> [String] {
        ["transfer", "--content", path("content.png"), "--style", path("style.png"), "--output", output,
         "--size", "24", "--iterations", "12", "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1",
         "--device", "cpu"] + extra
    }

    /// Every control at once: the run stops after the tolerance window (noted on stderr,
    /// the log ends there), and writes a 16-bit TIFF the project reads back at the content's size.
    func testEveryControlTogether() throws {
        let result = try NSTProcess.run(arguments(output: path("out.tif"), [
            "--original-colors", "--color-match", "--normalize-gradients", "--style-mask", path("mask.png"),
            "--content-mask", path("mask.png"), "--tolerance", "1", "--tolerance-window", "2", "--bit-depth", "16",
            "--loss-log", path("log.csv"), "--save-every", "1"]), in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("nst: stopped at iteration 2: J improved by less than 1.0 of itself over the last 2 iterations (--tolerance)"), result.stderr)
        let log = try String(contentsOfFile: path("log.csv"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] }, ["0", "1", "2"])
        let image = try Image.load(path: path("out.tif"))
        XCTAssertEqual([image.width, image.height], [24, 20])
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path("out.tif"))))
        XCTAssertEqual(TIFFFile(bytes)?.values(258), [16, 16, 16])
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out-01.tif")), "snapshots take the output's format")
    }

    /// A masked run whose gradient overflows float while J stays finite in Double (a style
    /// weight of 1e40) stops at once with the documented message: the controlled evaluation
    /// reports |dJ/dx|^2 like the plain one. Before, it reported 0 and the run went on.
    func testMaskedRunWhoseGradientOverflowsStops() throws {
        let result = try NSTProcess.run(arguments(output: path("out.png"), [
            "--style-mask", path("mask.png"), "--style-weight", "1e40", "--quiet"]), in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("the gradient of J became") && result.stderr.contains("at iteration 0"), result.stderr)
    }

    /// A mask of another shape than the content is stretched, and said so once; one of the
    /// same shape is not mentioned. Before, nothing was said.
    func testStretchedMaskIsNoted() throws {
        try Image(width: 10, height: 2, pixels: [Float](repeating: 1, count: 60)).writePNG(to: path("wide.png"))
        let stretched = try NSTProcess.run(arguments(output: path("a.png"), ["--style-mask", path("wide.png")]), in: folder)
        XCTAssertEqual(stretched.status, 0, stretched.stderr)
        XCTAssertEqual(stretched.stderr.components(separatedBy: "is stretched to the content's shape").count - 1, 1, stretched.stderr)
        XCTAssertTrue(stretched.stderr.contains("--style-mask '\(path("wide.png"))' (10x2)"), stretched.stderr)
        let same = try NSTProcess.run(arguments(output: path("b.png"), ["--style-mask", path("mask.png")]), in: folder)
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertFalse(same.stderr.contains("stretched"), same.stderr)
    }

    /// Bad values: status 1, one stderr line naming the option, no output.
    func testBadControlValues() throws {
        let cases: [([String], String, String)] = [
            ([], "out.gif", "out.gif': must end in .png, .jpg (.jpeg) or .tif (.tiff)"), (["--bit-depth", "16"], "out.jpg", "--bit-depth: 16 is not possible for a JPEG output"),
            (["--bit-depth", "12"], "out.png", "--bit-depth: must be 8 or 16"), (["--jpeg-quality", "0"], "out.jpg", "--jpeg-quality: must be 1 to 100"),
            (["--style-mask", path("mask.png"), "--style-mask", path("mask.png")], "out.png", "--style-mask: is given 2 times for 1 --style images"),
            (["--style-mask", path("none.png")], "out.png", "--style-mask '"), (["--tolerance", "-0.1"], "out.png", "--tolerance: "),
            (["--normalize-gradients", "--tile", "16"], "out.png", "--normalize-gradients: needs the whole-image evaluation"),
        ]
        for (extra, output, needle) in cases {
            let result = try NSTProcess.run(arguments(output: path(output), extra), in: folder)
            XCTAssertEqual(result.status, 1, "\(extra)")
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(needle), "\(extra): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(output)))
        }
    }
}
