// Optimizer: the interface of the image optimisers and the choice between them.
import NSTCore

/// The optimisers of docs/MATH.md ("Optimisers").
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, adam, lbfgs

    /// The default step size of each (on the [0,1] pixel scale; for L-BFGS the first trial
    /// step of each line search, as a multiple of the quasi-Newton step).
    public var defaultLearningRate: Double {
        switch self {
        case .sgd: return 0.2
        case .adam: return 0.02
        case .lbfgs: return 1
        }
    }
}

/// Updates an image in place to lower an `Objective`, one iteration per call.
public protocol Optimizer: AnyObject {
    /// Takes one iteration from `x`.
    ///
    /// On entry `gradient` holds dJ/dx at `x` and `current` the losses there. On return `x`
    /// is the updated image, `gradient` holds dJ/dx at it, and the losses at it are returned.
    func step(x: Tensor, gradient: Tensor, current: LossValues, objective: Objective) throws -> LossValues
}

/// Makes the optimiser `kind` for images shaped like `like` on `device`; its state buffers
/// are allocated here, once.
/// - Parameters:
///   - learningRate: the step size (see `OptimizerKind.defaultLearningRate`).
///   - iterations: the planned number of iterations (bounds L-BFGS's history allocation).
///   - adamBeta2: Adam's second-moment decay rate.
public func makeOptimizer(_ kind: OptimizerKind, device: any Device, like: Shape, learningRate: Double,
                          iterations: Int, history: Int = LBFGS.defaultHistory,
                          adamBeta2: Double = Adam.defaultBeta2) throws -> Optimizer {
    switch kind {
    case .sgd: return try SGD(device: device, learningRate: learningRate)
    case .adam: return try Adam(device: device, shape: like, learningRate: learningRate, beta2: adamBeta2)
    case .lbfgs:
        return try LBFGS(device: device, shape: like, learningRate: learningRate,
                         history: min(history, max(iterations, 1)))
    }
}
