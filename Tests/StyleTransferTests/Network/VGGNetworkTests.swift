// VGGNetworkTests: the VGG-19 layer table, workspace shapes, and the backward pass against finite differences.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class VGGNetworkTests: XCTestCase {
    func testLayerTableFollowsTorchvision() {
        XCTAssertEqual(VGG19.layers.count, 37)
        XCTAssertEqual(VGG19.convIndices(depth: 37), [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34])
        XCTAssertEqual(VGG19.index(of: "conv1_1"), 0)
        XCTAssertEqual(VGG19.index(of: "relu1_1"), 1)
        XCTAssertEqual(VGG19.index(of: "pool1"), 4)
        XCTAssertEqual(VGG19.index(of: "relu4_2"), 22)
        XCTAssertEqual(VGG19.index(of: "relu5_1"), 29)
        XCTAssertEqual(VGG19.index(of: "pool5"), 36)
        XCTAssertNil(VGG19.index(of: "relu6_1"))
        XCTAssertEqual(VGG19.layers[28].kind, .conv(inChannels: 512, outChannels: 512))
        XCTAssertEqual(VGG19.layers[19].kind, .conv(inChannels: 256, outChannels: 512))
        XCTAssertEqual(VGG19.outputChannels(of: 29), 512)
        XCTAssertEqual(VGG19.outputChannels(of: 9), 128)
    }

    func testShapesHalveAtEachPoolAndRejectTinyImages() {
        let (shapes, tooSmall) = VGG19.shapes(height: 20, width: 33, depth: 30)
        XCTAssertNil(tooSmall)
        XCTAssertEqual(shapes[1], Shape(64, 20, 33))
        XCTAssertEqual(shapes[4], Shape(64, 10, 16))
        XCTAssertEqual(shapes[29], Shape(512, 1, 2))
        XCTAssertEqual(VGG19.shapes(height: 8, width: 64, depth: 30).tooSmallAt, "pool4")
        let network = try? VGGNetwork(device: CPUDevice(), weights: .builtIn(depth: 30), pooling: .max, depth: 30)
        XCTAssertThrowsError(try VGGWorkspace(network: network!, height: 8, width: 64)) { error in
            XCTAssertTrue("\(error)".contains("pool4"), "\(error)")
        }
    }

    func testNetworkNeedsEveryConvolutionItRuns() throws {
        let partial = VGGWeights(source: "test.safetensors", convs: VGGWeights.builtIn(depth: 2).convs)
        XCTAssertThrowsError(try VGGNetwork(device: CPUDevice(), weights: partial, pooling: .max, depth: 4)) { error in
            XCTAssertEqual("\(error)", "weights file 'test.safetensors': key 'features.2.weight': missing (needed by conv1_2)")
        }
    }

    /// Forward of conv1_1 + relu1_1 equals the conv op run by hand on the normalised image.
    func testForwardMatchesOpsRunByHand() throws {
        let device = CPUDevice()
        let weights = VGGWeights.builtIn(depth: 2)
        let network = try VGGNetwork(device: device, weights: weights, pooling: .max, depth: 2)
        let workspace = try VGGWorkspace(network: network, height: 5, width: 6)
        var data = TestData(seed: 3)
        let pixels = data.uniform(90, 0, 1)
        try workspace.forward(image: device.tensor(Shape(3, 5, 6), pixels))
        var normalized = [Float](repeating: 0, count: 90)
        for i in 0..<90 {
            let c = i / 30
            normalized[i] = (pixels[i] - weights.mean[c]) / weights.std[c]
        }
        let conv = weights.convs[0]!
        let expected = referenceConv2d(input: normalized, 3, 5, 6, weight: conv.weight, 64, 3, 3, bias: conv.bias, padding: 1)
            .map { (v: Float) -> Float in max(v, 0) }
        assertClose(try device.download(workspace.activation(1)), expected, abs: 1e-5, rel: 1e-4, "relu1_1")
    }

    /// dJ/dx through conv, ReLU, average pooling and the normalisation, against central
    /// differences; the content loss reads a convolution's own output (not its ReLU) to
    /// cover that path.
    func testObjectiveGradientMatchesFiniteDifferences() throws {
        let (analytic, numeric) = try gradients(pooling: .avg)
        assertClose(analytic, numeric, abs: 2e-3, rel: 3e-2, "J through VGG (avg pooling)")
    }

    /// The same with max pooling. Windows of dead ReLUs would tie at exactly 0, a kink where
    /// only one-sided derivatives exist, so block 1 gets a positive bias here: its ReLUs stay
    /// alive and the pooling windows hold distinct values.
    func testObjectiveGradientWithMaxPoolingMatchesFiniteDifferences() throws {
        var convs = VGGWeights.builtIn(depth: 7).convs
        for index in [0, 2] {
            let c = convs[index]!
            convs[index] = ConvWeights(inChannels: c.inChannels, outChannels: c.outChannels, weight: c.weight,
                                       bias: [Float](repeating: 4, count: c.outChannels))
        }
        // The large activations this bias makes put J near 1e3, where the rounding of
        // Winograd F(4x4)'s forward pass (a few 1e-6 of the largest output) divided by 2 eps
        // is as large as the differences themselves; im2col's direct sums keep the
        // differences clean. `testWinogradGradientMatchesIm2col` ties the default path to it.
        let im2col = CPUDevice(columnBudget: 1 << 22, winogradMinChannels: .max)
        let (analytic, numeric) = try gradients(pooling: .max, weights: VGGWeights(source: "test", convs: convs), device: im2col)
        // Near-ties between positive values still bend J within eps of a few pixels: 5%.
        assertClose(analytic, numeric, abs: 2e-3, rel: 5e-2, "J through VGG (max pooling)")
    }

    /// dJ/dx through the network with the default Winograd F(4x4, 3x3) equals the one with
    /// im2col convolutions (both analytic), on the max-pooling problem above.
    func testWinogradGradientMatchesIm2col() throws {
        var convs = VGGWeights.builtIn(depth: 7).convs
        for index in [0, 2] {
            let c = convs[index]!
            convs[index] = ConvWeights(inChannels: c.inChannels, outChannels: c.outChannels, weight: c.weight,
                                       bias: [Float](repeating: 4, count: c.outChannels))
        }
        let weights = VGGWeights(source: "test", convs: convs)
        let im2col = CPUDevice(columnBudget: 1 << 22, winogradMinChannels: .max)
        let winograd = CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 16, winogradTile: .f4x4)
        let reference = try gradients(pooling: .max, weights: weights, device: im2col, numeric: false).0
        let fast = try gradients(pooling: .max, weights: weights, device: winograd, numeric: false).0
        let scale = Double(reference.map(abs).max() ?? 0)
        assertClose(fast, reference.map(Double.init), abs: 2e-5 * scale, rel: 0, "dJ/dx, F(4x4) against im2col")
    }

    private func gradients(pooling: PoolKind, weights: VGGWeights? = nil, eps: Float = 1e-3, device: CPUDevice = CPUDevice(),
                           numeric wanted: Bool = true) throws -> ([Float], [Double]) {
        var problem = try TinyProblem(size: 6, device: device)
        problem.options.pooling = pooling
        problem.options.contentLayers = ["conv2_1"]
        problem.options.styleLayers = ["relu1_1", "pool1", "relu2_1"]
        problem.options.styleWeight = 10
        problem.options.tvWeight = 0.1
        let engine = try problem.engine(weights: weights)
        let device = problem.device
        let x = engine.image, g = engine.gradient
        var data = TestData(seed: 11)
        var v = data.uniform(x.count, 0.2, 0.8)
        func value() throws -> Double {
            try device.upload(v, to: x)
            return try engine.objective.evaluate(x, gradient: g).total
        }
        _ = try value()
        let analytic = try device.download(g)
        guard wanted else { return (analytic, []) }
        var numeric = [Double](repeating: 0, count: v.count)
        for i in v.indices {
            let x0 = v[i]
            v[i] = x0 + eps; let up = v[i]; let plus = try value()
            v[i] = x0 - eps; let down = v[i]; let minus = try value()
            v[i] = x0
            numeric[i] = (plus - minus) / (Double(up) - Double(down))
        }
        return (analytic, numeric)
    }
}
