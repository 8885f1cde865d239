// TransferObjective: J = alpha J_content + beta J_style + gamma J_tv (+ tau J_temporal) and its gradient through the network, on the whole image, with or without the controls.
import NSTCore

/// The style transfer objective of docs/MATH.md for images of one size, evaluated on the device:
/// - `J_content = sum_l w_l * 1/(4 nC nH nW) sum (a_C - a_G)^2`
/// - `J_style = sum_l lambda_l * 1/(4 nC^2) sum_ij (T_l - Gram(a_G))_ij^2`, or with the W2 loss
///   `sum_l lambda_l J_W2^l` (`WassersteinStyle`, computed on the host from the augmented
///   Gram matrix, one wait for the device per style layer)
/// - `J_tv = sum (x[c,y,x+1] - x[c,y,x])^2 + (x[c,y+1,x] - x[c,y,x])^2` on the [0,1] image,
///   or with `tvKind == .absolute` `sum |..| + |..|` on the network's input (section 10), or
///   with `.ninePoint` style-transfer-pytorch's stencil (`NinePointTV`, on the host)
/// - for a video frame, `tau J_temporal` (`TemporalTerm`, section 11) on the image
///
/// The terms are `LossTerm`s, built once. A plain term adds its scaled gradient straight into
/// the backward pass at its layer, so one forward and one backward give J and dJ/dx. A
/// masked or normalised term (`ObjectiveControls`) first computes its gradient in a scratch
/// buffer: masked terms are described at `LossTerm`; normalised gradients are each content
/// and style term's gradient with respect to its layer's activation divided by its L2 norm
/// (plus 1e-8) before its weight is applied, as neural-style-pt does (the TV term is left as
/// it is, as there). Reading each norm waits for the device once per term.
public final class TransferObjective: Objective {
    /// The generated image's activation and gradient buffers.
    public let workspace: VGGWorkspace
    /// The layers of each loss term and their weights (`w_l`, `lambda_l`).
    public let content: LayerWeights, style: LayerWeights
    /// alpha, beta and gamma.
    public let weights: LossWeights
    /// Squared TV on the [0,1] image, or L1 TV on the network's input (the preprocessed image).
    public let tvKind: TVKind
    /// One Gram target per style layer (the blended, unmasked ones).
    let styleTargets: [Tensor]
    private let terms: [LossTerm]
    private let normalize: Bool
    private let tapped: Set<Int>
    /// One slot per term, then the TV term's and |dJ/dx|^2's, read back in one transfer
    /// after the backward pass; and the slot of a normalised term's gradient norm.
    private let lossSlots: LossSlots, normSlots: LossSlots
    /// Per layer a masked or normalised term reads: a masked copy of the activation and a gradient buffer.
    private let scratch: [Int: (masked: Tensor, gradient: Tensor)]
    /// Video's temporal term, its slots after the terms'.
    private let temporal: TemporalTerm?
    /// The W2 loss's `[A; 1]` buffers (nil with Gram matrices), and the values its terms
    /// computed on the host in the last evaluation, by slot.
    private let augmented: AugmentedFeatures?
    private var hostValues: [Double]
    /// The nine-point TV's gradient, uploaded from the host (nil for the other kinds).
    private let tvGradient: Tensor?

    /// - Parameters:
    ///   - workspace: buffers of the generated image's size (made with `keepConvOutputs`
    ///     covering every layer in `content` and `style`).
    ///   - contentImage: `[3,H,W]` of the workspace's size; its activations become the targets.
    ///   - styleTargets: from `StyleTargets.compute`, one per style layer.
    ///   - controls: masks and normalised gradients (`ObjectiveControls.make`), or nil.
    ///   - temporal: a video frame's temporal term (weighted by `temporalWeight`), or nil.
    ///   - styleLoss: the statistic `styleTargets` hold (augmented Grams for W2).
    /// - Throws: `DeviceError.invalidArgument` unless there is one target per style layer, or
    ///   for style masks with the W2 loss; device errors.
    public init(workspace: VGGWorkspace, contentImage: Tensor, content: LayerWeights, style: LayerWeights,
                styleTargets: [Tensor], contentWeight: Double, styleWeight: Double, tvWeight: Double,
                tvKind: TVKind = .squared, controls: ObjectiveControls? = nil,
                temporal: TemporalTerm? = nil, temporalWeight: Double = 0, styleLoss: StyleLossKind = .gram) throws {
        // The terms index the targets by style layer.
        guard styleTargets.count == style.indices.count else {
            throw DeviceError.invalidArgument(op: "TransferObjective", detail: "\(styleTargets.count) style targets for \(style.indices.count) style layers")
        }
        self.workspace = workspace
        self.content = content
        self.style = style
        weights = LossWeights(content: contentWeight, style: styleWeight, tv: tvWeight, temporal: temporal == nil ? 0 : temporalWeight)
        self.temporal = temporal
        self.tvKind = tvKind
        self.styleTargets = styleTargets
        tapped = Set(content.indices).union(style.indices)
        let device = workspace.network.device
        try workspace.forward(image: contentImage)
        let contentTargets = try content.indices.map { index in
            let source = workspace.activation(index)
            let target = try device.makeTensor(source.shape)
            try device.copy(source, to: target)
            return target
        }
        terms = try LossTerm.build(workspace: workspace, content: content, contentTargets: contentTargets, style: style,
                                   styleTargets: styleTargets, weights: weights, controls: controls, styleLoss: styleLoss)
        augmented = styleLoss == .w2 ? try AugmentedFeatures(workspace: workspace, layers: style.indices) : nil
        hostValues = Array(repeating: 0, count: terms.count)
        tvGradient = tvKind == .ninePoint ? try device.makeTensor(Shape(3, workspace.height, workspace.width)) : nil
        normalize = controls?.normalizeGradients ?? false
        lossSlots = try device.makeLossSlots(count: terms.count + (temporal?.slotCount ?? 0) + 2)
        normSlots = try device.makeLossSlots(count: 1)
        var scratch: [Int: (masked: Tensor, gradient: Tensor)] = [:]
        for term in terms where (term.mask != nil || normalize) && scratch[term.layer] == nil {
            let shape = workspace.activation(term.layer).shape
            scratch[term.layer] = (try device.makeTensor(shape), try device.makeTensor(shape))
        }
        self.scratch = scratch
    }

    /// An objective of `spec`'s terms (its controls given separately, as they carry the masks,
    /// and a video frame's temporal term, weighted by `spec.weights.temporal`).
    public convenience init(workspace: VGGWorkspace, contentImage: Tensor, spec: ObjectiveSpec, styleTargets: [Tensor],
                            controls: ObjectiveControls? = nil, temporal: TemporalTerm? = nil) throws {
        try self.init(workspace: workspace, contentImage: contentImage, content: spec.content, style: spec.style,
                      styleTargets: styleTargets, contentWeight: spec.weights.content, styleWeight: spec.weights.style,
                      tvWeight: spec.weights.tv, tvKind: spec.tv, controls: controls,
                      temporal: temporal, temporalWeight: spec.weights.temporal, styleLoss: spec.styleLoss)
    }

    /// Checks `stop` between the network's layers (`Objective.watch`).
    public func watch(_ stop: StopRequest?) { workspace.stop = stop }

    /// J and its parts at `x`; `gradient` is overwritten with dJ/dx (one forward, one
    /// backward, and one wait for the loss values at the end, plus one per normalised term).
    public func evaluate(_ x: Tensor, gradient: Tensor) throws -> LossValues {
        let device = workspace.network.device
        let slots = lossSlots, tvSlot = slots.count - 2, normSlot = slots.count - 1
        try workspace.forward(image: x)
        let tvKind = tvKind, tvScale = Float(weights.tv)
        // The L1 TV is taken on the network's input and its gradient joins there, before the
        // normalisation's gradient (docs/MATH.md section 10).
        let injectInput: ((Tensor, Tensor) throws -> Void)? = tvKind != .absolute ? nil : { input, g in
            try device.execute(.totalVariationL1Loss(image: input, gradient: g, scale: tvScale, slots: slots, index: tvSlot))
        }
        try workspace.backward(tapped: tapped, imageGradient: gradient, injectInput: injectInput) { layer, g in
            for term in self.terms where term.layer == layer && term.valueScale > 0 {
                try self.apply(term, activation: self.workspace.activation(layer), gradient: g, device: device)
            }
        }
        var tvValue: Double?
        if tvKind == .squared {
            try device.execute(.totalVariationLoss(image: x, gradient: gradient, scale: tvScale, slots: slots, index: tvSlot))
        } else if tvKind == .ninePoint, let tvGradient {
            let (value, g) = NinePointTV.evaluate(try device.download(x), channels: 3, height: x.shape[1], width: x.shape[2])
            tvValue = value
            try device.upload(g, to: tvGradient)
            try device.execute(.axpy(alpha: tvScale, x: tvGradient, y: gradient))
        }
        try temporal?.apply(image: x, gradient: gradient, tau: weights.temporal, slots: slots, first: terms.count, device: device)
        // The gradient's norm comes back with the losses (no extra wait): a gradient gone
        // NaN or infinite while J stays finite would otherwise stall the optimiser silently.
        try device.execute(.dot(gradient, gradient, slots: slots, index: normSlot))
        let values = try device.readLosses(slots)
        var sum = LossSum()
        for term in terms where term.valueScale > 0 {
            switch term.kind {
            case .content: sum.addContent(term.part(values[term.slot]))
            case .style: sum.addStyle(term.part(term.w2 == nil ? values[term.slot] : hostValues[term.slot]))
            }
        }
        return sum.values(tv: tvValue ?? values[tvSlot], temporal: temporal?.value(values, first: terms.count) ?? 0,
                          gradientSquaredNorm: values[normSlot], weights: weights)
    }

    /// Adds one term's (masked, normalised, weighted) gradient into `g`: straight in for a
    /// plain term, through the scratch buffers for a masked or normalised one.
    private func apply(_ term: LossTerm, activation a: Tensor, gradient g: Tensor, device: any Device) throws {
        guard let buffers = scratch[term.layer] else {
            try execute(term, generated: a, gradient: g, scale: Float(term.weight * term.valueScale), device: device)
            return
        }
        var generated = a
        if let mask = term.mask {
            try device.copy(a, to: buffers.masked)
            try device.execute(.scaleByMask(buffers.masked, mask: mask))
            generated = buffers.masked
        }
        try device.fill(buffers.gradient, with: 0)
        // Unnormalised, the weight (and 1/rho^2) goes in here; normalised, after the norm.
        try execute(term, generated: generated, gradient: buffers.gradient,
                    scale: Float(normalize ? 1 : term.weight * term.valueScale), device: device)
        if let mask = term.mask { try device.execute(.scaleByMask(buffers.gradient, mask: mask)) }
        var factor: Float = 1
        if normalize {
            try device.execute(.dot(buffers.gradient, buffers.gradient, slots: normSlots, index: 0))
            let norm = try device.readLosses(normSlots)[0].squareRoot()
            factor = Float(term.weight / (norm + 1e-8))
        }
        try device.execute(.axpy(alpha: factor, x: buffers.gradient, y: g))
    }

    /// The term's loss op: its value into its slot, its gradient (times `scale`) added into `gradient`.
    private func execute(_ term: LossTerm, generated: Tensor, gradient: Tensor, scale: Float, device: any Device) throws {
        switch term.kind {
        case .content:
            try device.execute(.contentLoss(generated: generated, target: term.target, gradient: gradient,
                                            scale: scale, slots: lossSlots, index: term.slot))
        case .style:
            if let w2 = term.w2, let augmented {
                // W2: the statistics come to the host, J and E' go back (docs/MATH.md section 12).
                hostValues[term.slot] = try augmented.apply(w2, activation: generated, into: gradient, scale: scale)
                return
            }
            try device.execute(.styleLoss(generated: generated, targetGram: term.target, gradient: gradient,
                                          scale: scale, slots: lossSlots, index: term.slot))
        }
    }
}
