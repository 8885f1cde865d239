// LossWeights: alpha, beta and gamma, the weights of the three terms of J.
import NSTCore

/// The weights alpha, beta, gamma of `J = alpha J_content + beta J_style + gamma J_tv`; they
/// also turn a loss log's unweighted parts into the terms of J.
public struct LossWeights: Equatable, Sendable {
    /// alpha, beta and gamma.
    public var content: Double, style: Double, tv: Double

    /// nst's own defaults (README "The defaults, and why"): 1, 100, 5e-4.
    public static let defaults = LossWeights(content: 1, style: 100, tv: 5e-4)

    /// The weights alpha, beta and gamma.
    public init(content: Double, style: Double, tv: Double) {
        self.content = content
        self.style = style
        self.tv = tv
    }
}
