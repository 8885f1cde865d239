// VGG19Layers: the names, kinds and torchvision indices of the VGG-19 convolution stack.

/// What one layer of the VGG-19 stack does.
public enum VGGLayerKind: Equatable, Sendable {
    /// 3x3 convolution, stride 1, zero padding 1, with bias.
    case conv(inChannels: Int, outChannels: Int)
    /// Rectified linear unit after each convolution.
    case relu
    /// 2x2 pooling with stride 2 after each block (max or average).
    case pool
}

/// One layer of the VGG-19 stack: its docs/MATH.md name (`conv3_1`, `relu3_1`, `pool3`), its
/// kind and its position, which equals torchvision's `features.N` index.
public struct VGGLayer: Equatable, Sendable {
    /// `conv{b}_{i}`, `relu{b}_{i}` or `pool{b}`.
    public let name: String
    /// Convolution, ReLU or pooling.
    public let kind: VGGLayerKind
    /// Position in the stack, identical to torchvision's `features.N` index.
    public let index: Int
}

/// The VGG-19 convolution stack (blocks of 2, 2, 4, 4, 4 convolutions with 64, 128,
/// 256, 512, 512 channels), listed in torchvision's `features` order.
public enum VGG19 {
    /// Convolutions per block.
    public static let blockSizes = [2, 2, 4, 4, 4]
    /// Output channels of each block's convolutions.
    public static let blockChannels = [64, 128, 256, 512, 512]

    /// All 37 layers, `layers[i].index == i`.
    public static let layers: [VGGLayer] = {
        var result: [VGGLayer] = []
        var channels = 3
        for (b, count) in blockSizes.enumerated() {
            for i in 1...count {
                let out = blockChannels[b]
                result.append(VGGLayer(name: "conv\(b + 1)_\(i)", kind: .conv(inChannels: channels, outChannels: out), index: result.count))
                result.append(VGGLayer(name: "relu\(b + 1)_\(i)", kind: .relu, index: result.count))
                channels = out
            }
            result.append(VGGLayer(name: "pool\(b + 1)", kind: .pool, index: result.count))
        }
        return result
    }()

    /// The layer index of `name`, or nil for a name that is not in the stack.
    public static func index(of name: String) -> Int? {
        layers.firstIndex { $0.name == name }
    }

    /// Channels of layer `index`'s output.
    public static func outputChannels(of index: Int) -> Int {
        var channels = 3
        for layer in layers.prefix(index + 1) {
            if case let .conv(_, out) = layer.kind { channels = out }
        }
        return channels
    }

    /// The indices of the convolutions among the first `depth` layers.
    public static func convIndices(depth: Int) -> [Int] {
        layers.prefix(depth).compactMap { layer in
            if case .conv = layer.kind { return layer.index }
            return nil
        }
    }

    /// Output shape `[C,H,W]` of every layer up to `depth` for a `height x width` RGB input,
    /// or nil (with the offending layer) when a pooling layer would see fewer than 2 rows or
    /// columns.
    public static func shapes(height: Int, width: Int, depth: Int) -> (shapes: [Shape], tooSmallAt: String?) {
        var c = 3, h = height, w = width
        var shapes: [Shape] = []
        for layer in layers.prefix(depth) {
            switch layer.kind {
            case let .conv(_, out): c = out
            case .relu: break
            case .pool:
                guard h >= 2, w >= 2 else { return (shapes, layer.name) }
                h /= 2; w /= 2
            }
            shapes.append(Shape(c, h, w))
        }
        return (shapes, nil)
    }
}
