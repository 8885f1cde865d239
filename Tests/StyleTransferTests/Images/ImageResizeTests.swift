// ImageResizeTests: resize sizes and rounding, identity at the exact size, and the filter's behaviour.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ImageResizeTests: XCTestCase {
    private func constant(width: Int, height: Int, rgb: (Float, Float, Float)) throws -> Image {
        let plane = width * height
        return try Image(width: width, height: height,
                         pixels: [Float](repeating: rgb.0, count: plane) + [Float](repeating: rgb.1, count: plane)
                             + [Float](repeating: rgb.2, count: plane))
    }

    func testLongSideSizesKeepTheAspectRatio() throws {
        XCTAssertTrue(Image.size(width: 1024, height: 640, longSide: 512) == (512, 320))
        XCTAssertTrue(Image.size(width: 640, height: 1024, longSide: 512) == (320, 512))
        XCTAssertTrue(Image.size(width: 1024, height: 768, longSide: 500) == (500, 375))
        XCTAssertTrue(Image.size(width: 3, height: 2, longSide: 5) == (5, 3), "3.33 rounds down")
        XCTAssertTrue(Image.size(width: 3, height: 2, longSide: 4) == (4, 3), "2.67 rounds up")
        XCTAssertTrue(Image.size(width: 2, height: 1, longSide: 3) == (3, 2), "1.5 rounds half up")
        XCTAssertTrue(Image.size(width: 100, height: 1, longSide: 10) == (10, 1), "at least 1")
        XCTAssertTrue(Image.size(width: 7, height: 7, longSide: 3) == (3, 3))
        let image = try ImageFixtures.eightBitImage(width: 30, height: 20, seed: 1)
        let small = try image.resized(longSide: 10)
        XCTAssertEqual([small.width, small.height], [10, 7])
        XCTAssertEqual(small.pixels.count, 3 * 70)
        let tall = try ImageFixtures.eightBitImage(width: 20, height: 30, seed: 2).resized(longSide: 45)
        XCTAssertEqual([tall.width, tall.height], [30, 45])
    }

    func testExactSizeIsReturnedBitForBit() throws {
        var random = SplitMix64(seed: 17)
        // Values no 8-bit file holds: a resampling pass would not leave them all unchanged.
        let image = try Image(width: 9, height: 6, pixels: (0..<162).map { _ in random.nextUnitFloat() })
        let same = try image.resized(longSide: 9)
        XCTAssertEqual(same.pixels.map(\.bitPattern), image.pixels.map(\.bitPattern))
        XCTAssertEqual(try image.resized(width: 9, height: 6).pixels.map(\.bitPattern), image.pixels.map(\.bitPattern))
        XCTAssertNotEqual(try image.resized(longSide: 8).pixels.count, image.pixels.count)
    }

    func testConstantImageStaysConstant() throws {
        let image = try constant(width: 37, height: 23, rgb: (0.25, 0.5, 0.875))
        for (width, height) in [(10, 6), (37, 5), (4, 23), (80, 50), (1, 1), (37, 40)] {
            let resized = try image.resized(width: width, height: height)
            let plane = width * height
            for (c, value) in [Float(0.25), 0.5, 0.875].enumerated() {
                assertClose(Array(resized.pixels[(c * plane)..<((c + 1) * plane)]),
                            [Float](repeating: value, count: plane), abs: 1e-6, rel: 0, "\(width)x\(height) channel \(c)")
            }
        }
    }

    func testDownscalingAveragesInsteadOfAliasing() throws {
        // One-pixel stripes of 0 and 1: point sampling would give all 0 or all 1.
        let width = 64, height = 8
        let plane = (0..<(width * height)).map { Float(($0 % width) % 2) }
        let stripes = try Image(width: width, height: height, pixels: plane + plane + plane)
        for target in [32, 16, 21] {
            let small = try stripes.resized(width: target, height: height)
            // Away from the borders the stretched filter averages the stripes to about 0.5.
            let row = (3..<(target - 3)).map { small.value(channel: 0, x: $0, y: 4) }
            assertClose(row, [Float](repeating: 0.5, count: row.count), abs: 0.02, rel: 0, "width \(target)")
        }
    }

    func testResamplingFollowsSmoothContentAndStaysInRange() throws {
        // A linear ramp is reproduced by any normalised symmetric filter away from the borders.
        let width = 40, height = 30
        let ramp: [Float] = (0..<(width * height)).map { (i: Int) -> Float in
            let across = Float(i % width) / Float(width - 1)
            let down = Float(i / width) / Float(height - 1)
            return 0.5 * across + 0.5 * down
        }
        let image = try Image(width: width, height: height, pixels: ramp + ramp + ramp)
        for (w, h) in [(20, 15), (80, 60), (17, 29)] {
            let resized = try image.resized(width: w, height: h)
            XCTAssertTrue(resized.pixels.allSatisfy { (0...1).contains($0) })
            var actual: [Float] = [], expected: [Float] = []
            for y in (h / 4)..<(3 * h / 4) {
                for x in (w / 4)..<(3 * w / 4) {
                    // Output centre x maps to input coordinate (x + 0.5) * W / w - 0.5.
                    let u = (Double(x) + 0.5) * Double(width) / Double(w) - 0.5
                    let v = (Double(y) + 0.5) * Double(height) / Double(h) - 0.5
                    actual.append(resized.value(channel: 1, x: x, y: y))
                    expected.append(Float(u / Double(width - 1) * 0.5 + v / Double(height - 1) * 0.5))
                }
            }
            assertClose(actual, expected, abs: 1e-3, rel: 0, "\(w)x\(h)")
        }
        // Hard edges make Lanczos overshoot; the result is clamped to [0, 1].
        let checker: [Float] = (0..<(width * height)).map { (i: Int) -> Float in Float(((i % width) / 4 + (i / width) / 4) % 2) }
        let sharp = try Image(width: width, height: height, pixels: checker + checker + checker).resized(width: 57, height: 43)
        XCTAssertTrue(sharp.pixels.allSatisfy { (0...1).contains($0) })
    }

    func testBadSizesThrow() throws {
        let image = try ImageFixtures.eightBitImage(width: 4, height: 4, seed: 3)
        for size in [0, -3, 16385] {
            XCTAssertThrowsError(try image.resized(longSide: size)) { error in
                XCTAssertEqual((error as? ImageError)?.kind, .invalidSize)
                XCTAssertTrue("\(error)".contains("\(size)"), "\(error)")
            }
        }
        XCTAssertThrowsError(try image.resized(width: 0, height: 4))
    }
}
