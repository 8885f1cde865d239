// Adam: Kingma & Ba's adaptive moment estimation with bias correction, run by Device.adamStep; its state carried from one stage to the next.
import NSTCore
import NSTImages

/// Adam (Kingma & Ba 2015) with bias correction: beta1 0.9, beta2 0.999 unless given, eps 1e-8.
/// The moment buffers live on the device and are allocated once.
public final class Adam: Optimizer {
    /// The backend holding the moments and running the update.
    public let device: any Device
    /// The step size.
    public let learningRate: Double
    /// The decay rate of the first moment and the denominator's guard (Kingma & Ba's defaults).
    public static let beta1: Float = 0.9, epsilon: Float = 1e-8
    /// The decay rate of the second moment unless a plan gives another (Kingma & Ba's;
    /// style-transfer-pytorch uses 0.99).
    public static let defaultBeta2 = 0.999
    /// The decay rate of the second moment, 0 <= beta2 < 1 (the plan checks it).
    public let beta2: Double
    private let m: Tensor, v: Tensor
    private let shape: Shape
    /// The steps taken, which the bias corrections `1 - beta^t` count; a warm start carries it on.
    public private(set) var stepNumber = 0

    /// Allocates zeroed moment buffers shaped like the image.
    public init(device: any Device, shape: Shape, learningRate: Double, beta2: Double = defaultBeta2) throws {
        self.device = device
        self.learningRate = learningRate
        self.beta2 = beta2
        self.shape = shape
        m = try device.makeTensor(shape)
        v = try device.makeTensor(shape)
        try device.fill(m, with: 0)
        try device.fill(v, with: 0)
    }

    /// One Adam update of `x`, then J and its gradient at the new `x`.
    public func step(x: Tensor, gradient: Tensor, current: LossValues, objective: Objective) throws -> LossValues {
        stepNumber += 1
        try device.execute(.adamStep(parameter: x, gradient: gradient, m: m, v: v, learningRate: Float(learningRate),
                                     beta1: Self.beta1, beta2: Float(beta2), epsilon: Self.epsilon, step: stepNumber))
        return try objective.evaluate(x, gradient: gradient)
    }

    /// The moments and the step count, downloaded: what the next coarse-to-fine stage starts from.
    public func state() throws -> AdamState {
        AdamState(shape: shape, m: try device.download(m), v: try device.download(v), step: stepNumber)
    }

    /// Starts from `state`, an earlier stage's Adam at another size: the first moment resized
    /// bicubically, the second bilinearly and clamped at zero (its square root is taken), both
    /// uploaded, as style-transfer-pytorch does; the step count goes on from
    /// `state.step`, because the moments are no longer the zeros the bias correction
    /// `1 - beta^t` makes up for at small t (docs/MATH.md, "Warm-started stages").
    /// - Throws: `DeviceError.invalidArgument` unless both shapes are `[C,H,W]` with the same C.
    public func warmStart(from state: AdamState) throws {
        guard state.shape.rank == 3, shape.rank == 3, state.shape[0] == shape[0],
              state.m.count == state.shape.count, state.v.count == state.shape.count, state.step >= 0 else {
            throw DeviceError.invalidArgument(op: "Adam.warmStart", detail: "moments of shape \(state.shape) cannot start an Adam of shape \(shape)")
        }
        func resized(_ values: [Float], _ kind: Interpolation) throws -> [Float] {
            try kind.resize(values, planes: shape[0], height: state.shape[1], width: state.shape[2],
                            toHeight: shape[1], toWidth: shape[2])
        }
        // One resized moment at a time, so the host holds one image-sized array beside the state.
        try device.upload(resized(state.m, .bicubic), to: m)
        var second = try resized(state.v, .bilinear)
        // Bilinear weights are not negative, so this never fires on a real second moment; it is
        // kept as the reference keeps it, a guard for the square root.
        for i in second.indices where second[i] < 0 { second[i] = 0 }
        try device.upload(second, to: v)
        stepNumber = state.step
    }
}

/// Adam's state at the end of a stage, on the host.
public struct AdamState: Equatable, Sendable {
    /// The image's shape `[3,H,W]` at that stage.
    public let shape: Shape
    /// The first and second moment estimates, in the image's layout.
    public let m: [Float], v: [Float]
    /// The steps taken so far (all stages).
    public let step: Int

    /// A state of `shape` (the image's) with these moments after `step` steps.
    public init(shape: Shape, m: [Float], v: [Float], step: Int) {
        self.shape = shape
        self.m = m
        self.v = v
        self.step = step
    }
}
