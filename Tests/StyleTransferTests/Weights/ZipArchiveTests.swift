// ZipArchiveTests: the stored-entry zip reader on plain and ZIP64 archives, and every kind of damage it must refuse.
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

final class ZipArchiveTests: XCTestCase {
    private func open(_ bytes: [UInt8]) throws -> ZipArchive {
        let folder = try makeScratchFolder("zip")
        let url = folder.appendingPathComponent("a.zip")
        try Data(bytes).write(to: url)
        return try ZipArchive(url: url, handle: try FileHandle(forReadingFrom: url))
    }

    private let entries: [(String, [UInt8])] = [("archive/data.pkl", Array("pickle".utf8)), ("archive/data/0", (0..<300).map { UInt8($0 & 0xFF) }),
                                                ("archive/empty", [])]

    func testReadsStoredEntriesPlainAndZip64() throws {
        for zip64 in [false, true] {
            let archive = try open(storedZip(entries, zip64: zip64))
            XCTAssertEqual(archive.entries.map(\.path), entries.map(\.0), "zip64 \(zip64)")
            for (name, bytes) in entries {
                XCTAssertEqual(try archive.contents(try XCTUnwrap(archive[name])), bytes, name)
            }
        }
    }

    func testCRC32OfKnownVectors() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
    }

    func testDamageIsAnErrorNamingTheFile() throws {
        let good = storedZip(entries)
        var flipped = good
        // A byte of entry 1's data (after its 30-byte header and 14-byte name).
        let dataStart = 30 + "archive/data.pkl".utf8.count + 6 + 30 + "archive/data/0".utf8.count
        flipped[dataStart + 5] ^= 0xFF
        var compressed = good
        compressed[8] = 8   // method 8 (deflate) in the first local header...
        let directory = good.count - 22 - (3 * 46 + entries.reduce(0) { $0 + $1.0.utf8.count })
        compressed[directory + 10] = 8   // ...and in its directory record
        let cases: [(String, [UInt8], String)] = [
            ("not a zip", Array("hello".utf8), "no end-of-central-directory"),
            ("truncated", Array(good.prefix(good.count - 30)), "zip"),
            ("crc", flipped, "CRC-32"),
            ("compressed", compressed, "compressed"),
        ]
        for (what, bytes, needle) in cases {
            XCTAssertThrowsError(try { let a = try open(bytes); for e in a.entries { _ = try a.contents(e) } }(), what) { error in
                XCTAssertTrue("\(error)".contains(needle), "\(what): \(error)")
            }
        }
    }

    /// ZIP64 fields hold 64-bit values; ones over Int.max (or that overflow when added) are
    /// malformed archives, not traps. Found by scripts/fuzz.sh (pth target).
    func testZip64ValuesOverIntMaxAreErrors() throws {
        let good = storedZip(entries, zip64: true)
        let end = good.count - 22, locator = end - 20, record = locator - 56
        func patched(_ at: Int..., with value: UInt64) -> [UInt8] {
            var bytes = good
            for field in at { for k in 0..<8 { bytes[field + k] = UInt8(value >> (8 * UInt64(k)) & 0xFF) } }
            return bytes
        }
        let cases: [(String, [UInt8])] = [
            ("record offset", patched(locator + 8, with: .max)),
            ("directory size", patched(record + 40, with: .max)),
            ("directory offset", patched(record + 48, with: 1 << 63)),
        ]
        for (what, bytes) in cases {
            XCTAssertThrowsError(try open(bytes), what) { error in
                XCTAssertTrue("\(error)".contains("zip"), "\(what): \(error)")
            }
        }
        // An entry whose ZIP64 sizes (the extra field's first two values) read as Int.max: refused when read.
        let directory = good.count - 22 - 20 - 56 - (3 * (46 + 28) + entries.reduce(0) { $0 + $1.0.utf8.count })
        let sizes = directory + 46 + "archive/data.pkl".utf8.count + 4
        let archive = try open(patched(sizes, sizes + 8, with: .max))
        XCTAssertThrowsError(try archive.contents(try XCTUnwrap(archive["archive/data.pkl"])))
    }
}
