// TransferPipelineTests: the run's stages driven on images in memory with a sink in memory, against the engine run directly.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTImages
@testable import NSTMethod
@testable import StyleTransfer
import XCTest

/// An output sink that keeps what it is handed.
final class MemorySink: OutputSink {
    var snapshots: [(iteration: Int, stage: TransferStage?, image: Image)] = []
    var result: Image?
    var log: LossLog?

    func snapshot(_ image: Image, iteration: Int, stage: TransferStage?, log: LossLog) throws {
        snapshots.append((iteration, stage, image))
    }

    func diverged(log: LossLog, lastGood: Image?, iteration: Int, stage: TransferStage?) throws -> String { "" }

    func finish(_ image: Image, log: LossLog) throws {
        result = image
        self.log = log
    }
}

final class TransferPipelineTests: XCTestCase {
    /// One stage, no file: the pipeline's log and result are those of the engine run on the
    /// same images (bit for bit: the same ops in the same order).
    func testOneStageEqualsTheEngine() throws {
        var problem = try TinyProblem()
        // The images' own sizes (16x14 and 20x16): nothing is resampled.
        problem.options.size = 16
        problem.options.styleScale = 1.25
        let plan = try TransferPlan(problem.options, styleCount: 1)
        let sink = MemorySink()
        let inputs = try RunInputs(plan: plan, content: problem.content, styles: [problem.style])
        let log = try TransferPipeline(plan: plan, weights: .builtIn(depth: 7), inputs: inputs, sizes: try StageSizes.all(plan, inputs),
                                       devices: [problem.device], sink: sink).run(stop: nil)
        let engine = try problem.engine()
        let expected = try problem.run(engine)
        XCTAssertEqual(expected.count, 6)
        XCTAssertTrue(log.rows.map(\.losses) == expected, "losses")
        XCTAssertTrue(sink.log?.rows.map(\.losses) == expected, "the sink's log")
        XCTAssertTrue(sink.result?.pixels == (try engine.currentImage().pixels), "result")
        XCTAssertTrue(sink.snapshots.isEmpty)
    }

    /// Two stages with snapshots: sizes are worked out once per stage, each stage starts from
    /// the last result resized, every snapshot names its stage, and the log holds both stages.
    func testStagesAndSnapshotsGoToTheSink() throws {
        var problem = try TinyProblem(size: 32)
        problem.options.size = 32
        problem.options.large.startSize = 16
        problem.options.large.stageIterations = [2, 3]
        problem.options.saveEvery = 1
        let plan = try TransferPlan(problem.options, styleCount: 1)
        let inputs = try RunInputs(plan: plan, content: problem.content, styles: [problem.style])
        let sizes = try StageSizes.all(plan, inputs)
        XCTAssertEqual(sizes.map(\.content), [ImageSize(height: 15, width: 16), ImageSize(height: 30, width: 32)])
        XCTAssertEqual(sizes.map(\.styleSide), [16, 32])
        let sink = MemorySink()
        let log = try TransferPipeline(plan: plan, weights: .builtIn(depth: 7), inputs: inputs, sizes: sizes,
                                       devices: [problem.device], sink: sink).run(stop: nil)
        XCTAssertEqual(log.rows.map(\.scale), [16, 16, 16, 32, 32, 32, 32])
        // Every iteration but the very last one is a snapshot (the last is the result).
        XCTAssertEqual(sink.snapshots.map(\.iteration), [1, 2, 1, 2])
        XCTAssertEqual(sink.snapshots.map { $0.stage?.size }, [16, 16, 32, 32])
        XCTAssertEqual(sink.snapshots.map(\.image.width), [16, 16, 32, 32])
        XCTAssertEqual(sink.result.map { [$0.width, $0.height] }, [32, 30])
    }
}
