// OpTableRunner: runs one op case on a device (inputs uploaded, the op executed, outputs read back) and says whether it took the code path it names.
import NSTCore
import NSTCPU
import NSTOpenCL

/// Runs one case on a device: uploads the inputs, executes the op, downloads its outputs
/// under the names `NaiveReference.evaluate` gives them.
enum OpTableRunner {
    static func run(_ c: OpCase, _ v: OpValues, on device: Device) throws -> [OpOutput] {
        func values(_ name: String) throws -> [Float] {
            guard let values = v[name] else { throw DeviceError.invalidArgument(op: c.kind.opName, detail: "the case has no input '\(name)'") }
            return values
        }
        func t(_ shape: Shape, _ name: String) throws -> Tensor { try device.filled(shape, try values(name)) }
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
            try device.execute(.conv2d(input: try t(Shape(i, h, w), "input"), weight: try t(Shape(o, i, k, k), "weight"),
                                       bias: bias ? try t(Shape(o), "bias") : nil, output: out, padding: p))
            return [try get("output", out)]
        case let .conv2dInputGradient(i, h, w, o, k, p):
            let dx = try garbage(Shape(i, h, w))
            try device.execute(.conv2dInputGradient(outputGradient: try t(Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1), "outputGradient"),
                                                    weight: try t(Shape(o, i, k, k), "weight"), inputGradient: dx, padding: p))
            return [try get("inputGradient", dx)]
        case let .relu(s, inPlace):
            let x = try t(s, "input"), out = inPlace ? x : try garbage(s)
            try device.execute(.relu(input: x, output: out))
            return [try get("output", out)]
        case let .reluGradient(s, inPlace):
            let y = try device.filled(s, try values("input").map { max($0, 0) }), dy = try t(s, "outputGradient")
            let dx = inPlace ? dy : try garbage(s)
            try device.execute(.reluGradient(output: y, outputGradient: dy, inputGradient: dx))
            return [try get("inputGradient", dx)]
        case let .pool2x2(kind, s):
            let out = try garbage(Shape(s[0], s[1] / 2, s[2] / 2))
            try device.execute(.pool2x2(kind, input: try t(s, "input"), output: out))
            return [try get("output", out)]
        case let .pool2x2Gradient(kind, s):
            let dx = try garbage(s)
            try device.execute(.pool2x2Gradient(kind, input: try t(s, "input"), outputGradient: try t(Shape(s[0], s[1] / 2, s[2] / 2), "outputGradient"),
                                                inputGradient: dx))
            return [try get("inputGradient", dx)]
        case let .normalize(s):
            let out = try garbage(s)
            try device.execute(.normalize(input: try t(s, "input"), output: out, mean: try values("mean"), std: try values("std")))
            return [try get("output", out)]
        case let .normalizeGradient(s):
            let dx = try garbage(s)
            try device.execute(.normalizeGradient(outputGradient: try t(s, "outputGradient"), inputGradient: dx, std: try values("std")))
            return [try get("inputGradient", dx)]
        case let .gram(s):
            let out = try garbage(Shape(s[0], s[0]))
            try device.execute(.gram(input: try t(s, "input"), output: out))
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
            try device.execute(.axpy(alpha: alpha, x: try t(Shape(n), "x"), y: y))
            return [try get("y", y)]
        case let .scale(n, alpha):
            let x = try t(Shape(n), "x")
            try device.execute(.scale(x, by: alpha))
            return [try get("x", x)]
        case let .adamStep(n, steps, lr, b1, b2, eps):
            let x = try t(Shape(n), "parameter"), g = try t(Shape(n), "gradient"), m = try t(Shape(n), "m"), vv = try t(Shape(n), "v")
            for step in 1...steps {
                try device.execute(.adamStep(parameter: x, gradient: g, m: m, v: vv, learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, step: step))
            }
            return [try get("parameter", x), try get("m", m), try get("v", vv)]
        case let .dotCoefficient(n, scale, slots, index):
            let coefficients = try t(Shape(slots), "coefficients")
            try device.execute(.dotCoefficient(try t(Shape(n), "x"), try t(Shape(n), "y"), scale: scale, coefficients: coefficients, index: index))
            return [try get("coefficients", coefficients)]
        case let .axpyCoefficients(n, terms, slots):
            let y = try t(Shape(n), "y")
            try device.execute(.axpyCoefficients(terms, coefficients: try t(Shape(slots), "coefficients"), x: try t(Shape(n), "x"), y: y))
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

extension Device {
    /// A tensor of `shape` holding `values` (private: the tests have their own `tensor(_:_:)`).
    fileprivate func filled(_ shape: Shape, _ values: [Float]) throws -> Tensor {
        let t = try makeTensor(shape)
        try upload(values, to: t)
        return t
    }
}
