// WeightsFetchTests: `nst weights fetch`'s downloader against a loopback server: success, bad hash, resume after a dropped connection, server errors; the cache and --weights NAME.
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

final class WeightsFetchTests: ScratchFolderTestCase {
    private let body: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    private var digest: String { var h = SHA256(); h.update(body); return h.hexDigest() }
    private func contents() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() }

    func testFetchChecksTheHashAndMovesTheFileIntoPlace() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        var reports = 0
        let result = try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: String(digest.prefix(8))) { _, _ in reports += 1 }
        XCTAssertEqual(result.sha256, digest)
        XCTAssertEqual(try [UInt8](Data(contentsOf: folder.appendingPathComponent("w.pth"))), body)
        XCTAssertEqual(contents(), ["w.pth"])
        XCTAssertGreaterThan(reports, 0)
        XCTAssertEqual(server.rangeHeaders, [nil])
    }

    func testBadHashLeavesNothingInTheCache() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: "00000000")) {
            XCTAssertTrue("\($0)".contains("does not match"), "\($0)")
        }
        XCTAssertEqual(contents(), [])
    }

    func testDroppedConnectionResumesWithRange() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .dropHalfway)
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest, timeout: 10)) {
            XCTAssertTrue("\($0)".contains("resume"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
        XCTAssertEqual(contents(), ["w.pth.part"])
        let part = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("w.pth.part").path)[.size] as? Int
        XCTAssertEqual(part, body.count / 2)
        server.mode = .serve
        try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest)
        XCTAssertEqual(server.rangeHeaders.last, "bytes=\(body.count / 2)-")
        XCTAssertEqual(try [UInt8](Data(contentsOf: folder.appendingPathComponent("w.pth"))), body)
        XCTAssertEqual(contents(), ["w.pth"])
    }

    func testServerThatIgnoresRangeRestartsTheFile() throws {
        try Data(body.prefix(1000).map { $0 ^ 0xFF }).write(to: folder.appendingPathComponent("w.pth.part"))
        let server = try LoopbackHTTPServer(body: body, mode: .ignoreRange)
        try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest)
        XCTAssertEqual(server.rangeHeaders, ["bytes=1000-"])
        XCTAssertEqual(try [UInt8](Data(contentsOf: folder.appendingPathComponent("w.pth"))), body)
    }

    func testServerErrorsAndUnreachableServersAreOneLine() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .status(404))
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: nil)) {
            XCTAssertTrue("\($0)".contains("HTTP 404"), "\($0)")
        }
        server.mode = .status(500)
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: nil)) {
            XCTAssertTrue("\($0)".contains("HTTP 500"), "\($0)")
        }
        XCTAssertFalse(contents().contains("w.pth"))
        // Port 9 on loopback: nothing listens there.
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: URL(string: "http://127.0.0.1:9/x")!, to: folder, fileName: "x", sha256: nil, timeout: 5)) {
            XCTAssertTrue("\($0)".contains("failed"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    func testCacheLocationAndResolvingNames() throws {
        XCTAssertEqual(WeightsCache(environment: ["NST_CACHE_DIR": "/c"]).directory?.path, "/c/weights")
        XCTAssertEqual(WeightsCache(environment: ["XDG_CACHE_HOME": "/x"]).directory?.path, "/x/nst/weights")
        XCTAssertEqual(WeightsCache(environment: ["HOME": "/h"]).directory?.path, "/h/.cache/nst/weights")
        XCTAssertNil(WeightsCache(environment: [:]).directory)
        let cache = WeightsCache(directory: folder)
        try Data([1]).write(to: folder.appendingPathComponent("vgg19-dcbb9e9d.pth"))
        try Data([1]).write(to: folder.appendingPathComponent("x.part"))
        XCTAssertEqual(cache.resolve("vgg19"), folder.appendingPathComponent("vgg19-dcbb9e9d.pth").path)
        XCTAssertEqual(cache.resolve("vgg19-dcbb9e9d.pth"), folder.appendingPathComponent("vgg19-dcbb9e9d.pth").path)
        XCTAssertEqual(cache.resolve("vgg16"), "vgg16")
        XCTAssertEqual(cache.files().map(\.name), ["vgg19-dcbb9e9d.pth"])
        for k in WeightsCache.known {
            XCTAssertEqual(WeightsFile.knownConventions[k.fileName], k.preprocess, k.name)
            XCTAssertTrue(k.fileName.contains(k.model.name.dropFirst(3)), k.name)
        }
    }
}
