// InterpolationTests: bilinear and bicubic resizing of planar values against a direct Double evaluation of PyTorch's F.interpolate rules.
@testable import NSTCore
@testable import NSTImages
import XCTest

final class InterpolationTests: XCTestCase {
    /// PyTorch's `F.interpolate(x, size, mode, align_corners=False)` written out per output
    /// value in Double, as a 2-D sum with clamped reads (not separable passes, not folded taps):
    /// the source coordinate `(i + 0.5) n / N - 0.5` (clamped at 0 for bilinear), Keys's cubic
    /// with `a` (PyTorch: -0.75) over the 4 x 4 samples around it.
    static func reference(_ values: [Float], planes: Int, height: Int, width: Int, toHeight: Int, toWidth: Int,
                          bicubic: Bool, a: Double = -0.75) -> [Double] {
        func cubic(_ x: Double) -> Double {
            let t = abs(x)
            if t <= 1 { return (a + 2) * t * t * t - (a + 3) * t * t + 1 }
            if t < 2 { return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a }
            return 0
        }
        /// (index, weight) pairs of one axis, indices not yet clamped.
        func taps(_ i: Int, _ n: Int, _ big: Int) -> [(Int, Double)] {
            var u = (Double(i) + 0.5) * Double(n) / Double(big) - 0.5
            if !bicubic { u = max(u, 0) }
            let f = Int(u.rounded(.down)), t = u - Double(f)
            return bicubic ? (-1...2).map { (f + $0, cubic(t - Double($0))) } : [(f, 1 - t), (f + 1, t)]
        }
        var out = [Double](repeating: 0, count: planes * toHeight * toWidth)
        for c in 0..<planes {
            for y in 0..<toHeight {
                for x in 0..<toWidth {
                    var sum = 0.0
                    for (yy, wy) in taps(y, height, toHeight) {
                        for (xx, wx) in taps(x, width, toWidth) {
                            let sy = min(max(yy, 0), height - 1), sx = min(max(xx, 0), width - 1)
                            sum += wy * wx * Double(values[(c * height + sy) * width + sx])
                        }
                    }
                    out[(c * toHeight + y) * toWidth + x] = sum
                }
            }
        }
        return out
    }

    func testBothKindsMatchTheDirectEvaluation() throws {
        var data = TestData(seed: 31)
        // Up (the warm start's direction), down, one sample, and one axis unchanged.
        let cases: [(Int, Int, Int, Int)] = [(5, 7, 9, 13), (6, 6, 11, 8), (9, 10, 4, 6), (1, 3, 4, 3), (4, 4, 4, 7)]
        for (h, w, th, tw) in cases {
            let values = data.uniform(2 * h * w, -2, 3)
            for bicubic in [false, true] {
                let kind: Interpolation = bicubic ? .bicubic : .bilinear
                let got = try kind.resize(values, planes: 2, height: h, width: w, toHeight: th, toWidth: tw)
                let want = Self.reference(values, planes: 2, height: h, width: w, toHeight: th, toWidth: tw, bicubic: bicubic)
                assertClose(got, want, abs: 1e-6, rel: 1e-5, "\(kind) \(w)x\(h) to \(tw)x\(th)")
            }
        }
    }

    /// Nothing is clamped (moments are not pixels): a cubic overshoots a step, and values far
    /// outside [0, 1] come through.
    func testValuesAreNotClampedAndTheCubicOvershoots() throws {
        let step: [Float] = [0, 0, 0, 10, 10, 10]
        let up = try Interpolation.bicubic.resize(step, planes: 1, height: 1, width: 6, toHeight: 1, toWidth: 12)
        XCTAssertLessThan(up.min()!, 0, "\(up)")
        XCTAssertGreaterThan(up.max()!, 10, "\(up)")
        let linear = try Interpolation.bilinear.resize(step, planes: 1, height: 1, width: 6, toHeight: 1, toWidth: 12)
        XCTAssertEqual(linear.min(), 0)
        XCTAssertEqual(linear.max(), 10)
    }

    /// The reference is sharp enough to tell another cubic (Pillow's a = -0.5) apart, so the
    /// match above is PyTorch's kernel, not any cubic.
    func testAnotherCubicWouldFail() throws {
        var data = TestData(seed: 5)
        let values = data.uniform(6 * 6, -1, 1)
        let got = try Interpolation.bicubic.resize(values, planes: 1, height: 6, width: 6, toHeight: 11, toWidth: 11)
        let other = Self.reference(values, planes: 1, height: 6, width: 6, toHeight: 11, toWidth: 11, bicubic: true, a: -0.5)
        XCTAssertGreaterThan(worstMismatch(got, other, abs: 1e-6, rel: 1e-5)?.ratio ?? 0, 100)
    }

    func testBadSizesThrow() {
        XCTAssertThrowsError(try Interpolation.bilinear.resize([1, 2], planes: 1, height: 1, width: 3, toHeight: 1, toWidth: 2))
        XCTAssertThrowsError(try Interpolation.bicubic.resize([], planes: 1, height: 0, width: 3, toHeight: 1, toWidth: 2))
        XCTAssertThrowsError(try Interpolation.bicubic.resize([1], planes: 1, height: 1, width: 1, toHeight: -1, toWidth: 2))
        XCTAssertThrowsError(try Interpolation.bicubic.resize([1], planes: 1, height: Int.max, width: 2, toHeight: 1, toWidth: 2))
    }
}
