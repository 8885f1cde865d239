// DeviceCalls: test-only method forms of the DeviceOps, so test bodies read as calls (the library issues `execute` directly).
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer

extension Device {
    func conv2d(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int) throws {
        try execute(.conv2d(input: input, weight: weight, bias: bias, output: output, padding: padding))
    }
    func conv2dInputGradient(outputGradient: Tensor, weight: Tensor, inputGradient: Tensor, padding: Int) throws {
        try execute(.conv2dInputGradient(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient, padding: padding))
    }
    func relu(input: Tensor, output: Tensor) throws { try execute(.relu(input: input, output: output)) }
    func reluGradient(output: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        try execute(.reluGradient(output: output, outputGradient: outputGradient, inputGradient: inputGradient))
    }
    func pool2x2(_ kind: PoolKind, input: Tensor, output: Tensor) throws { try execute(.pool2x2(kind, input: input, output: output)) }
    func pool2x2Gradient(_ kind: PoolKind, input: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        try execute(.pool2x2Gradient(kind, input: input, outputGradient: outputGradient, inputGradient: inputGradient))
    }
    func gram(input: Tensor, output: Tensor) throws { try execute(.gram(input: input, output: output)) }
    func normalize(input: Tensor, output: Tensor, mean: [Float], std: [Float]) throws {
        try execute(.normalize(input: input, output: output, mean: mean, std: std))
    }
    func normalizeGradient(outputGradient: Tensor, inputGradient: Tensor, std: [Float]) throws {
        try execute(.normalizeGradient(outputGradient: outputGradient, inputGradient: inputGradient, std: std))
    }
    func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) throws { try execute(.axpy(alpha: alpha, x: x, y: y)) }
    func scale(_ x: Tensor, by alpha: Float) throws { try execute(.scale(x, by: alpha)) }
    func adamStep(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) throws {
        try execute(.adamStep(parameter: parameter, gradient: gradient, m: m, v: v, learningRate: learningRate,
                              beta1: beta1, beta2: beta2, epsilon: epsilon, step: step))
    }
    func dot(_ x: Tensor, _ y: Tensor, scale: Double, into coefficients: Tensor, at index: Int) throws {
        try execute(.dotCoefficient(x, y, scale: scale, coefficients: coefficients, index: index))
    }
    func axpy(_ terms: [CoefficientTerm], coefficients: Tensor, _ x: Tensor, _ y: Tensor) throws {
        try execute(.axpyCoefficients(terms, coefficients: coefficients, x: x, y: y))
    }

    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try execute(.contentLoss(generated: generated, target: target, gradient: gradient, scale: scale, slots: slots, index: index))
    }
    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try execute(.styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale, slots: slots, index: index))
    }
    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try execute(.totalVariationLoss(image: image, gradient: gradient, scale: scale, slots: slots, index: index))
    }
    /// The weight gradient, for backends that offer it (both of this project's do).
    func conv2dWeightGradient(input: Tensor, outputGradient: Tensor, weightGradient: Tensor, biasGradient: Tensor?, padding: Int) throws {
        guard let device = self as? any WeightGradientDevice else {
            throw DeviceError.invalidArgument(op: "conv2dWeightGradient", detail: "\(name) has no weight gradient")
        }
        try device.conv2dWeightGradient(input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                        biasGradient: biasGradient, padding: padding)
    }

    /// The value of one scalar-producing op, read back at once.
    func scalar(_ op: (LossSlots) -> DeviceOp) throws -> Double {
        let slots = try makeLossSlots(count: 1)
        try execute(op(slots))
        return try readLosses(slots)[0]
    }
    func dot(_ x: Tensor, _ y: Tensor) throws -> Double { try scalar { .dot(x, y, slots: $0, index: 0) } }
    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try scalar { .contentLoss(generated: generated, target: target, gradient: gradient, scale: scale, slots: $0, index: 0) }
    }
    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try scalar { .styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale, slots: $0, index: 0) }
    }
    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try scalar { .totalVariationLoss(image: image, gradient: gradient, scale: scale, slots: $0, index: 0) }
    }
}
