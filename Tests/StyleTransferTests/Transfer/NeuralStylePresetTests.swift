// NeuralStylePresetTests: --preset neural-style's objective against neural-style-pt's formulas, computed independently on the host.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class NeuralStylePresetTests: XCTestCase {
    /// content = w_c * mean (F - P)^2; style = w_s * sum_l mean (G/(C H W) - G_s/(C H_s W_s))^2 with
    /// G = A A^T; TV = w_tv * sum |neighbour differences| of the preprocessed image (x - mean) / std.
    func testObjectiveMatchesNeuralStyleFormulas() throws {
        var problem = try TinyProblem(size: 10)
        problem.options.preset = .neuralStyle
        problem.options.contentWeight = 5
        problem.options.styleWeight = 100
        problem.options.tvWeight = 1e-3
        problem.options.initMode = .random
        problem.options.seed = 3
        let plan = try TransferPlan(problem.options)
        XCTAssertEqual(plan.preprocess, .caffe)
        XCTAssertEqual(plan.tv, .absolute)
        let weights = VGGWeights.builtIn(depth: plan.depth, preprocess: plan.preprocess)
        let device = problem.device
        let engine = try TransferEngine(device: device, plan: plan, weights: weights, content: problem.content, styles: [problem.style])
        let losses = try engine.objective.evaluate(engine.image, gradient: engine.gradient)
        let x = try device.download(engine.image)

        // Independent host computation from the network's activations.
        let network = try VGGNetwork(device: device, weights: weights, pooling: .max, depth: plan.depth)
        func activations(_ pixels: [Float], _ h: Int, _ w: Int, _ layer: Int) throws -> (values: [Double], c: Int, n: Int) {
            let ws = try VGGWorkspace(network: network, height: h, width: w, keepConvOutputs: [1, 6])
            try ws.forward(image: try device.tensor(Shape(3, h, w), pixels))
            let a = ws.activation(layer)
            return (try device.download(a).map(Double.init), a.shape[0], a.shape[1] * a.shape[2])
        }
        func gram(_ a: (values: [Double], c: Int, n: Int)) -> [Double] {
            var g = [Double](repeating: 0, count: a.c * a.c)
            for i in 0..<a.c { for j in 0..<a.c { for k in 0..<a.n { g[i * a.c + j] += a.values[i * a.n + k] * a.values[j * a.n + k] } } }
            return g
        }
        let (h, w) = (problem.content.height, problem.content.width)
        let relu21 = 6, relu11 = 1
        let f = try activations(x, h, w, relu21), p = try activations(problem.content.pixels, h, w, relu21)
        let content = 5 * zip(f.values, p.values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(f.values.count)
        var style = 0.0
        for layer in [relu11, relu21] {
            let g = try activations(x, h, w, layer)
            let s = try activations(problem.style.pixels, problem.style.height, problem.style.width, layer)
            let gx = gram(g).map { $0 / Double(g.c * g.n) }, gs = gram(s).map { $0 / Double(s.c * s.n) }
            style += 100 * zip(gx, gs).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(g.c * g.c)
        }
        var tv = 0.0
        let mean = weights.mean, std = weights.std
        func net(_ c: Int, _ y: Int, _ xx: Int) -> Double { (Double(x[(c * h + y) * w + xx]) - Double(mean[c])) / Double(std[c]) }
        for c in 0..<3 { for y in 0..<h { for xx in 0..<w {
            if xx + 1 < w { tv += abs(net(c, y, xx + 1) - net(c, y, xx)) }
            if y + 1 < h { tv += abs(net(c, y + 1, xx) - net(c, y, xx)) }
        } } }
        tv *= 1e-3
        assertClose(5 * losses.content, content, abs: 1e-9, rel: 1e-4, "content")
        assertClose(100 * losses.style, style, abs: 1e-9, rel: 1e-4, "style")
        assertClose(1e-3 * losses.tv, tv, abs: 1e-9, rel: 1e-4, "tv")
        assertClose(losses.total, content + style + tv, abs: 1e-9, rel: 1e-4, "total is the minimised objective")
        // The preset's TV is 255 x the L1 TV of the [0,1] image under Caffe's convention.
        XCTAssertEqual(weights.std[0], 1 / 255)
    }

    func testPresetGradientMatchesFiniteDifferencesOfItsTotal() throws {
        var problem = try TinyProblem(size: 8)
        problem.options.preset = .neuralStyle
        problem.options.tvWeight = 1e-3
        problem.options.contentWeight = 5
        problem.options.styleWeight = 100
        problem.options.initMode = .random
        let plan = try TransferPlan(problem.options)
        let weights = VGGWeights.builtIn(depth: plan.depth, preprocess: plan.preprocess)
        let engine = try TransferEngine(device: problem.device, plan: plan, weights: weights, content: problem.content, styles: [problem.style])
        let device = problem.device
        _ = try engine.objective.evaluate(engine.image, gradient: engine.gradient)
        let g = try device.download(engine.gradient)
        var x = try device.download(engine.image)
        let probe = try device.makeTensor(engine.image.shape), scratch = try device.makeTensor(engine.image.shape)
        for i in [0, 17, 63, 100, 150] where i < x.count {
            let x0 = x[i], eps: Float = 1e-3
            x[i] = x0 + eps; try device.upload(x, to: probe); let up = try engine.objective.evaluate(probe, gradient: scratch).total
            x[i] = x0 - eps; try device.upload(x, to: probe); let down = try engine.objective.evaluate(probe, gradient: scratch).total
            x[i] = x0
            assertClose(Double(g[i]), (up - down) / Double(2 * eps), abs: 2e-2 * max(1, abs(Double(g[i]))), rel: 5e-2, "dJ/dx[\(i)]")
        }
    }

    /// One resolution of settings: a library caller who sets the preset and nothing else gets
    /// its weights (5, 100, 1e-3) with its layer scaling, exactly what `nst transfer --preset`
    /// gets: the two loss logs agree in every value (seconds aside). Before, the library got
    /// nst's own weights (1, 100, 5e-4) with the preset's scaling.
    func testLibraryCallerWithThePresetGetsWhatNstGets() throws {
        var options = TransferOptions()
        options.preset = .neuralStyle
        let plan = try TransferPlan(options, styleCount: 1)
        XCTAssertEqual(plan.lossWeights, LossWeights(content: 5, style: 100, tv: 1e-3))
        XCTAssertEqual(plan.objective.weights, plan.lossWeights)
        options.contentWeight = 2
        XCTAssertEqual(try TransferPlan(options, styleCount: 1).lossWeights, LossWeights(content: 2, style: 100, tv: 1e-3), "given weights win")

        let folder = try makeScratchFolder("preset")
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        var data = TestData(seed: 8)
        try Image(width: 20, height: 16, pixels: data.uniform(3 * 20 * 16, 0, 1)).writePNG(to: path("c.png"))
        try Image(width: 16, height: 16, pixels: data.uniform(3 * 16 * 16, 0, 1)).writePNG(to: path("s.png"))
        let common = ["--size", "20", "--iterations", "3", "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1"]
        let cli = try NSTProcess.run(["transfer", "--content", path("c.png"), "--style", path("s.png"), "--output", path("cli.png"),
                                      "--loss-log", path("cli.csv"), "--preset", "neural-style", "--device", "cpu", "--quiet"] + common, in: folder)
        XCTAssertEqual(cli.status, 0, cli.stderr)
        var library = TransferOptions(contentPath: path("c.png"), stylePaths: [path("s.png")], outputPath: path("lib.png"))
        library.preset = .neuralStyle
        library.size = 20
        library.iterations = 3
        library.contentLayers = ["relu2_1"]
        library.styleLayers = ["relu1_1", "relu2_1"]
        library.lossLogPath = path("lib.csv")
        library.quiet = true
        try TransferRunner.run(library) { CPUDevice() }
        func values(_ name: String) throws -> [[Substring]] {
            try String(contentsOfFile: path(name), encoding: .utf8).split(separator: "\n").map { line in
                let cells = line.split(separator: ",")
                return Array(cells.prefix(5))
            }
        }
        let expected = try values("cli.csv")
        XCTAssertEqual(expected.count, 5, "header and iterations 0 to 3")
        XCTAssertEqual(try values("lib.csv"), expected)
    }
}
