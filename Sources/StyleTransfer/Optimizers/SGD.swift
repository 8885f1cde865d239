// SGD: plain gradient descent, x <- x - lr * dJ/dx.

/// Plain gradient descent: `x <- x - lr * dJ/dx`, then J and its gradient at the new x.
public final class SGD: Optimizer {
    public let device: any Device
    public let learningRate: Double

    public init(device: any Device, learningRate: Double) throws {
        self.device = device
        self.learningRate = learningRate
    }

    public func step(x: Tensor, gradient: Tensor, current: LossValues, objective: Objective) throws -> LossValues {
        try device.axpy(Float(-learningRate), gradient, x)
        return try objective.evaluate(x, gradient: gradient)
    }
}
