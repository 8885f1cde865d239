// WeightsFetchCLITests: `nst weights fetch` through the executable against a loopback server: bad --name, --sha256 and --max-size, huge and endless bodies, and a second fetch of a name in progress, each one line and nothing lost.
import Foundation
@testable import NSTWeights
import StyleTransfer
import XCTest

final class WeightsFetchCLITests: ScratchFolderTestCase {
    private let body: [UInt8] = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
    private var digest: String { var h = SHA256(); h.update(body); return h.hexDigest() }
    /// NST_CACHE_DIR: the weights go to `cache/weights`.
    private var cache: URL { folder.appendingPathComponent("cache") }
    private var weights: URL { cache.appendingPathComponent("weights") }
    private var environment: [String: String] { ProcessInfo.processInfo.environment.merging(["NST_CACHE_DIR": cache.path]) { $1 } }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: weights.appendingPathComponent("keep.pth"))
        try Data([4]).write(to: cache.appendingPathComponent("other"))
    }

    /// Runs `nst weights fetch arguments` and checks the failure: status 1, one stderr line
    /// with every needle, and the cache as it was apart from `mayRemain`.
    private func expectFetchFailure(_ arguments: [String], mentions needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try NSTProcess.run(["weights", "fetch", "--quiet"] + arguments, in: folder, environment: environment)
        XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr, file: file, line: line)
        for needle in needles { XCTAssertTrue(result.stderr.contains(needle), "want '\(needle)': \(result.stderr)", file: file, line: line) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: weights.path).sorted(), ["keep.pth"], file: file, line: line)
        XCTAssertEqual(try Data(contentsOf: weights.appendingPathComponent("keep.pth")), Data([1, 2, 3]), file: file, line: line)
        XCTAssertEqual(try Data(contentsOf: cache.appendingPathComponent("other")), Data([4]), file: file, line: line)
    }

    /// Before: `--name ..` downloaded, then removed `cache/weights/..`, the whole cache folder,
    /// to make room for the file; `.` removed the weights folder.
    func testNamesThatAreNotPlainFileNamesAreRefused() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        for name in ["..", ".", ".hidden", "a/b", String(repeating: "n", count: 256)] {
            try expectFetchFailure(["--url", server.url.absoluteString, "--sha256", digest, "--name", name], mentions: ["--name"])
        }
        XCTAssertEqual(server.rangeHeaders, [])
    }

    /// Before: `--sha256 ""` and `--sha256 3` were accepted, and the first checked nothing.
    func testDigestsThatCheckNothingAreRefused() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        for hex in ["", "3", "abcdefg1", String(digest.prefix(7))] {
            try expectFetchFailure(["--url", server.url.absoluteString, "--sha256", hex, "--name", "w.pth"], mentions: ["--sha256", "64 hex digits"])
        }
        XCTAssertEqual(server.rangeHeaders, [])
    }

    /// Before: a Content-Length of 10^15 was written until the disk filled (here: until the
    /// server closed, leaving a part to "resume"); an endless body had no end at all.
    func testHugeAndEndlessBodiesStopAtTheLimitAndLeaveNothing() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .announce(1_000_000_000_000_000))
        let fetch = ["--url", server.url.absoluteString, "--sha256", digest, "--name", "w.pth"]
        try expectFetchFailure(fetch, mentions: ["1000000000000000 bytes", "more than --max-size (2.0 GiB)"])
        try expectFetchFailure(fetch + ["--max-size", "2000TB"], mentions: ["1000000000000000 bytes", "are free"])
        server.mode = .endless
        try expectFetchFailure(fetch + ["--max-size", "1MiB"], mentions: ["more than --max-size (1.0 MiB)"])
        XCTAssertEqual(server.rangeHeaders.count, 3)
        try expectFetchFailure(fetch + ["--max-size", "lots"], mentions: ["--max-size 'lots'", "not a size"])
        try expectFetchFailure(["vgg19", "--max-size", "1GiB"], mentions: ["--max-size is for --url"])
        XCTAssertEqual(server.rangeHeaders.count, 3)
    }

    /// Before: a second fetch of a name wrote into the first one's part, and one of them then
    /// failed to rename a part the other had moved ("doesn't exist").
    func testASecondFetchOfANameInProgressStopsAtOnce() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        // The lock a running fetch holds on its part.
        let part = weights.appendingPathComponent("w.pth.part")
        let fd = open(part.path, O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        XCTAssertEqual(write(fd, body, 2), 2)
        let result = try NSTProcess.run(["weights", "fetch", "--quiet", "--url", server.url.absoluteString, "--sha256", digest, "--name", "w.pth"],
                                        in: folder, environment: environment)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("another fetch of w.pth is running"), result.stderr)
        XCTAssertEqual(server.rangeHeaders, [])
        XCTAssertEqual(try Data(contentsOf: part), Data(body.prefix(2)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: weights.appendingPathComponent("w.pth").path))
        // Once the first one is done, the fetch runs.
        XCTAssertEqual(flock(fd, LOCK_UN), 0)
        let again = try NSTProcess.run(["weights", "fetch", "--quiet", "--url", server.url.absoluteString, "--sha256", digest, "--name", "w.pth"],
                                       in: folder, environment: environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(server.rangeHeaders, ["bytes=2-"])
        XCTAssertEqual(try [UInt8](Data(contentsOf: weights.appendingPathComponent("w.pth"))), body)
    }

    /// Addresses are tried in order under one checksum: a dead mirror (404) is named in one
    /// line and the next one serves the file. Known files list theirs (`weights list --json`):
    /// the caffe conversions at neural-style-pt's current address first.
    func testMirrorsAreTriedInOrder() throws {
        let dead = try LoopbackHTTPServer(body: body, mode: .status(404))
        let live = try LoopbackHTTPServer(body: body, mode: .serve)
        let result = try NSTProcess.run(["weights", "fetch", "--quiet", "--url", dead.url.absoluteString, "--url", live.url.absoluteString,
                                         "--sha256", digest, "--name", "w.pth"], in: folder, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderrLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("404") && result.stderr.contains("trying \(live.url.absoluteString)"), result.stderr)
        XCTAssertEqual(try [UInt8](Data(contentsOf: weights.appendingPathComponent("w.pth"))), body)
        let list = try NSTProcess.run(["weights", "list", "--json"], in: folder, environment: environment)
        let known = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])?["known"] as? [[String: Any]])
        let caffe = try XCTUnwrap(known.first { $0["name"] as? String == "vgg19-caffe" })
        XCTAssertEqual(caffe["urls"] as? [String], ["https://web.eecs.umich.edu/~justincj/models/vgg19-d01eb7cb.pth",
                                                    "https://s3-us-west-2.amazonaws.com/jcjohns-models/vgg19-d01eb7cb.pth"])
        XCTAssertTrue(known.allSatisfy { ($0["urls"] as? [String])?.allSatisfy { $0.hasPrefix("https://") } == true }, "https everywhere")
    }

    /// Off a terminal, progress is a plain line at each tenth passed, ending at 100%; before,
    /// it was a single 0% line.
    func testProgressOffATerminalIsALineAtEachTenth() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        let result = try NSTProcess.run(["weights", "fetch", "--url", server.url.absoluteString, "--sha256", digest, "--name", "w.pth"],
                                        in: folder, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stderrLines.filter { $0.hasPrefix("w.pth: ") }
        XCTAssertFalse(result.stderr.contains("\r"), "no terminal redraws off a terminal")
        XCTAssertGreaterThanOrEqual(lines.count, 2, result.stderr)
        XCTAssertLessThanOrEqual(lines.count, 11, result.stderr)
        XCTAssertTrue(lines.last?.hasSuffix("of 0.2 MB (100%)") == true, result.stderr)
        let percents = lines.compactMap { $0.split(separator: "(").last.flatMap { Int($0.dropLast(2)) } }
        XCTAssertEqual(percents, percents.sorted(), "increasing")
        XCTAssertEqual(Set(percents.map { $0 / 10 }).count, percents.count, "one line per tenth")
    }

    /// The first SIGINT or SIGTERM stops a fetch in progress: status 128 + signal, one line,
    /// the part kept, and the next fetch resumes it. Before, a fetch ignored the first signal.
    func testASignalStopsAFetchAndKeepsThePartForTheNext() throws {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            let server = try LoopbackHTTPServer(body: body, mode: .stall)
            let part = weights.appendingPathComponent("w.pth.part")
            let (process, stderr) = try NSTShell.start(["weights", "fetch", "--quiet", "--url", server.url.absoluteString, "--sha256", digest,
                                                        "--name", "w.pth"], in: folder, environment: environment)
            let deadline = Date().addingTimeInterval(30)
            while (try? FileManager.default.attributesOfItem(atPath: part.path)[.size] as? Int) != body.count / 2, Date() < deadline {
                usleep(20_000)
            }
            kill(process.processIdentifier, number)
            process.waitUntilExit()
            let text = NSTShell.text(stderr)
            XCTAssertEqual(process.terminationStatus, 128 + number, text)
            XCTAssertEqual(text.split(separator: "\n").count, 1, text)
            XCTAssertTrue(text.contains("stopped by \(name) while fetching w.pth"), text)
            XCTAssertEqual(try Data(contentsOf: part), Data(body.prefix(body.count / 2)), "the part is kept")
            XCTAssertFalse(FileManager.default.fileExists(atPath: weights.appendingPathComponent("w.pth").path))
            server.mode = .serve
            let again = try NSTProcess.run(["weights", "fetch", "--quiet", "--url", server.url.absoluteString, "--sha256", digest, "--name", "w.pth"],
                                           in: folder, environment: environment)
            XCTAssertEqual(again.status, 0, again.stderr)
            XCTAssertEqual(server.rangeHeaders.last, "bytes=\(body.count / 2)-", "the next fetch resumes the part")
            XCTAssertEqual(try [UInt8](Data(contentsOf: weights.appendingPathComponent("w.pth"))), body)
            try FileManager.default.removeItem(at: weights.appendingPathComponent("w.pth"))
        }
    }

    /// A file already in the cache with a matching checksum is not downloaded again (the
    /// server sees no request); `--name` without an extension takes the URL's, and without
    /// either it is refused. Before, the file was fetched again and saved without extension.
    func testCachedFilesAreNotFetchedAgainAndNamesGetAnExtension() throws {
        let server = try LoopbackHTTPServer(body: body, mode: .serve)
        let url = server.url.appendingPathComponent("w.pth").absoluteString
        let first = try NSTProcess.run(["weights", "fetch", "--quiet", "--url", url, "--sha256", digest, "--name", "mine"], in: folder, environment: environment)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: weights.appendingPathComponent("mine.pth").path), "the URL's extension is kept")
        let served = server.rangeHeaders.count
        let again = try NSTProcess.run(["weights", "fetch", "--url", url, "--sha256", digest, "--name", "mine.pth"], in: folder, environment: environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("already in the cache"), again.stderr)
        XCTAssertEqual(server.rangeHeaders.count, served, "no second download")
        try FileManager.default.removeItem(at: weights.appendingPathComponent("mine.pth"))
        try expectFetchFailure(["--url", server.url.absoluteString, "--sha256", digest, "--name", "bare"], mentions: ["--name 'bare'", "no weights extension"])
    }

    /// `--weights vgg19` before it was fetched says how to fetch it. Before: "no such file".
    func testKnownNameNotFetchedSaysHowToFetchIt() throws {
        var data = TestData(seed: 3)
        try Image(width: 16, height: 16, pixels: data.uniform(3 * 16 * 16, 0, 1)).writePNG(to: path("c.png"))
        let result = try NSTProcess.run(["transfer", "--content", "c.png", "--style", "c.png", "--output", "o.png", "--weights", "vgg19"],
                                        in: folder, environment: environment)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("nst weights fetch vgg19"), result.stderr)
    }
}
