// LossTerms: the objective's loss terms, built once from the layers, the targets and the controls, and the one sum that turns their values into J.
import NSTCore

/// One loss term at one layer: a content or style loss, possibly masked. Plain, masked and
/// normalised terms are all of this one kind; `TransferObjective` applies them.
///
/// - Masked style (guided Gram matrices, Gatys et al. 2016): with `m` the style's mask at
///   the layer's resolution (`SpatialMask.at(layer:of:)`) and `rho = mean(m^2)`, the term is
///   `J = 1/(4 C^2) ||G_m - T||^2` with `G_m = (A.m)(A.m)^T / (rho H W)`, the Gram of the
///   masked region normalised by its size. It runs as the plain style loss on `A.m` against
///   `rho T` (whose value is `rho^2 J`), its gradient scaled by `1 / rho^2` and multiplied
///   by `m` (the chain rule through `A.m`). A mask of zeros (`rho = 0`) removes the term.
/// - Masked content: the content loss of `A.m` against `T.m` (still normalised by the whole
///   layer), its gradient multiplied by `m`.
/// - W2 style (`StyleLossKind.w2`): the target is the augmented Gram matrix, and `w2` the
///   host's view of it; the value is computed on the host (`WassersteinStyle`).
struct LossTerm {
    enum Kind { case content, style }
    let kind: Kind
    let layer: Int
    /// The target: content activations (masked) or a Gram matrix (times rho).
    let target: Tensor
    let mask: Tensor?
    /// alpha w_l, or beta lambda_l times the style's weight: the scale of its gradient.
    let weight: Double
    /// 1 / rho^2 for a masked style term, else 1; 0 removes the term.
    let valueScale: Double
    /// w_l, or lambda_l times the style's weight: what the term adds to J_content or J_style per unit of its value.
    let partWeight: Double
    /// Its loss slot.
    let slot: Int
    /// For a W2 style term, its target on the host; nil for a Gram or content term.
    var w2: WassersteinStyle? = nil

    /// What the term adds to J_content or J_style, given its slot's value.
    func part(_ value: Double) -> Double { partWeight * valueScale * value }
}

/// The parts of J as an evaluation collects them, and the one function that sums them into
/// J: the whole-image objective (plain or controlled) and the tiled one all end here, and
/// each must hand over the gradient's squared norm, so the non-finite-gradient guard
/// (`LossValues.isFinite`) sees every evaluation.
public struct LossSum: Sendable {
    /// `J_content` and `J_style` so far (unweighted by alpha and beta).
    public private(set) var content = 0.0, style = 0.0

    /// Nothing collected yet.
    public init() {}

    /// Adds `part` (a layer's `w_l J_c^l`, or a share of it) to J_content.
    public mutating func addContent(_ part: Double) { content += part }
    /// Adds `part` (a layer's `lambda_l J_s^l`) to J_style.
    public mutating func addStyle(_ part: Double) { style += part }

    /// `J = alpha J_content + beta J_style + gamma J_tv + tau J_temporal` with its parts and `|dJ/dx|^2`.
    public func values(tv: Double, temporal: Double = 0, gradientSquaredNorm: Double, weights: LossWeights) -> LossValues {
        LossValues(total: weights.content * content + weights.style * style + weights.tv * tv + weights.temporal * temporal,
                   content: content, style: style, tv: tv, temporal: temporal, gradientSquaredNorm: gradientSquaredNorm)
    }
}

extension LossTerm {
    /// The terms of one whole-image objective, content first, then style, each layer in
    /// order: one per content layer (masked by the content mask if any) and one per style
    /// layer, or with masked styles one per style and layer.
    /// - Throws: `DeviceError` when a mask does not fit a layer, or the device fails.
    /// - Throws: `DeviceError` when a mask does not fit a layer, masks meet the W2 loss, or the device fails.
    static func build(workspace: VGGWorkspace, content: LayerWeights, contentTargets: [Tensor], style: LayerWeights,
                      styleTargets: [Tensor], weights: LossWeights, controls: ObjectiveControls?,
                      styleLoss: StyleLossKind = .gram) throws -> [LossTerm] {
        let device = workspace.network.device, model = workspace.network.model
        func upload(_ mask: SpatialMask, layer: Int) throws -> (tensor: Tensor, rho: Double) {
            let m = mask.at(layer: layer, of: model), shape = workspace.activation(layer).shape
            guard m.width == shape[2], m.height == shape[1] else {
                throw DeviceError.invalidArgument(op: "mask", detail: "a \(mask.width)x\(mask.height) mask gives \(m.width)x\(m.height) at layer \(layer), whose activation is \(shape)")
            }
            let tensor = try device.makeTensor(Shape(m.height, m.width))
            try device.upload(m.values, to: tensor)
            return (tensor, m.meanSquare)
        }
        var terms: [LossTerm] = []
        for (k, layer) in content.indices.enumerated() {
            var target = contentTargets[k], mask: Tensor?
            if let contentMask = controls?.contentMask {
                let m = try upload(contentMask, layer: layer)
                target = try device.makeTensor(contentTargets[k].shape)
                try device.copy(contentTargets[k], to: target)
                try device.execute(.scaleByMask(target, mask: m.tensor))
                mask = m.tensor
            }
            terms.append(LossTerm(kind: .content, layer: layer, target: target, mask: mask, weight: weights.content * content.weights[k],
                                  valueScale: 1, partWeight: content.weights[k], slot: terms.count))
        }
        let maskedStyles = controls?.styles ?? []
        if styleLoss == .w2, !maskedStyles.isEmpty {
            throw DeviceError.invalidArgument(op: "LossTerm", detail: "style masks work with Gram matrices only, not with the W2 loss")
        }
        for (l, layer) in style.indices.enumerated() {
            let lambda = style.weights[l]
            if maskedStyles.isEmpty {
                var term = LossTerm(kind: .style, layer: layer, target: styleTargets[l], mask: nil, weight: weights.style * lambda,
                                    valueScale: 1, partWeight: lambda, slot: terms.count)
                if styleLoss == .w2 {
                    term.w2 = try WassersteinStyle(augmentedTarget: device.download(styleTargets[l]).map(Double.init),
                                                   channels: model.outputChannels(of: layer))
                }
                terms.append(term)
                continue
            }
            for masked in maskedStyles {
                let m = try upload(masked.mask, layer: layer)
                let target = try device.makeTensor(masked.targets[l].shape)
                try device.copy(masked.targets[l], to: target)
                try device.execute(.scale(target, by: Float(m.rho)))
                terms.append(LossTerm(kind: .style, layer: layer, target: target, mask: m.tensor, weight: weights.style * lambda * masked.weight,
                                      valueScale: m.rho > 0 ? 1 / (m.rho * m.rho) : 0, partWeight: lambda * masked.weight, slot: terms.count))
            }
        }
        return terms
    }
}
