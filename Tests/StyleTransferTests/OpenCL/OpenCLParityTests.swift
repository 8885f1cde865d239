// OpenCLParityTests: what the op table (OpTable) leaves to CPU parity: the weight gradient, loss slots, fill and copy.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

/// Every DeviceOp is checked on both backends against a naive reference by OpTableTests;
/// these tests cover what its table does not. Tolerances: weight gradients sum up to a few
/// hundred products in a different order (CLBlast vs OpenBLAS): abs 1e-5, rel 1e-4.
final class OpenCLParityTests: XCTestCase {
    let cpu = CPUDevice()

    /// (in channels, H, W, out channels, kernel, padding): 1x1 images, odd sizes, and
    /// channel counts that are not multiples of the work-group size (64).
    static let convShapes: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 1, 1, 1, 1, 0), (1, 1, 1, 2, 3, 1), (3, 5, 7, 4, 3, 1), (2, 9, 4, 3, 3, 0),
        (67, 5, 3, 2, 3, 1), (5, 6, 6, 65, 3, 1), (3, 8, 8, 2, 5, 2), (4, 7, 5, 3, 1, 0),
    ]

    func checkWeightGradients(on cl: OpenCLDevice, label: String) throws {
        var data = TestData(seed: 11)
        for (i, h, w, o, k, p) in Self.convShapes {
            let oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1
            let x = data.uniform(i * h * w)
            let dy = data.uniform(o * oh * ow)
            let what = "\(label) in [\(i),\(h),\(w)] weight [\(o),\(i),\(k),\(k)] pad \(p)"
            var results: [[[Float]]] = []
            for device in [cl as Device, cpu] {
                let input = try device.tensor(Shape(i, h, w), x), gradOut = try device.tensor(Shape(o, oh, ow), dy)
                let dW = try device.tensor(Shape(o, i, k, k), [Float](repeating: 7, count: o * i * k * k))
                let dB = try device.tensor(Shape(o), [Float](repeating: 7, count: o))
                try device.conv2dWeightGradient(input: input, outputGradient: gradOut, weightGradient: dW,
                                                biasGradient: dB, padding: p)
                results.append(try [dW, dB].map { try device.download($0) })
            }
            for (index, op) in ["conv2dWeightGradient", "conv2d bias gradient"].enumerated() {
                assertParity("\(op)", results[0][index], results[1][index], abs: 1e-5, rel: 1e-4)
                if let worst = worstMismatch(results[0][index], results[1][index], abs: 1e-5, rel: 1e-4), worst.ratio > 1 {
                    XCTFail("\(op) \(what): \(worst)")
                }
            }
        }
    }

    func testWeightGradientsMatchCPU() throws {
        try checkWeightGradients(on: try OpenCLTestDevice.get(), label: "one band")
    }

    /// The same sweep with an im2col budget of 90 floats: every weight gradient is split
    /// into bands of output rows (one row per band for most shapes), as large images are.
    func testBandedWeightGradientsMatchCPU() throws {
        try checkWeightGradients(on: try OpenCLTestDevice.get(banded: true), label: "banded")
    }

    static let activationShapes = [(1, 1, 1), (3, 5, 7), (65, 3, 3), (2, 17, 13), (1, 2, 2), (70, 9, 11)]

    /// Losses left in slots (out of order, slot 1 unwritten) and read back together hold the
    /// values the one-slot calls return.
    func testLossSlotsHoldTheReturnedValues() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 15)
        for (c, h, w) in Self.activationShapes {
            let n = c * h * w
            let g = data.uniform(n, 0, 1), t = data.uniform(n, 0, 1), s = data.uniform(c * 5 * 3, 0, 1)
            let gen = try cl.tensor(Shape(c, h, w), g), target = try cl.tensor(Shape(c, h, w), t)
            let targetGram = try cl.makeTensor(Shape(c, c))
            try cl.gram(input: try cl.tensor(Shape(c, 5, 3), s), output: targetGram)
            let jc = try cl.contentLoss(generated: gen, target: target, gradient: nil, scale: 1)
            let js = try cl.styleLoss(generated: gen, targetGram: targetGram, gradient: nil, scale: 1)
            let jt = try cl.totalVariationLoss(image: gen, gradient: nil, scale: 1)
            let slots = try cl.makeLossSlots(count: 4)
            try cl.totalVariationLoss(image: gen, gradient: nil, scale: 1, into: slots, at: 3)
            try cl.styleLoss(generated: gen, targetGram: targetGram, gradient: nil, scale: 1, into: slots, at: 2)
            try cl.contentLoss(generated: gen, target: target, gradient: nil, scale: 1, into: slots, at: 0)
            XCTAssertEqual(try cl.readLosses(slots), [jc, 0, js, jt], "[\(c)x\(h)x\(w)]: slots hold the returned values")
        }
    }

    /// fill and copy (memory ops outside the op table) across work-group boundaries.
    func testFillAndCopyMatchCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 17)
        for n in [1, 63, 64, 65, 1000, 16411] {
            let x = data.uniform(n)
            let results = try [cl as Device, cpu].map { device -> [[Float]] in
                let f = try device.makeTensor(Shape(n)), z = try device.makeTensor(Shape(n))
                try device.fill(f, with: 0.25)
                try device.copy(try device.tensor(Shape(n), x), to: z)
                return try [f, z].map { try device.download($0) }
            }
            assertParity("fill", results[0][0], results[1][0], abs: 0, rel: 0)
            assertParity("copy", results[0][1], results[1][1], abs: 0, rel: 0)
        }
    }
}
