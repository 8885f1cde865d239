// ColorMapTests: the sequential map's brightness rises with the value, the diverging map's distance from white with the magnitude.
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

final class ColorMapTests: XCTestCase {
    /// Relative luminance written out here (sRGB decoding, BT.709 weights), independent of `RGBColor.luminance`.
    static func luminance(_ c: RGBColor) -> Double {
        let lin = [c.red, c.green, c.blue].map { $0 <= 0.04045 ? $0 / 12.92 : pow(($0 + 0.055) / 1.055, 2.4) }
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    }

    func testSequentialMapIsMonotoneInLuminanceAndHitsViridisStops() {
        let samples = (0...1000).map { ColorMap.sequential.color(Double($0) / 1000) }
        for (a, b) in zip(samples, samples.dropFirst()) {
            XCTAssertLessThan(Self.luminance(a), Self.luminance(b), "luminance must rise strictly")
        }
        // The published viridis colours at 0, 1/4, 1/2, 3/4, 1.
        for (t, hex) in [(0.0, "#440154"), (0.25, "#3b528b"), (0.5, "#21918c"), (0.75, "#5ec962"), (1.0, "#fde725")] {
            XCTAssertEqual(ColorMap.sequential.color(t).hexString, hex)
        }
        XCTAssertEqual(ColorMap.sequential.color(-3), ColorMap.sequential.color(0), "clamped below")
        XCTAssertEqual(ColorMap.sequential.color(.nan), ColorMap.sequential.color(0))
    }

    func testMonotonicityCheckCatchesAReversedSegment() {
        // A broken map (stops 2 and 3 swapped) must fail the check above.
        var stops = ColorMap.viridisStops
        stops.swapAt(2, 3)
        let broken = (0...100).map { i -> RGBColor in
            let x = Double(i) / 100 * 4, k = min(Int(x), 3)
            return stops[k].mixed(with: stops[k + 1], x - Double(k))
        }
        XCTAssertTrue(zip(broken, broken.dropFirst()).contains { Self.luminance($0) >= Self.luminance($1) })
    }

    func testDivergingMapIsWhiteAtZeroAndDarkensWithMagnitude() {
        func distance(_ c: RGBColor) -> Double { (pow(1 - c.red, 2) + pow(1 - c.green, 2) + pow(1 - c.blue, 2)).squareRoot() }
        XCTAssertEqual(ColorMap.diverging.color(0), .white)
        var previous = 0.0
        for i in 1...100 {
            let t = Double(i) / 100
            let up = ColorMap.diverging.color(t), down = ColorMap.diverging.color(-t)
            XCTAssertGreaterThan(distance(up), previous)
            XCTAssertGreaterThan(up.red, up.blue, "positive is red")
            XCTAssertGreaterThan(down.blue, down.red, "negative is blue")
            previous = distance(up)
        }
    }
}
