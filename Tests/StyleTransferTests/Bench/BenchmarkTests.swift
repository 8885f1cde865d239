// BenchmarkTests: the benchmark's work count against the convolutions' multiply-adds counted by hand, and a tiny profiled run.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class BenchmarkTests: XCTestCase {
    /// The convolutions to relu5_1 (forward and input gradient, 2 FLOP per multiply-add) come to about 95 GFLOP at 256x256 and 379 at 512x512.
    func testWorkCountMatchesDesignFigures() throws {
        let depth = try XCTUnwrap(VGG19.index(of: "relu5_1")) + 1
        XCTAssertEqual(Benchmark.gflopPerEvaluation(height: 256, width: 256, depth: depth), 95, accuracy: 0.5)
        XCTAssertEqual(Benchmark.gflopPerEvaluation(height: 512, width: 512, depth: depth), 379, accuracy: 1)
    }

    func testTinyRunReportsSharesOfEveryHotOp() throws {
        let result = try Benchmark.run(device: CPUDevice(), size: 16, evaluations: 2, warmup: 0, breakdown: true)
        XCTAssertEqual(result.samples.count, 2)
        XCTAssertGreaterThan(result.secondsPerEvaluation, 0)
        XCTAssertGreaterThan(result.peakResidentBytes, 0)
        XCTAssertEqual(result.breakdown.reduce(0) { $0 + $1.share }, 1, accuracy: 1e-9)
        let ops = Set(result.breakdown.map(\.op))
        for family in [OpFamily.convForward, .convInputGradient, .relu, .pooling, .gramStyle, .content, .tv, .normalize] {
            XCTAssertTrue(ops.contains(family.rawValue), "breakdown lacks \(family.rawValue): \(ops)")
        }
        XCTAssertThrowsError(try Benchmark.run(device: CPUDevice(), size: 8))
    }
}
