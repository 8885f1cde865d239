// ColorControlsTests: --original-colors (luminance from the result, chroma from the content) and --color-match (mean and covariance).
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ColorControlsTests: XCTestCase {
    private func image(seed: UInt64, width: Int = 20, height: Int = 12, tint: [Float]) throws -> Image {
        var data = TestData(seed: seed)
        let n = width * height
        let noise = data.uniform(3 * n, 0, 0.5)
        return try Image(width: width, height: height, pixels: (0..<(3 * n)).map { min(noise[$0] + tint[$0 / n], 1) })
    }

    /// The YCbCr conversion is BT.601's full-range one and inverts exactly.
    func testYCbCrRoundTripAndKnownValues() {
        let white = OriginalColors.ycbcr(1, 1, 1)
        assertClose([white.y, white.cb, white.cr], [1, 0, 0], abs: 1e-12, rel: 0, "white")
        let red = OriginalColors.ycbcr(1, 0, 0)
        assertClose([red.y, red.cb, red.cr], [0.299, -0.168736, 0.5], abs: 1e-6, rel: 0, "red (JFIF's coefficients)")
        for (r, g, b) in [(0.2, 0.7, 0.1), (0.9, 0.3, 0.5), (0.0, 0.0, 1.0)] {
            let c = OriginalColors.ycbcr(r, g, b), back = OriginalColors.rgb(y: c.y, cb: c.cb, cr: c.cr)
            assertClose([back.r, back.g, back.b], [r, g, b], abs: 1e-12, rel: 0, "round trip")
        }
    }

    /// Written at 8 bits, the output's chroma is within 2 levels of the content's on average,
    /// its luminance is the result's (within 1 level) and not the content's. Swapping the
    /// roles (a broken implementation) fails the chroma check.
    func testOriginalColorsKeepsChromaAndTakesLuminance() throws {
        let content = try image(seed: 1, tint: [0.5, 0.2, 0.1])   // warm
        let result = try image(seed: 2, tint: [0.1, 0.3, 0.5])    // cool, another texture
        func stats(_ out: Image) -> (chroma: Double, luma: Double, lumaVsContent: Double) {
            // As written at 8 bits: clamped, rounded to a level (rgb8()'s rule).
            let q = (pixels: out.pixels.map { (min(max($0, 0), 1) * 255).rounded() / 255 }, planeCount: out.planeCount)
            let n = out.planeCount
            var chroma = 0.0, luma = 0.0, lumaC = 0.0
            for i in 0..<n {
                func ycc(_ p: [Float]) -> (y: Double, cb: Double, cr: Double) {
                    OriginalColors.ycbcr(Double(p[i]), Double(p[n + i]), Double(p[2 * n + i]))
                }
                let o = ycc(q.pixels), c = ycc(content.pixels), r = ycc(result.pixels)
                chroma += (abs(o.cb - c.cb) + abs(o.cr - c.cr)) * 255 / 2
                luma += abs(o.y - r.y) * 255
                lumaC += abs(o.y - c.y) * 255
            }
            return (chroma / Double(n), luma / Double(n), lumaC / Double(n))
        }
        let good = stats(try OriginalColors.apply(result: result, content: content))
        XCTAssertLessThan(good.chroma, 2, "chroma of the content, in 8-bit levels on average")
        XCTAssertLessThan(good.luma, 1, "luminance of the result")
        XCTAssertGreaterThan(good.lumaVsContent, 10, "the luminance changed from the content's")
        let broken = stats(try OriginalColors.apply(result: content, content: result))
        XCTAssertGreaterThan(broken.chroma, 2, "the check catches the roles swapped")
        XCTAssertThrowsError(try OriginalColors.apply(result: result, content: try image(seed: 3, width: 5, height: 5, tint: [0, 0, 0])))
    }

    /// After matching, the style image's colour mean and covariance are the content's to
    /// float precision (statistics recomputed independently here); before, they were far.
    func testColorMatchGivesTheContentsMeanAndCovariance() throws {
        let content = try image(seed: 4, width: 30, height: 20, tint: [0.4, 0.3, 0.05])
        let style = try image(seed: 5, width: 17, height: 23, tint: [0.05, 0.2, 0.45])
        func moments(_ im: Image) -> [Double] {
            let n = im.planeCount
            var m = [Double](repeating: 0, count: 3)
            for c in 0..<3 { m[c] = (0..<n).reduce(0.0) { $0 + Double(im.pixels[c * n + $1]) } / Double(n) }
            var cov: [Double] = []
            for a in 0..<3 { for b in 0..<3 {
                cov.append((0..<n).reduce(0.0) { $0 + (Double(im.pixels[a * n + $1]) - m[a]) * (Double(im.pixels[b * n + $1]) - m[b]) } / Double(n))
            } }
            return m + cov
        }
        let target = moments(content)
        let matched = try ColorMatch.match(style, to: content)
        XCTAssertEqual(matched.width, 17)
        assertClose(moments(matched), target, abs: 2e-6, rel: 0, "mean and covariance after matching")
        XCTAssertGreaterThan(zip(moments(style), target).map { abs($0 - $1) }.max() ?? 0, 0.1, "they differed before")
        // A flat style (singular covariance) still gives finite pixels with the content's mean.
        let flat = try Image(width: 4, height: 4, pixels: [Float](repeating: 0.3, count: 48))
        let flatMatched = try ColorMatch.match(flat, to: content)
        XCTAssertTrue(flatMatched.pixels.allSatisfy(\.isFinite))
        assertClose(Array(moments(flatMatched).prefix(3)), Array(target.prefix(3)), abs: 1e-5, rel: 0, "mean of a flat style")
    }
}
