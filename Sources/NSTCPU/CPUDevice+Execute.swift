// CPUDevice+Execute: the CPU backend's dispatch of every DeviceOp, its loss slots and its scratch report.
import NSTCore

extension CPUDevice {
    public func execute(_ op: DeviceOp) throws {
        switch op {
        case let .fill(tensor, value): try fillTensor(tensor, with: value)
        case let .copy(source, destination): try copyTensor(source, to: destination)
        case let .crop(source, y, x, destination): try crop(source, y: y, x: x, into: destination)
        case let .addWindow(source, destination, y, x): try addWindow(source, into: destination, y: y, x: x)
        case let .gramGradient(input, gram, inputGradient, scale):
            try gramGradient(input: input, gramGradient: gram, inputGradient: inputGradient, scale: scale)
        case let .conv2d(input, weight, bias, output, padding):
            try conv2d(input: input, weight: weight, bias: bias, output: output, padding: padding)
        case let .conv2dInputGradient(outputGradient, weight, inputGradient, padding):
            try conv2dInputGradient(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient, padding: padding)
        case let .conv2dReLU(input, weight, bias, output, padding):
            try conv2d(input: input, weight: weight, bias: bias, output: output, padding: padding, relu: true)
        case let .conv2dInputGradientReLU(outputGradient, weight, input, inputGradient, padding):
            try conv2dInputGradient(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient,
                                    padding: padding, mask: input)
        case let .relu(input, output): try relu(input: input, output: output)
        case let .reluGradient(output, outputGradient, inputGradient):
            try reluGradient(output: output, outputGradient: outputGradient, inputGradient: inputGradient)
        case let .pool2x2(kind, input, output): try pool2x2(kind, input: input, output: output)
        case let .pool2x2Gradient(kind, input, outputGradient, inputGradient):
            try pool2x2Gradient(kind, input: input, outputGradient: outputGradient, inputGradient: inputGradient)
        case let .normalize(input, output, mean, std): try normalize(input: input, output: output, mean: mean, std: std)
        case let .normalizeGradient(outputGradient, inputGradient, std):
            try normalizeGradient(outputGradient: outputGradient, inputGradient: inputGradient, std: std)
        case let .gram(input, output): try gram(input: input, output: output)
        case let .contentLoss(generated, target, gradient, scale, slots, index):
            try slots.check("contentLoss", index)
            slots.values[index] = try contentLoss(generated: generated, target: target, gradient: gradient, scale: scale)
        case let .styleLoss(generated, targetGram, gradient, scale, slots, index):
            try slots.check("styleLoss", index)
            slots.values[index] = try styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale)
        case let .totalVariationL1Loss(image, gradient, scale, slots, index):
            try slots.check("totalVariationL1Loss", index)
            slots.values[index] = try totalVariationL1Loss(image: image, gradient: gradient, scale: scale)
        case let .totalVariationLoss(image, gradient, scale, slots, index):
            try slots.check("totalVariationLoss", index)
            slots.values[index] = try totalVariationLoss(image: image, gradient: gradient, scale: scale)
        case let .dot(x, y, slots, index):
            try slots.check("dot", index)
            slots.values[index] = try dot(x, y)
        case let .scaleByMask(tensor, mask): try scaleByMask(tensor, mask: mask)
        case let .temporalLoss(image, target, weights, gradient, scale, slots, index):
            try slots.check("temporalLoss", index)
            slots.values[index] = try temporalLoss(image: image, target: target, weights: weights, gradient: gradient, scale: scale)
        case let .warp(source, flow, output): try warp(source: source, flow: flow, output: output)
        case let .axpy(alpha, x, y): try axpy(alpha, x, y)
        case let .scale(x, alpha): try scale(x, by: alpha)
        case let .dotCoefficient(x, y, scale, coefficients, index):
            try dotCoefficient(x, y, scale: scale, into: coefficients, at: index)
        case let .axpyCoefficients(terms, coefficients, x, y): try axpy(terms, coefficients: coefficients, x, y)
        case let .adamStep(parameter, gradient, m, v, learningRate, beta1, beta2, epsilon, step):
            try adamStep(parameter: parameter, gradient: gradient, m: m, v: v, learningRate: learningRate,
                         beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
        }
    }

    /// Host-side slots: each value is computed (in Double) when its op runs and kept here.
    public func makeLossSlots(count: Int) throws -> LossSlots {
        guard count >= 0 else { throw DeviceError.invalidArgument(op: "makeLossSlots", detail: "negative count \(count)") }
        return LossSlots(count: count, storage: nil)
    }

    public func readLosses(_ slots: LossSlots) throws -> [Double] {
        guard slots.storage == nil else { throw DeviceError.foreignTensor(op: "readLosses", device: name) }
        return slots.values
    }

    /// The machine's memory, or the container's limit when smaller (`AvailableMemory.hostBytes`).
    public var memory: DeviceMemory? {
        DeviceMemory(bytes: AvailableMemory.hostBytes(), label: "the CPU backend", isHostMemory: true)
    }

    /// The scratch pool is grow-only and keeps the smaller buffers of earlier calls, so twice
    /// the largest convolution's buffers are counted, plus the partial Grams of a split Gram
    /// product and one `[C,C]` Gram difference, plus the cached Winograd weights of every
    /// convolution of the model (the same at every size).
    public func scratchFloats(sizes: [ImageSize], depth: Int, model: VGGModel) -> Int {
        let largest = sizes.flatMap { model.convolutions(size: $0, depth: depth) }.map(convolutionScratchFloats).max() ?? 0
        let gram = model.largestChannels(depth: depth)
        let transforms = sizes.first.map { model.convolutions(size: $0, depth: depth).map(winogradWeightFloats) } ?? []
        // Kept: every convolution's transforms; not kept: the largest one's, during its call.
        let weights = transformedWeights.isKeeping ? transforms.reduce(0, +) : (transforms.max() ?? 0) / 2
        return 2 * largest + Self.gramPartialLimit + gram * gram + weights
    }
}

extension CPUDevice: WeightGradientDevice {}

extension CPUDevice: MemoryTrading {
    /// Stops keeping transformed Winograd weights between calls (each convolution transforms
    /// its weights again): the weights' transforms are the one thing the backend can give up.
    public func tradeSpeedForMemory() -> Bool {
        guard transformedWeights.isKeeping else { return false }
        transformedWeights.stopKeeping()
        return true
    }
}
