// Preprocess: the input conventions pretrained VGG weights expect (torchvision's or Caffe's).
import NSTCore

/// How the network's input is made from the [0,1] RGB image; it must be the convention the
/// weights were trained with (a wrong one is the classic cause of washed-out results).
///
/// - `torchvision`: RGB, `(x - mean) / std` with ImageNet's mean and standard deviation.
/// - `caffe`: BGR on the 0-255 scale minus the mean pixel (103.939, 116.779, 123.68 in BGR
///   order), as the VGG authors' Caffe models and neural-style expect.
///
/// Both are the per-channel `normalize` op: Caffe's is `mean = meanRGB / 255`,
/// `std = 1 / 255`, and the BGR order is obtained by reversing the input channels of the
/// first convolution's weights once, when they are loaded (`VGGWeights.make`), so the
/// network reads RGB and no extra op runs.
public enum Preprocess: String, Sendable, CaseIterable, Equatable {
    case torchvision, caffe

    /// Caffe's mean pixel, in its BGR order on the 0-255 scale.
    public static let caffeMeanBGR: [Float] = [103.939, 116.779, 123.68]

    /// The normalisation's per-channel mean on the [0,1] scale, RGB order.
    public var mean: [Float] {
        switch self {
        case .torchvision: return VGGWeights.torchvisionMean
        case .caffe: return Self.caffeMeanBGR.reversed().map { $0 / 255 }
        }
    }

    /// The normalisation's per-channel standard deviation on the [0,1] scale.
    public var std: [Float] {
        switch self {
        case .torchvision: return VGGWeights.torchvisionStd
        case .caffe: return [1 / 255, 1 / 255, 1 / 255]
        }
    }

    /// True when the weights' first convolution reads BGR.
    public var readsBGR: Bool { self == .caffe }
}
