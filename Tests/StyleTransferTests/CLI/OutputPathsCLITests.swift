// OutputPathsCLITests: outputs through symbolic links, the modes of written files, and a standard output that cannot be written, through the real executable.
import Foundation
@testable import NSTCore
@testable import StyleTransfer
import XCTest

final class OutputPathsCLITests: ScratchFolderTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        var data = TestData(seed: 41)
        try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: path("c.png"))
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: path("s.png"))
    }

    private func run(_ extra: String, umask: String = "022") throws -> NSTResult {
        try NSTShell.run("umask \(umask); \"$NST\" transfer --content c.png --style s.png --size 24 --iterations 2 --content-layers relu2_1 "
                         + "--style-layers relu1_1,relu2_1 --device cpu --quiet \(extra)", in: folder)
    }

    private func isLink(_ name: String) -> Bool {
        var info = stat()
        return lstat(path(name), &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// An output that is a symbolic link is written through: the file it points to gets the
    /// new contents (atomically) and the link stays a link. Before, the rename replaced the
    /// link with a regular file (run as root with `--loss-log /dev/stdout`, that was the
    /// system's `/dev/stdout`). A link to a pipe is refused as the pipe is; a dangling one too.
    func testSymbolicLinksAreWrittenThroughAndStay() throws {
        try FileManager.default.createDirectory(atPath: path("real"), withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("real/log.csv")))
        try FileManager.default.createSymbolicLink(atPath: path("log.csv"), withDestinationPath: "real/log.csv")
        try FileManager.default.createSymbolicLink(atPath: path("out.png"), withDestinationPath: "real/out.png")
        let result = try run("--output out.png --loss-log log.csv")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(isLink("log.csv") && isLink("out.png"), "the links stay links")
        XCTAssertTrue(try String(contentsOfFile: path("real/log.csv"), encoding: .utf8).hasPrefix("iteration,total"))
        XCTAssertEqual(try Image.load(path: path("real/out.png")).width, 24)

        XCTAssertEqual(mkfifo(path("pipe"), 0o644), 0)
        try FileManager.default.createSymbolicLink(atPath: path("piped.csv"), withDestinationPath: "pipe")
        try expectFailure(["transfer", "--content", "c.png", "--style", "s.png", "--output", "x.png", "--loss-log", "piped.csv"],
                          mentions: ["--loss-log", "piped.csv", "device, pipe or socket"])
        XCTAssertTrue(isLink("piped.csv"))
        try FileManager.default.createSymbolicLink(atPath: path("dangling.csv"), withDestinationPath: "nowhere/log.csv")
        try expectFailure(["transfer", "--content", "c.png", "--style", "s.png", "--output", "x.png", "--loss-log", "dangling.csv"],
                          mentions: ["--loss-log", "dangling.csv", "symbolic link into a missing folder"])
    }

    /// A new output gets what the umask leaves of 0666; a replaced file keeps its mode.
    /// Before, every output was 0644.
    func testModesFollowTheUmaskAndTheReplacedFile() throws {
        func mode(_ name: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path(name))[.posixPermissions] as? Int) ?? -1
        }
        XCTAssertEqual(try run("--output new.png --loss-log new.csv", umask: "027").status, 0)
        XCTAssertEqual(try mode("new.png"), 0o640)
        XCTAssertEqual(try mode("new.csv"), 0o640)
        try Data("old".utf8).write(to: URL(fileURLWithPath: path("kept.csv")))
        XCTAssertEqual(chmod(path("kept.csv"), 0o600), 0)
        XCTAssertEqual(try run("--output kept.png --loss-log kept.csv").status, 0)
        XCTAssertEqual(try mode("kept.csv"), 0o600)
        XCTAssertEqual(try mode("kept.png"), 0o644)
    }

    /// A listing, help or version text that cannot reach standard output (a full device)
    /// ends with status 1 and a line on stderr. Before, each exited 0.
    func testStatusIsOneWhenStandardOutputFails() throws {
        for command in ["devices", "--help", "--version", "transfer --help", "weights list", "selftest --device cpu"] {
            let result = try NSTShell.run("\"$NST\" \(command) > /dev/full; echo $?", in: folder)
            XCTAssertEqual(result.stdout, "1\n", "\(command): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("standard output could not be written"), "\(command): \(result.stderr)")
        }
    }
}
