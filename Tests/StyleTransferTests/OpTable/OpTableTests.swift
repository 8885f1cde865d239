// OpTableTests: every case of OpCases on every backend against NaiveReference, finite differences and hand values (like ggml's test-backend-ops).
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

/// A backend under test: one device per code path a case can ask for.
struct OpTableBackend {
    var name: String
    var plain: Device
    var banded: Device
    var winograd: Device
    var winograd2x2: Device

    func device(_ path: ConvPath) -> Device {
        switch path {
        case .plain: return plain
        case .banded: return banded
        case .winograd: return winograd
        case .winograd2x2: return winograd2x2
        }
    }

    /// The CPU backend: as opened, with a 40-float column budget (one output row per band),
    /// and with Winograd from 16 channels (its default, stated here so the case cannot drift)
    /// in each variant: F(4x4, 3x3), the default, and F(2x2, 3x3).
    static func cpu() -> OpTableBackend {
        OpTableBackend(name: "cpu", plain: CPUDevice(), banded: CPUDevice(columnBudget: 40),
                       winograd: CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 16, winogradTile: .f4x4),
                       winograd2x2: CPUDevice(columnBudget: 1 << 22, winogradMinChannels: 16, winogradTile: .f2x2))
    }

    /// The shared OpenCL test device, its banded twin (im2col budget 90 floats), and two tuned
    /// to take Winograd from 16 channels (the untuned default never does), as the CPU's:
    /// F(4x4, 3x3) and F(2x2, 3x3).
    static func opencl() throws -> OpTableBackend {
        let plain = try OpenCLTestDevice.get()
        return OpTableBackend(name: "opencl", plain: plain, banded: try OpenCLTestDevice.get(banded: true),
                              winograd: try OpTableWinogradDevice.get(.f4x4), winograd2x2: try OpTableWinogradDevice.get(.f2x2))
    }
}

enum OpTableWinogradDevice {
    // A `static let` is initialised once, thread-safely: the kernels compile once per run.
    private static let shared: Result<[OpenCLWinogradTile: OpenCLDevice], Error> = Result {
        let info = try OpenCLTestDevice.get().info
        return try Dictionary(uniqueKeysWithValues: OpenCLWinogradTile.allCases.map { tile in
            (tile, try OpenCLDevice(info: info, tuning: .given(OpenCLTuning(info: info, winogradMinChannels: 16, winogradTile: tile))))
        })
    }

    /// The OpenCL test driver's device with Winograd `tile` from 16 summed channels.
    static func get(_ tile: OpenCLWinogradTile) throws -> OpenCLDevice {
        guard let device = try shared.get()[tile] else { throw DeviceError.backend("no \(tile) test device") }
        return device
    }
}

/// Runs one case on a device: uploads the inputs, executes the op, downloads its outputs
/// under the names `NaiveReference.evaluate` gives them.
enum OpTableRunner {
    static func run(_ c: OpCase, _ v: OpValues, on device: Device) throws -> [OpOutput] {
        func t(_ shape: Shape, _ name: String) throws -> Tensor { try device.tensor(shape, v[name]!) }
        /// An output the op overwrites, pre-filled with garbage.
        func garbage(_ shape: Shape) throws -> Tensor {
            let out = try device.makeTensor(shape)
            try device.fill(out, with: 99)
            return out
        }
        func get(_ name: String, _ tensor: Tensor) throws -> OpOutput {
            OpOutput(name: name, values: try device.download(tensor).map(Double.init))
        }
        /// Loss values go to slot 1 of 2, so a backend that ignores the index is caught.
        func loss(_ make: (LossSlots) -> DeviceOp) throws -> OpOutput {
            let slots = try device.makeLossSlots(count: 2)
            try device.execute(make(slots))
            return OpOutput(name: c.kind.opName == "dot" ? "value" : "loss", values: [try device.readLosses(slots)[1]])
        }
        switch c.kind {
        case let .conv2d(i, h, w, o, k, p, bias):
            let out = try garbage(Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1))
            try device.conv2d(input: try t(Shape(i, h, w), "input"), weight: try t(Shape(o, i, k, k), "weight"),
                              bias: bias ? try t(Shape(o), "bias") : nil, output: out, padding: p)
            return [try get("output", out)]
        case let .conv2dInputGradient(i, h, w, o, k, p):
            let dx = try garbage(Shape(i, h, w))
            try device.conv2dInputGradient(outputGradient: try t(Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1), "outputGradient"),
                                           weight: try t(Shape(o, i, k, k), "weight"), inputGradient: dx, padding: p)
            return [try get("inputGradient", dx)]
        case let .relu(s, inPlace):
            let x = try t(s, "input"), out = inPlace ? x : try garbage(s)
            try device.relu(input: x, output: out)
            return [try get("output", out)]
        case let .reluGradient(s, inPlace):
            let y = try device.tensor(s, v["input"]!.map { max($0, 0) }), dy = try t(s, "outputGradient")
            let dx = inPlace ? dy : try garbage(s)
            try device.reluGradient(output: y, outputGradient: dy, inputGradient: dx)
            return [try get("inputGradient", dx)]
        case let .pool2x2(kind, s):
            let out = try garbage(Shape(s[0], s[1] / 2, s[2] / 2))
            try device.pool2x2(kind, input: try t(s, "input"), output: out)
            return [try get("output", out)]
        case let .pool2x2Gradient(kind, s):
            let dx = try garbage(s)
            try device.pool2x2Gradient(kind, input: try t(s, "input"), outputGradient: try t(Shape(s[0], s[1] / 2, s[2] / 2), "outputGradient"),
                                       inputGradient: dx)
            return [try get("inputGradient", dx)]
        case let .normalize(s):
            let out = try garbage(s)
            try device.normalize(input: try t(s, "input"), output: out, mean: v["mean"]!, std: v["std"]!)
            return [try get("output", out)]
        case let .normalizeGradient(s):
            let dx = try garbage(s)
            try device.normalizeGradient(outputGradient: try t(s, "outputGradient"), inputGradient: dx, std: v["std"]!)
            return [try get("inputGradient", dx)]
        case let .gram(s):
            let out = try garbage(Shape(s[0], s[0]))
            try device.gram(input: try t(s, "input"), output: out)
            return [try get("output", out)]
        case let .contentLoss(s, g, scale):
            let gen = try t(s, "generated"), target = try t(s, "target"), grad = g ? try t(s, "gradient") : nil
            let j = try loss { .contentLoss(generated: gen, target: target, gradient: grad, scale: scale, slots: $0, index: 1) }
            return try [j] + (grad.map { [try get("gradient", $0)] } ?? [])
        case let .styleLoss(s, _, g, scale):
            let gen = try t(s, "generated"), target = try t(Shape(s[0], s[0]), "targetGram"), grad = g ? try t(s, "gradient") : nil
            let j = try loss { .styleLoss(generated: gen, targetGram: target, gradient: grad, scale: scale, slots: $0, index: 1) }
            return try [j] + (grad.map { [try get("gradient", $0)] } ?? [])
        case let .totalVariationLoss(s, g, scale):
            let image = try t(s, "image"), grad = g ? try t(s, "gradient") : nil
            let j = try loss { .totalVariationLoss(image: image, gradient: grad, scale: scale, slots: $0, index: 1) }
            return try [j] + (grad.map { [try get("gradient", $0)] } ?? [])
        case let .totalVariationL1Loss(s, g, scale):
            let image = try t(s, "image"), grad = g ? try t(s, "gradient") : nil
            let j = try loss { .totalVariationL1Loss(image: image, gradient: grad, scale: scale, slots: $0, index: 1) }
            return try [j] + (grad.map { [try get("gradient", $0)] } ?? [])
        case let .dot(n):
            let x = try t(Shape(n), "x"), y = try t(Shape(n), "y")
            return [try loss { .dot(x, y, slots: $0, index: 1) }]
        case let .axpy(n, alpha):
            let y = try t(Shape(n), "y")
            try device.axpy(alpha, try t(Shape(n), "x"), y)
            return [try get("y", y)]
        case let .scale(n, alpha):
            let x = try t(Shape(n), "x")
            try device.scale(x, by: alpha)
            return [try get("x", x)]
        case let .adamStep(n, steps, lr, b1, b2, eps):
            let x = try t(Shape(n), "parameter"), g = try t(Shape(n), "gradient"), m = try t(Shape(n), "m"), vv = try t(Shape(n), "v")
            for step in 1...steps {
                try device.adamStep(parameter: x, gradient: g, m: m, v: vv, learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, step: step)
            }
            return [try get("parameter", x), try get("m", m), try get("v", vv)]
        case let .dotCoefficient(n, scale, slots, index):
            let coefficients = try t(Shape(slots), "coefficients")
            try device.dot(try t(Shape(n), "x"), try t(Shape(n), "y"), scale: scale, into: coefficients, at: index)
            return [try get("coefficients", coefficients)]
        case let .axpyCoefficients(n, terms, slots):
            let y = try t(Shape(n), "y")
            try device.axpy(terms, coefficients: try t(Shape(slots), "coefficients"), try t(Shape(n), "x"), y)
            return [try get("y", y)]
        case let .crop(s, y, x, h, w):
            let out = try garbage(Shape(s[0], h, w))
            try device.execute(.crop(try t(s, "input"), y: y, x: x, into: out))
            return [try get("output", out)]
        case let .addWindow(s, y, x, h, w):
            let destination = try t(s, "destination")
            try device.execute(.addWindow(try t(Shape(s[0], h, w), "window"), into: destination, y: y, x: x))
            return [try get("destination", destination)]
        case let .gramGradient(s, scale):
            let dA = try t(s, "inputGradient")
            try device.execute(.gramGradient(input: try t(s, "input"), gramGradient: try t(Shape(s[0], s[0]), "gramGradient"),
                                             inputGradient: dA, scale: scale))
            return [try get("inputGradient", dA)]
        case let .scaleByMask(s):
            let a = try t(s, "tensor")
            try device.execute(.scaleByMask(a, mask: try t(Shape(s[1], s[2]), "mask")))
            return [try get("tensor", a)]
        case let .temporalLoss(s, g, scale):
            let image = try t(s, "image"), target = try t(s, "target"), weights = try t(Shape(s[1], s[2]), "weights")
            let grad = g ? try t(s, "gradient") : nil
            let j = try loss { .temporalLoss(image: image, target: target, weights: weights, gradient: grad, scale: scale, slots: $0, index: 1) }
            return try [j] + (grad.map { [try get("gradient", $0)] } ?? [])
        case let .warp(s, _):
            let out = try garbage(s)
            try device.execute(.warp(source: try t(s, "source"), flow: try t(Shape(2, s[1], s[2]), "flow"), output: out))
            return [try get("output", out)]
        }
    }

    /// Whether `device` really takes the path `c` names (a Winograd case that silently ran
    /// im2col would test nothing new). Nil when the case names no path to check.
    static func takesPath(_ c: OpCase, on device: Device) throws -> Bool? {
        let g: ConvGeometry, inputGradient: Bool
        switch c.kind {
        case let .conv2d(i, h, w, o, k, p, _):
            g = try ConvGeometry(op: "table", input: Shape(i, h, w), weight: Shape(o, i, k, k), bias: nil,
                                 output: Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1), padding: p)
            inputGradient = false
        case let .conv2dInputGradient(i, h, w, o, k, p):
            g = try ConvGeometry(op: "table", input: Shape(i, h, w), weight: Shape(o, i, k, k), bias: nil,
                                 output: Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1), padding: p)
            inputGradient = true
        default: return nil
        }
        let winograd: Bool, limit: Int, fourByFour: Bool
        if let cpu = device as? CPUDevice {
            (winograd, limit, fourByFour) = (cpu.usesWinograd(g), cpu.columnBudget, cpu.winogradTile == .f4x4)
        } else if let cl = device as? OpenCLDevice {
            (winograd, limit, fourByFour) = (cl.usesWinograd(g, inputGradient: inputGradient), cl.im2colLimit, cl.winogradTile == .f4x4)
        } else {
            return nil
        }
        switch c.path {
        case .winograd: return winograd && fourByFour
        case .winograd2x2: return winograd && !fourByFour
        case .banded: return !winograd && ConvBands.im2colRows(g, limit: limit) < g.outHeight
        case .plain: return nil
        }
    }
}

/// The worst element of one output of one case, measured against `abs + rel * max|expected|`.
struct OpComparison {
    var output: String
    var index: Int
    var actual: Double
    var expected: Double
    /// max|expected| of the output: the scale the relative tolerance applies to.
    var scale: Double
    /// |actual - expected| / (abs + rel * scale): above 1 is a mismatch.
    var ratio: Double

    var absoluteError: Double { abs(actual - expected) }
    var description: String {
        "\(output)[\(index)]: got \(actual), want \(expected), |err| \(absoluteError) (\(absoluteError / max(scale, .leastNormalMagnitude)) of max|e| \(scale)), \(ratio) of tolerance"
    }

    /// Compares outputs by name; a missing output or a wrong element count is an infinite
    /// mismatch, and so is any non-finite value that differs from the expected one.
    static func compare(_ actual: [OpOutput], _ expected: [OpOutput], abs absTol: Double, rel relTol: Double) -> [OpComparison] {
        expected.map { e in
            guard let a = actual.first(where: { $0.name == e.name }), a.values.count == e.values.count else {
                return OpComparison(output: e.name + " (missing or wrong size)", index: -1, actual: .nan, expected: .nan, scale: 0, ratio: .infinity)
            }
            let scale = e.values.map(Swift.abs).max() ?? 0
            let bound = absTol + relTol * scale
            var worst = OpComparison(output: e.name, index: 0, actual: a.values.first ?? 0, expected: e.values.first ?? 0, scale: scale, ratio: -1)
            for k in e.values.indices {
                let x = a.values[k], y = e.values[k]
                let ratio = x.isFinite && y.isFinite ? Swift.abs(x - y) / bound : (x == y ? 0 : .infinity)
                if ratio > worst.ratio { worst = OpComparison(output: e.name, index: k, actual: x, expected: y, scale: scale, ratio: ratio) }
            }
            return worst
        }
    }
}

/// The worst mismatch per op over a run, printed at its end (as llm.c prints its checks).
struct WorstPerOp {
    private var worst: [String: (OpComparison, String)] = [:]

    mutating func record(_ op: String, _ comparisons: [OpComparison], _ what: String) {
        for c in comparisons where c.ratio > (worst[op]?.0.ratio ?? -1) { worst[op] = (c, what) }
    }

    func print(_ title: String) {
        Swift.print("\(title): worst mismatch per op")
        for op in worst.keys.sorted() {
            let (c, what) = worst[op]!
            Swift.print("  \(op.padding(toLength: 22, withPad: " ", startingAt: 0)) \(String(format: "%.3g", c.ratio)) of tolerance; |err| \(String(format: "%.3g", c.absoluteError)), max|e| \(String(format: "%.3g", c.scale)) in \(what)")
        }
    }
}

/// A scalar function of one input vector and its analytic gradient, built from a table case.
struct OpGradientProblem {
    var point: [Float]
    var value: ([Float]) throws -> Double
    var analytic: () throws -> [Float]
}

/// Finite-difference settings of the gradient mode, per backend.
struct FiniteDifferences {
    var eps: Float
    var abs: Double
    var rel: Double

    /// Step 1e-2, |err| <= 1e-5 + 1e-2 max|numeric|: the CPU's forward ops round to float,
    /// its losses sum in Double, so the central difference is good to ~1e-4 of the gradient.
    static let cpu = FiniteDifferences(eps: 1e-2, abs: 1e-5, rel: 1e-2)
    /// Step 2e-2 (float-friendly: a float loss sum's rounding is divided by 2 eps; still below
    /// half the 0.05 spacing of the max-pooling inputs and the 0.1 margin of ReLU's inputs),
    /// |err| <= 1e-4 + 3e-2 max|numeric|: OpenCL's losses are float reductions.
    static let opencl = FiniteDifferences(eps: 2e-2, abs: 1e-4, rel: 3e-2)
}

enum OpTableGradients {
    /// Cases whose differentiated variable has more elements are left to the reference mode:
    /// two forward ops per element (the Winograd-sized case would take 4096 convolutions).
    static let maxElements = 300

    /// `sum r[i] * y[i]` in Double.
    static func weighted(_ y: [Float], _ r: [Float]) -> Double {
        zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// The scalar L(x) and dL/dx of a gradient case: `sum r * forward(x)` for the backward ops
    /// (r = the case's output gradient), `scale * J(x)` for the losses (gradient from zeros).
    static func problem(_ c: OpCase, _ v: OpValues, on device: Device) throws -> OpGradientProblem? {
        func t(_ shape: Shape, _ values: [Float]) throws -> Tensor { try device.tensor(shape, values) }
        func forward(_ shape: Shape, _ op: (Tensor) throws -> Void) throws -> [Float] {
            let y = try device.makeTensor(shape)
            try op(y)
            return try device.download(y)
        }
        switch c.kind {
        case let .conv2dInputGradient(i, h, w, o, k, p):
            let inShape = Shape(i, h, w), wShape = Shape(o, i, k, k), outShape = Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1)
            let r = v["outputGradient"]!, weight = try t(wShape, v["weight"]!)
            return OpGradientProblem(point: v["input"]!, value: { x in
                weighted(try forward(outShape) { try device.conv2d(input: try t(inShape, x), weight: weight, bias: nil, output: $0, padding: p) }, r)
            }, analytic: {
                try forward(inShape) { try device.conv2dInputGradient(outputGradient: try t(outShape, r), weight: weight, inputGradient: $0, padding: p) }
            })
        case let .reluGradient(s, _):
            let r = v["outputGradient"]!, x0 = v["input"]!
            return OpGradientProblem(point: x0, value: { x in
                weighted(try forward(s) { try device.relu(input: try t(s, x), output: $0) }, r)
            }, analytic: {
                let y = try device.makeTensor(s)
                try device.relu(input: try t(s, x0), output: y)
                return try forward(s) { try device.reluGradient(output: y, outputGradient: try t(s, r), inputGradient: $0) }
            })
        case let .pool2x2Gradient(kind, s):
            let outShape = Shape(s[0], s[1] / 2, s[2] / 2), r = v["outputGradient"]!, x0 = v["input"]!
            return OpGradientProblem(point: x0, value: { x in
                weighted(try forward(outShape) { try device.pool2x2(kind, input: try t(s, x), output: $0) }, r)
            }, analytic: {
                try forward(s) { try device.pool2x2Gradient(kind, input: try t(s, x0), outputGradient: try t(outShape, r), inputGradient: $0) }
            })
        case let .normalizeGradient(s):
            let r = v["outputGradient"]!, mean = v["mean"]!, std = v["std"]!
            return OpGradientProblem(point: v["input"]!, value: { x in
                weighted(try forward(s) { try device.normalize(input: try t(s, x), output: $0, mean: mean, std: std) }, r)
            }, analytic: {
                try forward(s) { try device.normalizeGradient(outputGradient: try t(s, r), inputGradient: $0, std: std) }
            })
        case let .contentLoss(s, true, scale):
            let target = try t(s, v["target"]!)
            return lossProblem(s, v["generated"]!, scale, device) {
                try device.contentLoss(generated: $0, target: target, gradient: $1, scale: scale)
            }
        case let .styleLoss(s, _, true, scale):
            let target = try t(Shape(s[0], s[0]), v["targetGram"]!)
            return lossProblem(s, v["generated"]!, scale, device) {
                try device.styleLoss(generated: $0, targetGram: target, gradient: $1, scale: scale)
            }
        case let .totalVariationLoss(s, true, scale):
            return lossProblem(s, v["image"]!, scale, device) {
                try device.totalVariationLoss(image: $0, gradient: $1, scale: scale)
            }
        case let .crop(s, y, x, h, w):
            // L = sum r * crop(x): dL/dx is r added into a zero tensor at the window (crop's adjoint).
            let window = Shape(s[0], h, w), r = v["outputGradient"]!
            return OpGradientProblem(point: v["input"]!, value: { input in
                weighted(try forward(window) { try device.execute(.crop(try t(s, input), y: y, x: x, into: $0)) }, r)
            }, analytic: {
                try forward(s) { try device.execute(.addWindow(try t(window, r), into: $0, y: y, x: x)) }
            })
        case let .gramGradient(s, scale):
            // L = scale/2 * sum_ij G_ij (A A^T)_ij, whose gradient is scale * G A for symmetric G;
            // the device's Gram divides by H*W, which is multiplied back.
            let c = s[0], pixels = Double(s[1] * s[2]), gram = v["gramGradient"]!
            return OpGradientProblem(point: v["input"]!, value: { a in
                0.5 * Double(scale) * pixels * weighted(try forward(Shape(c, c)) { try device.gram(input: try t(s, a), output: $0) }, gram)
            }, analytic: {
                try forward(s) { try device.execute(.gramGradient(input: try t(s, v["input"]!), gramGradient: try t(Shape(c, c), gram),
                                                                  inputGradient: $0, scale: scale)) }
            })
        case let .scaleByMask(s):
            // L = sum r * (a . m): the op is self-adjoint, so dL/da is the op applied to r.
            let r = v["outputGradient"]!, mask = try t(Shape(s[1], s[2]), v["mask"]!)
            return OpGradientProblem(point: v["tensor"]!, value: { a in
                let x = try t(s, a)
                try device.execute(.scaleByMask(x, mask: mask))
                return weighted(try device.download(x), r)
            }, analytic: {
                let x = try t(s, r)
                try device.execute(.scaleByMask(x, mask: mask))
                return try device.download(x)
            })
        case let .temporalLoss(s, true, scale):
            let target = try t(s, v["target"]!), weights = try t(Shape(s[1], s[2]), v["weights"]!)
            return lossProblem(s, v["image"]!, scale, device) { image, gradient in
                try device.scalar { .temporalLoss(image: image, target: target, weights: weights, gradient: gradient, scale: scale, slots: $0, index: 0) }
            }
        case let .totalVariationL1Loss(s, true, scale):
            return lossProblem(s, v["image"]!, scale, device) { image, gradient in
                try device.scalar { .totalVariationL1Loss(image: image, gradient: gradient, scale: scale, slots: $0, index: 0) }
            }
        default:
            return nil
        }
    }

    private static func lossProblem(_ s: Shape, _ x0: [Float], _ scale: Float, _ device: Device,
                                    _ loss: @escaping (Tensor, Tensor?) throws -> Double) -> OpGradientProblem {
        OpGradientProblem(point: x0, value: { x in
            Double(scale) * (try loss(try device.tensor(s, x), nil))
        }, analytic: {
            let g = try device.makeTensor(s)
            _ = try loss(try device.tensor(s, x0), g)
            return try device.download(g)
        })
    }

    /// Central differences `(L(x + eps e_i) - L(x - eps e_i)) / (x_i+ - x_i-)` (the step
    /// actually applied in float), in Double.
    static func numeric(_ p: OpGradientProblem, eps: Float) throws -> [Double] {
        var x = p.point
        var result = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let x0 = x[i]
            x[i] = x0 + eps; let up = x[i]; let lPlus = try p.value(x)
            x[i] = x0 - eps; let down = x[i]; let lMinus = try p.value(x)
            x[i] = x0
            result[i] = (lPlus - lMinus) / (Double(up) - Double(down))
        }
        return result
    }
}

final class OpTableTests: XCTestCase {
    /// Seeds differ per case (its index in the table) but not per run.
    static func inputs(_ index: Int) -> OpValues { OpInputs.make(OpCases.all[index], seed: 1000 + UInt64(index)) }
    private func inputs(_ index: Int) -> OpValues { Self.inputs(index) }

    // MARK: (a) reference mode

    /// Runs the cases `include` selects on `backend` against the naive reference, failing once
    /// per mismatching output, and prints the worst mismatch per op. Also used by
    /// OpenCLTuningTests to check tuned devices.
    static func checkReference(_ backend: OpTableBackend, where include: (OpCase) -> Bool = { _ in true }) throws {
        var worst = WorstPerOp()
        for (index, c) in OpCases.all.enumerated() where include(c) {
            let device = backend.device(c.path)
            if let taken = try OpTableRunner.takesPath(c, on: device) {
                XCTAssertTrue(taken, "\(backend.name): \(c) does not take the \(c.path) path")
            }
            let v = inputs(index)
            let tol = c.kind.family.tolerance
            let comparisons = OpComparison.compare(try OpTableRunner.run(c, v, on: device), NaiveReference.evaluate(c, v),
                                                   abs: tol.abs, rel: tol.rel)
            // Each convolution path is reported on its own line, so a new algorithm's error shows.
            worst.record(c.path == .plain ? c.kind.opName : "\(c.kind.opName) \(c.path.rawValue)", comparisons, "\(c)")
            for m in comparisons where !(m.ratio <= 1) {
                XCTFail("\(backend.name): \(c) [\(c.kind.family) tolerance abs \(tol.abs) rel \(tol.rel)]: \(m.description)")
            }
        }
        worst.print("reference mode, \(backend.name)")
    }

    private func checkReference(_ backend: OpTableBackend) throws { try Self.checkReference(backend) }

    func testReferenceCPU() throws { try checkReference(.cpu()) }
    func testReferenceOpenCL() throws { try checkReference(try .opencl()) }

    // MARK: (b) gradient mode

    private func checkGradients(_ backend: OpTableBackend, _ fd: FiniteDifferences) throws {
        var worst = WorstPerOp(), checked = 0
        for (index, c) in OpCases.all.enumerated() {
            guard let n = c.gradientVariableCount, n <= OpTableGradients.maxElements,
                  let problem = try OpTableGradients.problem(c, inputs(index), on: backend.device(c.path)) else { continue }
            let analytic = try problem.analytic(), numeric = try OpTableGradients.numeric(problem, eps: fd.eps)
            let comparisons = OpComparison.compare([OpOutput(name: "analytic", values: analytic.map(Double.init))],
                                                   [OpOutput(name: "analytic", values: numeric)], abs: fd.abs, rel: fd.rel)
            // Each convolution path is reported on its own line, so a new algorithm's error shows.
            worst.record(c.path == .plain ? c.kind.opName : "\(c.kind.opName) \(c.path.rawValue)", comparisons, "\(c)")
            for m in comparisons where !(m.ratio <= 1) {
                XCTFail("\(backend.name): \(c): analytic vs finite differences (eps \(fd.eps)): \(m.description)")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 20, "gradient cases checked")
        worst.print("gradient mode, \(backend.name) (\(checked) cases, eps \(fd.eps), abs \(fd.abs), rel \(fd.rel))")
    }

    func testGradientsCPU() throws { try checkGradients(.cpu(), .cpu) }
    func testGradientsOpenCL() throws { try checkGradients(try .opencl(), .opencl) }

    // MARK: (c) hand-computed mode

    private func checkHandComputed(_ backend: OpTableBackend) throws {
        var checked = 0
        for (index, c) in OpCases.all.enumerated() {
            guard let hand = c.handExpected else { continue }
            let expected = hand.keys.sorted().map { OpOutput(name: $0, values: hand[$0]!) }
            let tol = c.kind.family.tolerance
            let actual = try OpTableRunner.run(c, inputs(index), on: backend.device(c.path))
            // The reference itself must agree with the hand values too.
            for (who, outputs) in [(backend.name, actual), ("naive reference", NaiveReference.evaluate(c, inputs(index)))] {
                for m in OpComparison.compare(outputs, expected, abs: tol.abs, rel: tol.rel) where !(m.ratio <= 1) {
                    XCTFail("\(who): \(c): \(m.description)")
                }
            }
            checked += 1
        }
        XCTAssertEqual(checked, OpCases.handComputed.count)
    }

    func testHandComputedCPU() throws { try checkHandComputed(.cpu()) }
    func testHandComputedOpenCL() throws { try checkHandComputed(try .opencl()) }

    // MARK: every check can fail

    /// The reference comparison reports a mismatch for broken expectations: a reference fed
    /// the transposed kernel (every square, non-trivial convolution), and for every case an
    /// expected output moved by twice its tolerance at its largest element.
    func testBrokenReferenceIsReported() throws {
        let backend = OpTableBackend.cpu()
        for (index, c) in OpCases.all.enumerated() {
            let v = inputs(index), tol = c.kind.family.tolerance
            let actual = try OpTableRunner.run(c, v, on: backend.device(c.path))
            var broken = NaiveReference.evaluate(c, v)
            let k = broken[0].values.indices.max { abs(broken[0].values[$0]) < abs(broken[0].values[$1]) }!
            let scale = abs(broken[0].values[k])
            broken[0].values[k] += 2 * (tol.abs + tol.rel * scale)
            XCTAssertTrue(OpComparison.compare(actual, broken, abs: tol.abs, rel: tol.rel).contains { $0.ratio > 1 },
                          "\(c): a perturbed expected output passed")

            if case let .conv2d(_, h, w, _, 3, _, _) = c.kind, c.given == nil, h * w > 1 {
                var transposed = v
                let w = v["weight"]!
                transposed["weight"] = (0..<w.count).map { j in
                    let (oi, ky, kx) = (j / 9, (j % 9) / 3, j % 3)
                    return w[oi * 9 + kx * 3 + ky]
                }
                XCTAssertTrue(OpComparison.compare(actual, NaiveReference.evaluate(c, transposed), abs: tol.abs, rel: tol.rel)
                    .contains { $0.ratio > 1 },
                              "\(c): a reference with the transposed kernel passed")
            }
        }
    }

    /// The gradient check reports a mismatch for a broken analytic gradient: the input
    /// gradient of a convolution run with the transposed kernel, and for every gradient case
    /// the analytic gradient moved by 3 tolerances at its largest element.
    func testBrokenGradientIsReported() throws {
        let backend = OpTableBackend.cpu(), fd = FiniteDifferences.cpu
        var transposedChecked = 0
        for (index, c) in OpCases.all.enumerated() {
            guard let n = c.gradientVariableCount, n <= OpTableGradients.maxElements else { continue }
            var v = inputs(index)
            let device = backend.device(c.path)
            guard let problem = try OpTableGradients.problem(c, v, on: device) else { continue }
            let numeric = try OpTableGradients.numeric(problem, eps: fd.eps)
            var analytic = try problem.analytic().map(Double.init)
            let k = numeric.indices.max { abs(numeric[$0]) < abs(numeric[$1]) }!
            analytic[k] += 3 * (fd.abs + fd.rel * abs(numeric[k]))
            XCTAssertTrue(OpComparison.compare([OpOutput(name: "g", values: analytic)], [OpOutput(name: "g", values: numeric)],
                                               abs: fd.abs, rel: fd.rel).contains { $0.ratio > 1 }, "\(c): a perturbed gradient passed")

            if case let .conv2dInputGradient(i, h, w, o, 3, _) = c.kind, i * h * w > 1 {
                let wt = v["weight"]!
                v["weight"] = (0..<wt.count).map { j in wt[(j / 9) * 9 + (j % 3) * 3 + (j % 9) / 3] }
                let wrong = try OpTableGradients.problem(c, v, on: device)!.analytic().map(Double.init)
                XCTAssertTrue(OpComparison.compare([OpOutput(name: "g", values: wrong)], [OpOutput(name: "g", values: numeric)],
                                                   abs: fd.abs, rel: fd.rel).contains { $0.ratio > 1 },
                              "\(c) [\(o) outputs]: the transposed kernel's input gradient passed")
                transposedChecked += 1
            }
        }
        XCTAssertGreaterThan(transposedChecked, 0)
    }
}
