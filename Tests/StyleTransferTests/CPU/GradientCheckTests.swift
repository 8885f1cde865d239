// GradientCheckTests: every differentiable op of CPUDevice against central finite differences over a sweep of shapes.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import StyleTransfer
import XCTest

final class GradientCheckTests: XCTestCase {
    /// [C, H, W] shapes: 1 to 5 channels, odd and even sizes, a 1x1 image.
    static let sweep: [(Int, Int, Int)] = [(1, 1, 1), (2, 4, 4), (3, 5, 7), (4, 6, 3), (5, 3, 2), (1, 2, 5)]
    /// Shapes big enough for 2x2 pooling.
    static let poolSweep = sweep.filter { $0.1 >= 2 && $0.2 >= 2 }

    // Tiny column budget: the banded im2col path runs even on these small images.
    let device = CPUDevice(columnBudget: 40)
    var data = TestData(seed: 42)

    /// Runs a convolution case table for one variable (input, weight or bias).
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
            switch variable {
            case "input":
                try checkGradient(GradientCase(name: name, input: x0, value: { try forward($0, w0, b0) }) { _ in
                    let dx = try self.device.makeTensor(inShape)
                    try self.device.conv2dInputGradient(outputGradient: dOut, weight: try self.device.tensor(wShape, w0),
                                                        inputGradient: dx, padding: padding)
                    return try self.device.download(dx)
                })
            default:
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
    }

    func testConvInputGradient() throws { try convCases(kernel: (3, 3), padding: 1, variable: "input") }
    func testConvWeightGradient() throws { try convCases(kernel: (3, 3), padding: 1, variable: "weight") }
    func testConvBiasGradient() throws { try convCases(kernel: (3, 3), padding: 1, variable: "bias") }
    func testValidConvInputGradient() throws { try convCases(kernel: (2, 3), padding: 0, variable: "input") }
    func testValidConvWeightGradient() throws { try convCases(kernel: (1, 2), padding: 0, variable: "weight") }

    func testReLUGradient() throws {
        for (c, h, w) in Self.sweep {
            let shape = Shape(c, h, w), r = data.uniform(shape.count)
            let forward = { (x: [Float]) throws -> Tensor in
                let y = try self.device.makeTensor(shape)
                try self.device.relu(input: try self.device.tensor(shape, x), output: y)
                return y
            }
            try checkGradient(GradientCase(name: "relu \(shape)", input: data.awayFromZero(shape.count),
                                           value: { weightedSum(try self.device.download(try forward($0)), r) }) { x in
                let dx = try self.device.makeTensor(shape)
                try self.device.reluGradient(output: try forward(x), outputGradient: try self.device.tensor(shape, r), inputGradient: dx)
                return try self.device.download(dx)
            })
        }
    }

    private func poolCases(_ kind: PoolKind) throws {
        for (c, h, w) in Self.poolSweep {
            let shape = Shape(c, h, w), outShape = Shape(c, h / 2, w / 2), r = data.uniform(outShape.count)
            try checkGradient(GradientCase(name: "\(kind) pool \(shape)", input: data.distinct(shape.count), value: { x in
                let y = try self.device.makeTensor(outShape)
                try self.device.pool2x2(kind, input: try self.device.tensor(shape, x), output: y)
                return weightedSum(try self.device.download(y), r)
            }) { x in
                let dx = try self.device.makeTensor(shape)
                try self.device.pool2x2Gradient(kind, input: try self.device.tensor(shape, x),
                                                outputGradient: try self.device.tensor(outShape, r), inputGradient: dx)
                return try self.device.download(dx)
            })
        }
    }

    func testMaxPoolGradient() throws { try poolCases(.max) }
    func testAvgPoolGradient() throws { try poolCases(.avg) }

    /// Runs a loss through its gradient output: starts from zeros with scale 1.
    private func lossCase(_ name: String, _ shape: Shape, input: [Float],
                          _ loss: @escaping (Tensor, Tensor?) throws -> Double) throws {
        try checkGradient(GradientCase(name: "\(name) \(shape)", input: input, value: {
            try loss(try self.device.tensor(shape, $0), nil)
        }) { x in
            let g = try self.device.makeTensor(shape)
            _ = try loss(try self.device.tensor(shape, x), g)
            return try self.device.download(g)
        })
    }

    func testStyleLossGradient() throws {
        for (c, h, w) in Self.sweep {
            let shape = Shape(c, h, w)
            // The target comes from an activation of another size, as style images may differ.
            let style = try device.tensor(Shape(c, h + 1, w + 2), data.uniform(c * (h + 1) * (w + 2), 0, 1))
            let target = try device.makeTensor(Shape(c, c))
            try device.gram(input: style, output: target)
            try lossCase("style", shape, input: data.uniform(shape.count, 0, 1)) {
                try self.device.styleLoss(generated: $0, targetGram: target, gradient: $1, scale: 1)
            }
        }
    }

    func testContentLossGradient() throws {
        for (c, h, w) in Self.sweep {
            let shape = Shape(c, h, w), target = try device.tensor(shape, data.uniform(shape.count))
            try lossCase("content", shape, input: data.uniform(shape.count)) {
                try self.device.contentLoss(generated: $0, target: target, gradient: $1, scale: 1)
            }
        }
    }

    func testTotalVariationGradient() throws {
        for (c, h, w) in Self.sweep {
            let shape = Shape(c, h, w)
            try lossCase("tv", shape, input: data.uniform(shape.count, 0, 1)) {
                try self.device.totalVariationLoss(image: $0, gradient: $1, scale: 1)
            }
        }
    }

    func testNormalizeGradient() throws {
        for (c, h, w) in Self.sweep {
            let shape = Shape(c, h, w), r = data.uniform(shape.count)
            let mean = data.uniform(c, 0, 1), std = data.uniform(c, 0.2, 0.3)
            try checkGradient(GradientCase(name: "normalize \(shape)", input: data.uniform(shape.count, 0, 1), value: { x in
                let y = try self.device.makeTensor(shape)
                try self.device.normalize(input: try self.device.tensor(shape, x), output: y, mean: mean, std: std)
                return weightedSum(try self.device.download(y), r)
            }) { _ in
                let dx = try self.device.makeTensor(shape)
                try self.device.normalizeGradient(outputGradient: try self.device.tensor(shape, r), inputGradient: dx, std: std)
                return try self.device.download(dx)
            })
        }
    }
}
