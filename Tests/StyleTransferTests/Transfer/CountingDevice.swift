// CountingDevice: a Device wrapper counting allocations (and their peak bytes) and host transfers, for loop and memory tests.
import StyleTransfer

/// Forwards every op to `base` and counts `makeTensor`, `upload`, `download` and `readLosses` calls, and
/// the scalar reductions (`dot`) that each wait for the device and those left on it; also the peak bytes of the
/// tensors alive at once (tensors are tracked weakly, so released ones stop counting).
final class CountingDevice: Device {
    let base: any Device
    var allocations = 0, uploads = 0, downloads = 0, dots = 0, slotDots = 0, lossReads = 0
    private(set) var peakBytes = 0
    private struct Tracked { weak var tensor: Tensor?; let bytes: Int }
    private var tracked: [Tracked] = []
    /// Bytes of the tensors made here that are still alive.
    var liveBytes: Int { tracked.reduce(0) { $0 + ($1.tensor == nil ? 0 : $1.bytes) } }

    init(_ base: any Device) { self.base = base }

    var name: String { base.name }
    func makeTensor(_ shape: Shape) throws -> Tensor {
        allocations += 1
        let tensor = try base.makeTensor(shape)
        tracked.removeAll { $0.tensor == nil }
        tracked.append(Tracked(tensor: tensor, bytes: shape.count * MemoryLayout<Float>.stride))
        peakBytes = max(peakBytes, liveBytes)
        return tensor
    }
    func upload(_ values: [Float], to tensor: Tensor) throws { uploads += 1; try base.upload(values, to: tensor) }
    func download(_ tensor: Tensor) throws -> [Float] { downloads += 1; return try base.download(tensor) }
    func fill(_ tensor: Tensor, with value: Float) throws { try base.fill(tensor, with: value) }
    func copy(_ source: Tensor, to destination: Tensor) throws { try base.copy(source, to: destination) }
    func synchronize() throws { try base.synchronize() }
    func conv2d(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int) throws {
        try base.conv2d(input: input, weight: weight, bias: bias, output: output, padding: padding)
    }
    func conv2dInputGradient(outputGradient: Tensor, weight: Tensor, inputGradient: Tensor, padding: Int) throws {
        try base.conv2dInputGradient(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient, padding: padding)
    }
    func conv2dWeightGradient(input: Tensor, outputGradient: Tensor, weightGradient: Tensor, biasGradient: Tensor?, padding: Int) throws {
        try base.conv2dWeightGradient(input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                      biasGradient: biasGradient, padding: padding)
    }
    func relu(input: Tensor, output: Tensor) throws { try base.relu(input: input, output: output) }
    func reluGradient(output: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        try base.reluGradient(output: output, outputGradient: outputGradient, inputGradient: inputGradient)
    }
    func pool2x2(_ kind: PoolKind, input: Tensor, output: Tensor) throws { try base.pool2x2(kind, input: input, output: output) }
    func pool2x2Gradient(_ kind: PoolKind, input: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        try base.pool2x2Gradient(kind, input: input, outputGradient: outputGradient, inputGradient: inputGradient)
    }
    func gram(input: Tensor, output: Tensor) throws { try base.gram(input: input, output: output) }
    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try base.contentLoss(generated: generated, target: target, gradient: gradient, scale: scale)
    }
    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try base.styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale)
    }
    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try base.totalVariationLoss(image: image, gradient: gradient, scale: scale)
    }
    func normalize(input: Tensor, output: Tensor, mean: [Float], std: [Float]) throws {
        try base.normalize(input: input, output: output, mean: mean, std: std)
    }
    func normalizeGradient(outputGradient: Tensor, inputGradient: Tensor, std: [Float]) throws {
        try base.normalizeGradient(outputGradient: outputGradient, inputGradient: inputGradient, std: std)
    }
    func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) throws { try base.axpy(alpha, x, y) }
    func scale(_ x: Tensor, by alpha: Float) throws { try base.scale(x, by: alpha) }
    func dot(_ x: Tensor, _ y: Tensor) throws -> Double { dots += 1; return try base.dot(x, y) }
    func dot(_ x: Tensor, _ y: Tensor, scale: Double, into slots: Tensor, at index: Int) throws {
        slotDots += 1
        try base.dot(x, y, scale: scale, into: slots, at: index)
    }
    func axpy(_ terms: [SlotTerm], slots: Tensor, _ x: Tensor, _ y: Tensor) throws { try base.axpy(terms, slots: slots, x, y) }
    func makeLossSlots(count: Int) throws -> LossSlots { try base.makeLossSlots(count: count) }
    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try base.contentLoss(generated: generated, target: target, gradient: gradient, scale: scale, into: slots, at: index)
    }
    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try base.styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale, into: slots, at: index)
    }
    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try base.totalVariationLoss(image: image, gradient: gradient, scale: scale, into: slots, at: index)
    }
    func readLosses(_ slots: LossSlots) throws -> [Double] { lossReads += 1; return try base.readLosses(slots) }
    func adamStep(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) throws {
        try base.adamStep(parameter: parameter, gradient: gradient, m: m, v: v, learningRate: learningRate,
                          beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
    }
}
