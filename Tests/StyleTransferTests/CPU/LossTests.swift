// LossTests: Gram, content, style and TV losses against small hand-computed values, and gradient accumulation.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import StyleTransfer
import XCTest

final class LossTests: XCTestCase {
    let device = CPUDevice()

    func testGramHandComputed() throws {
        // A = [[1, 2], [3, 4]] (C = 2, H*W = 2): A A^T = [[5, 11], [11, 25]], divided by H*W = 2.
        let g = try device.makeTensor(Shape(2, 2))
        try device.gram(input: try device.tensor(Shape(2, 1, 2), [1, 2, 3, 4]), output: g)
        XCTAssertEqual(try device.download(g), [2.5, 5.5, 5.5, 12.5])
    }

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

    func testContentLossHandComputed() throws {
        // sum (0 - a)^2 = 1 + 4 + 9 + 16 = 30; 1/(4 * 1*2*2) * 30 = 1.875.
        let j = try device.contentLoss(generated: try device.tensor(Shape(1, 2, 2), [1, 2, 3, 4]),
                                       target: try device.makeTensor(Shape(1, 2, 2)), gradient: nil, scale: 1)
        XCTAssertEqual(j, 1.875, accuracy: 1e-12)
    }

    func testStyleLossHandComputed() throws {
        // Gram = [[2.5, 5.5], [5.5, 12.5]] against a zero target: (6.25 + 2*30.25 + 156.25) / (4 * 2^2) = 13.9375.
        let j = try device.styleLoss(generated: try device.tensor(Shape(2, 1, 2), [1, 2, 3, 4]),
                                     targetGram: try device.makeTensor(Shape(2, 2)), gradient: nil, scale: 1)
        XCTAssertEqual(j, 13.9375, accuracy: 1e-9)
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

    func testTotalVariationHandComputed() throws {
        // [[0, 1], [3, 5]]: across (1-0)^2 + (5-3)^2 = 5, down (3-0)^2 + (5-1)^2 = 25; second channel all 2: 0.
        let j = try device.totalVariationLoss(image: try device.tensor(Shape(2, 2, 2), [0, 1, 3, 5, 2, 2, 2, 2]), gradient: nil, scale: 1)
        XCTAssertEqual(j, 30, accuracy: 1e-12)
        // One row: only horizontal terms. (2-1)^2 + (4-2)^2 = 5.
        let row = try device.totalVariationLoss(image: try device.tensor(Shape(1, 1, 3), [1, 2, 4]), gradient: nil, scale: 1)
        XCTAssertEqual(row, 5, accuracy: 1e-12)
    }

    /// Loss gradients accumulate `scale * dJ/da` into what the gradient tensor holds.
    func testLossGradientsAccumulateWithScale() throws {
        var data = TestData(seed: 5)
        let shape = Shape(3, 4, 4), prior = data.uniform(shape.count)
        let x = try device.tensor(shape, data.uniform(shape.count, 0, 1))
        let target = try device.tensor(shape, data.uniform(shape.count, 0, 1))
        let gram = try device.makeTensor(Shape(3, 3))
        try device.gram(input: target, output: gram)
        let losses: [(String, (Tensor?, Float) throws -> Double)] = [
            ("content", { try self.device.contentLoss(generated: x, target: target, gradient: $0, scale: $1) }),
            ("style", { try self.device.styleLoss(generated: x, targetGram: gram, gradient: $0, scale: $1) }),
            ("tv", { try self.device.totalVariationLoss(image: x, gradient: $0, scale: $1) }),
        ]
        for (name, loss) in losses {
            let unit = try device.makeTensor(shape)
            let j1 = try loss(unit, 1)
            let acc = try device.tensor(shape, prior)
            let j2 = try loss(acc, 2.5)
            XCTAssertEqual(j1, j2, "\(name): the returned loss is unweighted")
            let want = zip(prior, try device.download(unit)).map { $0 + 2.5 * $1 }
            assertClose(try device.download(acc), want, abs: 1e-6, rel: 1e-5, "\(name) accumulates")
            XCTAssertEqual(try loss(nil, 1), j1, "\(name) without a gradient")
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
