// AtomicFileTests: the loss log's atomic write: whole contents or none, errors naming the option.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class AtomicFileTests: ScratchFolderTestCase {
    func testReplacesTheFileAndLeavesNoTemporaryFile() throws {
        let path = folder.appendingPathComponent("log.csv").path
        try AtomicFile.write(Data("old\n".utf8), to: path, role: "--loss-log")
        try AtomicFile.write(Data("new contents\n".utf8), to: path, role: "--loss-log")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new contents\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["log.csv"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o644, "an ordinary file, not mkstemp's private 0600")
    }

    func testMissingFolderNamesTheOption() throws {
        let path = folder.appendingPathComponent("missing/log.csv").path
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: path, role: "--loss-log")) { error in
            XCTAssertEqual(error as? TransferError, .file(role: "--loss-log", path: path,
                                                          problem: "cannot write: folder '\(folder.path)/missing' does not exist"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }
}
