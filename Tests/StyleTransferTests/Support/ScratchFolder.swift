// ScratchFolder: a fresh, uniquely named temporary folder for tests that write files, the test-case base that makes one per test, and the one check of a failing `nst` run.
import Foundation
import XCTest

/// Creates `<tmp>/nst-<purpose>-<UUID>`; the caller removes it when done.
func makeScratchFolder(_ purpose: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("nst-\(purpose)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A test case with a scratch folder of its own for each test (`folder`, made before a
/// subclass's `setUpWithError` does its own part, removed after the test).
class ScratchFolderTestCase: XCTestCase {
    /// This test's folder.
    var folder: URL!

    /// `name` inside `folder`.
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    override func setUpWithError() throws {
        try super.setUpWithError()
        folder = try makeScratchFolder(String(describing: type(of: self)))
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
        try super.tearDownWithError()
    }

    /// `expectFailure(_:in:mentions:mayWrite:)` in this test's folder.
    func expectFailure(_ arguments: [String], mentions needles: [String], mayWrite: Set<String> = [],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try StyleTransferTests.expectFailure(arguments, in: folder, mentions: needles, mayWrite: mayWrite, file: file, line: line)
    }
}

/// Runs `nst arguments` in `folder` expecting a failure as README "What nst promises" words
/// it: status 1, exactly one stderr line containing every needle, no crash report, and no
/// file of `folder` created, removed or changed, except those named in `mayWrite`.
func expectFailure(_ arguments: [String], in folder: URL, mentions needles: [String], mayWrite: Set<String> = [],
                   file: StaticString = #filePath, line: UInt = #line) throws {
    /// Each regular file's bytes (other entries: empty), by name.
    func contents() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where !mayWrite.contains(name) {
            let url = folder.appendingPathComponent(name)
            // Only regular files are read (a FIFO would block).
            let regular = (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
            files[name] = regular ? try Data(contentsOf: url) : Data()
        }
        return files
    }
    let before = try contents()
    let result = try NSTProcess.run(arguments, in: folder)
    XCTAssertEqual(result.status, 1, "exit status; stderr: \(result.stderr)", file: file, line: line)
    XCTAssertEqual(result.stderrLines.count, 1, "one stderr line, got: \(result.stderr)", file: file, line: line)
    for needle in needles {
        XCTAssertTrue(result.stderr.contains(needle), "stderr should name '\(needle)': \(result.stderr)", file: file, line: line)
    }
    XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Stack dump"), file: file, line: line)
    let after = try contents()
    XCTAssertEqual(after.keys.sorted(), before.keys.sorted(), "no file was created or removed", file: file, line: line)
    XCTAssertTrue(after == before, "no file was changed", file: file, line: line)
}
