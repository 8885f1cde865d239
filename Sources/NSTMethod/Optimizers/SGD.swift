// SGD: plain gradient descent, x <- x - lr * dJ/dx.
import NSTCore

/// Plain gradient descent: `x <- x - lr * dJ/dx`, then J and its gradient at the new x.
public final class SGD: Optimizer {
    /// The backend running the update.
    public let device: any Device
    /// The step size.
    public let learningRate: Double

    /// SGD keeps no state beyond its step size.
    public init(device: any Device, learningRate: Double) throws {
        self.device = device
        self.learningRate = learningRate
    }

    /// `x -= lr * gradient`, then J and its gradient at the new `x`.
    public func step(x: Tensor, gradient: Tensor, current: LossValues, objective: Objective) throws -> LossValues {
        try device.execute(.axpy(alpha: Float(-learningRate), x: gradient, y: x))
        return try objective.evaluate(x, gradient: gradient)
    }
}
