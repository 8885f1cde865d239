// ObjectiveControls: what the objective needs for masks and normalised gradients, made from the objective's spec and the images.
import NSTCore

/// The controls that change J or its gradient (README "Controlling the result"): normalised
/// gradients, guided Gram matrices of masked styles, and a content mask. Nil objective
/// controls mean the plain objective, untouched.
public struct ObjectiveControls {
    /// One masked style: its mask at the generated size, its own target Grams (one per
    /// style layer, unblended) and the weight of its term.
    public struct MaskedStyle {
        public var mask: SpatialMask
        public var targets: [Tensor]
        public var weight: Double

        public init(mask: SpatialMask, targets: [Tensor], weight: Double) {
            self.mask = mask
            self.targets = targets
            self.weight = weight
        }
    }

    /// Each term's gradient at its layer scaled to unit L2 norm before its weight.
    public var normalizeGradients = false
    /// Masked styles, replacing the blended style term; empty: the blended term.
    public var styles: [MaskedStyle] = []
    /// The content mask, or nil.
    public var contentMask: SpatialMask?

    public init(normalizeGradients: Bool = false, styles: [MaskedStyle] = [], contentMask: SpatialMask? = nil) {
        self.normalizeGradients = normalizeGradients
        self.styles = styles
        self.contentMask = contentMask
    }

    /// The controls of `spec` for a whole-image evaluation, or nil when none is set. With
    /// style masks, each style image's term is weighted by its blend weight times the number
    /// of styles (1 each by default, so one style weighs what it weighs unmasked).
    /// - Throws: `DeviceError.invalidArgument` when the masks, styles and blend weights do
    ///   not match one to one (the plan checks the options before).
    public static func make(spec: ObjectiveSpec, network: VGGNetwork, styles: [Tensor], masks: TransferMasks?) throws -> ObjectiveControls? {
        let normalize = spec.normalizeGradients
        let styleMasks = masks?.style ?? []
        guard normalize || !styleMasks.isEmpty || masks?.content != nil else { return nil }
        guard styleMasks.isEmpty || styleMasks.count == styles.count, styles.count == spec.blend.count else {
            throw DeviceError.invalidArgument(op: "ObjectiveControls", detail: "\(styleMasks.count) masks and \(spec.blend.count) blend weights for \(styles.count) style images")
        }
        var controls = ObjectiveControls(normalizeGradients: normalize, contentMask: masks?.content)
        for (k, mask) in styleMasks.enumerated() {
            let targets = try StyleTargets.compute(network: network, images: [styles[k]], blend: [1], layers: spec.style)
            controls.styles.append(MaskedStyle(mask: mask, targets: targets, weight: spec.blend[k] * Double(styles.count)))
        }
        return controls
    }
}
