// ConvolutionTests: im2col and Winograd (whole and banded) against a direct loop, and shape errors (the worked edge example is an OpTable case).
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ConvolutionTests: XCTestCase {
    let device = CPUDevice()

    /// im2col + SGEMM (whole image and in bands of a few rows) against the direct formula.
    func testMatchesDirectLoopOverShapes() throws {
        var data = TestData(seed: 7)
        let cases: [(i: Int, h: Int, w: Int, o: Int, k: (Int, Int), p: Int)] = [
            (1, 1, 1, 1, (3, 3), 1), (3, 8, 8, 4, (3, 3), 1), (5, 7, 9, 6, (3, 3), 1),
            (2, 6, 5, 3, (3, 3), 0), (4, 5, 6, 2, (1, 1), 0), (3, 9, 4, 5, (5, 2), 2), (17, 6, 7, 33, (3, 3), 1),
        ]
        // im2col (whole and banded) and both Winograd variants (whole and banded, forced on every 3x3 pad-1 case).
        let settings: [(Int, Int, WinogradTile)] = [(1 << 22, Int.max, .f4x4), (50, Int.max, .f4x4), (1 << 22, 1, .f4x4),
                                                    (300, 1, .f4x4), (1 << 22, 1, .f2x2), (300, 1, .f2x2)]
        for (budget, winograd, tile) in settings {
            let device = CPUDevice(columnBudget: budget, winogradMinChannels: winograd, winogradTile: tile)
            for c in cases {
                let x = data.uniform(c.i * c.h * c.w), w = data.uniform(c.o * c.i * c.k.0 * c.k.1), b = data.uniform(c.o)
                let ho = c.h + 2 * c.p - c.k.0 + 1, wo = c.w + 2 * c.p - c.k.1 + 1
                let out = try device.makeTensor(Shape(c.o, ho, wo))
                try device.fill(out, with: 99) // the op overwrites
                try device.conv2d(input: try device.tensor(Shape(c.i, c.h, c.w), x),
                                  weight: try device.tensor(Shape(c.o, c.i, c.k.0, c.k.1), w),
                                  bias: try device.tensor(Shape(c.o), b), output: out, padding: c.p)
                let want = referenceConv2d(input: x, c.i, c.h, c.w, weight: w, c.o, c.k.0, c.k.1, bias: b, padding: c.p)
                assertClose(try device.download(out), want, abs: 1e-5, rel: 1e-5, "conv \(c) budget \(budget) winograd \(tile) from \(winograd)")
            }
        }
    }

    /// The input gradient by both Winograd variants against the im2col/col2im path, on odd and even sizes.
    func testWinogradInputGradientMatchesIm2col() throws {
        var data = TestData(seed: 9)
        let im2col = CPUDevice(columnBudget: 1 << 22, winogradMinChannels: .max)
        let winograd4 = CPUDevice(columnBudget: 500, winogradMinChannels: 1, winogradTile: .f4x4)
        let winograd2 = CPUDevice(columnBudget: 500, winogradMinChannels: 1, winogradTile: .f2x2)
        for (i, o, h, w) in [(1, 1, 1, 1), (3, 5, 7, 6), (16, 8, 9, 9), (20, 24, 4, 5), (6, 7, 17, 23)] {
            let dyValues = data.uniform(o * h * w), wValues = data.uniform(o * i * 9)
            var results: [[Float]] = []
            for device in [im2col, winograd4, winograd2] {
                let dx = try device.makeTensor(Shape(i, h, w))
                try device.fill(dx, with: 5) // overwritten
                try device.conv2dInputGradient(outputGradient: try device.tensor(Shape(o, h, w), dyValues),
                                               weight: try device.tensor(Shape(o, i, 3, 3), wValues), inputGradient: dx, padding: 1)
                results.append(try device.download(dx))
            }
            assertClose(results[1], results[0], abs: 1e-5, rel: 1e-5, "F(4x4) input gradient \(i)->\(o) at \(h)x\(w)")
            assertClose(results[2], results[0], abs: 1e-5, rel: 1e-5, "F(2x2) input gradient \(i)->\(o) at \(h)x\(w)")
        }
    }

    /// The cached Winograd weights follow every write to the weight tensor (an upload, an op
    /// that scales it in place) and are reused, not recomputed, while it is unchanged.
    func testWinogradWeightCacheFollowsWrites() throws {
        var data = TestData(seed: 11)
        let (i, o, h, w) = (5, 6, 9, 10)
        for tile in [WinogradTile.f4x4, .f2x2] {
            let device = CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 1, winogradTile: tile)
            let x = data.uniform(i * h * w), first = data.uniform(o * i * 9), second = data.uniform(o * i * 9)
            let input = try device.tensor(Shape(i, h, w), x), weight = try device.tensor(Shape(o, i, 3, 3), first)
            let out = try device.makeTensor(Shape(o, h, w))
            func check(_ weights: [Float], _ what: String) throws {
                try device.conv2d(input: input, weight: weight, bias: nil, output: out, padding: 1)
                let want = referenceConv2d(input: x, i, h, w, weight: weights, o, 3, 3, bias: nil, padding: 1)
                assertClose(try device.download(out), want, abs: 1e-5, rel: 1e-5, "\(tile) \(what)")
            }
            try check(first, "first weights")
            // F(4x4)'s are packed for the products, the output channels rounded up to whole panels.
            let floats = tile == .f4x4 ? CPUDevice.winograd4PackedFloats(outChannels: o, inChannels: i) : tile.points * o * i
            XCTAssertEqual(device.transformedWeights.floats, floats, "one direction cached")
            try check(first, "cached weights")
            XCTAssertEqual(device.transformedWeights.floats, floats, "reused, not added")
            try device.upload(second, to: weight)
            try check(second, "after an upload")
            try device.scale(weight, by: -2)
            try check(second.map { -2 * $0 }, "after scaling in place")
        }
    }

    func testShapeMismatchNamesBothShapes() throws {
        let x = try device.makeTensor(Shape(3, 8, 8)), w = try device.makeTensor(Shape(4, 2, 3, 3))
        let y = try device.makeTensor(Shape(4, 8, 8))
        XCTAssertThrowsError(try device.conv2d(input: x, weight: w, bias: nil, output: y, padding: 1)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("[3x8x8]") && text.contains("[4x2x3x3]"), text)
        }
        let wrongOut = try device.makeTensor(Shape(4, 7, 8)), w3 = try device.makeTensor(Shape(4, 3, 3, 3))
        XCTAssertThrowsError(try device.conv2d(input: x, weight: w3, bias: nil, output: wrongOut, padding: 1)) { error in
            XCTAssertTrue("\(error)".contains("[4x8x8]") && "\(error)".contains("[4x7x8]"), "\(error)")
        }
        XCTAssertThrowsError(try device.conv2d(input: x, weight: w3, bias: try device.makeTensor(Shape(3)), output: y, padding: 1))
        XCTAssertThrowsError(try device.conv2d(input: x, weight: w3, bias: nil, output: y, padding: -1))
    }

    func testKernelLargerThanPaddedImageThrows() throws {
        let x = try device.makeTensor(Shape(1, 2, 2)), w = try device.makeTensor(Shape(1, 1, 3, 3))
        let y = try device.makeTensor(Shape(1, 1, 1))
        XCTAssertThrowsError(try device.conv2d(input: x, weight: w, bias: nil, output: y, padding: 0)) { error in
            XCTAssertTrue("\(error)".contains("leaves no output"), "\(error)")
        }
    }
}
