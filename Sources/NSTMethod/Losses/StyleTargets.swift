// StyleTargets: the target Gram matrix of each style layer, blended over several style images.
import NSTCore

/// Target Gram matrices `T_l = sum_k b_k Gram(a_l(S_k))`, one `[C,C]` device tensor per style
/// layer; for the W2 loss the augmented ones (`[C+1,C+1]`, `WassersteinStyle`), which blend
/// the same way.
public enum StyleTargets {
    /// Normalises blend weights to sum 1 (equal weights when `weights` is nil).
    /// - Throws: `WeightListError` for a count mismatch, a negative or non-finite weight, or
    ///   weights that sum to 0.
    public static func normalizedBlend(_ weights: [Double]?, count: Int) throws -> [Double] {
        let values = weights ?? Array(repeating: 1, count: count)
        guard values.count == count else { throw WeightListError.count(given: values.count, expected: count) }
        if let bad = values.first(where: { !$0.isFinite || $0 < 0 }) { throw WeightListError.badWeight(bad) }
        var sum = values.reduce(0, +)
        guard sum > 0 else { throw WeightListError.allZero }
        guard !sum.isFinite, let top = values.max() else { return values.map { $0 / sum } }
        // Finite weights whose sum overflows (1e308,1e308): scaled by the largest first.
        sum = values.reduce(0) { $0 + $1 / top }
        return values.map { $0 / top / sum }
    }

    /// Computes the blended target Grams of `layers` for the style `images` (`[3,H,W]`
    /// device tensors, any sizes). A workspace per style image is made and released here,
    /// so the style images' activations do not stay in memory.
    /// - Throws: `DeviceError.invalidArgument` unless there is one blend weight per image
    ///   (and at least one image); device errors.
    public static func compute(network: VGGNetwork, images: [Tensor], blend: [Double], layers: LayerWeights,
                               statistic: StyleLossKind = .gram) throws -> [Tensor] {
        guard !images.isEmpty, images.count == blend.count else {
            throw DeviceError.invalidArgument(op: "StyleTargets", detail: "\(images.count) style images with \(blend.count) blend weights; want one weight per image, at least one image")
        }
        let device = network.device
        var targets: [Tensor] = []
        var scratch: [Tensor] = []
        for index in layers.indices {
            let c = network.model.outputChannels(of: index) + (statistic.augmented ? 1 : 0)
            let target = try device.makeTensor(Shape(c, c))
            try device.fill(target, with: 0)
            targets.append(target)
            scratch.append(try device.makeTensor(Shape(c, c)))
        }
        for (image, b) in zip(images, blend) {
            let workspace = try VGGWorkspace(network: network, height: image.shape[1], width: image.shape[2],
                                             keepConvOutputs: Set(layers.indices))
            try workspace.forward(image: image)
            let augmented = statistic.augmented ? try AugmentedFeatures(workspace: workspace, layers: layers.indices) : nil
            for (k, index) in layers.indices.enumerated() {
                if let augmented {
                    try augmented.gram(workspace.activation(index), into: scratch[k])
                } else {
                    try device.execute(.gram(input: workspace.activation(index), output: scratch[k]))
                }
                try device.execute(.axpy(alpha: Float(b), x: scratch[k], y: targets[k]))
            }
        }
        return targets
    }
}
