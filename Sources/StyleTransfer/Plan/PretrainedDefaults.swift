// PretrainedDefaults: the default style weight when pretrained weights are used without a preset, derived in docs/MATH.md section 10.
import Foundation
import NSTCore
import NSTWeights

/// The style weight a run gets when none is given and no preset sets one (`TransferPlan.lossWeights`).
public enum PretrainedDefaults {
    /// beta over alpha that reproduces neural-style's balance for Caffe-convention weights,
    /// and for torchvision-convention weights, whose inputs are about 58 times smaller
    /// (docs/MATH.md section 10; derived on paper, as no pretrained file could be measured).
    public static let caffeRatio = 0.0066, torchvisionRatio = 22.0

    /// beta for a run: the built-in network's default without a weights file; for a known
    /// file with a ratio of its own (the normalised VGG-19, docs/MATH.md section 10), that
    /// ratio times `contentWeight`; else the derived ratio times `contentWeight` for the
    /// convention the weights are read with (`preprocess` if given, else what the file
    /// states, else torchvision's).
    public static func styleWeight(contentWeight: Double, weights: WeightsFile?, preprocess: Preprocess?) -> Double {
        guard let weights else { return LossWeights.defaults.style }
        let name = URL(fileURLWithPath: weights.path).lastPathComponent
        if let own = WeightsCache.known.first(where: { $0.fileName == name })?.styleToContent {
            return contentWeight * own
        }
        let convention = preprocess ?? weights.statedPreprocess ?? .torchvision
        return contentWeight * (convention == .caffe ? caffeRatio : torchvisionRatio)
    }
}
