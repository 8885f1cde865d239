// GradientCheckTests: the CPU convolution's weight and bias gradients against central finite differences (the DeviceOp gradients are OpTable cases).
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class GradientCheckTests: XCTestCase {
    /// [C, H, W] shapes: 1 to 5 channels, odd and even sizes, a 1x1 image.
    static let sweep: [(Int, Int, Int)] = [(1, 1, 1), (2, 4, 4), (3, 5, 7), (4, 6, 3), (5, 3, 2), (1, 2, 5)]

    // Tiny column budget: the banded im2col path runs even on these small images.
    let device = CPUDevice(columnBudget: 40)
    var data = TestData(seed: 42)

    /// Runs a convolution case table for one variable (weight or bias): the weight gradient
    /// is no DeviceOp, so the op table does not cover it.
    private func convCases(kernel: (Int, Int), padding: Int, variable: String) throws {
        for (c, h, w) in Self.sweep where h + 2 * padding >= kernel.0 && w + 2 * padding >= kernel.1 {
            let o = c % 3 + 1
            let inShape = Shape(c, h, w), wShape = Shape(o, c, kernel.0, kernel.1)
            let outShape = Shape(o, h + 2 * padding - kernel.0 + 1, w + 2 * padding - kernel.1 + 1)
            let x0 = data.uniform(inShape.count), w0 = data.uniform(wShape.count), b0 = data.uniform(o)
            let r = data.uniform(outShape.count)
            let forward = { (x: [Float], wt: [Float], b: [Float]) throws -> Double in
                let out = try self.device.makeTensor(outShape)
                try self.device.conv2d(input: try self.device.tensor(inShape, x), weight: try self.device.tensor(wShape, wt),
                                       bias: try self.device.tensor(Shape(o), b), output: out, padding: padding)
                return weightedSum(try self.device.download(out), r)
            }
            let dOut = try device.tensor(outShape, r)
            let name = "conv \(kernel) pad \(padding) d\(variable) input \(inShape) weight \(wShape)"
            let grads = { () throws -> ([Float], [Float]) in
                let dw = try self.device.makeTensor(wShape), db = try self.device.makeTensor(Shape(o))
                try self.device.fill(dw, with: 7) // overwritten, not accumulated
                try self.device.conv2dWeightGradient(input: try self.device.tensor(inShape, x0), outputGradient: dOut,
                                                     weightGradient: dw, biasGradient: db, padding: padding)
                return (try self.device.download(dw), try self.device.download(db))
            }
            if variable == "weight" {
                try checkGradient(GradientCase(name: name, input: w0, value: { try forward(x0, $0, b0) }) { _ in try grads().0 })
            } else {
                try checkGradient(GradientCase(name: name, input: b0, value: { try forward(x0, w0, $0) }) { _ in try grads().1 })
            }
        }
    }

    func testConvWeightGradient() throws { try convCases(kernel: (3, 3), padding: 1, variable: "weight") }
    func testConvBiasGradient() throws { try convCases(kernel: (3, 3), padding: 1, variable: "bias") }
    func testValidConvWeightGradient() throws { try convCases(kernel: (1, 2), padding: 0, variable: "weight") }
}
