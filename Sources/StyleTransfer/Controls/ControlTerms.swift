// ControlTerms: the objective's evaluation under masks and normalised gradients, one term at a time.
import NSTCore

/// `TransferObjective.evaluate` when `ObjectiveControls` are set. The plain evaluation adds
/// every loss's gradient straight into the backward pass; here a term that is masked or
/// normalised first computes its own gradient in a scratch buffer:
///
/// - Masked style (guided Gram matrices, Gatys et al. 2016): with `m` the style's mask at
///   the layer's resolution (`SpatialMask.at(layer:of:)`) and `rho = mean(m^2)`, the term is
///   `J = 1/(4 C^2) ||G_m - T||^2` with `G_m = (A.m)(A.m)^T / (rho H W)`, the Gram of the
///   masked region normalised by its size. It runs as the plain style loss on `A.m` against
///   `rho T` (whose value is `rho^2 J`), its gradient scaled by `1 / rho^2` and multiplied
///   by `m` (the chain rule through `A.m`). A mask of zeros (`rho = 0`) removes the term.
/// - Masked content: the content loss of `A.m` against `T.m` (still normalised by the whole
///   layer), its gradient multiplied by `m`.
/// - Normalised gradients: each content and style term's gradient with respect to its
///   layer's activation is divided by its L2 norm (plus 1e-8) before its weight is applied,
///   as neural-style-pt does; the TV term is left as it is, as there. Reading each norm
///   waits for the device once per term.
final class ControlTerms {
    /// One loss term at one layer.
    struct Term {
        enum Kind { case content, style }
        let kind: Kind
        let layer: Int
        /// The target: content activations (masked) or a Gram matrix (times rho).
        let target: Tensor
        let mask: Tensor?
        /// alpha w_l, or beta lambda_l times the style's weight.
        let weight: Double
        /// 1 / rho^2 for a masked style term, else 1; 0 removes the term.
        let valueScale: Double
        /// w_l, or lambda_l times the style's weight: what the term adds to J_content or J_style per unit of its value.
        let partWeight: Double
        let slot: Int
    }

    private let terms: [Term]
    private let normalize: Bool
    private let slots: LossSlots, normSlots: LossSlots
    /// Per layer: a masked copy of the activation and a gradient buffer.
    private let scratch: [Int: (masked: Tensor, gradient: Tensor)]

    init(objective o: TransferObjective, controls: ObjectiveControls) throws {
        let device = o.workspace.network.device, model = o.workspace.network.model
        func upload(_ mask: SpatialMask, layer: Int) throws -> (tensor: Tensor, rho: Double) {
            let m = mask.at(layer: layer, of: model), shape = o.workspace.activation(layer).shape
            guard m.width == shape[2], m.height == shape[1] else {
                throw DeviceError.invalidArgument(op: "mask", detail: "a \(mask.width)x\(mask.height) mask gives \(m.width)x\(m.height) at layer \(layer), whose activation is \(shape)")
            }
            let tensor = try device.makeTensor(Shape(m.height, m.width))
            try device.upload(m.values, to: tensor)
            return (tensor, m.meanSquare)
        }
        var terms: [Term] = []
        for (k, layer) in o.content.indices.enumerated() {
            var target = o.contentTargets[k], mask: Tensor?
            if let contentMask = controls.contentMask {
                let m = try upload(contentMask, layer: layer)
                target = try device.makeTensor(o.contentTargets[k].shape)
                try device.copy(o.contentTargets[k], to: target)
                try device.execute(.scaleByMask(target, mask: m.tensor))
                mask = m.tensor
            }
            terms.append(Term(kind: .content, layer: layer, target: target, mask: mask, weight: o.contentWeight * o.content.weights[k],
                              valueScale: 1, partWeight: o.content.weights[k], slot: terms.count))
        }
        for (l, layer) in o.style.indices.enumerated() {
            let lambda = o.style.weights[l]
            if controls.styles.isEmpty {
                terms.append(Term(kind: .style, layer: layer, target: o.styleTargets[l], mask: nil, weight: o.styleWeight * lambda,
                                  valueScale: 1, partWeight: lambda, slot: terms.count))
                continue
            }
            for style in controls.styles {
                let m = try upload(style.mask, layer: layer)
                let target = try device.makeTensor(style.targets[l].shape)
                try device.copy(style.targets[l], to: target)
                try device.execute(.scale(target, by: Float(m.rho)))
                terms.append(Term(kind: .style, layer: layer, target: target, mask: m.tensor, weight: o.styleWeight * lambda * style.weight,
                                  valueScale: m.rho > 0 ? 1 / (m.rho * m.rho) : 0, partWeight: lambda * style.weight, slot: terms.count))
            }
        }
        self.terms = terms
        normalize = controls.normalizeGradients
        slots = try device.makeLossSlots(count: terms.count + 1)
        normSlots = try device.makeLossSlots(count: 1)
        var scratch: [Int: (masked: Tensor, gradient: Tensor)] = [:]
        for term in terms where scratch[term.layer] == nil {
            let shape = o.workspace.activation(term.layer).shape
            scratch[term.layer] = (try device.makeTensor(shape), try device.makeTensor(shape))
        }
        self.scratch = scratch
    }

    /// J and its parts at `x`; `gradient` is overwritten with dJ/dx.
    func evaluate(_ o: TransferObjective, _ x: Tensor, gradient: Tensor) throws -> LossValues {
        let device = o.workspace.network.device, slots = slots, tvSlot = slots.count - 1
        try o.workspace.forward(image: x)
        let tvKind = o.tvKind, tvScale = Float(o.tvWeight)
        let injectInput: ((Tensor, Tensor) throws -> Void)? = tvKind == .squared ? nil : { input, g in
            try device.execute(.totalVariationL1Loss(image: input, gradient: g, scale: tvScale, slots: slots, index: tvSlot))
        }
        try o.workspace.backward(tapped: o.tapped, imageGradient: gradient, injectInput: injectInput) { layer, g in
            for term in self.terms where term.layer == layer && term.valueScale > 0 {
                try self.apply(term, activation: o.workspace.activation(layer), gradient: g, device: device)
            }
        }
        if tvKind == .squared {
            try device.execute(.totalVariationLoss(image: x, gradient: gradient, scale: tvScale, slots: slots, index: tvSlot))
        }
        let values = try device.readLosses(slots)
        var jContent = 0.0, jStyle = 0.0
        for term in terms where term.valueScale > 0 {
            let part = term.partWeight * term.valueScale * values[term.slot]
            if term.kind == .content { jContent += part } else { jStyle += part }
        }
        let jTV = values[tvSlot]
        return LossValues(total: o.contentWeight * jContent + o.styleWeight * jStyle + o.tvWeight * jTV,
                          content: jContent, style: jStyle, tv: jTV)
    }

    /// Adds one term's (masked, normalised, weighted) gradient into `g`.
    private func apply(_ term: Term, activation a: Tensor, gradient g: Tensor, device: any Device) throws {
        guard let buffers = scratch[term.layer] else { return }
        var generated = a
        if let mask = term.mask {
            try device.copy(a, to: buffers.masked)
            try device.execute(.scaleByMask(buffers.masked, mask: mask))
            generated = buffers.masked
        }
        try device.fill(buffers.gradient, with: 0)
        // Unnormalised, the weight (and 1/rho^2) goes in here; normalised, after the norm.
        let scale = Float(normalize ? 1 : term.weight * term.valueScale)
        switch term.kind {
        case .content:
            try device.execute(.contentLoss(generated: generated, target: term.target, gradient: buffers.gradient,
                                            scale: scale, slots: slots, index: term.slot))
        case .style:
            try device.execute(.styleLoss(generated: generated, targetGram: term.target, gradient: buffers.gradient,
                                          scale: scale, slots: slots, index: term.slot))
        }
        if let mask = term.mask { try device.execute(.scaleByMask(buffers.gradient, mask: mask)) }
        var factor: Float = 1
        if normalize {
            try device.execute(.dot(buffers.gradient, buffers.gradient, slots: normSlots, index: 0))
            let norm = try device.readLosses(normSlots)[0].squareRoot()
            factor = Float(term.weight / (norm + 1e-8))
        }
        try device.execute(.axpy(alpha: factor, x: buffers.gradient, y: g))
    }
}
