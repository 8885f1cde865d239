// LossValues: the total objective J and its unweighted parts for one image.
import NSTCore

/// The value of `J = alpha J_content + beta J_style + gamma J_tv` and its unweighted parts.
public struct LossValues: Equatable, Sendable {
    /// J, the weighted total the optimiser minimises.
    public var total: Double
    /// `J_content = sum_l w_l J_c^l` (unweighted by alpha).
    public var content: Double
    /// `J_style = sum_l lambda_l J_s^l` (unweighted by beta).
    public var style: Double
    /// `J_tv` (unweighted by gamma).
    public var tv: Double
    /// Video's `J_temporal` (unweighted by tau); 0 without a temporal term.
    public var temporal: Double

    /// `|dJ/dx|^2` at the same image (0 when the objective does not report it). Read back
    /// with the losses, so that a gradient gone NaN or infinite is caught on every backend
    /// even when J itself stays finite.
    public var gradientSquaredNorm: Double

    /// Collects J, its parts and the squared norm of its gradient.
    public init(total: Double, content: Double, style: Double, tv: Double, temporal: Double = 0, gradientSquaredNorm: Double = 0) {
        self.total = total
        self.content = content
        self.style = style
        self.tv = tv
        self.temporal = temporal
        self.gradientSquaredNorm = gradientSquaredNorm
    }

    /// True when every part is a finite number and the gradient's squared norm is finite in
    /// float: the backends reduce in float (OpenCL) or double (CPU), and a norm beyond
    /// float's range breaks the optimisers' float dot products on one backend only, so both
    /// treat it alike.
    public var isFinite: Bool {
        total.isFinite && content.isFinite && style.isFinite && tv.isFinite && temporal.isFinite
            && gradientSquaredNorm.isFinite && gradientSquaredNorm <= Double(Float.greatestFiniteMagnitude)
    }
}

/// A differentiable objective over an image: the optimisers see only this.
public protocol Objective: AnyObject {
    /// Evaluates J at `x` and overwrites `gradient` (same shape) with dJ/dx.
    func evaluate(_ x: Tensor, gradient: Tensor) throws -> LossValues
    /// Makes evaluations check `stop` between layers and throw once it is overdue (nil:
    /// no checks). The default does nothing: such an objective's evaluations always finish.
    func watch(_ stop: StopRequest?)
}

extension Objective {
    public func watch(_ stop: StopRequest?) {}
}
