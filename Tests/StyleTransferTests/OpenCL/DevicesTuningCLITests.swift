// DevicesTuningCLITests: `nst devices` (text and --json) says which tuning each OpenCL device runs with, and a tuning file from `nst tune` takes over from the shipped entry.
import Foundation
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class DevicesTuningCLITests: ScratchFolderTestCase {
    /// With an empty cache each OpenCL device shows what the library resolves (its shipped
    /// entry or "defaults"); once device 0 has a tuning file it shows "tuned (file)" and the
    /// file's path, in both forms of the listing; --json gives the identity an entry is keyed by.
    func testDevicesSayWhichTuningApplies() throws {
        let info = try OpenCLTestDevice.get().info
        let cache = folder.appendingPathComponent("cache")
        let environment = ProcessInfo.processInfo.environment.merging(["NST_CACHE_DIR": cache.path]) { $1 }
        func listing() throws -> (json: [[String: Any]], text: String) {
            let json = try NSTProcess.run(["devices", "--json"], in: folder, environment: environment)
            XCTAssertEqual(json.status, 0, json.stderr)
            let text = try NSTProcess.run(["devices"], in: folder, environment: environment)
            XCTAssertEqual(text.status, 0, text.stderr)
            return (try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]), text.stdout)
        }
        let expected = OpenCLDevice.tuning(for: info, source: .storedIn(root: cache)).origin
        XCTAssertNotEqual(expected.label, "tuned (file)")
        let before = try listing()
        let entry = try XCTUnwrap(before.json.first { $0["choice"] as? String == "opencl:\(info.index)" })
        XCTAssertEqual(entry["tuning"] as? String, expected.label)
        XCTAssertNil(entry["tuningFile"])
        let identity = try JSONSerialization.data(withJSONObject: try XCTUnwrap(entry["identity"]))
        XCTAssertEqual(try JSONDecoder().decode(OpenCLDeviceIdentity.self, from: identity), info.identity,
                       "the identity a database entry's `device` is copied from")
        XCTAssertTrue(expected.label == "defaults" || expected.label.hasPrefix("shipped: "), expected.label)
        XCTAssertTrue(before.text.contains("tuning: \(expected.label)"), before.text)
        XCTAssertNil(before.json.last?["tuning"], "the CPU backend has no OpenCL tuning")

        let url = OpenCLTuning.url(in: cache, for: info)
        try OpenCLTuning(info: info, workGroupSize: 16).store(to: url)
        let after = try listing()
        let tuned = try XCTUnwrap(after.json.first { $0["choice"] as? String == "opencl:\(info.index)" })
        XCTAssertEqual(tuned["tuning"] as? String, "tuned (file)")
        XCTAssertEqual(tuned["tuningFile"] as? String, url.path)
        XCTAssertTrue(after.text.contains("tuning: tuned (file) \(url.path)"), after.text)
    }

    /// NST_TUNING=shipped ignores the device's tuning file, NST_TUNING=defaults the shipped
    /// entry too (what the GPU bundle's bench compares); an unknown value is refused in one line.
    func testTuningPolicyFromTheEnvironment() throws {
        let info = try OpenCLTestDevice.get().info
        let cache = folder.appendingPathComponent("cache")
        try OpenCLTuning(info: info, workGroupSize: 16).store(to: OpenCLTuning.url(in: cache, for: info))
        func tuning(_ policy: String) throws -> NSTResult {
            let environment = ProcessInfo.processInfo.environment.merging(["NST_CACHE_DIR": cache.path, "NST_TUNING": policy]) { $1 }
            return try NSTProcess.run(["devices", "--json"], in: folder, environment: environment)
        }
        func label(_ result: NSTResult) throws -> String? {
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            return try XCTUnwrap(json.first { $0["choice"] as? String == "opencl:\(info.index)" })["tuning"] as? String
        }
        XCTAssertEqual(try label(tuning("")), "tuned (file)")
        XCTAssertEqual(try label(tuning("auto")), "tuned (file)")
        let shipped = OpenCLDevice.tuning(for: info, source: .storedIn(root: folder.appendingPathComponent("empty"))).origin.label
        XCTAssertEqual(try label(tuning("shipped")), shipped)
        XCTAssertEqual(try label(tuning("DEFAULTS")), "defaults")
        let bad = try tuning("fast")
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderrLines.count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("NST_TUNING") && bad.stderr.contains("fast"), bad.stderr)
    }
}
