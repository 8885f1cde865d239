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

    /// Collects J and its parts.
    public init(total: Double, content: Double, style: Double, tv: Double) {
        self.total = total
        self.content = content
        self.style = style
        self.tv = tv
    }

    /// True when every part is a finite number.
    public var isFinite: Bool { total.isFinite && content.isFinite && style.isFinite && tv.isFinite }
}

/// A differentiable objective over an image: the optimisers see only this.
public protocol Objective: AnyObject {
    /// Evaluates J at `x` and overwrites `gradient` (same shape) with dJ/dx.
    func evaluate(_ x: Tensor, gradient: Tensor) throws -> LossValues
}
