// BatchCLITests: `nst transfer` over several contents through the real executable: each output equals its single run, skip-existing, a bad content failing alone, shards.
import Foundation
@testable import NSTCore
@testable import StyleTransfer
import XCTest

final class BatchCLITests: ScratchFolderTestCase {
    let names = ["a", "b", "c", "d"]

    override func setUpWithError() throws {
        try super.setUpWithError()
        try FileManager.default.createDirectory(atPath: path("in"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        var data = TestData(seed: 12)
        for name in names {
            try Image(width: 24, height: 20, pixels: data.uniform(3 * 24 * 20, 0, 1)).writePNG(to: path("in/\(name).png"))
        }
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: path("style.png"))
    }

    private func arguments(_ content: [String], output: String = "out/{name}.png", _ extra: [String] = []) -> [String] {
        ["transfer"] + content.flatMap { ["--content", $0] } + ["--style", "style.png", "--output", output,
         "--size", "24", "--iterations", "3", "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1",
         "--device", "cpu", "--quiet"] + extra
    }

    /// The loss log's values (all columns but the seconds).
    private func values(_ file: String) throws -> [[Double]] {
        try String(contentsOfFile: path(file), encoding: .utf8).split(separator: "\n").dropFirst().map { line in
            line.split(separator: ",").enumerated().filter { $0.offset != 5 }.compactMap { Double($0.element) }
        }
    }

    /// A batch of four (a folder) equals the four single runs: loss logs to 1e-6, and the
    /// images too (the network and the style targets are shared, the ops are the same).
    func testBatchOfFourEqualsTheSingleRuns() throws {
        let batch = try NSTProcess.run(arguments(["in"], ["--loss-log", "out/{name}.csv"]), in: folder)
        XCTAssertEqual(batch.status, 0, batch.stderr)
        XCTAssertTrue(batch.stderr.contains("nst: batch: 4 written, 0 skipped, 0 failed"), batch.stderr)
        for name in names {
            let single = try NSTProcess.run(arguments(["in/\(name).png"], output: "\(name)-alone.png", ["--loss-log", "\(name)-alone.csv"]), in: folder)
            XCTAssertEqual(single.status, 0, single.stderr)
            let expected = try values("\(name)-alone.csv"), actual = try values("out/\(name).csv")
            XCTAssertEqual(expected.count, 4)
            XCTAssertEqual(actual.count, expected.count, name)
            for (a, e) in zip(actual.joined(), expected.joined()) {
                XCTAssertEqual(a, e, accuracy: 1e-6 * max(abs(e), 1e-30), name)
            }
            XCTAssertEqual(try Image.load(path: path("out/\(name).png")).pixels, try Image.load(path: path("\(name)-alone.png")).pixels, name)
        }
    }

    /// `--skip-existing` leaves every finished output as it was, byte for byte and in time.
    func testSkipExistingRewritesNothing() throws {
        XCTAssertEqual(try NSTProcess.run(arguments(["in"]), in: folder).status, 0)
        func state() throws -> [String: (Data, Date)] {
            var result: [String: (Data, Date)] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: path("out")) {
                let attributes = try FileManager.default.attributesOfItem(atPath: path("out/\(name)"))
                result[name] = (try Data(contentsOf: URL(fileURLWithPath: path("out/\(name)"))), attributes[.modificationDate] as? Date ?? .distantPast)
            }
            return result
        }
        let before = try state()
        XCTAssertEqual(before.keys.sorted(), names.map { "\($0).png" })
        let again = try NSTProcess.run(arguments(["in"], ["--skip-existing"]).filter { $0 != "--quiet" }, in: folder)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("nst: batch: 0 written, 4 skipped, 0 failed"), again.stderr)
        let after = try state()
        XCTAssertEqual(after.keys.sorted(), before.keys.sorted())
        for (name, (data, date)) in before {
            XCTAssertEqual(after[name]?.0, data, name)
            XCTAssertEqual(after[name]?.1, date, name)
        }
    }

    /// A bad content in the middle fails alone: the others are written, the summary counts
    /// it, its error names it, and the status is 1.
    func testBadContentFailsAlone() throws {
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: path("in/b.png")))
        let result = try NSTProcess.run(arguments(["in"]), in: folder)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("--content 'in/b.png'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("nst: batch: 3 written, 0 skipped, 1 failed"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(), ["a.png", "c.png", "d.png"])
    }

    /// Shards 1/2 and 2/2 split the sorted list exactly (every other content); `auto` reads
    /// Slurm's array variables.
    func testShardsSplitTheContentsExactly() throws {
        let first = try NSTProcess.run(arguments(["in/*.png"], ["--shard", "1/2"]), in: folder)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(), ["a.png", "c.png"])
        var environment = TestCache.environment()
        environment["SLURM_ARRAY_TASK_ID"] = "5"
        environment["SLURM_ARRAY_TASK_MIN"] = "4"
        environment["SLURM_ARRAY_TASK_MAX"] = "5"
        let second = try NSTProcess.run(arguments(["in"], ["--shard", "auto"]), in: folder, environment: environment)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(), names.map { "\($0).png" })
        XCTAssertEqual(try Shard(parsing: "auto", environment: ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3"]).of(Array(0..<7)), [0, 3, 6])
        XCTAssertEqual(try Shard(parsing: "3/3").of(Array(0..<7)), [2, 5])
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            XCTAssertThrowsError(try Shard(parsing: bad)) { XCTAssertTrue("\($0)".hasPrefix("--shard:"), "\($0)") }
        }
        XCTAssertThrowsError(try Shard(parsing: "auto", environment: [:])) { XCTAssertTrue("\($0)".contains("SLURM_ARRAY_TASK_ID"), "\($0)") }
    }

    /// Several contents need an output per content: `{name}` or an existing folder; two
    /// contents of one name are refused before any work; a pattern must match.
    func testSeveralContentsNeedOutputsOfTheirOwn() throws {
        try expectFailure(arguments(["in"], output: "out.png"), mentions: ["--output: names one file for 4 contents", "{name}"])
        try expectFailure(arguments(["in"], ["--loss-log", "log.csv"]), mentions: ["--loss-log: names one file for 4 contents"])
        try FileManager.default.createDirectory(atPath: path("other"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path("in/a.png"), toPath: path("other/a.png"))
        try expectFailure(arguments(["in/a.png", "other/a.png"]), mentions: ["--content", "other/a.png", "would collide"])
        try expectFailure(arguments(["in/*.jpg"]), mentions: ["--content 'in/*.jpg': matches no file"])
    }
}
