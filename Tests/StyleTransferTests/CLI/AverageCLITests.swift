// AverageCLITests: `nst transfer --average` through the real executable: bad decays refused in one line, and a run's log and plot with the average's column.
import Foundation
@testable import NSTCore
import StyleTransfer
import XCTest

final class AverageCLITests: ScratchFolderTestCase {
    var content: String { path("content.png") }
    var style: String { path("style.png") }

    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 2)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: content)
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: style)
    }

    private func arguments(_ extra: [String]) -> [String] {
        ["transfer", "--content", content, "--style", style, "--output", path("out.png"),
         "--size", "24", "--iterations", "2", "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1",
         "--device", "cpu", "--quiet", "--optimizer", "adam"] + extra
    }

    /// Not finite, or outside [0, 1): status 1, one line naming --average, nothing written.
    func testBadDecaysAreRefused() throws {
        for bad in ["1", "1.5", "-0.1", "nan", "inf", "-inf", "often"] {
            try expectFailure(arguments(["--average", bad]), mentions: ["--average"])
        }
    }

    /// Two stages with a loss log and a plot: the log ends in the `average` column, filled on
    /// each stage's last row (the plot reads the empty fields), and the output is not the
    /// last image's (a run without --average writes another).
    func testAverageRunWritesTheColumnAndAPlot() throws {
        let staged = ["--start-size", "12", "--stage-iterations", "2,2", "--loss-log", path("log.csv"), "--plot", path("plot.svg")]
        let result = try NSTProcess.run(arguments(staged + ["--average", "0.5"]), in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try String(contentsOfFile: path("log.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first, "iteration,total,content,style,tv,seconds,scale,average")
        let rows = lines.dropFirst().filter { !$0.isEmpty }.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(rows.map(\.count), Array(repeating: 8, count: 6))
        XCTAssertEqual(rows.map { !$0[7].isEmpty }, [false, false, true, false, false, true])
        XCTAssertTrue(rows.allSatisfy { $0[7].isEmpty || Double($0[7]) != nil })
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("plot.svg")))
        let averaged = try Image.load(path: path("out.png")).pixels

        let plain = try NSTProcess.run(arguments(["--start-size", "12", "--stage-iterations", "2,2"]), in: folder)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertNotEqual(try Image.load(path: path("out.png")).pixels, averaged)
    }
}
