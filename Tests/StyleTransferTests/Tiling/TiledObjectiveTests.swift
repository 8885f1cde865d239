// TiledObjectiveTests: tiled evaluation equals the untiled one (losses and gradient) on both backends and across devices; a short halo does not.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

/// One comparison of a tiled evaluation with the untiled `TransferObjective`.
struct TilingProblem {
    var size = ImageSize(height: 29, width: 37)
    var styleSize = ImageSize(height: 21, width: 26)
    var contentLayers = ["relu2_1"]
    var styleLayers = ["relu1_1", "relu2_1"]
    var pooling = PoolKind.max
    var seed: UInt64 = 5
    var model: VGGModel? = nil
    var preset: TransferPreset? = nil
    /// tau; above 0, the objectives get a temporal term (video) with one seeded target.
    var temporalWeight = 0.0
    var styleLoss = StyleLossKind.gram

    var plan: TransferPlan {
        get throws {
            var options = TransferOptions()
            options.contentLayers = contentLayers
            options.styleLayers = styleLayers
            options.pooling = pooling
            options.tvWeight = 0.01
            options.model = model
            options.preset = preset
            options.temporalWeight = temporalWeight
            options.styleLoss = styleLoss
            return try TransferPlan(options, styleCount: 1)
        }
    }

    func images() throws -> (content: Image, style: Image, x: [Float]) {
        var data = TestData(seed: seed)
        let content = try Image(width: size.width, height: size.height, pixels: data.uniform(3 * size.height * size.width, 0, 1))
        let style = try Image(width: styleSize.width, height: styleSize.height,
                              pixels: data.uniform(3 * styleSize.height * styleSize.width, 0, 1))
        return (content, style, data.uniform(3 * size.height * size.width, 0, 1))
    }

    /// The temporal term's target when `temporalWeight` is set: a seeded warped image and
    /// weights with every fourth pixel unreliable (0).
    func temporalTargets() throws -> [TemporalTarget] {
        guard temporalWeight > 0 else { return [] }
        var data = TestData(seed: seed + 1)
        let warped = try Image(width: size.width, height: size.height, pixels: data.uniform(3 * size.height * size.width, 0, 1))
        let weights = data.uniform(size.height * size.width, 0, 1).enumerated().map { $0.offset % 4 == 0 ? 0 : $0.element }
        return [try TemporalTarget(warped: warped, weights: weights)]
    }

    func weights(_ plan: TransferPlan) -> VGGWeights {
        .builtIn(depth: plan.depth, model: plan.model, preprocess: plan.preprocess)
    }

    /// Losses and gradient of the untiled objective on `device`.
    func untiled(on device: any Device) throws -> (LossValues, [Float]) {
        let plan = try self.plan, (content, style, x) = try images()
        let engine = try TransferEngine(device: device, plan: plan, weights: weights(plan), content: content, styles: [style],
                                        initial: nil, keepLastGood: false, stage: nil, layout: nil, workers: [], masks: nil,
                                        cache: EngineCache(sharesStyleTargets: false), temporal: temporalTargets())
        let image = try device.tensor(Shape(3, size.height, size.width), x), gradient = try device.makeTensor(image.shape)
        let losses = try engine.objective.evaluate(image, gradient: gradient)
        return (losses, try device.download(gradient))
    }

    /// Losses and gradient of the tiled objective with tiles of `tile` pixels on `workers`
    /// (the image on the first).
    func tiled(tile: Int, on workers: [any Device], halo: Int? = nil) throws -> (LossValues, [Float], TileGrid) {
        let plan = try self.plan, (content, style, x) = try images()
        let grid = TileGrid(size: size, model: plan.model, depth: plan.depth, tileSide: tile, halo: halo)
        let home = workers[0]
        let targets = try temporalTargets()
        let temporal = try targets.isEmpty ? nil : TemporalTerm(device: home, targets: targets, height: size.height, width: size.width)
        let objective = try TiledObjective(home: home, workers: workers, weights: weights(plan), spec: plan.objective,
                                           grid: grid, content: content, styles: [style], temporal: temporal)
        let image = try home.tensor(Shape(3, size.height, size.width), x), gradient = try home.makeTensor(image.shape)
        let losses = try objective.evaluate(image, gradient: gradient)
        return (losses, try home.download(gradient), grid)
    }
}

/// Largest relative differences of two evaluations: per loss part, and the gradient's
/// worst element against its largest magnitude.
func tilingMismatch(_ a: (LossValues, [Float]), _ b: (LossValues, [Float])) -> (losses: Double, gradient: Double) {
    func rel(_ x: Double, _ y: Double) -> Double { abs(x - y) / max(abs(y), 1e-30) }
    let losses = [rel(a.0.total, b.0.total), rel(a.0.content, b.0.content), rel(a.0.style, b.0.style), rel(a.0.tv, b.0.tv),
                  b.0.temporal == 0 ? abs(a.0.temporal) : rel(a.0.temporal, b.0.temporal)].max() ?? 0
    let scale = b.1.map { abs(Double($0)) }.max() ?? 0
    let worst = zip(a.1, b.1).map { abs(Double($0) - Double($1)) }.max() ?? 0
    return (losses, worst / max(scale, 1e-30))
}

final class TiledObjectiveTests: XCTestCase {
    /// Float summation order differs between the tiled and untiled sums: relative 1e-5 for
    /// the losses, 1e-4 of the largest gradient element for the gradient.
    static let lossTolerance = 1e-5, gradientTolerance = 1e-4

    private func assertTiledMatches(_ problem: TilingProblem, tile: Int, on devices: [any Device], minTiles: Int = 2,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try problem.untiled(on: devices[0])
        let (losses, gradient, grid) = try problem.tiled(tile: tile, on: devices)
        XCTAssertGreaterThanOrEqual(grid.tiles.count, minTiles, "tiles", file: file, line: line)
        let m = tilingMismatch((losses, gradient), reference)
        print("tiled \(problem.size) in \(grid.tiles.count) tiles (halo \(grid.halo)) on \(devices.map(\.name)): losses \(m.losses), gradient \(m.gradient)")
        XCTAssertGreaterThan(reference.0.content, 0, file: file, line: line)
        XCTAssertLessThanOrEqual(m.losses, Self.lossTolerance, "\(losses) vs \(reference.0)", file: file, line: line)
        XCTAssertLessThanOrEqual(m.gradient, Self.gradientTolerance, file: file, line: line)
    }

    func testGridCoversTheImageOnThePoolingGrid() {
        let grid = TileGrid(size: ImageSize(height: 45, width: 38), depth: 12, tileSide: 10)
        XCTAssertEqual(grid.alignment, 4)
        XCTAssertEqual(grid.halo % 4, 0)
        var covered = [Int](repeating: 0, count: 45 * 38)
        for tile in grid.tiles {
            XCTAssertEqual(tile.interior.y % 4, 0)
            XCTAssertEqual(tile.crop.y % 4, 0)
            XCTAssertEqual(tile.crop.x % 4, 0)
            for y in tile.interior.y..<(tile.interior.y + tile.interior.height) {
                for x in tile.interior.x..<(tile.interior.x + tile.interior.width) { covered[y * 38 + x] += 1 }
            }
        }
        XCTAssertEqual(Set(covered), [1], "every pixel in exactly one interior")
        // Every position of every layer belongs to exactly one tile's window.
        for layer in 0..<12 {
            let total = grid.tiles.map { grid.window(of: $0, layer: layer) }.filter { !$0.isEmpty }.reduce(0) { $0 + $1.height * $1.width }
            XCTAssertEqual(total, grid.positions(layer: layer), "layer \(layer)")
        }
        // The halo through relu5_1: contamination 80 pixels, on a 16-pixel grid.
        XCTAssertEqual(TileGrid.halo(depth: 30), 80)
    }

    func testTiledEqualsUntiledOnTheCPU() throws {
        try assertTiledMatches(TilingProblem(), tile: 12, on: [CPUDevice()], minTiles: 6)
        var avg = TilingProblem(size: ImageSize(height: 45, width: 38), contentLayers: ["relu3_1"],
                                styleLayers: ["relu1_1", "relu2_1", "relu3_1"], pooling: .avg)
        try assertTiledMatches(avg, tile: 20, on: [CPUDevice()], minTiles: 4)
        avg.contentLayers = ["conv1_2"]
        avg.styleLayers = ["relu1_1"]
        try assertTiledMatches(avg, tile: 16, on: [CPUDevice()], minTiles: 6)
    }

    /// Video's temporal term on the whole image: the same through tiles on both backends.
    func testTiledEqualsUntiledWithTheTemporalTerm() throws {
        let problem = TilingProblem(temporalWeight: 50)
        let reference = try problem.untiled(on: CPUDevice())
        XCTAssertGreaterThan(reference.0.temporal, 0.01, "the temporal term is in J")
        let w = try problem.plan.lossWeights, l = reference.0
        XCTAssertEqual(w.temporal, 50)
        XCTAssertEqual(l.total, w.content * l.content + w.style * l.style + w.tv * l.tv + w.temporal * l.temporal, accuracy: 1e-9 * l.total)
        try assertTiledMatches(problem, tile: 12, on: [CPUDevice()], minTiles: 6)
        try assertTiledMatches(problem, tile: 16, on: [try OpenCLTestDevice.get()], minTiles: 4)
    }

    /// VGG-16's layer table and neural-style's preset (caffe preprocessing, the L1 TV of the
    /// network's input) through tiles.
    func testTiledVGG16WithTheNeuralStylePreset() throws {
        var problem = TilingProblem(size: ImageSize(height: 36, width: 30), contentLayers: ["relu3_1"],
                                    styleLayers: ["relu1_1", "relu2_1", "relu3_1"])
        problem.model = .vgg16
        problem.preset = .neuralStyle
        let plan = try problem.plan
        XCTAssertEqual(plan.model, .vgg16)
        XCTAssertEqual(plan.tv, .absolute)
        try assertTiledMatches(problem, tile: 12, on: [CPUDevice()], minTiles: 4)
    }

    func testOneTileEqualsUntiled() throws {
        try assertTiledMatches(TilingProblem(), tile: 64, on: [CPUDevice()], minTiles: 1)
    }

    /// The halo is what makes tiling exact: one grid step less and the interior sees the cut.
    func testShortHaloFails() throws {
        let problem = TilingProblem(), device = CPUDevice()
        let plan = try problem.plan
        let full = TileGrid.halo(depth: plan.depth), step = 1 << TileGrid.pools(depth: plan.depth)
        let reference = try problem.untiled(on: device)
        let (losses, gradient, _) = try problem.tiled(tile: 12, on: [device], halo: full - step)
        let m = tilingMismatch((losses, gradient), reference)
        XCTAssertGreaterThan(m.gradient, 100 * Self.gradientTolerance, "a short halo must break the equality")
    }

    func testTiledEqualsUntiledOnOpenCL() throws {
        let cl = try OpenCLTestDevice.get()
        try assertTiledMatches(TilingProblem(), tile: 12, on: [cl], minTiles: 6)
        try assertTiledMatches(TilingProblem(size: ImageSize(height: 45, width: 38), contentLayers: ["relu3_1"],
                                             styleLayers: ["relu1_1", "relu3_1"], pooling: .avg), tile: 20, on: [cl])
    }

    /// Tiles spread over the CPU backend and OpenCL give the single-device result.
    func testTwoDevicesEqualOne() throws {
        let cl = try OpenCLTestDevice.get()
        try assertTiledMatches(TilingProblem(), tile: 12, on: [CPUDevice(), cl], minTiles: 6)
    }
}
