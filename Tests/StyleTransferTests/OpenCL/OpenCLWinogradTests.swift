// OpenCLWinogradTests: which convolutions take the Winograd path, its parity with the CPU, and the products `nst tune` times.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class OpenCLWinogradTests: XCTestCase {
    func geometry(_ i: Int, _ h: Int, _ w: Int, _ o: Int, _ k: Int = 3, _ p: Int = 1) throws -> ConvGeometry {
        try ConvGeometry(op: "test", input: Shape(i, h, w), weight: Shape(o, i, k, k), bias: nil,
                         output: Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1), padding: p)
    }

    /// A device of the test driver with Winograd `tile` on from 16 summed channels (as the CPU backend).
    static func winogradDevice(im2colLimit: Int = 1 << 25, tile: OpenCLWinogradTile = .f2x2,
                               minChannels: Int = 16) throws -> OpenCLDevice {
        let info = try OpenCLTestDevice.get().info
        return try OpenCLDevice(info: info, im2colLimit: im2colLimit,
                                tuning: .given(OpenCLTuning(info: info, winogradMinChannels: minChannels, winogradTile: tile)))
    }

    func testPathChoice() throws {
        let untuned = try OpenCLDevice(info: try OpenCLTestDevice.get().info, tuning: .none)
        XCTAssertEqual(untuned.winogradMinChannels, OpenCLDevice.winogradOff, "off unless tuned on")
        XCTAssertFalse(untuned.usesWinograd(try geometry(64, 9, 7, 64), inputGradient: false))
        let cl = try Self.winogradDevice()
        XCTAssertEqual(cl.winogradMinChannels, 16)
        let wide = try geometry(64, 9, 7, 3), thin = try geometry(3, 9, 7, 64)
        XCTAssertTrue(cl.usesWinograd(wide, inputGradient: false))
        XCTAssertFalse(cl.usesWinograd(wide, inputGradient: true), "the input gradient sums over 3 channels")
        XCTAssertFalse(cl.usesWinograd(thin, inputGradient: false), "conv1_1 keeps im2col")
        XCTAssertTrue(cl.usesWinograd(thin, inputGradient: true))
        XCTAssertFalse(cl.usesWinograd(try geometry(64, 9, 7, 64, 3, 0), inputGradient: false), "padding 0")
        XCTAssertFalse(cl.usesWinograd(try geometry(64, 9, 7, 64, 5, 2), inputGradient: false), "5x5")
        XCTAssertEqual(cl.convGemms(wide, inputGradient: false),
                       Array(repeating: GemmShape(m: 3, n: 5 * 4, k: 64, transA: false, transB: false), count: 16))
        XCTAssertEqual(cl.convGemms(wide, inputGradient: true),
                       [GemmShape(m: 64 * 9, n: 9 * 7, k: 3, transA: true, transB: false)])
    }

    /// Winograd convolutions (odd sizes, 1x1 and 1xN images, one band and one tile row per
    /// band) against the CPU, with the parity tests' convolution tolerances.
    func testWinogradMatchesCPU() throws {
        for tile in OpenCLWinogradTile.allCases { try checkWinogradMatchesCPU(tile) }
    }

    /// The same on each GEMM engine: CLBlast takes the transformed tiles row-major, one call
    /// per product; the project's kernels take them packed into panels by the input kernel,
    /// all products in one batched launch (standard tiles and odd 12-column panels).
    func testWinogradMatchesCPUOnEveryGemmEngine() throws {
        let info = try OpenCLTestDevice.get().info
        for (label, engine) in OpenCLGemmTests.engines(info) {
            for tile in OpenCLWinogradTile.allCases {
                let tuning = OpenCLTuning(info: info, gemmEngine: engine.gemmEngine, gemmTiles: engine.gemmTiles,
                                          winogradMinChannels: 1, winogradTile: tile)
                let device = try OpenCLDevice(info: info, tuning: .given(tuning))
                XCTAssertEqual(device.usesProjectGemm, engine.gemmEngine?.usesProjectKernels == true, label)
                try checkWinogradMatchesCPU(tile, device: device)
            }
        }
    }

    private func checkWinogradMatchesCPU(_ tile: OpenCLWinogradTile, device: OpenCLDevice? = nil) throws {
        let cl = try device ?? Self.winogradDevice(tile: tile), banded = try Self.winogradDevice(im2colLimit: 90, tile: tile)
        let cpu = CPUDevice()
        var data = TestData(seed: 31)
        for (i, h, w, o) in [(16, 9, 7, 20), (33, 1, 1, 17), (20, 1, 6, 24), (17, 6, 8, 16), (24, 5, 5, 40), (16, 13, 11, 16)] {
            let x = data.uniform(i * h * w), wt = data.uniform(o * i * 9), b = data.uniform(o), dy = data.uniform(o * h * w)
            var results: [[[Float]]] = []
            for device in [cl as Device, banded, cpu] {
                let input = try device.tensor(Shape(i, h, w), x), weight = try device.tensor(Shape(o, i, 3, 3), wt)
                let out = try device.makeTensor(Shape(o, h, w))
                try device.conv2d(input: input, weight: weight, bias: try device.tensor(Shape(o), b), output: out, padding: 1)
                let dIn = try device.tensor(Shape(i, h, w), data.uniform(i * h * w))   // overwritten
                try device.conv2dInputGradient(outputGradient: try device.tensor(Shape(o, h, w), dy), weight: weight,
                                               inputGradient: dIn, padding: 1)
                results.append([try device.download(out), try device.download(dIn)])
            }
            for k in 0..<2 {
                for (index, label) in ["one band", "banded"].enumerated() {
                    assertParity("Winograd \(tile.label) \(k == 0 ? "conv2d" : "conv2dInputGradient") \(label) [\(i),\(h),\(w)]->\(o)",
                                 results[index][k], results[2][k], abs: 1e-5, rel: 1e-4)
                }
            }
        }
    }

    /// The cached Winograd filters follow every write to the weight tensor (an upload, an op
    /// that scales it in place), are kept per direction and reused while it is unchanged,
    /// and are dropped with the weight.
    func testWinogradFilterCacheFollowsWrites() throws {
        var data = TestData(seed: 11)
        let (i, o, h, w) = (5, 6, 9, 10)
        let cpu = CPUDevice(columnBudget: 1 << 22, winogradMinChannels: .max)
        for tile in OpenCLWinogradTile.allCases {
            let device = try Self.winogradDevice(tile: tile, minChannels: 1)
            let x = data.uniform(i * h * w), first = data.uniform(o * i * 9), second = data.uniform(o * i * 9)
            let dy = data.uniform(o * h * w)
            var weight: Tensor? = try device.tensor(Shape(o, i, 3, 3), first)
            let input = try device.tensor(Shape(i, h, w), x), out = try device.makeTensor(Shape(o, h, w))
            let gradient = try device.tensor(Shape(o, h, w), dy), dIn = try device.makeTensor(Shape(i, h, w))
            func check(_ weights: [Float], _ what: String) throws {
                guard let weight else { return XCTFail("no weight") }
                try device.conv2d(input: input, weight: weight, bias: nil, output: out, padding: 1)
                try device.conv2dInputGradient(outputGradient: gradient, weight: weight, inputGradient: dIn, padding: 1)
                let reference = try cpu.tensor(Shape(o, i, 3, 3), weights)
                let want = try cpu.makeTensor(Shape(o, h, w)), wantIn = try cpu.makeTensor(Shape(i, h, w))
                try cpu.conv2d(input: try cpu.tensor(Shape(i, h, w), x), weight: reference, bias: nil, output: want, padding: 1)
                try cpu.conv2dInputGradient(outputGradient: try cpu.tensor(Shape(o, h, w), dy), weight: reference,
                                            inputGradient: wantIn, padding: 1)
                assertParity("\(tile.label) forward, \(what)", try device.download(out), try cpu.download(want), abs: 1e-5, rel: 1e-4)
                assertParity("\(tile.label) input gradient, \(what)", try device.download(dIn), try cpu.download(wantIn),
                             abs: 1e-5, rel: 1e-4)
            }
            try check(first, "first weights")
            XCTAssertEqual(device.winogradFilterCache.floats, 2 * tile.points * o * i, "both directions cached")
            try check(first, "cached weights")
            XCTAssertEqual(device.winogradFilterCache.floats, 2 * tile.points * o * i, "reused, not added")
            try device.upload(second, to: XCTUnwrap(weight))
            try check(second, "after an upload")
            try device.scale(XCTUnwrap(weight), by: -2)
            try check(second.map { -2 * $0 }, "after scaling in place")
            weight = nil
            XCTAssertEqual(device.winogradFilterCache.floats, 0, "dropped with the weight")
        }
    }

    /// Giving up the filter cache (for a memory budget) lowers the memory estimate by the
    /// transforms kept, keeps results right, and is offered only when Winograd is on.
    func testTradingSpeedForMemoryDropsTheFilterCache() throws {
        let untuned = try OpenCLDevice(info: try OpenCLTestDevice.get().info, tuning: .none)
        XCTAssertFalse(untuned.tradeSpeedForMemory(), "nothing kept without Winograd")
        let device = try Self.winogradDevice(tile: .f4x4)
        let sizes = [ImageSize(height: 64, width: 64)], depth = try XCTUnwrap(VGG19.index(of: "relu5_1")) + 1
        let kept = device.scratchFloats(sizes: sizes, depth: depth)
        XCTAssertTrue(device.tradeSpeedForMemory())
        XCTAssertFalse(device.tradeSpeedForMemory(), "only once")
        // conv5_1's two directions alone are 2 * 36 * 512 * 512 floats.
        XCTAssertGreaterThan(kept - device.scratchFloats(sizes: sizes, depth: depth), 2 * 36 * 512 * 512)
        try checkWinogradMatchesCPU(.f4x4, device: device)
    }

    /// The products one evaluation issues follow the layer table: 16 per Winograd
    /// convolution pass, one per im2col band, two per style layer.
    func testEvaluationProductsFollowTheLayerTable() throws {
        let cl = try Self.winogradDevice()
        let depth = try XCTUnwrap(VGG19.index(of: "relu5_1")) + 1
        let styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].compactMap(VGG19.index(of:))
        let gemms = try cl.evaluationGemms(height: 32, width: 32, depth: depth, styleLayers: styleLayers)
        let total = gemms.reduce(0) { $0 + $1.1 }
        // 13 convolutions up to conv5_1: conv1_1 forward by im2col (1 band at this size),
        // every other pass by Winograd (16 products); 5 style layers with 2 products each.
        XCTAssertEqual(total, 1 + 12 * 16 + 13 * 16 + 5 * 2)
        let conv11 = GemmShape(m: 64, n: 32 * 32, k: 27, transA: false, transB: false)
        XCTAssertEqual(gemms.first { $0.0 == conv11 }?.1, 1)
        let conv51 = GemmShape(m: 512, n: 1, k: 512, transA: false, transB: false)   // 2x2 image, one tile
        XCTAssertEqual(gemms.first { $0.0 == conv51 }?.1, 2 * 16, "conv5_1 forward and its input gradient")
        // F(4x4): 36 products per pass; a 4x4 image is one tile too, so conv4_2..conv4_4 and
        // conv5_1 (both passes each) issue that shape.
        let four = try Self.winogradDevice(tile: .f4x4)
        let gemms4 = try four.evaluationGemms(height: 32, width: 32, depth: depth, styleLayers: styleLayers)
        XCTAssertEqual(gemms4.reduce(0) { $0 + $1.1 }, 1 + 12 * 36 + 13 * 36 + 5 * 2)
        XCTAssertEqual(gemms4.first { $0.0 == conv51 }?.1, 4 * 2 * 36)
    }

    /// The Winograd search times F(2x2), F(4x4) and im2col on VGG's convolutions and returns
    /// one of its candidates, F(2x2) with "never" (so F(4x4) is never stored unused); the
    /// layer list follows the table (channels, and the side halving at each pool).
    func testThresholdSearchReturnsACandidate() throws {
        let info = try OpenCLTestDevice.get().info
        let convs = OpenCLTuner.vggConvolutions(size: 32, depth: 10)
        XCTAssertEqual(convs.map(\.inC), [3, 64, 64, 128])
        XCTAssertEqual(convs.map(\.outC), [64, 64, 128, 128])
        XCTAssertEqual(convs.map(\.side), [32, 32, 16, 16])
        var lines: [String] = []
        let tuner = OpenCLTuner { lines.append($0) }
        let (threshold, tile) = try tuner.searchWinograd(info: info, tuning: OpenCLTuning(info: info), size: 16, depth: 4)
        XCTAssertTrue([16, 64, 128, 256, 512, OpenCLDevice.winogradOff].contains(threshold), "\(threshold)")
        if threshold == OpenCLDevice.winogradOff { XCTAssertEqual(tile, .f2x2) }
        // One line per distinct convolution (3->64, 64->64), then one per candidate: five
        // thresholds for each variant and "never".
        XCTAssertEqual(lines.count, 2 + 11, "\(lines)")
        XCTAssertEqual(lines.filter { $0.contains("F(4x4) WINOGRAD_MIN_CHANNELS=") }.count, 5, "\(lines)")
    }
}
