// MessagesCLITests: messages that named the wrong thing or too few digits, and snapshot names, through the real executable.
import Foundation
@testable import NSTCore
@testable import StyleTransfer
import XCTest

final class MessagesCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 51)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: path("c.png"))
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: path("s.png"))
    }

    private func transfer(_ extra: [String]) -> [String] {
        ["transfer", "--content", "c.png", "--style", "s.png", "--output", "out.png", "--size", "24", "--iterations", "2",
         "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1", "--device", "cpu", "--quiet"] + extra
    }

    /// Negative values reach the checks that name them. Before: "Missing value for ...".
    func testNegativeValuesAreNamed() throws {
        try expectFailure(transfer(["--max-memory", "-1GiB"]), mentions: ["--max-memory", "-1GiB"])
        try expectFailure(["bench", "--warmup", "-1"], mentions: ["--warmup must be 0 or more"])
        try expectFailure(["tune", "--budget-seconds", "-1"], mentions: ["--budget-seconds must be a positive number"])
    }

    /// An output named only by an extension. Before: "must end in .png".
    func testExtensionWithoutName() throws {
        try expectFailure(transfer([]).map { $0 == "out.png" ? ".png" : $0 }, mentions: ["--output '.png'", "an extension without a name"])
    }

    /// A need and a budget a few MiB apart read apart. Before: "needs at least 0.3 GiB, but the budget is 0.3 GiB".
    func testMemoryFiguresHaveEnoughDigits() throws {
        let result = try NSTProcess.run(transfer(["--size", "512", "--max-memory", "1MiB"]), in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        let figures = result.stderr.split(separator: " ").filter { Double($0) != nil }
        XCTAssertGreaterThanOrEqual(figures.count, 2, result.stderr)
        XCTAssertNotEqual(figures.first, figures.last, result.stderr)
        XCTAssertTrue(result.stderr.contains("0.00 GiB"), "the 1 MiB budget with two decimals: \(result.stderr)")
    }

    /// A folder given to `nst plot` is called a folder, not an image; a sheet image too wide
    /// for the height is named. Before: "is a folder, not an image file", and a resize error naming no file.
    func testFoldersAndWideImagesAreNamed() throws {
        try FileManager.default.createDirectory(atPath: path("logs"), withIntermediateDirectories: true)
        try expectFailure(["plot", "logs", "--output", "p.svg"], mentions: ["logs", "is a folder, not a loss log"])
        try Image(width: 4000, height: 1, pixels: [Float](repeating: 0.5, count: 3 * 4000)).writePNG(to: path("strip.png"))
        try expectFailure(["sheet", "c.png", "strip.png", "--output", "s.png"], mentions: ["strip.png", "4000x1", "more than 16384"])
    }

    /// Snapshots of a coarse-to-fine run share one number width, so they sort in order.
    /// Before: `out-s16-1.png` beside `out-s24-01.png`.
    func testSnapshotNamesShareOneWidth() throws {
        let result = try NSTProcess.run(transfer(["--start-size", "16", "--stage-iterations", "2,12", "--save-every", "1"]), in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("out-s") }.sorted()
        XCTAssertEqual(snapshots.first, "out-s16-01.png")
        XCTAssertTrue(snapshots.contains("out-s24-11.png"), "\(snapshots)")
        XCTAssertEqual(Set(snapshots.map(\.count)), [14], "\(snapshots)")
    }

    /// The completion scripts `make install` writes come from the binary and know every command.
    func testCompletionScriptsNameEveryCommand() throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try NSTProcess.run(["--generate-completion-script", shell], in: folder)
            XCTAssertEqual(result.status, 0, result.stderr)
            for command in ["transfer", "video", "serve", "devices", "weights", "sheet"] {
                XCTAssertTrue(result.stdout.contains(command), "\(shell) completions name \(command)")
            }
            XCTAssertTrue(result.stdout.contains("temporal-weight") && result.stdout.contains("max-upload"), shell)
        }
    }
}
