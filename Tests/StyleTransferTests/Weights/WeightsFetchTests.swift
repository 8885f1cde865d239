// WeightsFetchTests: `nst weights fetch`'s downloader against a loopback server: success, bad hash, resume after a dropped connection and only on a matching Content-Range, server errors that leave no part, names and digests refused; the cache and --weights NAME.
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
        // Port 9 on loopback: nothing listens there. Nothing arrived, so no part is kept.
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: URL(string: "http://127.0.0.1:9/x")!, to: folder, fileName: "x", sha256: nil, timeout: 5)) {
            XCTAssertTrue("\($0)".contains("failed"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
        XCTAssertEqual(contents(), [])
    }

    /// Before: an error response left `w.pth.part` behind (empty, or holding the error page),
    /// which the next fetch resumed from.
    func testAnHTTPErrorLeavesNoPartAndTheRetryStartsClean() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .status(404))
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest)) {
            XCTAssertTrue("\($0)".contains("HTTP 404"), "\($0)")
        }
        XCTAssertEqual(contents(), [])
        // A part from an earlier attempt goes too: the server no longer serves what it continued.
        try Data(body.prefix(1000)).write(to: folder.appendingPathComponent("w.pth.part"))
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest))
        XCTAssertEqual(contents(), [])
        server.mode = .serve
        try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest)
        XCTAssertEqual(server.rangeHeaders, [nil, "bytes=1000-", nil])
        XCTAssertEqual(contents(), ["w.pth"])
    }

    /// Before: any 206 was appended to the part, whatever range it held (here the whole file
    /// after 1000 bytes of it: a hash mismatch), and a 416 was taken as "the part is complete".
    func testAPartIsContinuedOnlyWhenTheServerContinuesItExactly() throws {
        try Data(body.prefix(1000)).write(to: folder.appendingPathComponent("w.pth.part"))
        let server = try LoopbackHTTPServer(body: body, mode: .wrongContentRange)
        try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest)
        XCTAssertEqual(server.rangeHeaders, ["bytes=1000-", nil])
        XCTAssertEqual(try [UInt8](Data(contentsOf: folder.appendingPathComponent("w.pth"))), body)
        // A part as long as the file, but not the file: the server's 416 starts it over.
        try Data(body.map { ~$0 }).write(to: folder.appendingPathComponent("v.pth.part"))
        server.mode = .serve
        try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "v.pth", sha256: digest)
        XCTAssertEqual(server.rangeHeaders.suffix(2), ["bytes=\(body.count)-", nil])
        XCTAssertEqual(try [UInt8](Data(contentsOf: folder.appendingPathComponent("v.pth"))), body)
        XCTAssertEqual(contents(), ["v.pth", "w.pth"])
    }

    /// Before: `..` and `.` named the cache folder's parent and the cache folder, which the
    /// fetch removed to make room; an empty digest checked nothing.
    func testFileNamesAndDigestsAreCheckedBeforeAnyRequest() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        try Data([7]).write(to: folder.appendingPathComponent("keep.pth"))
        // Two levels down, so that `..` names a folder of this test's own, whatever the code does.
        let cache = folder.appendingPathComponent("c/weights")
        for name in ["..", ".", ".hidden", "a/b", "", "w.pth.part", String(repeating: "n", count: 251)] {
            XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: cache, fileName: name, sha256: digest), name) {
                XCTAssertTrue("\($0)".contains("file name"), "\($0)")
            }
        }
        for hex in ["", "3", "1234567", "zzzzzzzz", digest + "0"] {
            XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: hex), hex) {
                XCTAssertTrue("\($0)".contains("64 hex digits"), "\($0)")
            }
        }
        XCTAssertNil(WeightsDownloader.digestProblem(digest.uppercased()))
        XCTAssertNil(WeightsCache.fileNameProblem(String(repeating: "n", count: 250)))
        XCTAssertEqual(server.rangeHeaders, [])
        XCTAssertEqual(contents(), ["keep.pth"])
    }

    /// Before: nothing bounded a download: a Content-Length of 10^15 was accepted and the
    /// body written until the disk filled.
    func testSizesPastTheLimitOrTheFreeSpaceAreRefusedAndLeaveNothing() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .announce(1_000_000_000_000_000))
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest)) {
            XCTAssertTrue("\($0)".contains("announces 1000000000000000 bytes, more than the size limit (2.0 GiB)"), "\($0)")
        }
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest, maxBytes: .max)) {
            XCTAssertTrue("\($0)".contains("are free"), "\($0)")
        }
        server.mode = .endless
        XCTAssertThrowsError(try WeightsDownloader.fetch(url: server.url, to: folder, fileName: "w.pth", sha256: digest, maxBytes: 1 << 20)) {
            XCTAssertTrue("\($0)".contains("sent more than the size limit (1.0 MiB)"), "\($0)")
        }
        XCTAssertEqual(contents(), [])
        XCTAssertEqual(server.rangeHeaders.count, 3)
        for k in WeightsCache.known { XCTAssertGreaterThan(k.maxBytes, Int64(k.approximateBytes), k.name) }
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
            // The short name says the model (the normalised VGG-19's published file name does not).
            XCTAssertTrue(k.name.contains(k.model.name), k.name)
        }
    }
}
