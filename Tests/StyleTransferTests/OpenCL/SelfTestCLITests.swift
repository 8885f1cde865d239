// SelfTestCLITests: `nst selftest` through the executable: it passes on the CPU backend and the OpenCL test device, reports each tolerance family, and refuses a bad device in one line.
import Foundation
import StyleTransfer
import XCTest

final class SelfTestCLITests: ScratchFolderTestCase {
    /// Both backends pass, and each report names its 123-odd cases, the four families with a
    /// worst ratio at most 1, and the Winograd paths (so the twins really ran).
    func testPassesOnCPUAndOpenCL() throws {
        let info = try OpenCLTestDevice.get().info
        let environment = ProcessInfo.processInfo.environment.merging(["NST_CACHE_DIR": folder.appendingPathComponent("cache").path]) { $1 }
        let result = try NSTProcess.run(["selftest", "--device", "cpu,opencl:\(info.index)"], in: folder, environment: environment)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(result.stdout.components(separatedBy: "all within tolerance").count - 1, 2, result.stdout)
        XCTAssertTrue(result.stdout.contains("cpu: passed"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\(info.name): passed"), result.stdout)
        XCTAssertTrue(result.stdout.contains("OpenCL device \(info.index): \(info.name)"), result.stdout)
        for family in ["elementwise", "contraction", "loss", "optimizer"] {
            let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  \(family) ") }
            XCTAssertEqual(lines.count, 2, "\(family): \(result.stdout)")
            for line in lines {
                let ratio = line.split(separator: ":").last.flatMap { Double($0.split(separator: " ").first ?? "") }
                XCTAssertLessThanOrEqual(try XCTUnwrap(ratio, String(line)), 1, String(line))
            }
        }
        XCTAssertEqual(result.stdout.split(separator: "\n").filter { $0.hasPrefix("  conv2d winograd F(2x2) ") }.count, 2, result.stdout)
    }

    func testRefusesAnUnknownDevice() throws {
        for device in ["gpu", "opencl:99"] {
            let result = try NSTProcess.run(["selftest", "--device", device], in: folder)
            XCTAssertEqual(result.status, 1, result.stdout)
            XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("--device"), result.stderr)
        }
    }
}
