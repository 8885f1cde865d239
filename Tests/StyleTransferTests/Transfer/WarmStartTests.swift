// WarmStartTests: coarse-to-fine stages: Adam's moments and step count carried (resized on the host), L-BFGS's history dropped, --average restarted per stage and logged; against engines run stage by stage.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTImages
@testable import NSTMethod
@testable import StyleTransfer
import XCTest

/// A two-stage run (16 then 32 pixels) on a tiny problem, through the pipeline and by hand.
private struct TwoStages {
    var problem: TinyProblem
    let weights = VGGWeights.builtIn(depth: 7)

    init(_ optimizer: OptimizerKind, iterations: [Int] = [3, 2], average: Double? = nil) throws {
        problem = try TinyProblem(size: 32)
        problem.options.size = 32
        problem.options.large.startSize = 16
        problem.options.large.stageIterations = iterations
        problem.options.optimizer = optimizer
        problem.options.averageDecay = average
    }

    var plan: TransferPlan { get throws { try TransferPlan(problem.options, styleCount: 1) } }
    var inputs: RunInputs { get throws { try RunInputs(plan: plan, content: problem.content, styles: [problem.style]) } }

    /// The pipeline's run, into a sink in memory.
    func pipeline() throws -> MemorySink {
        let plan = try plan, inputs = try inputs
        let sink = MemorySink()
        _ = try TransferPipeline(plan: plan, weights: weights, inputs: inputs, sizes: try StageSizes.all(plan, inputs),
                                 devices: [problem.device], sink: sink).run(stop: nil)
        return sink
    }

    /// Stage `s`'s engine made as the pipeline makes it (images resized the same way), from
    /// `initial` and `warmStart`, each given by the test.
    func engine(_ s: Int, initial: Image?, warmStart: AdamState?) throws -> TransferEngine {
        let plan = try plan, inputs = try inputs
        let sized = try StageSizes.all(plan, inputs)[s]
        let content = try inputs.content.resized(longSide: sized.stage.size)
        let styles = try inputs.styles.map { try $0.resized(longSide: sized.styleSide) }
        return try TransferEngine(device: problem.device, plan: plan, weights: weights, content: content, styles: styles,
                                  initial: initial?.resized(width: content.width, height: content.height), keepLastGood: false,
                                  stage: sized.stage, layout: nil, workers: [], masks: nil,
                                  cache: EngineCache(sharesStyleTargets: false), warmStart: warmStart)
    }
}

final class WarmStartTests: XCTestCase {
    /// The second stage's Adam starts from the first's moments resized on the host (the
    /// first bicubic, the second bilinear, clamped at zero; checked against the direct Double
    /// evaluation of InterpolationTests) and its step count; the pipeline's result is that of
    /// engines run so, and differs from a cold start and from a warm start with the count reset.
    func testAdamCarriesItsResizedMomentsAndStepCount() throws {
        let run = try TwoStages(.adam)
        let result = try XCTUnwrap(run.pipeline().result)

        let first = try run.engine(0, initial: nil, warmStart: nil)
        try first.run { _, _, _ in }
        let state = try XCTUnwrap(first.carriedState())
        XCTAssertEqual(state.step, 3)
        XCTAssertEqual(state.shape, Shape(3, 15, 16))
        let second = try run.engine(1, initial: try first.resultImage(), warmStart: state)
        let started = try XCTUnwrap(second.carriedState())
        XCTAssertEqual(started.shape, Shape(3, 30, 32))
        XCTAssertEqual(started.step, 3, "the step count goes on")
        let m = InterpolationTests.reference(state.m, planes: 3, height: 15, width: 16, toHeight: 30, toWidth: 32, bicubic: true)
        let v = InterpolationTests.reference(state.v, planes: 3, height: 15, width: 16, toHeight: 30, toWidth: 32, bicubic: false)
        assertClose(started.m, m, abs: 1e-9, rel: 1e-5, "first moment, bicubic")
        assertClose(started.v, v.map { max($0, 0) }, abs: 1e-12, rel: 1e-5, "second moment, bilinear")
        // The check tells the kernels apart: the first moment resized bilinearly would fail.
        let bilinearM = InterpolationTests.reference(state.m, planes: 3, height: 15, width: 16, toHeight: 30, toWidth: 32, bicubic: false)
        XCTAssertGreaterThan(worstMismatch(started.m, bilinearM, abs: 1e-9, rel: 1e-5)?.ratio ?? 0, 10)

        try second.run { _, _, _ in }
        XCTAssertEqual(try second.carriedState()?.step, 5)
        XCTAssertEqual(result.pixels, try second.resultImage().pixels, "the pipeline's result is the warm-started engine's")

        for (name, warm) in [("a cold start", nil), ("the step count reset", AdamState(shape: state.shape, m: state.m, v: state.v, step: 0))] {
            let other = try run.engine(1, initial: try first.resultImage(), warmStart: warm)
            try other.run { _, _, _ in }
            let worst = worstMismatch(result.pixels, try other.resultImage().pixels, abs: 1e-6, rel: 1e-5)
            XCTAssertGreaterThan(worst?.ratio ?? 0, 10, "\(name) would differ")
        }
    }

    /// A warm-started Adam's first step uses the carried count in its bias corrections: the
    /// step on the host with t = 8 matches; with t = 1 (the count reset) it would not.
    func testTheFirstWarmStepUsesTheCarriedCount() throws {
        let device = CPUDevice()
        var data = TestData(seed: 11)
        let small = Shape(3, 4, 5), shape = Shape(3, 7, 9)
        let m0 = data.uniform(small.count, -1, 1)
        var v0 = data.uniform(small.count, 0.5, 2)
        v0[3] = -5  // not a possible second moment: shows the clamp at zero
        let adam = try Adam(device: device, shape: shape, learningRate: 0.02, beta2: 0.99)
        try adam.warmStart(from: AdamState(shape: small, m: m0, v: v0, step: 7))
        let carried = try adam.state()
        XCTAssertTrue(carried.v.contains(0), "the negative value was clamped")
        XCTAssertTrue(carried.v.allSatisfy { $0 >= 0 })

        let objective = Quadratic(device: device, count: shape.count)
        let start = data.uniform(shape.count, 0, 1)
        let x = try device.makeTensor(shape), g = try device.makeTensor(shape)
        try device.upload(start, to: x)
        let losses = try objective.evaluate(x, gradient: g)
        let gradient = try device.download(g)
        _ = try adam.step(x: x, gradient: g, current: losses, objective: objective)
        XCTAssertEqual(adam.stepNumber, 8)
        func hostStep(t: Double) -> [Double] {
            (0..<shape.count).map { i in
                let (b1, b2, gi) = (0.9, 0.99, Double(gradient[i]))
                let m = b1 * Double(carried.m[i]) + (1 - b1) * gi, v = b2 * Double(carried.v[i]) + (1 - b2) * gi * gi
                return Double(start[i]) - 0.02 * (m / (1 - pow(b1, t))) / ((v / (1 - pow(b2, t))).squareRoot() + 1e-8)
            }
        }
        let moved = try device.download(x)
        assertClose(moved, hostStep(t: 8), abs: 1e-6, rel: 1e-5, "t = 8")
        XCTAssertGreaterThan(worstMismatch(moved, hostStep(t: 1), abs: 1e-6, rel: 1e-5)?.ratio ?? 0, 10, "t = 1 would fail")
    }

    /// L-BFGS carries nothing: the second stage is a fresh engine's run from the first's result.
    func testLBFGSStartsEachStageAfresh() throws {
        let run = try TwoStages(.lbfgs)
        let result = try XCTUnwrap(run.pipeline().result)
        let first = try run.engine(0, initial: nil, warmStart: nil)
        try first.run { _, _, _ in }
        XCTAssertNil(try first.carriedState())
        let second = try run.engine(1, initial: try first.resultImage(), warmStart: nil)
        try second.run { _, _, _ in }
        XCTAssertEqual(result.pixels, try second.resultImage().pixels)
    }

    /// With --average each stage averages its own images from its start (the first image of
    /// the second stage's average is its start, the resized average of the first), the next
    /// stage starts from the average, the snapshots and result are averages, and the log's
    /// `average` column holds J at each stage's average on its last row only.
    func testAverageRestartsAtEachStageAndIsLogged() throws {
        var run = try TwoStages(.adam, average: 0.8)
        run.problem.options.saveEvery = 1
        let sink = try run.pipeline()
        var snapshots: [[Float]] = []
        let first = try run.engine(0, initial: nil, warmStart: nil)
        try first.run { k, _, _ in if k > 0 { snapshots.append(try first.resultImage().pixels) } }
        let start = try first.resultImage().resized(width: 32, height: 30)
        let second = try run.engine(1, initial: start, warmStart: try first.carriedState())
        try second.run { k, _, _ in
            if k == 0 { XCTAssertEqual(try second.resultImage().pixels, start.pixels, "restarted at the stage's start") }
            if k > 0 { snapshots.append(try second.resultImage().pixels) }
        }
        XCTAssertEqual(sink.result?.pixels, try second.resultImage().pixels)
        XCTAssertNotEqual(sink.result?.pixels, try second.currentImage().pixels)
        // Every iteration but the last of the last stage is a snapshot.
        XCTAssertEqual(sink.snapshots.map(\.image.pixels), Array(snapshots.dropLast()))

        let log = try XCTUnwrap(sink.log)
        let averages = log.rows.map(\.average)
        XCTAssertEqual(averages.map { $0 != nil }, [false, false, false, true, false, false, true])
        XCTAssertEqual(averages[3], try first.averageLosses()?.total)
        XCTAssertEqual(averages[6], try second.averageLosses()?.total)
        let lines = log.csv.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], "iteration,total,content,style,tv,seconds,scale,average")
        XCTAssertTrue(lines[1].hasSuffix(",16,"), String(lines[1]))
        XCTAssertTrue(lines[4].hasSuffix(",16," + LossLog.format(averages[3]!)), String(lines[4]))
        // nst video's rows end the same way.
        XCTAssertEqual(LossLog.videoHeader(averageColumn: true), LossLog.videoHeader + ",average")
        let video = log.videoRows(frame: 2)
        XCTAssertTrue(video[3].hasPrefix("2,3,") && video[3].hasSuffix(",16," + LossLog.format(averages[3]!)), video[3])
        XCTAssertTrue(video[2].hasSuffix(",16,"), video[2])
        // The plot reads the empty fields as missing values.
        let table = try LossTable(csv: log.csv, source: "log.csv")
        XCTAssertEqual(table.column("average")?.map(\.isNaN), averages.map { $0 == nil })
    }

    /// beta2 comes from the plan (0.999 unless given), reaches Adam's update, and is checked.
    func testBeta2FromThePlan() throws {
        var problem = try TinyProblem(size: 16)
        problem.options.optimizer = .adam
        problem.options.iterations = 2
        XCTAssertEqual(try TransferPlan(problem.options).adamBeta2, 0.999)
        problem.options.adamBeta2 = 0.99
        XCTAssertEqual(try TransferPlan(problem.options).adamBeta2, 0.99)
        // A beta2 far from the default, and two steps, so that it shows (after one step the
        // corrected second moment is g^2 whatever beta2 is).
        problem.options.adamBeta2 = 0.5
        let engine = try problem.engine()
        var xs: [[Float]] = [], gs: [[Float]] = []
        try engine.run { _, _, _ in
            xs.append(try engine.currentImage().pixels)
            gs.append(try problem.device.download(engine.gradient))
        }
        /// The second step, x_2 - x_1, on the host.
        func hostSecondStep(beta2 b2: Double) -> [Double] {
            let (b1, lr) = (0.9, 0.02)
            return xs[1].indices.map { i in
                let (g0, g1) = (Double(gs[0][i]), Double(gs[1][i]))
                let m = b1 * (1 - b1) * g0 + (1 - b1) * g1, v = b2 * (1 - b2) * g0 * g0 + (1 - b2) * g1 * g1
                return -lr * (m / (1 - b1 * b1)) / ((v / (1 - b2 * b2)).squareRoot() + 1e-8)
            }
        }
        let step = zip(xs[2], xs[1]).map { Double($0) - Double($1) }
        assertClose(step, hostSecondStep(beta2: 0.5), abs: 1e-7, rel: 1e-4, "beta2 0.5")
        XCTAssertGreaterThan(worstMismatch(step, hostSecondStep(beta2: 0.999), abs: 1e-7, rel: 1e-4)?.ratio ?? 0, 10)
        for bad in [1, -0.1, .nan, .infinity] {
            problem.options.adamBeta2 = bad
            XCTAssertThrowsError(try TransferPlan(problem.options)) { error in
                XCTAssertTrue("\(error)".hasPrefix("--optimizer: adam's beta2"), "\(error)")
            }
        }
    }

    /// The memory estimates count the average (one image-sized tensor beside the image) and,
    /// for Adam over several stages, the host arrays of the warm start (3 images).
    func testMemoryCountsTheAverageAndTheWarmStart() throws {
        var run = try TwoStages(.adam)
        let image = 4 * 3 * 30 * 32
        func estimate() throws -> (whole: MemoryEstimate, tiled: TiledMemory) {
            let plan = try run.plan
            return (MemoryEstimate(plan: plan, height: 30, width: 32, styleSizes: [(32, 40)], keepLastGood: false, device: nil),
                    TiledMemory(plan: plan, size: ImageSize(height: 30, width: 32), styleSizes: [ImageSize(height: 32, width: 40)],
                                tileSide: 16, history: 1, keepLastGood: false))
        }
        let plain = try estimate()
        run.problem.options.averageDecay = 0.99
        let averaged = try estimate()
        XCTAssertEqual(averaged.whole.transferPhase - plain.whole.transferPhase, image)
        XCTAssertEqual(averaged.tiled.home - plain.tiled.home, image)
        run.problem.options.large.startSize = nil
        run.problem.options.large.stageIterations = nil
        let oneStage = try estimate()
        XCTAssertEqual(averaged.whole.host - oneStage.whole.host, 3 * image)
        XCTAssertEqual(averaged.tiled.host - oneStage.tiled.host, 3 * image)
    }
}
