// OpenCLDevice+Elementwise: ReLU, pooling, channel normalisation and the optimisers' vector ops as OpenCL kernels.
import COpenCL
import Foundation
import NSTCore

extension OpenCLDevice {
    func relu(input: Tensor, output: Tensor) throws {
        try OpShapes.same("relu", ("input", input.shape), ("output", output.shape))
        try run("elementwise", "relu", count: input.count,
                [.buffer(try buffer(input, "relu")), .buffer(try buffer(output, "relu")), .int(input.count)])
    }

    func reluGradient(output: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        let op = "reluGradient"
        try OpShapes.same(op, ("output", output.shape), ("outputGradient", outputGradient.shape),
                          ("inputGradient", inputGradient.shape))
        try run("elementwise", "relu_grad", count: output.count, [
            .buffer(try buffer(output, op)), .buffer(try buffer(outputGradient, op)),
            .buffer(try buffer(inputGradient, op)), .int(output.count)])
    }

    func pool2x2(_ kind: PoolKind, input: Tensor, output: Tensor) throws {
        let op = "pool2x2"
        let (_, h, w) = try OpShapes.pool(op, input: input.shape, output: output.shape)
        try run("pool", kind == .max ? "max_pool" : "avg_pool", count: output.count, [
            .buffer(try buffer(input, op)), .buffer(try buffer(output, op)),
            .int(h), .int(w), .int(h / 2), .int(w / 2), .int(output.count)])
    }

    func pool2x2Gradient(_ kind: PoolKind, input: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        let op = "pool2x2Gradient"
        let (c, h, w) = try OpShapes.pool(op, input: input.shape, output: outputGradient.shape)
        try OpShapes.same(op, ("input", input.shape), ("inputGradient", inputGradient.shape))
        let dOut = try buffer(outputGradient, op), dIn = try buffer(inputGradient, op)
        let sizes: [KernelArg] = [.int(h), .int(w), .int(h / 2), .int(w / 2)]
        switch kind {
        case .max:
            // One work-item per 2x2 window (the ceiling grid, so odd edges are cleared too).
            let windows = c * ((h + 1) / 2) * ((w + 1) / 2)
            try run("pool", "max_pool_grad", count: windows,
                    [.buffer(try buffer(input, op)), .buffer(dOut), .buffer(dIn)] + sizes + [.int(windows)])
        case .avg: try run("pool", "avg_pool_grad", count: input.count, [.buffer(dOut), .buffer(dIn)] + sizes + [.int(input.count)])
        }
    }

    func normalize(input: Tensor, output: Tensor, mean: [Float], std: [Float]) throws {
        let op = "normalize"
        let (_, h, w) = try OpShapes.channels(op, input.shape, mean: mean, std: std)
        try OpShapes.same(op, ("input", input.shape), ("output", output.shape))
        let inBuf = try buffer(input, op), outBuf = try buffer(output, op)
        let meanBuf = try constants(mean), stdBuf = try constants(std)
        try run("elementwise", "normalize_channels", count: input.count,
                [.buffer(inBuf), .buffer(outBuf), .buffer(meanBuf), .buffer(stdBuf), .int(h * w), .int(input.count)])
    }

    func normalizeGradient(outputGradient: Tensor, inputGradient: Tensor, std: [Float]) throws {
        let op = "normalizeGradient"
        let (_, h, w) = try OpShapes.channels(op, outputGradient.shape, mean: nil, std: std)
        try OpShapes.same(op, ("outputGradient", outputGradient.shape), ("inputGradient", inputGradient.shape))
        let dOut = try buffer(outputGradient, op), dIn = try buffer(inputGradient, op)
        let stdBuf = try constants(std)
        try run("elementwise", "normalize_channels_grad", count: outputGradient.count,
                [.buffer(dOut), .buffer(dIn), .buffer(stdBuf), .int(h * w), .int(outputGradient.count)])
    }

    func axpy(_ terms: [CoefficientTerm], coefficients: Tensor, _ x: Tensor, _ y: Tensor) throws {
        try OpShapes.sameCount("axpy", x.shape, y.shape)
        try OpShapes.coefficientTerms("axpy", terms, count: coefficients.count)
        let second = terms.count > 1 ? terms[1] : CoefficientTerm(index: -1, factor: 0)
        try run("elementwise", "axpy_slots", count: x.count, [
            .buffer(try buffer(coefficients, "axpy")), .int(terms[0].index), .float(terms[0].factor), .int(second.index),
            .float(second.factor), .buffer(try buffer(x, "axpy")), .buffer(try buffer(y, "axpy")), .int(x.count)])
    }

    func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) throws {
        try OpShapes.sameCount("axpy", x.shape, y.shape)
        try run("elementwise", "axpy", count: x.count,
                [.float(alpha), .buffer(try buffer(x, "axpy")), .buffer(try buffer(y, "axpy")), .int(x.count)])
    }

    func scale(_ x: Tensor, by alpha: Float) throws {
        try run("elementwise", "scale", count: x.count, [.buffer(try buffer(x, "scale")), .float(alpha), .int(x.count)])
    }

    func adamStep(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                         learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) throws {
        let op = "adamStep"
        try OpShapes.adam(parameter: parameter.shape, gradient: gradient.shape, m: m.shape, v: v.shape, step: step)
        // Bias corrections in double: 1 - beta^t loses digits in float for large t.
        let correction1 = Float(1 - pow(Double(beta1), Double(step)))
        let correction2 = Float(1 - pow(Double(beta2), Double(step)))
        try run("elementwise", "adam", count: parameter.count, [
            .buffer(try buffer(parameter, op)), .buffer(try buffer(gradient, op)), .buffer(try buffer(m, op)),
            .buffer(try buffer(v, op)), .float(learningRate), .float(beta1), .float(beta2), .float(epsilon),
            .float(correction1), .float(correction2), .int(parameter.count)])
    }
}
