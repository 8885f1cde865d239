// TuneCLITests: `nst tune` refuses bad options with one plain error line and exit status 1.
import Foundation
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
}
