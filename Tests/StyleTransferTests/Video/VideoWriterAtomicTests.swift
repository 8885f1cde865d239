// VideoWriterAtomicTests: a video appears at its path only when finished; failures and abandoned writers leave no temporary file.
import Foundation
import NSTCore
import NSTImages
import NSTVideo
import XCTest

final class VideoWriterAtomicTests: ScratchFolderTestCase {
    private func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    /// The registered temporary files in this test's folder.
    private func registered() -> [String] {
        TemporaryFiles.current.filter { $0.hasPrefix(folder.path + "/") }.sorted()
    }

    func testNothingAtThePathUntilFinish() throws {
        let path = path("clip.mp4")
        let writer = try VideoWriter(path: path, width: 96, height: 64, fps: 25, crf: nil, audioFrom: nil)
        for t in 0..<4 { try writer.append(try VideoFixtures.movingFrame(t)) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        let temporary = try names()
        XCTAssertEqual(temporary.count, 1)
        XCTAssertTrue(temporary[0].hasPrefix(".clip.mp4.tmp-"), "\(temporary)")
        XCTAssertEqual(registered(), [folder.appendingPathComponent(temporary[0]).path], "a signal would remove it")
        try writer.finish()
        XCTAssertEqual(try names(), ["clip.mp4"])
        XCTAssertEqual(registered(), [])
        XCTAssertEqual(try VideoFixtures.readAll(path).1.count, 4)
        XCTAssertThrowsError(try writer.append(try VideoFixtures.movingFrame(4))) { error in
            XCTAssertTrue("\(error)".contains("already finished"), "\(error)")
        }
    }

    func testReplacesAnExistingFileOnlyAtFinish() throws {
        let path = path("clip.gif")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let writer = try VideoWriter(path: path, width: 96, height: 64, fps: 10, crf: nil, audioFrom: nil)
        try writer.append(try VideoFixtures.movingFrame(0))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("old".utf8))
        try writer.finish()
        XCTAssertEqual(try VideoFixtures.readAll(path).1.count, 1)
        XCTAssertEqual(try names(), ["clip.gif"])
    }

    func testAbandonedWriterLeavesNothing() throws {
        for name in ["a.mp4", "b.webm", "c.gif"] {
            var writer: VideoWriter? = try VideoWriter(path: path(name), width: 96, height: 64, fps: 25, crf: nil, audioFrom: nil)
            try writer?.append(try VideoFixtures.movingFrame(0))
            XCTAssertEqual(try names().count, 1)
            writer = nil
            XCTAssertEqual(try names(), [], name)
        }
        XCTAssertEqual(registered(), [])
    }

    func testAFailedFinishLeavesNothing() throws {
        let path = path("clip.webm")
        let writer = try VideoWriter(path: path, width: 96, height: 64, fps: 25, crf: nil, audioFrom: nil)
        // A frame of the wrong size is refused and the writer stays usable ...
        XCTAssertThrowsError(try writer.append(try VideoFixtures.movingFrame(0, width: 32, height: 32)))
        XCTAssertEqual(try names().count, 1)
        // ... but a video without frames cannot be finished: that error ends it.
        XCTAssertThrowsError(try writer.finish()) { error in
            XCTAssertEqual("\(error)", "'\(path)': no frames were written")
        }
        XCTAssertEqual(try names(), [])
        XCTAssertEqual(registered(), [])
        XCTAssertThrowsError(try writer.append(try VideoFixtures.movingFrame(0)))
        XCTAssertEqual(try names(), [])
    }
}
