// ImageWriteTests: atomic PNG writing: overwriting, and failures that leave no file behind.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ImageWriteTests: XCTestCase {
    private func contents(of folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testWriteReplacesAnExistingFileAndLeavesNoTemporaryFile() throws {
        let folder = try ImageFixtures.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.png").path
        try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
        let image = try ImageFixtures.eightBitImage(width: 5, height: 4, seed: 11)
        try image.writePNG(to: path)
        XCTAssertEqual(try contents(of: folder), ["out.png"])
        XCTAssertEqual(try Image.load(path: path), image)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o644, "an output image is an ordinary readable file")
    }

    func testWriteIntoMissingFolderThrowsNamingThePath() throws {
        let folder = try ImageFixtures.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try ImageFixtures.eightBitImage(width: 2, height: 2, seed: 5)
        let path = folder.appendingPathComponent("missing/out.png").path
        XCTAssertThrowsError(try image.writePNG(to: path)) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .notWritable)
            XCTAssertEqual("\(error)", "\(path): cannot write: folder '\(folder.path)/missing' does not exist")
        }
        XCTAssertEqual(try contents(of: folder), [], "nothing may be left behind")
    }

    func testWriteOntoAFolderFailsAndLeavesNoTemporaryFile() throws {
        let folder = try ImageFixtures.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("taken.png")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        let image = try ImageFixtures.eightBitImage(width: 2, height: 2, seed: 6)
        XCTAssertThrowsError(try image.writePNG(to: target.path)) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .notWritable)
            XCTAssertTrue("\(error)".hasPrefix("\(target.path): cannot write"), "\(error)")
        }
        XCTAssertEqual(try contents(of: folder), ["taken.png"], "the temporary file must be removed")
    }

    /// A pipe (like a device) is refused, not swapped out for a regular file by the rename.
    func testWriteOntoAPipeFailsAndLeavesThePipe() throws {
        let folder = try ImageFixtures.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("pipe.png").path
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        let image = try ImageFixtures.eightBitImage(width: 2, height: 2, seed: 7)
        XCTAssertThrowsError(try image.writePNG(to: path)) { error in
            XCTAssertEqual("\(error)", "\(path): cannot write: it is a device, pipe or socket, not a regular file")
        }
        XCTAssertEqual(try contents(of: folder), ["pipe.png"], "no temporary file")
        var info = stat()
        XCTAssertTrue(stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "still a pipe")
    }

    func testWriteIntoReadOnlyFolderThrows() throws {
        // root ignores folder permissions, so the refusal cannot be provoked that way.
        try XCTSkipIf(getuid() == 0, "running as root: folder permissions are not enforced")
        let folder = try ImageFixtures.scratchFolder()
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            try? FileManager.default.removeItem(at: folder)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
        let image = try ImageFixtures.eightBitImage(width: 2, height: 2, seed: 8)
        let path = folder.appendingPathComponent("out.png").path
        XCTAssertThrowsError(try image.writePNG(to: path)) { error in
            XCTAssertEqual("\(error)", "\(path): cannot write: folder '\(folder.path)' is not writable")
        }
    }
}
