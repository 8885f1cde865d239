// LossTests: the split Gram product, the equal-size form of the style loss and shape errors (hand values and accumulation are OpTable cases).
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class LossTests: XCTestCase {
    let device = CPUDevice()

    /// Long products are split into slices of pixels (2 to 6 here, odd lengths included)
    /// whose partial Grams are added: the result stays within float rounding of a Double
    /// sum and symmetric.
    func testSplitGramMatchesDoubleReference() throws {
        var data = TestData(seed: 8)
        for (c, h, w) in [(3, 100, 100), (5, 97, 101), (16, 128, 192)] {
            let n = h * w
            XCTAssertGreaterThan(min(n / CPUDevice.gramSlicePixels, CPUDevice.gramPartialLimit / (c * c)), 1, "split")
            let x = data.uniform(c * n)
            let g = try device.makeTensor(Shape(c, c))
            try device.gram(input: try device.tensor(Shape(c, h, w), x), output: g)
            let got = try device.download(g)
            assertClose(got, referenceGram(x, c: c, pixels: n), abs: 1e-6, rel: 1e-5, "gram \(c)x\(h)x\(w)")
            for i in 0..<c { for j in 0..<c { XCTAssertEqual(got[i * c + j], got[j * c + i]) } }
        }
    }

    /// With equal-size images the style loss is `1/(4 nC^2 (nH nW)^2) * sum (A_S A_S^T - A_G A_G^T)^2`.
    func testStyleLossEqualSizeForm() throws {
        var data = TestData(seed: 3)
        for (c, h, w) in [(3, 4, 5), (8, 7, 7), (1, 1, 1)] {
            let s = data.uniform(c * h * w, 0, 1), g = data.uniform(c * h * w, 0, 1)
            let target = try device.makeTensor(Shape(c, c))
            try device.gram(input: try device.tensor(Shape(c, h, w), s), output: target)
            let j = try device.styleLoss(generated: try device.tensor(Shape(c, h, w), g), targetGram: target, gradient: nil, scale: 1)
            var sum = 0.0
            for i in 0..<c {
                for k in 0..<c {
                    var ss = 0.0, gg = 0.0
                    for p in 0..<(h * w) {
                        ss += Double(s[i * h * w + p]) * Double(s[k * h * w + p])
                        gg += Double(g[i * h * w + p]) * Double(g[k * h * w + p])
                    }
                    sum += (ss - gg) * (ss - gg)
                }
            }
            let want = sum / (4 * Double(c * c) * Double(h * w * h * w))
            assertClose(j, want, abs: 1e-9, rel: 1e-5, "style loss [\(c)x\(h)x\(w)]")
        }
    }

    func testGramShapeErrors() throws {
        XCTAssertThrowsError(try device.gram(input: try device.makeTensor(Shape(3, 2, 2)), output: try device.makeTensor(Shape(2, 2)))) {
            XCTAssertTrue("\($0)".contains("[3x3]") && "\($0)".contains("[2x2]"), "\($0)")
        }
        XCTAssertThrowsError(try device.contentLoss(generated: try device.makeTensor(Shape(1, 2, 2)),
                                                    target: try device.makeTensor(Shape(1, 2, 3)), gradient: nil, scale: 1))
    }
}
