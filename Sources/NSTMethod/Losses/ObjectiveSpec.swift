// ObjectiveSpec: what an objective is made of, as a run's plan resolved it, for every evaluator to build from.
import NSTCore

/// The objective of a run, resolved once (by `TransferPlan`): the layers and weights of each
/// term, alpha, beta and gamma, the TV form, the style blend, and the network's model, depth
/// and pooling. The whole-image objective (with or without controls) and the tiled one are
/// built from it, so they cannot disagree on what J is.
public struct ObjectiveSpec: Sendable {
    /// Layers and weights of J_content (`w_l`) and J_style (`lambda_l`).
    public var content: LayerWeights, style: LayerWeights
    /// alpha, beta and gamma.
    public var weights: LossWeights
    /// The total variation's form.
    public var tv: TVKind
    /// One weight per style image, summing to 1.
    public var blend: [Double]
    /// The network, the layers that must run, and its pooling.
    public var model: VGGModel, depth: Int, pooling: PoolKind
    /// Each term's gradient at its layer scaled to unit L2 norm before its weight.
    public var normalizeGradients: Bool
    /// The statistic the style terms match: Gram matrices or W2 (`StyleLossKind`).
    public var styleLoss: StyleLossKind

    /// An objective of these parts; `depth` is the deepest layer a term reads.
    public init(content: LayerWeights, style: LayerWeights, weights: LossWeights, tv: TVKind = .squared,
                blend: [Double] = [1], model: VGGModel = .vgg19, pooling: PoolKind = .max, normalizeGradients: Bool = false,
                styleLoss: StyleLossKind = .gram) {
        self.content = content
        self.style = style
        self.weights = weights
        self.tv = tv
        self.blend = blend
        self.model = model
        depth = max(content.depth, style.depth)
        self.pooling = pooling
        self.normalizeGradients = normalizeGradients
        self.styleLoss = styleLoss
    }

    /// The layers whose activations the terms read.
    public var tapped: Set<Int> { Set(content.indices).union(style.indices) }
}
