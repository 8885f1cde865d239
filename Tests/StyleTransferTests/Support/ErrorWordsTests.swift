// ErrorWordsTests: Foundation's numbered errors come out in words; through the executable, an unreachable server is named as such, never as "NSURLErrorDomain error -1004".
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import NSTCore
import XCTest

final class ErrorWordsTests: ScratchFolderTestCase {
    func testNumberedErrorsInWords() {
        XCTAssertEqual(ErrorWords.describe(NSError(domain: NSCocoaErrorDomain, code: 513)), "permission denied")
        XCTAssertEqual(ErrorWords.describe(NSError(domain: NSCocoaErrorDomain, code: 512,
                                                   userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])),
                       "no space left on device", "the POSIX reason behind a write error")
        XCTAssertEqual(ErrorWords.describe(NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))), "permission denied")
        XCTAssertEqual(ErrorWords.describe(URLError(.timedOut)), "timed out")
        XCTAssertEqual(ErrorWords.describe(URLError(.cannotConnectToHost)), "the server could not be reached (connection refused)")
        XCTAssertEqual(ErrorWords.describe(NSError(domain: "Elsewhere", code: 7)), "failed (Elsewhere 7)")
        // A real one: creating a folder inside a file.
        let file = path("file")
        FileManager.default.createFile(atPath: file, contents: Data())
        do {
            try FileManager.default.createDirectory(atPath: file + "/inside", withIntermediateDirectories: true)
            XCTFail("a folder inside a file")
        } catch {
            let words = ErrorWords.describe(error)
            XCTAssertFalse(words.contains("NSCocoaErrorDomain") || words.contains("could not be completed"), words)
        }
    }

    /// Before: "download of ... failed: The operation could not be completed. (NSURLErrorDomain error -1004.)".
    func testAnUnreachableServerIsNamedInWords() throws {
        let result = try NSTProcess.run(["weights", "fetch", "--quiet", "--url", "http://127.0.0.1:9/w.pth", "--name", "w.pth", "--sha256", "0123456789abcdef"], in: folder,
                                        environment: ProcessInfo.processInfo.environment.merging(["NST_CACHE_DIR": path("cache")]) { $1 })
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("could not be reached"), result.stderr)
        XCTAssertFalse(result.stderr.contains("NSURLErrorDomain"), result.stderr)
    }
}
