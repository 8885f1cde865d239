// OpenCLHandComputedTests: OpenCL ops against small values worked out by hand (independent of the CPU backend).
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

final class OpenCLHandComputedTests: XCTestCase {
    /// The seed's worked example: a 6x6 image, left half 10s and right half 0s, convolved
    /// without padding with the vertical edge kernel [1 0 -1] gives rows 0, 30, 30, 0.
    func testVerticalEdgeExample() throws {
        let device = try OpenCLTestDevice.get()
        let image = (0..<36).map { $0 % 6 < 3 ? Float(10) : 0 }
        let kernel: [Float] = [1, 0, -1, 1, 0, -1, 1, 0, -1]
        let out = try device.makeTensor(Shape(1, 4, 4))
        try device.conv2d(input: try device.tensor(Shape(1, 6, 6), image), weight: try device.tensor(Shape(1, 1, 3, 3), kernel),
                          bias: nil, output: out, padding: 0)
        XCTAssertEqual(try device.download(out), Array(repeating: [0, 30, 30, 0], count: 4).flatMap { $0 })
    }

    func testGramAndLossesHandComputed() throws {
        let device = try OpenCLTestDevice.get()
        let a = try device.tensor(Shape(2, 1, 2), [1, 2, 3, 4])
        let g = try device.makeTensor(Shape(2, 2))
        try device.gram(input: a, output: g)
        // A A^T = [[5, 11], [11, 25]], divided by H*W = 2.
        XCTAssertEqual(try device.download(g), [2.5, 5.5, 5.5, 12.5])
        // (6.25 + 2 * 30.25 + 156.25) / (4 * 2^2) = 13.9375 against a zero target.
        XCTAssertEqual(try device.styleLoss(generated: a, targetGram: try device.makeTensor(Shape(2, 2)), gradient: nil, scale: 1),
                       13.9375, accuracy: 1e-5)
        // (1 + 4 + 9 + 16) / (4 * 4) = 1.875 against a zero target.
        XCTAssertEqual(try device.contentLoss(generated: try device.tensor(Shape(1, 2, 2), [1, 2, 3, 4]),
                                              target: try device.makeTensor(Shape(1, 2, 2)), gradient: nil, scale: 1),
                       1.875, accuracy: 1e-6)
        // [[a, b], [c, d]] = [[1, 2], [3, 5]]: (b-a)^2 + (d-c)^2 + (c-a)^2 + (d-b)^2 = 1 + 4 + 4 + 9 = 18;
        // dJ/da = -2(b-a) - 2(c-a) = -6, dJ/db = 2(b-a) - 2(d-b) = -4, dJ/dc = 2(c-a) - 2(d-c) = 0,
        // dJ/dd = 2(d-c) + 2(d-b) = 10.
        let img = try device.tensor(Shape(1, 2, 2), [1, 2, 3, 5])
        let grad = try device.makeTensor(Shape(1, 2, 2))
        XCTAssertEqual(try device.totalVariationLoss(image: img, gradient: grad, scale: 1), 18, accuracy: 1e-6)
        XCTAssertEqual(try device.download(grad), [-6, -4, 0, 10])
    }

    func testPoolingAndReductionsHandComputed() throws {
        let device = try OpenCLTestDevice.get()
        // 3x3 input: the last row and column are dropped; the window holds 1, 7, 7, 2 (first max at index 1).
        let x = try device.tensor(Shape(1, 3, 3), [1, 7, 9, 7, 2, 9, 9, 9, 9])
        let pooled = try device.makeTensor(Shape(1, 1, 1)), avg = try device.makeTensor(Shape(1, 1, 1))
        try device.pool2x2(.max, input: x, output: pooled)
        try device.pool2x2(.avg, input: x, output: avg)
        XCTAssertEqual(try device.download(pooled), [7])
        XCTAssertEqual(try device.download(avg), [4.25])
        let dIn = try device.makeTensor(Shape(1, 3, 3))
        try device.pool2x2Gradient(.max, input: x, outputGradient: try device.tensor(Shape(1, 1, 1), [5]), inputGradient: dIn)
        XCTAssertEqual(try device.download(dIn), [0, 5, 0, 0, 0, 0, 0, 0, 0])
        // sum_{i<n} i * 1 = n(n-1)/2 across many work-groups; the result comes back as one
        // float, so it is good to float precision (about 6e-8 relative), not to 1.
        let n = 100_000
        let ramp = try device.tensor(Shape(n), (0..<n).map(Float.init)), ones = try device.makeTensor(Shape(n))
        try device.fill(ones, with: 1)
        XCTAssertEqual(try device.dot(ramp, ones), Double(n) * Double(n - 1) / 2, accuracy: 5e9 * 1e-7)
    }
}
