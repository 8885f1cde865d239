// CPUDevice+Elementwise: ReLU, the input normalisation and the optimisers' vector ops.
import Foundation
import NSTCore

extension CPUDevice {
    func relu(input: Tensor, output: Tensor) throws {
        try OpShapes.same("relu", ("input", input.shape), ("output", output.shape))
        let x = try ptr(input, "relu"), y = try ptr(output, "relu")
        Parallel.ranges(input.count) { r in VectorKernels.relu(x, y, r) }
    }

    func reluGradient(output: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        let op = "reluGradient"
        try OpShapes.same(op, ("output", output.shape), ("outputGradient", outputGradient.shape),
                          ("inputGradient", inputGradient.shape))
        let y = try ptr(output, op), dy = try ptr(outputGradient, op), dx = try ptr(inputGradient, op)
        Parallel.ranges(output.count) { r in VectorKernels.reluGradient(y, dy, dx, r) }
    }

    func normalize(input: Tensor, output: Tensor, mean: [Float], std: [Float]) throws {
        let op = "normalize"
        try OpShapes.same(op, ("input", input.shape), ("output", output.shape))
        let (c, h, w) = try OpShapes.channels(op, input.shape, mean: mean, std: std)
        let x = try ptr(input, op), y = try ptr(output, op)
        for ch in 0..<c {
            let m = mean[ch], s = std[ch], base = ch * h * w
            for i in base..<(base + h * w) { y[i] = (x[i] - m) / s }
        }
    }

    func normalizeGradient(outputGradient: Tensor, inputGradient: Tensor, std: [Float]) throws {
        let op = "normalizeGradient"
        try OpShapes.same(op, ("outputGradient", outputGradient.shape), ("inputGradient", inputGradient.shape))
        let (c, h, w) = try OpShapes.channels(op, outputGradient.shape, mean: nil, std: std)
        let dy = try ptr(outputGradient, op), dx = try ptr(inputGradient, op)
        for ch in 0..<c {
            let s = std[ch], base = ch * h * w
            for i in base..<(base + h * w) { dx[i] = dy[i] / s }
        }
    }

    func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) throws {
        try OpShapes.sameCount("axpy", x.shape, y.shape)
        let a = try ptr(x, "axpy"), b = try ptr(y, "axpy")
        Parallel.ranges(x.count) { r in for i in r { b[i] += alpha * a[i] } }
    }

    func scale(_ x: Tensor, by alpha: Float) throws {
        let a = try ptr(x, "scale")
        Parallel.ranges(x.count) { r in for i in r { a[i] *= alpha } }
    }

    func dot(_ x: Tensor, _ y: Tensor) throws -> Double {
        try OpShapes.sameCount("dot", x.shape, y.shape)
        let a = try ptr(x, "dot"), b = try ptr(y, "dot")
        var s: Double = 0
        for i in 0..<x.count { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    func dotCoefficient(_ x: Tensor, _ y: Tensor, scale: Double, into coefficients: Tensor, at index: Int) throws {
        try OpShapes.coefficient("dot", index, count: coefficients.count)
        let value = scale * (try dot(x, y))
        try ptr(coefficients, "dot")[index] = Float(value)
    }

    func axpy(_ terms: [CoefficientTerm], coefficients: Tensor, _ x: Tensor, _ y: Tensor) throws {
        try OpShapes.coefficientTerms("axpy", terms, count: coefficients.count)
        let values = try ptr(coefficients, "axpy")
        // Float arithmetic, as the OpenCL kernel does it.
        try axpy(terms.reduce(Float(0)) { $0 + $1.factor * values[$1.index] }, x, y)
    }

    func adamStep(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                         learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) throws {
        let op = "adamStep"
        try OpShapes.adam(parameter: parameter.shape, gradient: gradient.shape, m: m.shape, v: v.shape, step: step)
        let x = try ptr(parameter, op), g = try ptr(gradient, op), mp = try ptr(m, op), vp = try ptr(v, op)
        // Bias corrections in Double: beta^step underflows gracefully and the two divisors are exact enough.
        let c1 = Float(1 - pow(Double(beta1), Double(step))), c2 = Float(1 - pow(Double(beta2), Double(step)))
        for i in 0..<parameter.count {
            let gi = g[i]
            mp[i] = beta1 * mp[i] + (1 - beta1) * gi
            vp[i] = beta2 * vp[i] + (1 - beta2) * gi * gi
            x[i] -= learningRate * (mp[i] / c1) / ((vp[i] / c2).squareRoot() + epsilon)
        }
    }
}
