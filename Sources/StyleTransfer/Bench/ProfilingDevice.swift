// ProfilingDevice: a Device wrapper that times every op (waiting for each to finish) for the per-op breakdown of `nst bench`.
import Dispatch
import NSTCore
import Synchronization

/// The op families the benchmark reports separately.
public enum OpFamily: String, CaseIterable, Sendable {
    case convForward = "conv forward"
    case convInputGradient = "conv input gradient"
    case relu = "relu"
    case pooling = "pooling"
    case gramStyle = "gram/style"
    case content = "content loss"
    case tv = "tv loss"
    case temporal = "temporal (warp, loss)"
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
    private let state = Mutex<[OpFamily: OpTiming]>([:])

    public init(_ base: any Device) { self.base = base }

    public var name: String { base.name }
    /// Accumulated timings per family.
    public var timings: [OpFamily: OpTiming] { state.withLock { $0 } }

    /// Forgets the timings gathered so far.
    public func reset() { state.withLock { $0 = [:] } }

    private func timed<T>(_ family: OpFamily, flops: Double = 0, _ body: () throws -> T) throws -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        try base.synchronize()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        state.withLock { timings in
            timings[family, default: OpTiming()].seconds += seconds
            timings[family, default: OpTiming()].flops += flops
            timings[family, default: OpTiming()].calls += 1
        }
        return result
    }

    public func makeTensor(_ shape: Shape) throws -> Tensor { try timed(.memory) { try base.makeTensor(shape) } }
    public func upload(_ values: [Float], to tensor: Tensor) throws { try timed(.memory) { try base.upload(values, to: tensor) } }
    public func download(_ tensor: Tensor) throws -> [Float] { try timed(.memory) { try base.download(tensor) } }
    public func synchronize() throws { try base.synchronize() }
    public func execute(_ op: DeviceOp) throws { try timed(op.family, flops: op.flops) { try base.execute(op) } }
    public func makeLossSlots(count: Int) throws -> LossSlots { try base.makeLossSlots(count: count) }
    public func readLosses(_ slots: LossSlots) throws -> [Double] { try timed(.memory) { try base.readLosses(slots) } }
    public func scratchFloats(sizes: [ImageSize], depth: Int, model: VGGModel) -> Int { base.scratchFloats(sizes: sizes, depth: depth, model: model) }
    public var memory: DeviceMemory? { base.memory }
}

extension DeviceOp {
    /// The family the benchmark reports this op under.
    public var family: OpFamily {
        switch self {
        case .fill, .copy, .crop, .addWindow: return .memory
        case .conv2d, .conv2dReLU: return .convForward
        case .conv2dInputGradient, .conv2dInputGradientReLU: return .convInputGradient
        case .relu, .reluGradient: return .relu
        case .pool2x2, .pool2x2Gradient: return .pooling
        case .normalize, .normalizeGradient: return .normalize
        case .gram, .styleLoss, .gramGradient: return .gramStyle
        case .contentLoss: return .content
        case .totalVariationLoss, .totalVariationL1Loss: return .tv
        case .temporalLoss, .warp: return .temporal
        case .dot, .axpy, .scale, .scaleByMask, .dotCoefficient, .axpyCoefficients, .adamStep: return .vector
        }
    }

    /// Floating-point work where it is well defined (2 FLOP per multiply-add), else 0.
    public var flops: Double {
        switch self {
        case let .conv2d(_, weight, _, output, _), let .conv2dReLU(_, weight, _, output, _):
            return Self.convFlops(weight: weight.shape, output: output.shape)
        case let .conv2dInputGradient(outputGradient, weight, _, _), let .conv2dInputGradientReLU(outputGradient, weight, _, _, _):
            return Self.convFlops(weight: weight.shape, output: outputGradient.shape)
        case let .gramGradient(input, _, _, _):
            return 2 * Double(input.shape.rank == 3 ? input.shape[0] : 0) * Double(input.count)
        case let .gram(input, _):
            // A A^T: C*C*H*W multiply-adds.
            return 2 * Double(input.shape.rank == 3 ? input.shape[0] : 0) * Double(input.count)
        case let .styleLoss(generated, _, gradient, _, _, _):
            // The Gram product, plus the (G - T) A product when a gradient is wanted.
            let gram = 2 * Double(generated.shape.rank == 3 ? generated.shape[0] : 0) * Double(generated.count)
            return gram * (gradient == nil ? 1 : 2)
        default: return 0
        }
    }

    /// Each output element takes in*kh*kw multiply-adds.
    private static func convFlops(weight w: Shape, output y: Shape) -> Double {
        2 * Double(y.count) * Double(w.count / max(w.rank > 0 ? w[0] : 1, 1))
    }
}
