// TransferEngineTests: the loop's start modes, style blending, option checks and divergence; loss log, progress line, loop resources.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class TransferEngineTests: XCTestCase {
    func testInitContentStartsWithZeroContentLoss() throws {
        let problem = try TinyProblem()
        let engine = try problem.engine()
        XCTAssertEqual(try problem.device.download(engine.image), problem.content.pixels)
        let rows = try problem.run(engine)
        XCTAssertEqual(rows[0].content, 0)
        XCTAssertGreaterThan(rows[0].style, 0)
        XCTAssertGreaterThan(rows[0].tv, 0)
        assertClose(rows[0].total, 100 * rows[0].style + 5e-4 * rows[0].tv, abs: 0, rel: 1e-12, "J = beta Js + gamma Jtv")
    }

    func testInitRandomIsSeededUniformNoise() throws {
        var problem = try TinyProblem()
        problem.options.initMode = .random
        problem.options.seed = 42
        let a = try problem.device.download(problem.engine().image)
        XCTAssertEqual(a, TransferEngine.noise(count: a.count, seed: 42))
        XCTAssertTrue(a.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = a.reduce(0, +) / Float(a.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.05)
        XCTAssertEqual(try problem.device.download(problem.engine().image), a, "same seed, same start")
        problem.options.seed = 43
        XCTAssertNotEqual(try problem.device.download(problem.engine().image), a, "another seed")
        let rows = try problem.run(problem.engine())
        XCTAssertGreaterThan(rows[0].content, 0)
        XCTAssertLessThan(rows.last!.total, rows[0].total)
    }

    func testInitFileStartsFromThatImageAndMustMatchTheContentSize() throws {
        var problem = try TinyProblem()
        problem.options.initMode = .file("start.png")
        var data = TestData(seed: 9)
        let start = try Image(width: problem.content.width, height: problem.content.height,
                              pixels: data.uniform(problem.content.pixels.count, 0, 1))
        XCTAssertEqual(try problem.device.download(problem.engine(initial: start).image), start.pixels)
        let wrong = try Image(width: 3, height: 3, pixels: Array(repeating: 0.5, count: 27))
        // The pipeline resizes every start image; an engine handed another size refuses it.
        XCTAssertThrowsError(try problem.engine(initial: wrong)) { XCTAssertTrue("\($0)".contains("the initial image is 3x3, not the content's 16x14"), "\($0)") }
    }

    /// The blended target equals the Gram of one image when its weight is 1, and the
    /// blend of equal images is that image's Gram.
    func testStyleBlendCombinesTargetGrams() throws {
        let device = CPUDevice()
        let network = try VGGNetwork(device: device, weights: .builtIn(depth: 2), pooling: .max, depth: 2)
        let layers = try LayerWeights(names: ["relu1_1"], weights: nil, defaultWeight: 1)
        var data = TestData(seed: 2)
        let a = try device.tensor(Shape(3, 6, 7), data.uniform(126, 0, 1))
        let b = try device.tensor(Shape(3, 9, 5), data.uniform(135, 0, 1))
        let gramA = try device.download(StyleTargets.compute(network: network, images: [a], blend: [1], layers: layers)[0])
        let gramB = try device.download(StyleTargets.compute(network: network, images: [b], blend: [1], layers: layers)[0])
        let blend = try StyleTargets.normalizedBlend([3, 1], count: 2)
        XCTAssertEqual(blend, [0.75, 0.25])
        let mixed = try device.download(StyleTargets.compute(network: network, images: [a, b], blend: blend, layers: layers)[0])
        assertClose(mixed, zip(gramA, gramB).map { 0.75 * $0 + 0.25 * $1 }, abs: 1e-6, rel: 1e-5, "blended Gram")
        XCTAssertEqual(try StyleTargets.normalizedBlend(nil, count: 4), [0.25, 0.25, 0.25, 0.25])
        XCTAssertThrowsError(try StyleTargets.normalizedBlend([1], count: 2))
        XCTAssertThrowsError(try StyleTargets.normalizedBlend([0, 0], count: 2))
        XCTAssertThrowsError(try StyleTargets.normalizedBlend([1, -1], count: 2))
        // A blend weight per image, or an error (not silently dropped images).
        XCTAssertThrowsError(try StyleTargets.compute(network: network, images: [a, b], blend: [1], layers: layers)) {
            XCTAssertTrue("\($0)".contains("2 style images with 1 blend weights"), "\($0)")
        }
        XCTAssertThrowsError(try StyleTargets.compute(network: network, images: [], blend: [], layers: layers))
        // An objective needs one target per style layer (evaluate indexes them).
        let workspace = try VGGWorkspace(network: network, height: 6, width: 7, keepConvOutputs: [0])
        XCTAssertThrowsError(try TransferObjective(workspace: workspace, contentImage: a, content: layers, style: layers,
                                                   styleTargets: [], contentWeight: 1, styleWeight: 1, tvWeight: 0)) {
            XCTAssertTrue("\($0)".contains("0 style targets for 1 style layers"), "\($0)")
        }
    }

    func testStyleLayerWeightsDefaultToOneOverL() throws {
        let options = TransferOptions(contentPath: "c", stylePaths: ["s"], outputPath: "o.png")
        let plan = try TransferPlan(options)
        let (content, style, blend) = (plan.content, plan.style, plan.blend)
        XCTAssertEqual(content.indices, [22])
        XCTAssertEqual(content.weights, [1])
        XCTAssertEqual(style.indices, [1, 6, 11, 20, 29])
        XCTAssertEqual(style.weights, Array(repeating: 0.2, count: 5))
        XCTAssertEqual(blend, [1])
    }

    /// The backends' out-of-memory errors speak of images; the runner names the option.
    func testOutOfMemoryNamesTheSizeOption() {
        var options = TransferOptions()
        options.size = 4096
        let oom = DeviceError.outOfMemory(bytes: 1 << 30, device: "cpu", hint: "try a smaller image")
        XCTAssertEqual("\(TransferPipeline.naming(oom, size: options.size))",
                       "--size 4096: out of memory on cpu: could not allocate 1024.0 MiB; try a smaller image")
        let other = DeviceError.backend("x")
        XCTAssertEqual("\(TransferPipeline.naming(other, size: options.size))", "x")
    }

    func testOptionErrorsNameTheOption() {
        func message(_ change: (inout TransferOptions) -> Void) -> String {
            var options = TransferOptions(contentPath: "c", stylePaths: ["s"], outputPath: "o.png")
            change(&options)
            do { _ = try TransferPlan(options); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { $0.size = 0 }.hasPrefix("--size:"))
        XCTAssertTrue(message { $0.iterations = -1 }.hasPrefix("--iterations:"))
        XCTAssertTrue(message { $0.learningRate = 0 }.hasPrefix("--learning-rate:"))
        XCTAssertTrue(message { $0.styleWeight = -1 }.hasPrefix("--style-weight:"))
        XCTAssertTrue(message { $0.styleScale = 0 }.hasPrefix("--style-scale:"))
        // A scale whose style size does not fit Int is an error, not a trap.
        XCTAssertEqual(message { $0.styleScale = 1e30 }, "--style-scale: gives a style size of more than 16384 pixels; want 1 to 16384")
        XCTAssertEqual(message { $0.styleScale = 1e-30 }, "--style-scale: gives a style size of 0 pixels; want 1 to 16384")
        XCTAssertEqual(message { $0.contentLayers = ["relu9_9"] },
                       "--content-layers: unknown layer 'relu9_9' (want conv{b}_{i}, relu{b}_{i} or pool{b} of VGG-19, e.g. relu4_2)")
        XCTAssertTrue(message { $0.styleLayers = [] }.hasPrefix("--style-layers:"))
        XCTAssertTrue(message { $0.styleLayerWeights = [1, 2] }.hasPrefix("--style-layer-weights:"))
        XCTAssertTrue(message { $0.stylePaths = ["a", "b"]; $0.styleBlendWeights = [1] }.hasPrefix("--style-blend-weights:"))
        XCTAssertTrue(message { $0.saveEvery = -2 }.hasPrefix("--save-every:"))
        XCTAssertEqual(message { _ in }, "")
    }

    /// A learning rate far too large makes SGD overflow: the run stops with a clear error and
    /// the image is the last finite one.
    func testDivergenceStopsAndKeepsTheLastGoodImage() throws {
        var problem = try TinyProblem()
        problem.options.optimizer = .sgd
        problem.options.learningRate = 1e30
        problem.options.iterations = 10
        let engine = try problem.engine(keepLastGood: true)
        var reported: [Int] = []
        XCTAssertThrowsError(try engine.run { k, _, _ in reported.append(k) }) { error in
            XCTAssertTrue("\(error)".hasPrefix("loss became"), "\(error)")
            XCTAssertTrue("\(error)".contains("--learning-rate"), "\(error)")
        }
        XCTAssertFalse(reported.isEmpty)
        let pixels = try problem.device.download(engine.image)
        XCTAssertTrue(pixels.allSatisfy(\.isFinite))
    }

    func testLossLogFormat() throws {
        var log = LossLog()
        log.append(iteration: 0, losses: LossValues(total: 1234.56789012345, content: 0, style: 0.123456789012, tv: 1e-9), seconds: 0.5, scale: 64)
        log.append(iteration: 1, losses: LossValues(total: 2.0 / 3.0, content: 1e20, style: 3, tv: 4), seconds: 12.25, scale: 64)
        let lines = log.csv.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "iteration,total,content,style,tv,seconds,scale")
        XCTAssertEqual(lines[3], "")
        let fields = lines[1].split(separator: ",").map(String.init)
        XCTAssertEqual(fields.count, 7)
        XCTAssertEqual(fields[0], "0")
        XCTAssertEqual(fields[6], "64")
        // At least 9 significant digits survive the round trip.
        XCTAssertEqual(Double(fields[1])!, 1234.56789012345, accuracy: 1234.56789012345 * 1e-9)
        XCTAssertEqual(Double(fields[3])!, 0.123456789012, accuracy: 1e-12)
        XCTAssertEqual(Double(lines[2].split(separator: ",")[1])!, 2.0 / 3.0, accuracy: 1e-10)
        XCTAssertEqual(Double(lines[2].split(separator: ",")[2])!, 1e20)
    }

    func testIntermediateNames() {
        var options = TransferOptions(contentPath: "c", stylePaths: ["s"], outputPath: "dir/out.png")
        options.iterations = 300
        XCTAssertEqual(TransferPaths.intermediate(options, iteration: 50), "dir/out-050.png")
        options.outputPath = "out.png"
        options.iterations = 9
        XCTAssertEqual(TransferPaths.intermediate(options, iteration: 3), "out-3.png")
    }
}

final class ProgressDisplayTests: XCTestCase {
    func testLineShowsIterationLossesRateAndTimeLeft() {
        let display = ProgressDisplay(total: 200, quiet: false, isTerminal: false)
        let line = display.line(iteration: 50, losses: LossValues(total: 12.5, content: 0.25, style: 0.125, tv: 300), seconds: 25)
        XCTAssertEqual(line, "50/200  J 1.250e+01  c 2.50e-01 s 1.25e-01 tv 3.00e+02  2.00 it/s  ETA 1:15")
        XCTAssertLessThan(line.count, 80)
        XCTAssertTrue(display.line(iteration: 0, losses: LossValues(total: 1, content: 0, style: 1, tv: 0), seconds: 0).hasSuffix("ETA --:--"))
        XCTAssertEqual(ProgressDisplay.clock(3725), "1:02:05")
        // The time left of a run of Int.max iterations is too large for Int: no trap.
        let endless = ProgressDisplay(total: Int.max, quiet: false, isTerminal: true)
        let endlessLine = endless.line(iteration: 1, losses: LossValues(total: 1, content: 0, style: 1, tv: 0), seconds: 20)
        XCTAssertTrue(endlessLine.hasPrefix("1/9223372036854775807  J "), "64-bit counts print whole: \(endlessLine)")
        XCTAssertTrue(endlessLine.hasSuffix("ETA --:--"), endlessLine)
    }
}

final class TransferLoopResourceTests: XCTestCase {
    /// After setup, iterations allocate no tensors and move no image data between host and
    /// device, whatever the optimiser; each evaluation reads its losses back once.
    func testIterationsAllocateAndTransferNothing() throws {
        for kind in OptimizerKind.allCases {
            var problem = try TinyProblem(size: 16)
            problem.options.optimizer = kind
            problem.options.iterations = 3
            let device = CountingDevice(CPUDevice())
            let engine = try TransferEngine(device: device, plan: try TransferPlan(problem.options), weights: .builtIn(depth: 7),
                                            content: problem.content, styles: [problem.style], keepLastGood: true)
            let before = (device.allocations, device.uploads, device.downloads, device.lossReads)
            var rows = 0
            try engine.run { _, _, _ in rows += 1 }
            XCTAssertEqual(rows, 4)
            XCTAssertEqual(device.allocations, before.0, "\(kind): tensors allocated inside the loop")
            XCTAssertEqual(device.uploads, before.1, "\(kind): uploads inside the loop")
            XCTAssertEqual(device.downloads, before.2, "\(kind): downloads inside the loop")
            // One evaluation per row, and L-BFGS's line search may add some.
            let reads = device.lossReads - before.3
            if kind == .lbfgs { XCTAssertGreaterThanOrEqual(reads, rows) } else { XCTAssertEqual(reads, rows, "\(kind)") }
        }
    }
}
