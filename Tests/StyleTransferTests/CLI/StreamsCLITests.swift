// StreamsCLITests: `nst` with a closed stderr, a full stderr and a reader that goes away: never a trap, never SIGPIPE.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class StreamsCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 2)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: folder.appendingPathComponent("c.png").path)
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: folder.appendingPathComponent("s.png").path)
    }

    /// A run with progress on (no --quiet), so that stderr is written all along.
    private let run = "\"$NST\" transfer --content c.png --style s.png --size 24 --iterations 20 --content-layers relu2_1 --style-layers relu1_1,relu2_1 --device cpu"

    private func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) }

    /// Status 132 (SIGILL) before: FileHandle's write trapped on a closed or full stderr.
    func testClosedAndFullStderrDoNotTrap() throws {
        for redirect in ["2>&-", "2>/dev/full"] {
            let good = try NSTShell.run("\(run) --output good.png \(redirect); echo $?", in: folder)
            XCTAssertEqual(good.stdout, "0\n", "\(redirect): a run whose stderr cannot be written still succeeds: \(good.stderr)")
            XCTAssertTrue(exists("good.png"), redirect)
            let bad = try NSTShell.run("\"$NST\" transfer --content missing.png --style s.png --output bad.png \(redirect); echo $?", in: folder)
            XCTAssertEqual(bad.stdout, "1\n", "\(redirect): bad input is status 1, not a trap")
            XCTAssertFalse(exists("bad.png"))
            let help = try NSTShell.run("\"$NST\" --help >/dev/full \(redirect); echo $?", in: folder)
            XCTAssertFalse(["132", "134", "139"].contains(help.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(redirect): help to a full stdout")
            try FileManager.default.removeItem(at: folder.appendingPathComponent("good.png"))
        }
    }

    /// Status 141 (SIGPIPE) before, and no image: the reader went away after one byte.
    func testAReaderThatGoesAwayDoesNotKillTheRun() throws {
        let result = try NSTShell.run("{ \(run) --output piped.png 2>&1; echo $? > status; } | head -c 1 >/dev/null; cat status", in: folder)
        XCTAssertEqual(result.stdout, "0\n", result.stderr)
        XCTAssertTrue(exists("piped.png"))
    }
}
