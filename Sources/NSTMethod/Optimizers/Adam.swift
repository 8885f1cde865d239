// Adam: Kingma & Ba's adaptive moment estimation with bias correction, run by Device.adamStep.
import NSTCore

/// Adam (Kingma & Ba 2015) with bias correction: beta1 0.9, beta2 0.999, eps 1e-8.
/// The moment buffers live on the device and are allocated once.
public final class Adam: Optimizer {
    /// The backend holding the moments and running the update.
    public let device: any Device
    /// The step size.
    public let learningRate: Double
    /// The decay rates of the moment estimates and the denominator's guard (Kingma & Ba's defaults).
    public static let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    private let m: Tensor, v: Tensor
    private var stepNumber = 0

    /// Allocates zeroed moment buffers shaped like the image.
    public init(device: any Device, shape: Shape, learningRate: Double) throws {
        self.device = device
        self.learningRate = learningRate
        m = try device.makeTensor(shape)
        v = try device.makeTensor(shape)
        try device.fill(m, with: 0)
        try device.fill(v, with: 0)
    }

    /// One Adam update of `x`, then J and its gradient at the new `x`.
    public func step(x: Tensor, gradient: Tensor, current: LossValues, objective: Objective) throws -> LossValues {
        stepNumber += 1
        try device.execute(.adamStep(parameter: x, gradient: gradient, m: m, v: v, learningRate: Float(learningRate),
                                     beta1: Self.beta1, beta2: Self.beta2, epsilon: Self.epsilon, step: stepNumber))
        return try objective.evaluate(x, gradient: gradient)
    }
}
