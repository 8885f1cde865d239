// OpenCLWinogradTests: which convolutions take the Winograd path, its parity with the CPU, and the products `nst tune` times.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import StyleTransfer
import XCTest

final class OpenCLWinogradTests: XCTestCase {
    func geometry(_ i: Int, _ h: Int, _ w: Int, _ o: Int, _ k: Int = 3, _ p: Int = 1) throws -> ConvGeometry {
        try ConvGeometry(op: "test", input: Shape(i, h, w), weight: Shape(o, i, k, k), bias: nil,
                         output: Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1), padding: p)
    }

    /// A device of the test driver with Winograd on from 16 summed channels (as the CPU backend).
    static func winogradDevice(im2colLimit: Int = 1 << 25) throws -> OpenCLDevice {
        let info = try OpenCLTestDevice.get().info
        return try OpenCLDevice(info: info, im2colLimit: im2colLimit,
                                tuning: .given(OpenCLTuning(info: info, winogradMinChannels: 16)))
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
        let cl = try Self.winogradDevice(), banded = try Self.winogradDevice(im2colLimit: 90)
        let cpu = CPUDevice()
        var data = TestData(seed: 31)
        for (i, h, w, o) in [(16, 9, 7, 20), (33, 1, 1, 17), (20, 1, 6, 24), (17, 6, 8, 16), (24, 5, 5, 40)] {
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
                    assertParity("Winograd \(k == 0 ? "conv2d" : "conv2dInputGradient") \(label) [\(i),\(h),\(w)]->\(o)",
                                 results[index][k], results[2][k], abs: 1e-5, rel: 1e-4)
                }
            }
        }
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
    }

    /// The threshold search times both paths on VGG's convolutions and returns one of its
    /// candidates; the layer list follows the table (channels, and the side halving at each pool).
    func testThresholdSearchReturnsACandidate() throws {
        let info = try OpenCLTestDevice.get().info
        let convs = OpenCLTuner.vggConvolutions(size: 32, depth: 10)
        XCTAssertEqual(convs.map(\.inC), [3, 64, 64, 128])
        XCTAssertEqual(convs.map(\.outC), [64, 64, 128, 128])
        XCTAssertEqual(convs.map(\.side), [32, 32, 16, 16])
        var lines: [String] = []
        let tuner = OpenCLTuner { lines.append($0) }
        let threshold = try tuner.searchWinogradThreshold(info: info, tuning: OpenCLTuning(info: info), size: 16, depth: 4)
        XCTAssertTrue([16, 64, 128, 256, 512, OpenCLDevice.winogradOff].contains(threshold), "\(threshold)")
        XCTAssertEqual(lines.count, 6, "one line per candidate threshold: \(lines)")
    }
}
