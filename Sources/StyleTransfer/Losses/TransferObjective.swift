// TransferObjective: J = alpha J_content + beta J_style + gamma J_tv and its gradient through VGG-19.
import NSTCore

/// The style transfer objective of docs/MATH.md for images of one size, evaluated on the device:
/// - `J_content = sum_l w_l * 1/(4 nC nH nW) sum (a_C - a_G)^2`
/// - `J_style = sum_l lambda_l * 1/(4 nC^2) sum_ij (T_l - Gram(a_G))_ij^2`
/// - `J_tv = sum (x[c,y,x+1] - x[c,y,x])^2 + (x[c,y+1,x] - x[c,y,x])^2` on the [0,1] image,
///   or with `tvKind == .absolute` `sum |..| + |..|` on the network's input (section 10)
///
/// Each loss accumulates its gradient into the backward pass at its layer, scaled by its
/// weight, so one forward and one backward give J and dJ/dx.
public final class TransferObjective: Objective {
    /// The generated image's activation and gradient buffers.
    public let workspace: VGGWorkspace
    /// The layers of each loss term and their weights (`w_l`, `lambda_l`).
    public let content: LayerWeights, style: LayerWeights
    /// alpha, beta and gamma.
    public let contentWeight: Double, styleWeight: Double, tvWeight: Double
    /// Squared TV on the [0,1] image, or L1 TV on the network's input (the preprocessed image).
    public let tvKind: TVKind
    let contentTargets: [Tensor]
    let styleTargets: [Tensor]
    let tapped: Set<Int>
    /// The losses of one evaluation (content layers, style layers, TV), read back in one
    /// transfer after the backward pass.
    private let lossSlots: LossSlots
    /// Masks and normalised gradients (`ControlTerms`); nil: the evaluation below, untouched.
    private var controlTerms: ControlTerms?

    /// - Parameters:
    ///   - workspace: buffers of the generated image's size (made with `keepConvOutputs`
    ///     covering every layer in `content` and `style`).
    ///   - contentImage: `[3,H,W]` of the workspace's size; its activations become the targets.
    ///   - styleTargets: from `StyleTargets.compute`, one per style layer.
    ///   - controls: masks and normalised gradients (`ObjectiveControls.make`), or nil.
    /// - Throws: `DeviceError.invalidArgument` unless there is one target per style layer; device errors.
    public init(workspace: VGGWorkspace, contentImage: Tensor, content: LayerWeights, style: LayerWeights,
                styleTargets: [Tensor], contentWeight: Double, styleWeight: Double, tvWeight: Double,
                tvKind: TVKind = .squared, controls: ObjectiveControls? = nil) throws {
        // `evaluate` indexes the targets by style layer.
        guard styleTargets.count == style.indices.count else {
            throw DeviceError.invalidArgument(op: "TransferObjective", detail: "\(styleTargets.count) style targets for \(style.indices.count) style layers")
        }
        self.workspace = workspace
        self.content = content
        self.style = style
        self.styleTargets = styleTargets
        self.contentWeight = contentWeight
        self.styleWeight = styleWeight
        self.tvWeight = tvWeight
        self.tvKind = tvKind
        tapped = Set(content.indices).union(style.indices)
        let device = workspace.network.device
        // The last slot holds |dJ/dx|^2 (see `evaluate`).
        lossSlots = try device.makeLossSlots(count: content.indices.count + style.indices.count + 2)
        try workspace.forward(image: contentImage)
        contentTargets = try content.indices.map { index in
            let source = workspace.activation(index)
            let target = try device.makeTensor(source.shape)
            try device.copy(source, to: target)
            return target
        }
        if let controls { controlTerms = try ControlTerms(objective: self, controls: controls) }
    }

    /// Checks `stop` between the network's layers (`Objective.watch`).
    public func watch(_ stop: StopRequest?) { workspace.stop = stop }

    /// J and its parts at `x`; `gradient` is overwritten with dJ/dx (one forward, one
    /// backward, and one wait for the loss values at the end).
    public func evaluate(_ x: Tensor, gradient: Tensor) throws -> LossValues {
        if let controlTerms { return try controlTerms.evaluate(self, x, gradient: gradient) }
        let device = workspace.network.device
        let slots = lossSlots, contentCount = content.indices.count, tvSlot = slots.count - 2, normSlot = slots.count - 1
        try workspace.forward(image: x)
        let tvKind = tvKind, tvScale = Float(tvWeight)
        // The L1 TV is taken on the network's input and its gradient joins there, before the
        // normalisation's gradient (docs/MATH.md section 10).
        let injectInput: ((Tensor, Tensor) throws -> Void)? = tvKind == .squared ? nil : { input, g in
            try device.execute(.totalVariationL1Loss(image: input, gradient: g, scale: tvScale, slots: slots, index: tvSlot))
        }
        try workspace.backward(tapped: tapped, imageGradient: gradient, injectInput: injectInput) { layer, g in
            let a = self.workspace.activation(layer)
            for (k, index) in self.content.indices.enumerated() where index == layer {
                try device.execute(.contentLoss(generated: a, target: self.contentTargets[k], gradient: g,
                                                scale: Float(self.contentWeight * self.content.weights[k]), slots: slots, index: k))
            }
            for (k, index) in self.style.indices.enumerated() where index == layer {
                try device.execute(.styleLoss(generated: a, targetGram: self.styleTargets[k], gradient: g,
                                              scale: Float(self.styleWeight * self.style.weights[k]), slots: slots,
                                              index: contentCount + k))
            }
        }
        if tvKind == .squared {
            try device.execute(.totalVariationLoss(image: x, gradient: gradient, scale: tvScale, slots: slots, index: tvSlot))
        }
        // The gradient's norm comes back with the losses (no extra wait): a gradient gone
        // NaN or infinite while J stays finite would otherwise stall the optimiser silently.
        try device.execute(.dot(gradient, gradient, slots: slots, index: normSlot))
        let values = try device.readLosses(slots)
        var jContent = 0.0, jStyle = 0.0
        for (k, w) in content.weights.enumerated() { jContent += w * values[k] }
        for (k, w) in style.weights.enumerated() { jStyle += w * values[contentCount + k] }
        let jTV = values[tvSlot]
        return LossValues(total: contentWeight * jContent + styleWeight * jStyle + tvWeight * jTV,
                          content: jContent, style: jStyle, tv: jTV, gradientSquaredNorm: values[normSlot])
    }
}
