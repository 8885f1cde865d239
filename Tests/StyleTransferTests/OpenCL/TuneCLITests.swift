// TuneCLITests: `nst tune` refuses bad options with one plain error line and exit status 1, and ends at the first signal without storing a file.
import Foundation
@testable import NSTOpenCL
import XCTest

final class TuneCLITests: XCTestCase {
    func testBadOptionsFailWithOneLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nst-tune-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (arguments, expected) in [(["--device", "cpu"], "--device must be opencl or opencl:N"),
                                      (["--budget-seconds", "0"], "--budget-seconds must be a positive number"),
                                      (["--size", "8"], "--size must be 16 to 4096"),
                                      (["--device", "opencl:999"], "there is no OpenCL device 999")] {
            let result = try NSTProcess.run(["tune"] + arguments, in: folder)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertEqual(result.stderrLines.count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("nst: error: ") && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }

    /// The first SIGINT ends a tune at once with 130 and stores no tuning file (README: bench,
    /// tune, selftest and the listings have nothing to save).
    func testFirstSignalEndsTheTune() throws {
        let info = try OpenCLTestDevice.get().info
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nst-tune-signal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = folder.appendingPathComponent("cache")
        let (process, stderr) = try NSTShell.start(["tune", "--device", "opencl:\(info.index)", "--size", "64", "--budget-seconds", "600"],
                                                   in: folder,
                                                   environment: ProcessInfo.processInfo.environment.merging(["NST_CACHE_DIR": cache.path]) { $1 })
        usleep(2_000_000)
        NSTShell.expectStopsAtOnce(process, stderr: stderr, signal: SIGINT, name: "SIGINT")
        XCTAssertFalse(FileManager.default.fileExists(atPath: OpenCLTuning.url(in: cache, for: info).path), "no tuning file")
    }
}
