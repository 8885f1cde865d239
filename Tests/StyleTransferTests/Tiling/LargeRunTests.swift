// LargeRunTests: stages of coarse-to-fine runs, memory sizes, the tile planner's choices, and tiled runs through the engine and the executable.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class LargeRunTests: XCTestCase {
    private func plan(_ change: (inout TransferOptions) -> Void) throws -> TransferPlan {
        var options = TransferOptions(contentPath: "c", stylePaths: ["s"], outputPath: "o.png")
        change(&options)
        return try TransferPlan(options)
    }

    private func message(_ change: (inout TransferOptions) -> Void) -> String {
        do { _ = try plan(change); return "" } catch { return "\(error)" }
    }

    func testStagesGrowByTheFactorAndEndAtSize() throws {
        let stages = try plan { $0.size = 1000; $0.iterations = 7; $0.large.startSize = 100 }.stages
        XCTAssertEqual(stages.map(\.size), [100, 200, 400, 800, 1000])
        XCTAssertEqual(Set(stages.map(\.iterations)), [7])
        let three = try plan { $0.size = 900; $0.large.startSize = 100; $0.large.scaleFactor = 3; $0.large.stageIterations = [5, 4, 3] }.stages
        XCTAssertEqual(three.map(\.size), [100, 300, 900])
        XCTAssertEqual(three.map(\.iterations), [5, 4, 3])
        XCTAssertEqual(try plan { $0.size = 300 }.stages.map(\.size), [300], "one stage without --start-size")
        XCTAssertTrue(message { $0.large.startSize = 400; $0.size = 300 }.hasPrefix("--start-size:"))
        XCTAssertTrue(message { $0.large.scaleFactor = 1 }.hasPrefix("--scale-factor:"))
        XCTAssertTrue(message { $0.large.startSize = 64; $0.size = 256; $0.large.stageIterations = [1, 2] }.hasPrefix("--stage-iterations:"))
        XCTAssertTrue(message { $0.large.tile = 0 }.hasPrefix("--tile:"))
    }

    func testMemorySizes() {
        XCTAssertEqual(LargeImageOptions.bytes("1GiB"), 1 << 30)
        XCTAssertEqual(LargeImageOptions.bytes("800MiB"), 800 << 20)
        XCTAssertEqual(LargeImageOptions.bytes("1.5g"), 3 << 29)
        XCTAssertEqual(LargeImageOptions.bytes("2000000"), 2_000_000)
        XCTAssertEqual(LargeImageOptions.bytes("512MB"), 512_000_000)
        for bad in ["", "GiB", "-1GiB", "1e30GiB", "one", "nan"] { XCTAssertNil(LargeImageOptions.bytes(bad), bad) }
    }

    /// Whole when it fits; the largest tile whose estimate fits the budget otherwise (one
    /// grid step more does not fit); an error naming the option when nothing fits.
    func testPlannerPicksTheLargestTileThatFits() throws {
        let plan = try plan { $0.optimizer = .adam; $0.iterations = 10 }
        let device = CPUDevice(), size = ImageSize(height: 600, width: 800), styles = [ImageSize(height: 300, width: 400)]
        func choose(_ budget: Int?) throws -> StageLayout {
            try TilePlanner.choose(plan: plan, size: size, styleSizes: styles, devices: [device], forcedTile: nil,
                                   maxMemory: budget, keepLastGood: false, option: "--size 800")
        }
        XCTAssertEqual(try choose(64 << 30).layout, .whole)
        let whole = MemoryEstimate(plan: plan, height: 600, width: 800, styleSizes: [(300, 400)], keepLastGood: false, device: device)
        let budget = whole.bytesNeeded(on: device) * 2 / 3
        guard case let .tiled(side) = try choose(budget).layout else { return XCTFail("expected tiles under \(budget) bytes") }
        XCTAssertEqual(side % 16, 0, "on the pooling grid of relu5_1")
        func bytes(_ side: Int) -> Int {
            TiledMemory(plan: plan, size: size, styleSizes: styles, tileSide: side, history: 10, keepLastGood: false)
                .bytes(on: device, isHome: true, isWorker: true)
        }
        XCTAssertLessThanOrEqual(bytes(side), budget)
        XCTAssertGreaterThan(bytes(side + 16), budget, "one grid step larger would not fit")
        XCTAssertLessThan(bytes(side), whole.bytesNeeded(on: device), "tiles need less than the whole image")
        XCTAssertThrowsError(try choose(50 << 20)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--size 800: needs at least "), "\(error)")
        }
        // --tile forces tiles even when the whole image fits.
        let forced = try TilePlanner.choose(plan: plan, size: size, styleSizes: styles, devices: [device], forcedTile: 100,
                                            maxMemory: nil, keepLastGood: false, option: "--size 800")
        XCTAssertEqual(forced.layout, .tiled(tileSide: 112))
    }

    /// When even the smallest tile does not fit, the CPU backend gives up its cache of
    /// transformed convolution weights and the search runs again; the note says so.
    func testPlannerTradesTheWeightCacheForMemory() throws {
        let plan = try plan { $0.optimizer = .adam; $0.iterations = 1 }
        let size = ImageSize(height: 1412, width: 2048), styles = [ImageSize(height: 1280, width: 2048)]
        func smallest(_ device: CPUDevice) -> Int {
            TiledMemory(plan: plan, size: size, styleSizes: styles, tileSide: 16, history: 1, keepLastGood: false)
                .bytes(on: device, isHome: true, isWorker: true)
        }
        let lean = CPUDevice()
        XCTAssertTrue(lean.tradeSpeedForMemory())
        XCTAssertFalse(lean.tradeSpeedForMemory(), "nothing left to give up")
        let keeping = CPUDevice()
        XCTAssertLessThan(smallest(lean), smallest(keeping))
        let budget = (smallest(lean) + smallest(keeping)) / 2
        let layout = try TilePlanner.choose(plan: plan, size: size, styleSizes: styles, devices: [keeping], forcedTile: nil,
                                            maxMemory: budget, keepLastGood: false, option: "--size 2048")
        guard case .tiled = layout.layout else { return XCTFail("expected tiles") }
        XCTAssertFalse(keeping.transformedWeights.isKeeping)
        XCTAssertTrue(layout.note?.contains("recomputed") == true, layout.note ?? "")
        // With room to spare the cache stays.
        let roomy = CPUDevice()
        _ = try TilePlanner.choose(plan: plan, size: size, styleSizes: styles, devices: [roomy], forcedTile: nil,
                                   maxMemory: 4 * smallest(roomy), keepLastGood: false, option: "--size 2048")
        XCTAssertTrue(roomy.transformedWeights.isKeeping)
    }

    /// L-BFGS's history is halved until it fits beside the smallest tile, and the note says so.
    func testPlannerCapsTheLBFGSHistory() throws {
        let plan = try plan { $0.optimizer = .lbfgs; $0.iterations = 200 }
        let device = CPUDevice(), size = ImageSize(height: 1000, width: 1000)
        // 100 pairs of a 1000x1000 image are 2.4 GB; 1.5 GB leaves room for fewer.
        let layout = try TilePlanner.choose(plan: plan, size: size, styleSizes: [size], devices: [device], forcedTile: nil,
                                            maxMemory: 1_500_000_000, keepLastGood: false, option: "--size 1000")
        XCTAssertLessThan(layout.history, 100)
        XCTAssertGreaterThanOrEqual(layout.history, 1)
        XCTAssertNotNil(layout.note)
        XCTAssertTrue(layout.note?.contains("history") == true)
    }

    /// The engine with a tiled layout reproduces the whole-image loss log over several
    /// iterations (relative 1e-4, the float summation order differing), with each optimiser.
    func testTiledEngineReproducesTheLossLog() throws {
        for optimizer in OptimizerKind.allCases {
            var problem = try TinyProblem(size: 28)
            problem.options.optimizer = optimizer
            problem.options.iterations = 4
            let mismatch = try problem.tiledRunMismatch(tile: 10)
            XCTAssertEqual(mismatch.count, 5)
            for (k, m) in mismatch.enumerated() { XCTAssertLessThanOrEqual(m, 1e-4, "\(optimizer) iteration \(k)") }
        }
    }

    /// Coarse to fine through the executable: a row per iteration of each stage, the count
    /// restarting at 0, the scale column naming the stage, snapshots named by stage.
    func testCoarseToFineLogAndSnapshots() throws {
        let folder = try makeScratchFolder("c2f")
        defer { try? FileManager.default.removeItem(at: folder) }
        var data = TestData(seed: 4)
        let content = folder.appendingPathComponent("c.png").path, style = folder.appendingPathComponent("s.png").path
        try Image(width: 40, height: 30, pixels: data.uniform(3 * 40 * 30, 0, 1)).writePNG(to: content)
        try Image(width: 20, height: 20, pixels: data.uniform(3 * 20 * 20, 0, 1)).writePNG(to: style)
        let result = try NSTProcess.run(["transfer", "--content", content, "--style", style, "--output", "out.png",
                                         "--size", "40", "--start-size", "10", "--stage-iterations", "1,2,2",
                                         "--content-layers", "relu2_1", "--style-layers", "relu1_1,relu2_1",
                                         "--device", "cpu", "--loss-log", "log.csv", "--save-every", "1", "--tile", "8"],
                                        in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("stage 3/3: 40x30"), result.stderr)
        XCTAssertTrue(result.stderr.contains("in tiles of 8 px"), result.stderr)
        let lines = try String(contentsOfFile: folder.appendingPathComponent("log.csv").path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, Substring(LossLog.header))
        let rows = lines.dropFirst().map { $0.split(separator: ",") }
        XCTAssertEqual(rows.map { Int($0[0])! }, [0, 1, 0, 1, 2, 0, 1, 2])
        XCTAssertEqual(rows.map { Int($0[6])! }, [10, 10, 20, 20, 20, 40, 40, 40])
        for name in ["out-s10-1.png", "out-s20-1.png", "out-s20-2.png", "out-s40-1.png", "out.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
        }
        XCTAssertEqual(try Image.load(path: folder.appendingPathComponent("out.png").path).width, 40)
    }
}
