// JSONOutputCLITests: `nst devices --json` and `nst weights list --json` through the real executable, read back as JSON.
import Foundation
import XCTest

final class JSONOutputCLITests: ScratchFolderTestCase {
    /// Devices as a JSON array: every entry has its --device choice; the CPU backend is last,
    /// and exactly one entry is the one `auto` picks.
    func testDevicesAsJSON() throws {
        let result = try NSTProcess.run(["devices", "--json"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let entries = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(entries.last?["choice"] as? String, "cpu")
        XCTAssertEqual(entries.filter { $0["auto"] as? Bool == true }.count, 1)
        XCTAssertTrue(entries.dropLast().allSatisfy { ($0["choice"] as? String)?.hasPrefix("opencl:") == true })
    }

    /// The weights list as JSON: the cache folder, every known file (with its cached size
    /// when fetched) and the other files there.
    func testWeightsListAsJSON() throws {
        let weights = folder.appendingPathComponent("cache/weights")
        try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
        try Data(count: 1234).write(to: weights.appendingPathComponent("vgg16-397923af.pth"))
        try Data(count: 7).write(to: weights.appendingPathComponent("mine.safetensors"))
        let environment = ProcessInfo.processInfo.environment.merging(["NST_CACHE_DIR": folder.appendingPathComponent("cache").path]) { $1 }
        let result = try NSTProcess.run(["weights", "list", "--json"], in: folder, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let listing = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(listing["cache"] as? String, weights.path)
        let known = try XCTUnwrap(listing["known"] as? [[String: Any]])
        XCTAssertEqual(known.first { $0["name"] as? String == "vgg16" }?["cachedBytes"] as? Int, 1234)
        XCTAssertNil(known.first { $0["name"] as? String == "vgg19" }?["cachedBytes"] as? Int)
        let others = try XCTUnwrap(listing["others"] as? [[String: Any]])
        XCTAssertEqual(others.map { $0["fileName"] as? String }, ["mine.safetensors"])
    }
}
