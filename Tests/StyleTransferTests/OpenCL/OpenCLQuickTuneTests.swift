// OpenCLQuickTuneTests: the automatic tune's short search: what it gives a device still matches the CPU backend, its deadline holds, and AutoTune.prepare stores once and warns on a file it cannot write.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class OpenCLQuickTuneTests: XCTestCase {
    /// The search from the defaults at 32x32 (the tiny problem's layers) gives a valid tuning
    /// with every step finished, and a device opened with it runs the 16-pixel Adam problem
    /// as the CPU backend does, to the tolerances `TransferBackendTests` holds the untuned
    /// device to (row 0 to 1e-4, three steps later to 1e-2).
    func testQuickTuneFromTheDefaultsMatchesCPU() throws {
        let info = try OpenCLTestDevice.get().info
        let outcome = try OpenCLTuner().quickTune(info: info, start: nil, size: 32, depth: 7, styleLayers: [1, 6], budgetSeconds: 20)
        XCTAssertTrue(outcome.complete, outcome.steps.joined(separator: ", "))
        XCTAssertEqual(outcome.steps.count, 2, "the engine step and the Winograd step")
        XCTAssertNoThrow(try outcome.tuning.validate(for: info))
        print("quick tune from the defaults at 32x32 on \(info.name): \(outcome.steps.joined(separator: ", ")) in \(outcome.seconds) s")

        let tuned = try OpenCLDevice(info: info, cacheDirectory: TestCache.folder, tuning: .given(outcome.tuning))
        tuned.applyCLBlastTuning()
        XCTAssertEqual(tuned.winogradMinChannels, outcome.tuning.winogradMinChannels)
        let (rows, cpuRows) = try TinyProblem.adamRows(on: tuned)
        XCTAssertEqual(rows.count, 4)
        for (name, a, b) in [("total", rows[0].total, cpuRows[0].total), ("style", rows[0].style, cpuRows[0].style),
                             ("tv", rows[0].tv, cpuRows[0].tv)] {
            assertClose(a, b, abs: 1e-12, rel: 1e-4, "row 0 \(name), OpenCL after the quick tune vs CPU")
        }
        assertClose(rows[0].gradientSquaredNorm, cpuRows[0].gradientSquaredNorm, abs: 0, rel: 2e-3, "row 0 |dJ/dx|^2")
        let last = try XCTUnwrap(rows.last), cpuLast = try XCTUnwrap(cpuRows.last)
        XCTAssertLessThan(last.total, rows[0].total)
        assertClose(last.total, cpuLast.total, abs: 0, rel: 1e-2, "after 3 Adam steps")
    }

    /// With no time at all (no budget, or no wall-clock time in all) every step keeps the
    /// start's choice and says why; the result is the start's settings (with the search's notes).
    func testSpentBudgetKeepsTheStart() throws {
        let info = try OpenCLTestDevice.get().info
        let start = OpenCLTuning(info: info, gemmEngine: .clblast, winogradMinChannels: 64, winogradTile: .f4x4)
        for (budget, wall) in [(0.0, nil), (100, 0.0)] as [(Double, Double?)] {
            let outcome = try OpenCLTuner().quickTune(info: info, start: start, size: 32, depth: 7, styleLayers: [1, 6],
                                                      budgetSeconds: budget, wallSeconds: wall)
            XCTAssertFalse(outcome.complete)
            XCTAssertEqual(outcome.steps, ["GEMM engine kept: out of time", "Winograd F(4x4) from 64 channels kept: out of time"])
            var expected = start
            expected.notes = outcome.tuning.notes
            XCTAssertEqual(outcome.tuning, expected)
            XCTAssertEqual(outcome.tuning.notes["autotuneComplete"], 0)
        }
    }

    /// `AutoTune.prepare` tunes a device without a file and stores it (two lines), then
    /// finds the file and says nothing; a file it cannot write gives the search's result
    /// for this run (`given`) and a warning.
    func testPrepareStoresOnceAndWarnsWhenItCannotWrite() throws {
        let info = try OpenCLTestDevice.get().info
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nst-autotune-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let lines = LockedLines()
        let autotune = AutoTune(size: 32, depth: 7, styleLayers: [1, 6], budgetSeconds: 5, environment: ["NST_CACHE_DIR": root.path],
                                say: { lines.append($0) })
        guard case .storedIn(let first, _) = autotune.prepare(info) else { return XCTFail("a stored tuning") }
        XCTAssertEqual(first, root)
        XCTAssertEqual(lines.take().count, 2)
        let url = OpenCLTuning.url(in: root, for: info)
        XCTAssertNotNil(OpenCLTuning.load(from: url, for: info))
        XCTAssertEqual(OpenCLDevice.tuning(for: info, source: .storedIn(root: root)).origin, .file(path: url.path))
        guard case .storedIn = autotune.prepare(info) else { return XCTFail("the stored tuning again") }
        XCTAssertEqual(lines.take(), [], "nothing to do with a file present")

        try FileManager.default.removeItem(at: url.deletingLastPathComponent())
        try Data().write(to: url.deletingLastPathComponent())
        guard case .given(let tuning) = autotune.prepare(info) else { return XCTFail("the search's result for this run") }
        XCTAssertNoThrow(try tuning.validate(for: info))
        let said = lines.take()
        XCTAssertEqual(said.count, 3, "\(said)")
        XCTAssertTrue(said.last?.hasPrefix("nst: warning: could not write the OpenCL tuning file") == true, "\(said)")
    }

    /// `NST_AUTOTUNE` takes 0 and 1 (unset or empty: on); `NST_AUTOTUNE_SECONDS` a number
    /// above 0 and at most 20; `--no-autotune` (`TransferOptions.autotune`) turns it off.
    func testSwitchesAndBudget() throws {
        var options = TransferOptions(contentPath: "c.png", stylePaths: ["s.png"], outputPath: "o.png")
        options.size = 96
        let on = try XCTUnwrap(try AutoTune(for: options, environment: [:]))
        XCTAssertEqual(on.size, 96)
        XCTAssertEqual(on.budgetSeconds, AutoTune.defaultBudgetSeconds)
        XCTAssertEqual(on.styleLayers, try TransferPlan(options, styleCount: 1).style.indices)
        XCTAssertNotNil(try AutoTune(for: options, environment: ["NST_AUTOTUNE": "1"]))
        XCTAssertNil(try AutoTune(for: options, environment: ["NST_AUTOTUNE": "0"]))
        XCTAssertEqual(try AutoTune(for: options, environment: ["NST_AUTOTUNE_SECONDS": "2.5"])?.budgetSeconds, 2.5)
        for bad in [["NST_AUTOTUNE": "off"], ["NST_AUTOTUNE_SECONDS": "20.5"], ["NST_AUTOTUNE_SECONDS": "-1"], ["NST_AUTOTUNE_SECONDS": "x"]] {
            XCTAssertThrowsError(try AutoTune(for: options, environment: bad), "\(bad)")
        }
        XCTAssertEqual(AutoTune(size: 32, depth: 7, styleLayers: [], budgetSeconds: 99).budgetSeconds, AutoTune.maxBudgetSeconds)
        options.autotune = false
        XCTAssertNil(try AutoTune(for: options, environment: ["NST_AUTOTUNE": "1"]))
    }
}

/// Lines collected from a `@Sendable` closure.
private final class LockedLines: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLock()

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    /// The lines so far, emptying the list.
    func take() -> [String] {
        lock.withLock {
            defer { lines = [] }
            return lines
        }
    }
}
