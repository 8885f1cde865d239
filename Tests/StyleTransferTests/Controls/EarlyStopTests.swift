// EarlyStopTests: --tolerance stops when J stalls over the window and not while it improves, in the rule, the engine and the CLI.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class EarlyStopTests: XCTestCase {
    func testRuleStopsOnlyWhenTheWindowImprovesTooLittle() {
        // J falls 10% per iteration: over 3 iterations that is 27% > 5%, never a stop.
        var falling = EarlyStop(tolerance: 0.05, window: 3)
        XCTAssertFalse((0..<50).contains { falling.shouldStop(after: 100 * pow(0.9, Double($0))) })
        // Flat J stops as soon as a whole window is seen: after iteration 3 (the 4th value).
        var flat = EarlyStop(tolerance: 0.05, window: 3)
        XCTAssertEqual((0..<10).first { _ in flat.shouldStop(after: 7) }, 3)
        // 1% per iteration over a window of 3 is ~3%: below 5% stops, above 2% does not.
        var slow = EarlyStop(tolerance: 0.05, window: 3), slower = EarlyStop(tolerance: 0.02, window: 3)
        XCTAssertEqual((0..<10).first { slow.shouldStop(after: pow(0.99, Double($0))) }, 3)
        XCTAssertNil((0..<10).first { slower.shouldStop(after: pow(0.99, Double($0))) })
        // A rise counts as no improvement; negative J is measured against |J|.
        var rising = EarlyStop(tolerance: 0, window: 1)
        XCTAssertFalse(rising.shouldStop(after: 1))
        XCTAssertTrue(rising.shouldStop(after: 2))
        var negative = EarlyStop(tolerance: 0.1, window: 1)
        _ = negative.shouldStop(after: -10)
        XCTAssertFalse(negative.shouldStop(after: -12), "-10 to -12 is a 20% improvement")
    }

    /// On a real engine: a tolerance no run can meet stops after the first window, and
    /// tolerance 0 (J always decreases under L-BFGS's line search) runs every iteration.
    func testEngineStopsAfterTheWindowAndRunsOnWithoutATolerance() throws {
        var problem = try TinyProblem()
        problem.options.iterations = 8
        problem.options.controls.tolerance = 10
        problem.options.controls.toleranceWindow = 2
        var engine = try problem.engine()
        var rows = try problem.run(engine)
        XCTAssertEqual(engine.stoppedAt, 2)
        XCTAssertEqual(rows.count, 3, "iterations 0, 1, 2")
        problem.options.controls.tolerance = 0
        engine = try problem.engine()
        rows = try problem.run(engine)
        XCTAssertNil(engine.stoppedAt)
        XCTAssertEqual(rows.count, 9)
        XCTAssertTrue(zip(rows, rows.dropFirst()).allSatisfy { $1.total < $0.total }, "J decreased every iteration")
    }

    func testPlanRefusesBadTolerances() throws {
        var options = TransferOptions(contentPath: "c.png", stylePaths: ["s.png"], outputPath: "o.png")
        options.controls.tolerance = -1
        XCTAssertThrowsError(try TransferPlan(options)) { XCTAssertTrue("\($0)".hasPrefix("--tolerance: must be"), "\($0)") }
        options.controls.tolerance = .nan
        XCTAssertThrowsError(try TransferPlan(options)) { XCTAssertTrue("\($0)".hasPrefix("--tolerance:"), "\($0)") }
        options.controls.tolerance = 0.01
        options.controls.toleranceWindow = 0
        XCTAssertThrowsError(try TransferPlan(options)) { XCTAssertTrue("\($0)".hasPrefix("--tolerance-window:"), "\($0)") }
    }
}
