// ProfilingDevice: a Device wrapper that times every op (waiting for each to finish) for the per-op breakdown of `nst bench`.
import Dispatch

/// The op families the benchmark reports separately.
public enum OpFamily: String, CaseIterable, Sendable {
    case convForward = "conv forward"
    case convInputGradient = "conv input gradient"
    case convWeightGradient = "conv weight gradient"
    case relu = "relu"
    case pooling = "pooling"
    case gramStyle = "gram/style"
    case content = "content loss"
    case tv = "tv loss"
    case normalize = "normalize"
    case vector = "vector ops"
    case memory = "memory"
}

/// Time and work spent in one op family.
public struct OpTiming: Sendable {
    public var seconds: Double = 0
    public var flops: Double = 0
    public var calls: Int = 0
}

/// Forwards every op to `base`, waits for it to finish, and adds its wall time (and its
/// floating-point work where that is well defined) to its family. Waiting after each op
/// makes the total slower than an unprofiled run on asynchronous backends: use it for
/// the shares, and an unwrapped device for seconds per evaluation.
public final class ProfilingDevice: Device {
    public let base: any Device
    /// Accumulated timings per family.
    public private(set) var timings: [OpFamily: OpTiming] = [:]

    public init(_ base: any Device) { self.base = base }

    public var name: String { base.name }

    /// Forgets the timings gathered so far.
    public func reset() { timings = [:] }

    private func timed<T>(_ family: OpFamily, flops: Double = 0, _ body: () throws -> T) throws -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        try base.synchronize()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        timings[family, default: OpTiming()].seconds += seconds
        timings[family, default: OpTiming()].flops += flops
        timings[family, default: OpTiming()].calls += 1
        return result
    }

    /// 2 FLOP per multiply-add: each output element takes in*kh*kw of them.
    private func convFlops(weight w: Shape, output y: Shape) -> Double {
        2 * Double(y.count) * Double(w.count / max(w[0], 1))
    }

    public func makeTensor(_ shape: Shape) throws -> Tensor { try timed(.memory) { try base.makeTensor(shape) } }
    public func upload(_ values: [Float], to tensor: Tensor) throws { try timed(.memory) { try base.upload(values, to: tensor) } }
    public func download(_ tensor: Tensor) throws -> [Float] { try timed(.memory) { try base.download(tensor) } }
    public func fill(_ tensor: Tensor, with value: Float) throws { try timed(.memory) { try base.fill(tensor, with: value) } }
    public func copy(_ source: Tensor, to destination: Tensor) throws { try timed(.memory) { try base.copy(source, to: destination) } }
    public func synchronize() throws { try base.synchronize() }

    public func conv2d(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int) throws {
        try timed(.convForward, flops: convFlops(weight: weight.shape, output: output.shape)) {
            try base.conv2d(input: input, weight: weight, bias: bias, output: output, padding: padding)
        }
    }
    public func conv2dInputGradient(outputGradient: Tensor, weight: Tensor, inputGradient: Tensor, padding: Int) throws {
        try timed(.convInputGradient, flops: convFlops(weight: weight.shape, output: outputGradient.shape)) {
            try base.conv2dInputGradient(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient, padding: padding)
        }
    }
    public func conv2dWeightGradient(input: Tensor, outputGradient: Tensor, weightGradient: Tensor,
                                     biasGradient: Tensor?, padding: Int) throws {
        try timed(.convWeightGradient, flops: convFlops(weight: weightGradient.shape, output: outputGradient.shape)) {
            try base.conv2dWeightGradient(input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                          biasGradient: biasGradient, padding: padding)
        }
    }
    public func relu(input: Tensor, output: Tensor) throws { try timed(.relu) { try base.relu(input: input, output: output) } }
    public func reluGradient(output: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        try timed(.relu) { try base.reluGradient(output: output, outputGradient: outputGradient, inputGradient: inputGradient) }
    }
    public func pool2x2(_ kind: PoolKind, input: Tensor, output: Tensor) throws {
        try timed(.pooling) { try base.pool2x2(kind, input: input, output: output) }
    }
    public func pool2x2Gradient(_ kind: PoolKind, input: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        try timed(.pooling) { try base.pool2x2Gradient(kind, input: input, outputGradient: outputGradient, inputGradient: inputGradient) }
    }
    public func gram(input: Tensor, output: Tensor) throws {
        // A A^T: C*C*H*W multiply-adds.
        try timed(.gramStyle, flops: 2 * Double(input.shape[0]) * Double(input.count)) { try base.gram(input: input, output: output) }
    }
    public func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try timed(.content) { try base.contentLoss(generated: generated, target: target, gradient: gradient, scale: scale) }
    }
    public func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        // The Gram product, plus the (G - T) A product when a gradient is wanted.
        let gramFlops = 2 * Double(generated.shape.rank == 3 ? generated.shape[0] : 0) * Double(generated.count)
        return try timed(.gramStyle, flops: gramFlops * (gradient == nil ? 1 : 2)) {
            try base.styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale)
        }
    }
    public func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try timed(.tv) { try base.totalVariationLoss(image: image, gradient: gradient, scale: scale) }
    }
    // The `into:at:` losses come from the protocol's host-side defaults, which call the
    // timed forms above: the profile waits for each op anyway.
    public func normalize(input: Tensor, output: Tensor, mean: [Float], std: [Float]) throws {
        try timed(.normalize) { try base.normalize(input: input, output: output, mean: mean, std: std) }
    }
    public func normalizeGradient(outputGradient: Tensor, inputGradient: Tensor, std: [Float]) throws {
        try timed(.normalize) { try base.normalizeGradient(outputGradient: outputGradient, inputGradient: inputGradient, std: std) }
    }
    public func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) throws { try timed(.vector) { try base.axpy(alpha, x, y) } }
    public func scale(_ x: Tensor, by alpha: Float) throws { try timed(.vector) { try base.scale(x, by: alpha) } }
    public func dot(_ x: Tensor, _ y: Tensor) throws -> Double { try timed(.vector) { try base.dot(x, y) } }
    public func dot(_ x: Tensor, _ y: Tensor, scale: Double, into slots: Tensor, at index: Int) throws {
        try timed(.vector) { try base.dot(x, y, scale: scale, into: slots, at: index) }
    }
    public func axpy(_ terms: [SlotTerm], slots: Tensor, _ x: Tensor, _ y: Tensor) throws {
        try timed(.vector) { try base.axpy(terms, slots: slots, x, y) }
    }
    public func adamStep(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                         learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) throws {
        try timed(.vector) {
            try base.adamStep(parameter: parameter, gradient: gradient, m: m, v: v, learningRate: learningRate,
                              beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
        }
    }
}
