// MPICLITests: `nst transfer --distributed mpi` under a real `mpirun` (Open MPI, oversubscribed, loopback only): one image's tiles over 2 and 3 ranks equal the single process, a batch over 2 ranks equals its single runs, a killed rank ends the job.
import Foundation
@testable import NSTCore
@testable import StyleTransfer
import XCTest

final class MPICLITests: ScratchFolderTestCase {
    /// The environment mpirun runs in: as root if the tests are, processes oversubscribed on
    /// this machine's cores, and every byte on loopback (no other interface is touched).
    private static let mpiEnvironment = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,tcp "
        + "OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_rmaps_base_oversubscribe=1"

    override func setUpWithError() throws {
        try super.setUpWithError()
        // Open MPI's launcher (Debian: openmpi-bin; .ci/run installs it, so CI never skips).
        let probe = try NSTShell.run("command -v mpirun", in: folder)
        guard probe.status == 0 else {
            let reason = "mpirun was not found (install Open MPI: openmpi-bin)"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI is set but \(reason)"); throw XCTSkip(reason) }
            print("skipping MPI test: \(reason)")
            throw XCTSkip(reason)
        }
        var data = TestData(seed: 31)
        try FileManager.default.createDirectory(atPath: path("in"), withIntermediateDirectories: true)
        for name in ["a", "b", "c"] {
            try Image(width: 40, height: 32, pixels: data.uniform(3 * 40 * 32, 0, 1)).writePNG(to: path("in/\(name).png"))
        }
        try Image(width: 24, height: 24, pixels: data.uniform(3 * 24 * 24, 0, 1)).writePNG(to: path("style.png"))
    }

    private let common = "--style style.png --size 40 --iterations 3 --tile 16 --content-layers relu2_1 --style-layers relu1_1,relu2_1 --device cpu --quiet"

    /// `mpirun -np ranks nst ...` (at most 120 s).
    private func mpirun(_ ranks: Int, _ arguments: String) throws -> NSTResult {
        try NSTShell.run("\(Self.mpiEnvironment) timeout 120 mpirun -np \(ranks) \"$NST\" \(arguments)", in: folder)
    }

    /// The loss log's values (all columns but the seconds).
    private func values(_ file: String) throws -> [Double] {
        try String(contentsOfFile: path(file), encoding: .utf8).split(separator: "\n").dropFirst().flatMap { line in
            line.split(separator: ",").enumerated().filter { $0.offset != 5 }.compactMap { Double($0.element) }
        }
    }

    private func assertSameLog(_ actual: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try values(actual), e = try values(expected)
        XCTAssertEqual(a.count, e.count, file: file, line: line)
        XCTAssertGreaterThan(e.count, 0, file: file, line: line)
        for (x, y) in zip(a, e) { XCTAssertEqual(x, y, accuracy: 1e-5 * max(abs(y), 1e-30), "\(actual)", file: file, line: line) }
    }

    /// One image's tiles over 2 and 3 ranks: the loss log of the single-process tiled run
    /// (1e-5; the tiles' results are combined in the grid's order, so in practice equal).
    func testTilesOverTwoAndThreeRanksEqualOneProcess() throws {
        let single = try NSTShell.run("\"$NST\" transfer --content in/a.png \(common) --output one.png --loss-log one.csv", in: folder)
        XCTAssertEqual(single.status, 0, single.stderr)
        for ranks in [2, 3] {
            let result = try mpirun(ranks, "transfer --content in/a.png \(common) --output mpi\(ranks).png --loss-log mpi\(ranks).csv --distributed mpi")
            XCTAssertEqual(result.status, 0, result.stderr)
            try assertSameLog("mpi\(ranks).csv", "one.csv")
            XCTAssertEqual(try Image.load(path: path("mpi\(ranks).png")).pixels.count, try Image.load(path: path("one.png")).pixels.count)
        }
    }

    /// A batch over 2 ranks: each rank runs its share; every output equals its single run.
    /// The W2 loss over 2 ranks: its augmented statistics travel as the Grams do.
    func testW2TilesOverTwoRanksEqualOneProcess() throws {
        let w2 = common + " --style-loss w2"
        let single = try NSTShell.run("\"$NST\" transfer --content in/a.png \(w2) --output one.png --loss-log one.csv", in: folder)
        XCTAssertEqual(single.status, 0, single.stderr)
        let result = try mpirun(2, "transfer --content in/a.png \(w2) --output mpi.png --loss-log mpi.csv --distributed mpi")
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertSameLog("mpi.csv", "one.csv")
    }

    func testBatchOverTwoRanksEqualsTheSingleRuns() throws {
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        let result = try mpirun(2, "transfer --content in \(common) --output 'out/{name}.png' --loss-log 'out/{name}.csv' --distributed mpi")
        XCTAssertEqual(result.status, 0, result.stderr)
        for name in ["a", "b", "c"] {
            let single = try NSTShell.run("\"$NST\" transfer --content in/\(name).png \(common) --output \(name).png --loss-log \(name).csv", in: folder)
            XCTAssertEqual(single.status, 0, single.stderr)
            try assertSameLog("out/\(name).csv", "\(name).csv")
        }
    }

    /// A rank killed part-way ends the whole job with a non-zero status, quickly, not a hang.
    func testKilledRankEndsTheJob() throws {
        // Adam never stalls, so the run would go on for minutes; the ranks are the processes
        // whose command line starts with nst's path (not mpirun's, timeout's or this shell's).
        let long = common.replacingOccurrences(of: "--iterations 3", with: "--iterations 100000 --optimizer adam")
        let ranks = "pgrep -f \"^$NST transfer .*k.png\""
        let script = "(\(Self.mpiEnvironment) timeout 120 mpirun -np 2 \"$NST\" transfer --content in/a.png \(long) --output k.png --distributed mpi; echo \"status $?\" > status.txt) & "
            + "for i in $(seq 1 300); do [ \"$(\(ranks) | wc -l)\" -ge 2 ] && break; sleep 0.1; done; sleep 3; "
            + "kill -9 $(\(ranks) | sort -n | tail -1); start=$(date +%s); wait; echo \"took $(( $(date +%s) - start ))\""
        let result = try NSTShell.run(script, in: folder)
        let status = try String(contentsOfFile: path("status.txt"), encoding: .utf8)
        XCTAssertTrue(status.hasPrefix("status "), status)
        XCTAssertNotEqual(status.trimmingCharacters(in: .whitespacesAndNewlines), "status 0", result.stderr)
        let took = Int(result.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 999
        XCTAssertLessThanOrEqual(took, 30, result.stdout)
    }

    /// Without mpirun the run is a job of one rank (Open MPI's singleton start), which computes
    /// every tile itself; a bad transport name and a single content without tiles are one line each.
    func testSingletonAndBadUse() throws {
        let single = try NSTShell.run("\(Self.mpiEnvironment) \"$NST\" transfer --content in/a.png \(common) --output s.png --loss-log s.csv --distributed mpi", in: folder)
        XCTAssertEqual(single.status, 0, single.stderr)
        try expectFailure(["transfer", "--content", "in/a.png", "--style", "style.png", "--output", "x.png", "--distributed", "tcp"],
                          mentions: ["--distributed", "mpi"])
    }
}
