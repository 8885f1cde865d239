// W2LossTests: the W2 style loss against an independent Double evaluation (Jacobi eigenvalues, not LAPACK), its gradient by finite differences on both backends, tiled equals untiled, and the option.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import Foundation
import XCTest

/// The W2 loss straight from its definition, in Double, with its own eigensolver: features
/// `[C][N]` of the generated image and of the target.
enum W2Reference {
    /// A layer's activation of an image as features `[C][N]` in Double (downloaded).
    static func features(_ network: VGGNetwork, _ pixels: [Float], height: Int, width: Int, layer: Int) throws -> [[Double]] {
        let device = network.device
        let ws = try VGGWorkspace(network: network, height: height, width: width, keepConvOutputs: [layer])
        try ws.forward(image: device.tensor(Shape(3, height, width), pixels))
        let a = try device.download(ws.activation(layer))
        let n = ws.activation(layer).shape[1] * ws.activation(layer).shape[2]
        return (0..<(a.count / n)).map { k in a[(k * n)..<((k + 1) * n)].map(Double.init) }
    }

    /// Eigenvalues and eigenvectors (columns of `vectors`, row-major `n x n`) of a symmetric matrix by cyclic Jacobi rotations.
    static func jacobi(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        var a = matrix, n = matrix.count
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
            if off < 1e-26 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where abs(a[p][q]) > 1e-300 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        n = a.count
        return ((0..<n).map { a[$0][$0] }, v)
    }

    static func sqrtm(_ m: [[Double]]) -> [[Double]] {
        let (values, v) = jacobi(m), n = m.count
        return (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0) { $0 + v[i][$1] * max(values[$1], 0).squareRoot() * v[j][$1] } } }
    }

    static func product(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        let n = a.count
        return (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0) { $0 + a[i][$1] * b[$1][j] } } }
    }

    /// Mean and covariance plus `eps I` of features `[C][N]`.
    static func moments(_ f: [[Double]], eps: Double) -> ([Double], [[Double]]) {
        let c = f.count, n = Double(f[0].count)
        let mu = f.map { $0.reduce(0, +) / n }
        let cov = (0..<c).map { i in (0..<c).map { j in
            zip(f[i], f[j]).reduce(0) { $0 + $1.0 * $1.1 } / n - mu[i] * mu[j] + (i == j ? eps : 0)
        } }
        return (mu, cov)
    }

    /// `mean_c (mu - mu_t)^2 + (1/C) tr(S_t + S - 2 (S_t^1/2 S S_t^1/2)^1/2)`.
    static func loss(_ generated: [[Double]], target: [[Double]], eps: Double = 1e-4, meanTerm: Bool = true) -> Double {
        let (mu, s) = moments(generated, eps: eps), (mt, st) = moments(target, eps: eps), c = Double(mu.count)
        let r = sqrtm(st)
        let root = jacobi(product(product(r, s), r)).values.reduce(0) { $0 + max($1, 0).squareRoot() }
        let traces = (0..<mu.count).reduce(0) { $0 + st[$1][$1] + s[$1][$1] }
        let meanPart = zip(mu, mt).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / c
        return (meanTerm ? meanPart : 0) + (traces - 2 * root) / c
    }
}

final class W2LossTests: XCTestCase {
    /// Features `[C][N]` with channel means away from 0, as ReLU outputs have.
    private func features(_ c: Int, _ n: Int, seed: UInt64) -> [[Float]] {
        var data = TestData(seed: seed)
        return (0..<c).map { k in data.uniform(n, 0, 1 + Float(k % 3)) }
    }

    private func augmentedGram(_ f: [[Float]], on device: any Device) throws -> [Double] {
        let c = f.count, n = f[0].count
        let a = try device.tensor(Shape(c, 1, n), f.flatMap { $0 })
        let augmented = try AugmentedFeatures(device: device, elements: c * n, positions: n, channels: c)
        return try augmented.statistics(a)
    }

    /// The host evaluation from the device's augmented Gram matrices equals the definition
    /// evaluated independently (1e-9 relative would hold in Double; the Gram is float: 1e-5),
    /// on both backends; leaving out the mean term (a broken variant) is far outside.
    func testValueMatchesAnIndependentDoubleEvaluation() throws {
        let c = 9, generated = features(c, 40, seed: 1), target = features(c, 27, seed: 2)
        let reference = W2Reference.loss(generated.map { $0.map(Double.init) }, target: target.map { $0.map(Double.init) })
        let broken = W2Reference.loss(generated.map { $0.map(Double.init) }, target: target.map { $0.map(Double.init) }, meanTerm: false)
        for device in [CPUDevice(), try OpenCLTestDevice.get()] as [any Device] {
            let w2 = try WassersteinStyle(augmentedTarget: augmentedGram(target, on: device), channels: c)
            let value = try w2.evaluate(augmented: augmentedGram(generated, on: device)).value
            print("W2 on \(device.name): \(value), reference \(reference)")
            XCTAssertEqual(value, reference, accuracy: 1e-5 * reference, device.name)
            XCTAssertGreaterThan(abs(broken - value), 1e-3 * reference, "the broken variant must fail the check")
        }
        // Identical statistics give 0, up to the square root's rounding.
        let w2 = try WassersteinStyle(augmentedTarget: augmentedGram(target, on: CPUDevice()), channels: c)
        XCTAssertEqual(try w2.evaluate(augmented: augmentedGram(target, on: CPUDevice())).value, 0, accuracy: 1e-9)
    }

    /// dJ/dA through `AugmentedFeatures.addGradient` against central differences of J, on both backends.
    func testGradientPassesFiniteDifferences() throws {
        let c = 5, h = 3, w = 4, target = features(c, 21, seed: 3)
        let input = features(c, h * w, seed: 4).flatMap { $0 }
        for device in [CPUDevice(), try OpenCLTestDevice.get()] as [any Device] {
            let w2 = try WassersteinStyle(augmentedTarget: augmentedGram(target, on: device), channels: c)
            let augmented = try AugmentedFeatures(device: device, elements: c * h * w, positions: h * w, channels: c)
            func value(_ x: [Float]) throws -> Double {
                try w2.evaluate(augmented: augmented.statistics(device.tensor(Shape(c, h, w), x))).value
            }
            let gradient: ([Float]) throws -> [Float] = { x in
                let a = try device.tensor(Shape(c, h, w), x), g = try device.makeTensor(a.shape)
                try device.fill(g, with: 0)
                let e = try w2.evaluate(augmented: augmented.statistics(a)).gradient
                try augmented.addGradient(e, activation: a, into: g, scale: 1 / Float(h * w))
                return try device.download(g)
            }
            let worst = try checkGradient(GradientCase(name: "W2 on \(device.name)", input: input, value: value, gradient: gradient),
                                          eps: 1e-2, abs: 1e-4, rel: 1e-2)
            print("W2 gradient on \(device.name): worst \(String(describing: worst))")
            // A gradient without the mean's part (the broken variant) fails the same check.
            let brokenGradient: ([Float]) throws -> [Float] = { x in
                let a = try device.tensor(Shape(c, h, w), x), g = try device.makeTensor(a.shape)
                try device.fill(g, with: 0)
                var e = try w2.evaluate(augmented: augmented.statistics(a)).gradient
                for i in 0..<c { e[i * (c + 1) + c] = 0; e[c * (c + 1) + i] = 0 }
                try augmented.addGradient(e, activation: a, into: g, scale: 1 / Float(h * w))
                return try device.download(g)
            }
            let analytic = try brokenGradient(input), good = try gradient(input)
            let gap = zip(analytic, good).map { abs($0 - $1) }.max() ?? 0
            XCTAssertGreaterThan(gap, 100 * 1e-4, "the broken gradient must differ by more than the tolerance")
        }
    }

    /// The whole objective's style term at relu1_1 and relu1_2 (64 channels each, quick for the reference's Jacobi) on random
    /// VGG-19 weights read from a safetensors file equals the definition on the downloaded
    /// activations (1e-4 relative: float activations and statistics).
    func testObjectiveStyleTermMatchesTheDefinitionOnRandomVGG19Safetensors() throws {
        var problem = TilingProblem(contentLayers: ["relu1_1"], styleLayers: ["relu1_1", "relu1_2"])
        problem.styleLoss = .w2
        let plan = try problem.plan, device = CPUDevice(), (content, style, x) = try problem.images()
        // Random weights of their own (not the built-in seed), written and read back as safetensors.
        let random = VGGWeights.builtIn(depth: plan.depth, seed: 2024, gain: 1.3)
        var tensors: [TestTensor] = []
        for (index, conv) in random.convs.sorted(by: { $0.key < $1.key }) {
            tensors.append(TestTensor(key: "features.\(index).weight", shape: [conv.outChannels, conv.inChannels, 3, 3], values: conv.weight))
            tensors.append(TestTensor(key: "features.\(index).bias", shape: [conv.outChannels], values: conv.bias))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("w2-\(UUID().uuidString).safetensors")
        try safetensorsData(tensors).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let weights = try VGGWeights.load(from: url, depth: plan.depth)
        XCTAssertEqual(weights.convs[0]?.weight, random.convs[0]?.weight)
        let engine = try TransferEngine(device: device, plan: plan, weights: weights, content: content, styles: [style])
        let image = try device.tensor(Shape(3, problem.size.height, problem.size.width), x), gradient = try device.makeTensor(image.shape)
        let losses = try engine.objective.evaluate(image, gradient: gradient)
        let network = try VGGNetwork(device: device, weights: weights, pooling: .max, depth: plan.depth)
        func activations(_ pixels: [Float], _ height: Int, _ width: Int, layer: Int) throws -> [[Double]] {
            try W2Reference.features(network, pixels, height: height, width: width, layer: layer)
        }
        var reference = 0.0
        for (k, layer) in plan.style.indices.enumerated() {
            reference += plan.style.weights[k] * W2Reference.loss(try activations(x, problem.size.height, problem.size.width, layer: layer),
                                                                  target: try activations(style.pixels, style.height, style.width, layer: layer))
        }
        print("objective's W2 style term \(losses.style), definition \(reference)")
        XCTAssertEqual(losses.style, reference, accuracy: 1e-4 * losses.style)
        // The built-in weights give another value: the file's weights are the ones evaluated.
        XCTAssertGreaterThan(abs(try problem.untiled(on: device).0.style - reference), 1e-3 * reference)
    }

    /// Tiled equals untiled with W2 (one evaluation), on the CPU backend and OpenCL.
    func testTiledEqualsUntiled() throws {
        var problem = TilingProblem()
        problem.styleLoss = .w2
        for (tile, device) in [(12, CPUDevice()), (16, try OpenCLTestDevice.get())] as [(Int, any Device)] {
            let reference = try problem.untiled(on: device)
            let (losses, gradient, grid) = try problem.tiled(tile: tile, on: [device])
            XCTAssertGreaterThanOrEqual(grid.tiles.count, 4)
            let m = tilingMismatch((losses, gradient), reference)
            print("W2 tiled in \(grid.tiles.count) tiles on \(device.name): losses \(m.losses), gradient \(m.gradient)")
            XCTAssertGreaterThan(reference.0.style, 0)
            XCTAssertLessThanOrEqual(m.losses, TiledObjectiveTests.lossTolerance, device.name)
            XCTAssertLessThanOrEqual(m.gradient, TiledObjectiveTests.gradientTolerance, device.name)
        }
    }

    /// A tiled run reproduces the whole-image loss log over 3 iterations with W2 (relative
    /// 1e-4; Adam, whose steps do not amplify the summation order as L-BFGS's line search can).
    func testTiledRunReproducesTheLossLog() throws {
        var problem = try TinyProblem(size: 28)
        problem.options.styleLoss = .w2
        problem.options.optimizer = .adam
        problem.options.iterations = 3
        let mismatch = try problem.tiledRunMismatch(tile: 10)
        XCTAssertEqual(mismatch.count, 4)
        for (k, m) in mismatch.enumerated() { XCTAssertLessThanOrEqual(m, 1e-4, "iteration \(k)") }
        let whole = try problem.run(problem.engine())
        XCTAssertLessThan(whole.last?.total ?? 0, whole.first?.total ?? 0, "the run lowers J")
    }

    /// The plan: beta defaults to alpha / 0.06; masks are refused naming the option.
    func testPlanDefaultsAndRefusals() throws {
        var options = TransferOptions()
        options.styleLoss = .w2
        options.contentWeight = 3
        XCTAssertEqual(try TransferPlan(options, styleCount: 1).lossWeights.style, 50, accuracy: 1e-12)
        XCTAssertEqual(try TransferPlan(options, styleCount: 1).objective.styleLoss, .w2)
        options.controls.styleMaskPaths = ["m.png"]
        XCTAssertThrowsError(try TransferPlan(options, styleCount: 1)) { error in
            XCTAssertTrue("\(error)".contains("--style-loss"), "\(error)")
        }
    }
}
