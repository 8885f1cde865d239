// LossWeights: alpha, beta, gamma (and video's tau), the weights of the terms of J.
import NSTCore

/// The weights alpha, beta, gamma of `J = alpha J_content + beta J_style + gamma J_tv`, and
/// tau of video's `+ tau J_temporal` (0 for a still image); they also turn a loss log's
/// unweighted parts into the terms of J.
public struct LossWeights: Equatable, Sendable {
    /// alpha, beta and gamma.
    public var content: Double, style: Double, tv: Double
    /// tau, the weight of video's temporal term (`TemporalTerm`); 0 without one.
    public var temporal: Double

    /// nst's own defaults (README "The defaults, and why"): 1, 100, 5e-4.
    public static let defaults = LossWeights(content: 1, style: 100, tv: 5e-4)

    /// The weights alpha, beta, gamma and tau.
    public init(content: Double, style: Double, tv: Double, temporal: Double = 0) {
        self.content = content
        self.style = style
        self.tv = tv
        self.temporal = temporal
    }
}
