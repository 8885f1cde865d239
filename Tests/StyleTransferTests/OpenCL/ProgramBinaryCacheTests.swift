// ProgramBinaryCacheTests: the on-disk program cache's location, file format, corruption handling and atomic writes (no device needed).
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ProgramBinaryCacheTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-cache-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testLocationPrecedence() {
        let all = ["NST_CACHE_DIR": "/a", "XDG_CACHE_HOME": "/b", "HOME": "/c"]
        XCTAssertEqual(ProgramBinaryCache.defaultRoot(environment: all)?.path, "/a")
        XCTAssertEqual(ProgramBinaryCache.defaultRoot(environment: ["XDG_CACHE_HOME": "/b", "HOME": "/c"])?.path, "/b/nst")
        XCTAssertEqual(ProgramBinaryCache.defaultRoot(environment: ["HOME": "/c"])?.path, "/c/.cache/nst")
        XCTAssertNil(ProgramBinaryCache.defaultRoot(environment: [:]))
        XCTAssertEqual(ProgramBinaryCache(environment: all).directory?.path, "/a/opencl")
    }

    func testKeyDependsOnEveryPart() {
        let base = ProgramBinaryCache.key(source: "s", options: "o", deviceName: "d", driverVersion: "v", platformVersion: "p")
        let variants = [
            ProgramBinaryCache.key(source: "s2", options: "o", deviceName: "d", driverVersion: "v", platformVersion: "p"),
            ProgramBinaryCache.key(source: "s", options: "o2", deviceName: "d", driverVersion: "v", platformVersion: "p"),
            ProgramBinaryCache.key(source: "s", options: "o", deviceName: "d2", driverVersion: "v", platformVersion: "p"),
            ProgramBinaryCache.key(source: "s", options: "o", deviceName: "d", driverVersion: "v2", platformVersion: "p"),
            ProgramBinaryCache.key(source: "s", options: "o", deviceName: "d", driverVersion: "v", platformVersion: "p2"),
        ]
        let cache = ProgramBinaryCache(directory: URL(fileURLWithPath: "/x"))
        for key in variants {
            XCTAssertNotEqual(key, base)
            XCTAssertNotEqual(cache.url(forKey: key), cache.url(forKey: base))
        }
    }

    func testRoundTripAndNoTemporaryFilesLeft() throws {
        let dir = try temporaryDirectory()
        let cache = ProgramBinaryCache(directory: dir.appendingPathComponent("opencl"))
        let binary: [UInt8] = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        XCTAssertNil(cache.load(key: "k"))
        cache.store(key: "k", binary: binary)
        XCTAssertEqual(cache.load(key: "k"), binary)
        XCTAssertNil(cache.load(key: "other"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("opencl").path)
        XCTAssertEqual(files.count, 1, "only the final entry should remain: \(files)")
        XCTAssertTrue(files[0].hasSuffix(".clbin"))
    }

    /// Every single-byte change, every truncation and a foreign key read as a miss.
    func testCorruptEntriesReadAsMisses() {
        let binary: [UInt8] = Array("some program binary".utf8)
        let encoded = ProgramBinaryCache.encode(binary, key: "key")
        XCTAssertEqual(ProgramBinaryCache.decode(encoded, key: "key"), binary)
        XCTAssertNil(ProgramBinaryCache.decode(encoded, key: "kez"))
        for index in encoded.indices {
            var bad = encoded
            bad[index] ^= 0x5A
            XCTAssertNil(ProgramBinaryCache.decode(bad, key: "key"), "byte \(index) flipped")
        }
        for length in 0..<encoded.count {
            XCTAssertNil(ProgramBinaryCache.decode(Array(encoded.prefix(length)), key: "key"), "truncated to \(length)")
        }
        XCTAssertNil(ProgramBinaryCache.decode(encoded + [0], key: "key"), "trailing garbage")
    }

    func testUnwritableDirectoryIsIgnored() {
        let cache = ProgramBinaryCache(directory: URL(fileURLWithPath: "/proc/nst-cannot-write-here"))
        cache.store(key: "k", binary: [1, 2, 3])  // must not throw or trap
        XCTAssertNil(cache.load(key: "k"))
    }
}
