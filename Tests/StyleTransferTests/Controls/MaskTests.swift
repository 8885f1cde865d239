// MaskTests: --style-mask and --content-mask: ones equal no mask, zeros remove a style, complementary masks put each style in its region.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class MaskTests: XCTestCase {
    /// Downsampling follows the network's pooling: 2x2 means, an odd last row/column dropped.
    func testMaskIsAveragedDownToEachLayer() throws {
        let mask = try SpatialMask(width: 5, height: 4, values: (0..<20).map { Float($0) / 20 })
        let half = mask.halved()
        XCTAssertEqual([half.width, half.height], [2, 2])
        assertClose(half.values, [0.15, 0.25, 0.65, 0.75], abs: 1e-6, rel: 0, "2x2 means")
        XCTAssertEqual(mask.at(layer: VGG19.index(of: "relu1_1")!, of: .vgg19), mask, "no pooling before relu1_1")
        XCTAssertEqual(mask.at(layer: VGG19.index(of: "relu2_1")!, of: .vgg19), half, "one pooling before relu2_1")
        XCTAssertEqual(mask.at(layer: VGG19.index(of: "pool1")!, of: .vgg19), half, "pool1's own output is pooled")
        let grey = try Image(width: 2, height: 1, pixels: [0.2, 1.5, 0.2, 1.5, 0.2, 1.5])
        XCTAssertEqual(SpatialMask(image: grey).values, [0.2, 1], "channel mean, clamped")
        XCTAssertEqual(try SpatialMask.constant(0.5, width: 2, height: 2).meanSquare, 0.25)
    }

    private func evaluate(_ p: ControlObjective, masks: [SpatialMask]?, content: SpatialMask? = nil) throws -> (losses: LossValues, gradient: [Float]) {
        let styles = try masks.map { list in try list.enumerated().map { ObjectiveControls.MaskedStyle(mask: $1, targets: try p.ownTargets($0), weight: 1) } }
        let controls = styles == nil && content == nil ? nil : ObjectiveControls(styles: styles ?? [], contentMask: content)
        return try p.evaluate(try p.objective(alpha: 1, beta: 100, gamma: 1e-3, controls: controls))
    }

    func testMaskOfOnesEqualsNoMask() throws {
        let p = try ControlObjective(device: CPUDevice())
        let ones = try SpatialMask.constant(1, width: p.width, height: p.height)
        let plain = try evaluate(p, masks: nil)
        let masked = try evaluate(p, masks: [ones], content: ones)
        assertClose([masked.losses.total, masked.losses.content, masked.losses.style, masked.losses.tv],
                    [plain.losses.total, plain.losses.content, plain.losses.style, plain.losses.tv], abs: 0, rel: 1e-6, "losses")
        assertCloseScaled(masked.gradient, plain.gradient.map(Double.init), rel: 1e-5, "gradient")
        // A constant mask is no mask either (the region's Gram is normalised by its size);
        // a mask over part of the image is not.
        let half = try SpatialMask.constant(0.5, width: p.width, height: p.height)
        assertCloseScaled(try evaluate(p, masks: [half]).gradient, plain.gradient.map(Double.init), rel: 1e-5, "constant mask")
        let top = try SpatialMask(width: p.width, height: p.height, values: (0..<(p.width * p.height)).map { $0 < p.width * p.height / 2 ? 1 : 0 })
        let partial = try evaluate(p, masks: [top])
        XCTAssertGreaterThan(worstRatio(partial.gradient.map(Double.init), plain.gradient.map(Double.init)), 1, "a partial mask changes the gradient")
    }

    /// Two styles with masks of ones and zeros are the first style alone (unmasked); two
    /// masks of ones are not.
    func testMaskOfZerosRemovesThatStyle() throws {
        let one = try ControlObjective(device: CPUDevice(), styleSeeds: [11])
        let two = try ControlObjective(device: CPUDevice(), styleSeeds: [11, 12])
        let ones = try SpatialMask.constant(1, width: two.width, height: two.height)
        let zeros = try SpatialMask.constant(0, width: two.width, height: two.height)
        let alone = try evaluate(one, masks: nil)
        let removed = try evaluate(two, masks: [ones, zeros])
        assertClose([removed.losses.total, removed.losses.style], [alone.losses.total, alone.losses.style], abs: 0, rel: 1e-6, "losses")
        assertCloseScaled(removed.gradient, alone.gradient.map(Double.init), rel: 1e-5, "gradient")
        let both = try evaluate(two, masks: [ones, ones])
        XCTAssertGreaterThan(worstRatio(both.gradient.map(Double.init), alone.gradient.map(Double.init)), 1, "the second style counts when its mask is not zero")
    }

    /// Complementary masks (left half: a red style, right half: a blue one): after a short
    /// run each half's relu1_1 Gram matrix is nearer its own style's target than the other's.
    /// With the masks swapped the same comparison fails, so it can.
    func testComplementaryMasksPutEachStyleInItsRegion() throws {
        let width = 24, height = 16
        var data = TestData(seed: 21)
        let content = try Image(width: width, height: height, pixels: data.uniform(3 * width * height, 0.4, 0.6))
        func tinted(_ tint: [Float]) throws -> Image {
            let n = 20 * 20, noise = data.uniform(3 * n, 0, 0.3)
            return try Image(width: 20, height: 20, pixels: (0..<(3 * n)).map { noise[$0] + tint[$0 / n] })
        }
        let red = try tinted([0.7, 0.1, 0.1]), blue = try tinted([0.1, 0.1, 0.7])
        var leftValues = [Float](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<(width / 2) { leftValues[y * width + x] = 1 } }
        let left = try SpatialMask(width: width, height: height, values: leftValues)
        let right = try SpatialMask(width: width, height: height, values: leftValues.map { 1 - $0 })
        var options = TransferOptions(contentPath: "c.png", stylePaths: ["r.png", "b.png"], outputPath: "o.png")
        options.contentLayers = ["relu2_1"]
        options.styleLayers = ["relu1_1", "relu2_1"]
        options.styleWeight = 1e4
        options.iterations = 25
        options.controls.styleMaskPaths = ["l.png", "r.png"]
        let device = CPUDevice(), weights = VGGWeights.builtIn(depth: 7)
        let network = try VGGNetwork(device: device, weights: weights, pooling: .max, depth: 7)
        let relu11 = try LayerWeights(names: ["relu1_1"], weights: nil, defaultWeight: 1)
        func gram(_ image: Image) throws -> [Float] {
            let t = try device.tensor(Shape(3, image.height, image.width), image.pixels)
            return try device.download(StyleTargets.compute(network: network, images: [t], blend: [1], layers: relu11)[0])
        }
        func halves(_ image: Image) throws -> (left: Image, right: Image) {
            func crop(_ x0: Int) throws -> Image {
                var pixels: [Float] = []
                for c in 0..<3 { for y in 0..<height { for x in x0..<(x0 + width / 2) { pixels.append(image.value(channel: c, x: x, y: y)) } } }
                return try Image(width: width / 2, height: height, pixels: pixels)
            }
            return (try crop(0), try crop(width / 2))
        }
        func distance(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } }
        let targetRed = try gram(red), targetBlue = try gram(blue)
        func run(_ masks: [SpatialMask]) throws -> (leftNearerRed: Bool, rightNearerBlue: Bool) {
            let engine = try TransferEngine(device: device, plan: try TransferPlan(options), weights: weights, content: content,
                                            styles: [red, blue], masks: TransferMasks(style: masks))
            try engine.run { _, _, _ in }
            let (l, r) = try halves(try engine.currentImage())
            let gl = try gram(l), gr = try gram(r)
            return (distance(gl, targetRed) < distance(gl, targetBlue), distance(gr, targetBlue) < distance(gr, targetRed))
        }
        let good = try run([left, right])
        XCTAssertTrue(good.leftNearerRed, "left half follows the red style")
        XCTAssertTrue(good.rightNearerBlue, "right half follows the blue style")
        let swapped = try run([right, left])
        XCTAssertFalse(swapped.leftNearerRed || swapped.rightNearerBlue, "with the masks swapped, the check fails")
    }

    /// Masks need the whole-image evaluation: a stage the memory budget puts in tiles refuses
    /// them before any work, with one line naming the option (and an engine given a tiled
    /// layout refuses them too).
    func testTiledEvaluationRefusesMasks() throws {
        var problem = try TinyProblem(size: 256)
        problem.options.controls.normalizeGradients = true
        let plan = try TransferPlan(problem.options, styleCount: 1)
        XCTAssertThrowsError(try TransferEngine(device: problem.device, plan: plan,
                                                weights: .builtIn(depth: 7), content: problem.content, styles: [problem.style],
                                                layout: StageLayout(layout: .tiled(tileSide: 8), history: 5, note: nil))) {
            XCTAssertTrue("\($0)".contains("need the whole-image evaluation"), "\($0)")
        }
        let inputs = try RunInputs(plan: plan, content: problem.content, styles: [problem.style])
        let pipeline = try TransferPipeline(plan: plan, weights: .builtIn(depth: 7), inputs: inputs,
                                            sizes: try StageSizes.all(plan, inputs), devices: [problem.device], sink: MemorySink())
        XCTAssertEqual(try pipeline.layouts(keepLastGood: false).map(\.layout), [.whole])
        // A budget a byte short of the whole image: the stage goes to tiles.
        let sized = try StageSizes.all(plan, inputs)[0]
        let whole = MemoryEstimate(plan: plan, height: sized.content.height, width: sized.content.width,
                                   styleSizes: sized.styles.map { ($0.height, $0.width) },
                                   history: min(LBFGS.defaultHistory, plan.iterations), keepLastGood: false, device: problem.device)
        problem.options.large.maxMemory = whole.bytesNeeded(on: problem.device) - 1
        let tight = try TransferPlan(problem.options, styleCount: 1)
        let tiled = try TransferPipeline(plan: tight, weights: .builtIn(depth: 7), inputs: inputs,
                                         sizes: try StageSizes.all(tight, inputs), devices: [problem.device], sink: MemorySink())
        XCTAssertThrowsError(try tiled.layouts(keepLastGood: false)) {
            XCTAssertTrue("\($0)".hasPrefix("--normalize-gradients: needs the whole-image evaluation, but this stage runs in tiles"), "\($0)")
        }
        problem.options.controls.styleMaskPaths = ["m.png"]
        problem.options.large.tile = 64
        XCTAssertThrowsError(try TransferPlan(problem.options)) {
            XCTAssertEqual("\($0)", "--style-mask: needs the whole-image evaluation and cannot be used with --tile")
        }
        problem.options.large.tile = nil
        problem.options.controls.styleMaskPaths = ["m.png", "n.png"]
        XCTAssertThrowsError(try TransferPlan(problem.options)) {
            XCTAssertTrue("\($0)".hasPrefix("--style-mask: is given 2 times for 1 --style images"), "\($0)")
        }
    }
}
