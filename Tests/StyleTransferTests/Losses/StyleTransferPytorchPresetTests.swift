// StyleTransferPytorchPresetTests: the nine-point TV against a literal transcription of style-transfer-pytorch's TVLoss and by finite differences; the preset's row 0 against its formulas; tiled equals untiled with it.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

/// style-transfer-pytorch's `TVLoss`, transcribed literally: replicate-pad by one, then the
/// four means of squared differences over the slices it takes.
func referenceNinePointTV(_ x: [Float], channels c: Int, height h: Int, width w: Int) -> Double {
    let ph = h + 2, pw = w + 2
    var p = [Double](repeating: 0, count: c * ph * pw)
    for ch in 0..<c {
        for i in 0..<ph {
            for j in 0..<pw {
                p[(ch * ph + i) * pw + j] = Double(x[(ch * h + min(max(i - 1, 0), h - 1)) * w + min(max(j - 1, 0), w - 1)])
            }
        }
    }
    func at(_ ch: Int, _ i: Int, _ j: Int) -> Double { p[(ch * ph + i) * pw + j] }
    // mean over a rows x cols block of (p[i + a0, j + b0] - p[i + a1, j + b1])^2
    func mean(rows: Range<Int>, cols: Range<Int>, _ a: (Int, Int), _ b: (Int, Int)) -> Double {
        var sum = 0.0
        for ch in 0..<c {
            for i in rows {
                for j in cols {
                    let d = at(ch, i + a.0, j + a.1) - at(ch, i + b.0, j + b.1)
                    sum += d * d
                }
            }
        }
        return sum / Double(c * rows.count * cols.count)
    }
    // s1 = 1:-1, s2 = 2:, s3 = :-1, s4 = 1:
    let d1 = mean(rows: 1..<(ph - 1), cols: 1..<(pw - 1), (0, 1), (0, 0)) / 3   // input[s1, s2] - input[s1, s1]
    let d2 = mean(rows: 1..<(ph - 1), cols: 1..<(pw - 1), (1, 0), (0, 0)) / 3   // input[s2, s1] - input[s1, s1]
    let d3 = mean(rows: 0..<(ph - 1), cols: 0..<(pw - 1), (1, 1), (0, 0)) / 12  // input[s4, s4] - input[s3, s3]
    let d4 = mean(rows: 0..<(ph - 1), cols: 0..<(pw - 1), (1, 0), (0, 1)) / 12  // input[s4, s3] - input[s3, s4]
    return 2 * (d1 + d2 + d3 + d4)
}

final class StyleTransferPytorchPresetTests: XCTestCase {
    func testNinePointTVMatchesTheTranscriptionAndFiniteDifferences() throws {
        var data = TestData(seed: 11)
        for (h, w) in [(5, 7), (1, 4), (3, 1), (9, 9)] {
            let x = data.uniform(3 * h * w, 0, 1)
            let (value, _) = NinePointTV.evaluate(x, channels: 3, height: h, width: w)
            let reference = referenceNinePointTV(x, channels: 3, height: h, width: w)
            XCTAssertEqual(value, reference, accuracy: 1e-12 * max(reference, 1e-30), "\(h)x\(w)")
        }
        let x = data.uniform(3 * 4 * 6, 0, 1)
        try checkGradient(GradientCase(name: "nine-point TV", input: x,
                                       value: { NinePointTV.evaluate($0, channels: 3, height: 4, width: 6).value },
                                       gradient: { NinePointTV.evaluate($0, channels: 3, height: 4, width: 6).gradient }),
                          eps: 1e-2, abs: 1e-6, rel: 1e-4)
        // A broken variant, the image framed by zeros (zero padding), is far from it.
        var padded = [Float](repeating: 0, count: 3 * 6 * 8)
        for c in 0..<3 { for y in 0..<4 { for xx in 0..<6 { padded[(c * 6 + y + 1) * 8 + xx + 1] = x[(c * 4 + y) * 6 + xx] } } }
        XCTAssertGreaterThan(abs(NinePointTV.evaluate(x, channels: 3, height: 4, width: 6).value
                                 - referenceNinePointTV(padded, channels: 3, height: 6, width: 8)), 1e-3)
    }

    /// The preset's resolution: its weights, layers, style loss and TV.
    func testPresetResolvesItsObjective() throws {
        var options = TransferOptions()
        options.preset = .styleTransferPytorch
        let plan = try TransferPlan(options, styleCount: 1)
        XCTAssertEqual(plan.lossWeights, LossWeights(content: 0.015, style: 1, tv: 2))
        XCTAssertEqual(plan.styleLoss, .w2)
        XCTAssertEqual(plan.tv, .ninePoint)
        XCTAssertEqual(plan.preprocess, .torchvision)
        XCTAssertEqual(plan.content.weights, [4])
        let expected = [256.0, 64, 16, 4, 1].map { $0 / 341 }
        for (a, b) in zip(plan.style.weights, expected) { XCTAssertEqual(a, b, accuracy: 1e-15) }
        XCTAssertEqual(plan.style.weights.count, 5)
        XCTAssertEqual(plan.averageDecay, 0.99)
        XCTAssertEqual(plan.adamBeta2, 0.99)
        XCTAssertEqual(plan.options.optimizer, .adam)
        XCTAssertEqual(plan.learningRate, 0.02)
        // --average 0 turns the preset's average into the last image; nst's own runs have none.
        options.averageDecay = 0
        XCTAssertEqual(try TransferPlan(options, styleCount: 1).averageDecay, 0)
        XCTAssertNil(try TransferPlan(TransferOptions(), styleCount: 1).averageDecay)
    }

    /// Its schedule: gen_scales (sizes by sqrt(2) down from --size to 128, Python's rounding),
    /// 1000 iterations on the first and 500 on the others; --iterations N gives 2N and N;
    /// Adam unless --optimizer is given; --stage-iterations or --start-size replace it.
    func testPresetSchedule() throws {
        func plan(_ change: (inout TransferOptions) -> Void) throws -> TransferPlan {
            var options = TransferOptions()
            options.preset = .styleTransferPytorch
            change(&options)
            return try TransferPlan(options, styleCount: 1)
        }
        let p512 = try plan { $0.size = 512 }
        XCTAssertEqual(p512.stages.map(\.size), [128, 181, 256, 362, 512])
        XCTAssertEqual(p512.stages.map(\.iterations), [1000, 500, 500, 500, 500])
        XCTAssertEqual(p512.options.optimizer, .adam)
        XCTAssertEqual(try plan { $0.size = 500 }.stages.map(\.size), [177, 250, 354, 500])
        XCTAssertEqual(try plan { $0.size = 100 }.stages.map(\.size), [100])
        XCTAssertEqual(try plan { $0.size = 256; $0.iterations = 10 }.stages.map(\.iterations), [20, 10, 10])
        XCTAssertEqual(try plan { $0.optimizer = .lbfgs }.options.optimizer, .lbfgs)
        XCTAssertEqual(try plan { $0.size = 256; $0.large.stageIterations = [5] }.stages.map(\.size), [256])
        // Without the preset nothing changes: one stage of 200 L-BFGS iterations.
        var plain = TransferOptions()
        plain.size = 512
        let p = try TransferPlan(plain, styleCount: 1)
        XCTAssertEqual(p.stages.map(\.iterations), [200])
        XCTAssertEqual(p.options.optimizer, .lbfgs)
    }

    /// Row 0 of the preset's objective (at a start other than the content) against its
    /// formulas: `0.015 MSE(A_x - A_c) + sum_l w_l W2_l + 2 TV9(x)`, each evaluated here from
    /// the downloaded activations (W2 by `W2Reference`, TV by the transcription above).
    func testRowZeroMatchesItsFormulas() throws {
        var problem = try TinyProblem(size: 24)
        problem.options.preset = .styleTransferPytorch
        // Two 64-channel layers keep the reference's Jacobi eigenvalues quick in a debug build.
        problem.options.styleLayers = ["relu1_1", "relu1_2"]
        problem.options.styleLayerWeights = [0.8, 0.2]
        let plan = try TransferPlan(problem.options)
        let device = problem.device, weights = VGGWeights.builtIn(depth: plan.depth, preprocess: plan.preprocess)
        let engine = try TransferEngine(device: device, plan: plan, weights: weights, content: problem.content, styles: [problem.style])
        var data = TestData(seed: 3)
        let h = problem.content.height, w = problem.content.width
        let x = data.uniform(3 * h * w, 0, 1)
        let image = try device.tensor(Shape(3, h, w), x), gradient = try device.makeTensor(image.shape)
        let losses = try engine.objective.evaluate(image, gradient: gradient)

        let network = try VGGNetwork(device: device, weights: weights, pooling: .max, depth: plan.depth)
        func activations(_ pixels: [Float], _ height: Int, _ width: Int, layer: Int) throws -> [[Double]] {
            try W2Reference.features(network, pixels, height: height, width: width, layer: layer)
        }
        let contentLayer = plan.content.indices[0]
        let ax = try activations(x, h, w, layer: contentLayer).flatMap { $0 }
        let ac = try activations(problem.content.pixels, h, w, layer: contentLayer).flatMap { $0 }
        let mse = zip(ax, ac).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(ax.count)
        var style = 0.0
        for (k, layer) in plan.style.indices.enumerated() {
            style += [0.8, 0.2][k] * W2Reference.loss(try activations(x, h, w, layer: layer),
                                                       target: try activations(problem.style.pixels, problem.style.height, problem.style.width, layer: layer))
        }
        let tv = referenceNinePointTV(x, channels: 3, height: h, width: w)
        let reference = 0.015 * mse + style + 2 * tv
        print("style-transfer-pytorch row 0: J \(losses.total), formulas \(reference) (MSE \(mse), W2 \(style), TV \(tv))")
        XCTAssertGreaterThan(mse, 0)
        XCTAssertEqual(losses.total, reference, accuracy: 1e-4 * reference)
        XCTAssertEqual(losses.tv, tv, accuracy: 1e-9 * tv)
    }

    /// Tiled equals untiled with the preset's objective (W2 and the nine-point TV).
    func testTiledEqualsUntiled() throws {
        var problem = TilingProblem()
        problem.preset = .styleTransferPytorch
        let reference = try problem.untiled(on: CPUDevice())
        let (losses, gradient, grid) = try problem.tiled(tile: 12, on: [CPUDevice()])
        XCTAssertGreaterThanOrEqual(grid.tiles.count, 4)
        let m = tilingMismatch((losses, gradient), reference)
        print("preset tiled in \(grid.tiles.count) tiles: losses \(m.losses), gradient \(m.gradient)")
        XCTAssertGreaterThan(reference.0.tv, 0)
        XCTAssertLessThanOrEqual(m.losses, TiledObjectiveTests.lossTolerance)
        XCTAssertLessThanOrEqual(m.gradient, TiledObjectiveTests.gradientTolerance)
    }
}
