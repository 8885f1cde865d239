// MemoryAndVectorTests: make/upload/download/fill/copy, the optimisers' vector ops, pooling values and errors.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

/// A storage no device made, to check that devices refuse foreign tensors.
private final class AlienStorage: TensorStorage {}

final class MemoryAndVectorTests: XCTestCase {
    let device = CPUDevice()

    func testMemoryOps() throws {
        let t = try device.makeTensor(Shape(2, 3))
        XCTAssertEqual(try device.download(t), [Float](repeating: 0, count: 6), "new tensors are zero")
        try device.upload([1, 2, 3, 4, 5, 6], to: t)
        XCTAssertEqual(try device.download(t), [1, 2, 3, 4, 5, 6])
        let u = try device.makeTensor(Shape(6))
        try device.copy(t, to: u)
        try device.fill(t, with: -2)
        XCTAssertEqual(try device.download(u), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try device.download(t), [Float](repeating: -2, count: 6))
        XCTAssertThrowsError(try device.upload([1, 2], to: t)) { XCTAssertTrue("\($0)".contains("[2x3]"), "\($0)") }
        XCTAssertThrowsError(try device.copy(t, to: try device.makeTensor(Shape(5))))
        XCTAssertEqual(try device.makeTensor(Shape(0, 4)).count, 0)
    }

    func testRefusesForeignTensorsAndAbsurdSizes() throws {
        let alien = Tensor(shape: Shape(2), storage: AlienStorage())
        XCTAssertThrowsError(try device.download(alien)) {
            XCTAssertEqual($0 as? DeviceError, .foreignTensor(op: "download", device: "cpu"))
        }
        XCTAssertThrowsError(try device.makeTensor(Shape(1 << 40, 1 << 40))) { error in
            guard case .outOfMemory = error as? DeviceError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("try a smaller image"), "\(error)")
        }
        XCTAssertThrowsError(try device.makeTensor(Shape(-1, 3)))
    }

    func testVectorOps() throws {
        let x = try device.tensor(Shape(4), [1, 2, 3, 4]), y = try device.tensor(Shape(2, 2), [10, 20, 30, 40])
        try device.axpy(0.5, x, y)
        XCTAssertEqual(try device.download(y), [10.5, 21, 31.5, 42])
        XCTAssertEqual(try device.dot(x, y), 10.5 + 42 + 94.5 + 168, accuracy: 1e-9)
        try device.scale(x, by: -2)
        XCTAssertEqual(try device.download(x), [-2, -4, -6, -8])
        XCTAssertThrowsError(try device.axpy(1, x, try device.makeTensor(Shape(3))))
    }

    /// Loss slots: values land in their slot, an unwritten slot reads 0, bad slots and
    /// another device's slots are refused by name.
    func testLossSlots() throws {
        let image = try device.tensor(Shape(1, 2, 2), [0, 1, 3, 3])   // TV: 1 + 0 + 9 + 4 = 14
        let slots = try device.makeLossSlots(count: 3)
        try device.totalVariationLoss(image: image, gradient: nil, scale: 1, into: slots, at: 2)
        XCTAssertEqual(try device.readLosses(slots), [0, 0, 14])
        XCTAssertThrowsError(try device.totalVariationLoss(image: image, gradient: nil, scale: 1, into: slots, at: 3)) {
            XCTAssertTrue("\($0)".contains("loss slot 3"), "\($0)")
        }
        XCTAssertThrowsError(try device.makeLossSlots(count: -1))
    }

    /// Dot products into a coefficient tensor and axpy with coefficients read from it, by hand; indices
    /// outside the tensor and term counts other than 1 or 2 are refused by name.
    func testCoefficientDotAndAxpy() throws {
        let x = try device.tensor(Shape(3), [1, 2, 3]), y = try device.tensor(Shape(3), [4, 5, 6])
        let slots = try device.tensor(Shape(3), [0, 0, 10])
        try device.dot(x, y, scale: 0.5, into: slots, at: 1)     // 0.5 * 32
        XCTAssertEqual(try device.download(slots), [0, 16, 10])
        try device.axpy([CoefficientTerm(index: 1, factor: 1), CoefficientTerm(index: 2, factor: -2)], coefficients: slots, x, y)  // c = -4
        XCTAssertEqual(try device.download(y), [0, -3, -6])
        try device.axpy([CoefficientTerm(index: 2, factor: 0.5)], coefficients: slots, x, y)                                // c = 5
        XCTAssertEqual(try device.download(y), [5, 7, 9])
        XCTAssertThrowsError(try device.dot(x, y, scale: 1, into: slots, at: 3)) { XCTAssertTrue("\($0)".contains("coefficient 3")) }
        XCTAssertThrowsError(try device.axpy([], coefficients: slots, x, y)) { XCTAssertTrue("\($0)".contains("0 terms")) }
        XCTAssertThrowsError(try device.axpy([CoefficientTerm(index: -1, factor: 1)], coefficients: slots, x, y))
    }

    /// Three Adam steps against the formula evaluated in Double.
    func testAdamStepMatchesFormula() throws {
        var data = TestData(seed: 11)
        let n = 9, x0 = data.uniform(n), grads = (0..<3).map { _ in data.uniform(n) }
        let x = try device.tensor(Shape(n), x0), m = try device.makeTensor(Shape(n)), v = try device.makeTensor(Shape(n))
        var xs = x0.map(Double.init), ms = [Double](repeating: 0, count: n), vs = ms
        let lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8
        for (k, g) in grads.enumerated() {
            try device.adamStep(parameter: x, gradient: try device.tensor(Shape(n), g), m: m, v: v,
                                learningRate: Float(lr), beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps), step: k + 1)
            for i in 0..<n {
                ms[i] = b1 * ms[i] + (1 - b1) * Double(g[i])
                vs[i] = b2 * vs[i] + (1 - b2) * Double(g[i]) * Double(g[i])
                let mh = ms[i] / (1 - pow(b1, Double(k + 1))), vh = vs[i] / (1 - pow(b2, Double(k + 1)))
                xs[i] -= lr * mh / (vh.squareRoot() + eps)
            }
        }
        assertClose(try device.download(x), xs, abs: 1e-6, rel: 1e-5, "adam")
        XCTAssertThrowsError(try device.adamStep(parameter: x, gradient: x, m: m, v: v, learningRate: 1,
                                                 beta1: 0.9, beta2: 0.9, epsilon: 1, step: 0))
    }

    func testPoolingValuesAndOddSizes() throws {
        // 3x5: the last row and column are dropped; output 1x2.
        let x = try device.tensor(Shape(1, 3, 5), [1, 5, 2, 0, 9,
                                                   3, 4, 8, 7, 9,
                                                   9, 9, 9, 9, 9])
        let y = try device.makeTensor(Shape(1, 1, 2))
        try device.pool2x2(.max, input: x, output: y)
        XCTAssertEqual(try device.download(y), [5, 8])
        try device.pool2x2(.avg, input: x, output: y)
        XCTAssertEqual(try device.download(y), [3.25, 4.25])
        let dx = try device.makeTensor(Shape(1, 3, 5))
        try device.pool2x2Gradient(.max, input: x, outputGradient: try device.tensor(Shape(1, 1, 2), [1, 2]), inputGradient: dx)
        XCTAssertEqual(try device.download(dx), [0, 1, 0, 0, 0,  0, 0, 2, 0, 0,  0, 0, 0, 0, 0])
        // Ties go to the first maximum in row-major order.
        let tie = try device.tensor(Shape(1, 2, 2), [3, 3, 3, 3]), dt = try device.makeTensor(Shape(1, 2, 2))
        try device.pool2x2Gradient(.max, input: tie, outputGradient: try device.tensor(Shape(1, 1, 1), [1]), inputGradient: dt)
        XCTAssertEqual(try device.download(dt), [1, 0, 0, 0])
        XCTAssertThrowsError(try device.pool2x2(.max, input: try device.makeTensor(Shape(1, 1, 1)), output: try device.makeTensor(Shape(1, 0, 0))))
    }

    func testReLUAndNormalizeValues() throws {
        let x = try device.tensor(Shape(1, 1, 4), [-1, 0, 0.5, 2])
        try device.relu(input: x, output: x) // in place is allowed
        XCTAssertEqual(try device.download(x), [0, 0, 0.5, 2])
        let img = try device.tensor(Shape(2, 1, 2), [0.5, 1, 0, 0.25]), out = try device.makeTensor(Shape(2, 1, 2))
        try device.normalize(input: img, output: out, mean: [0.5, 0], std: [0.25, 0.5])
        XCTAssertEqual(try device.download(out), [0, 2, 0, 0.5])
        XCTAssertThrowsError(try device.normalize(input: img, output: out, mean: [0], std: [1])) {
            XCTAssertTrue("\($0)".contains("2 channels"), "\($0)")
        }
        XCTAssertThrowsError(try device.normalize(input: img, output: out, mean: [0, 0], std: [1, 0]))
    }
}
