// VGG19Layers: the names, kinds and torchvision indices of the VGG convolution stacks (VGG-19 and VGG-16).

/// What one layer of a VGG stack does.
public enum VGGLayerKind: Equatable, Sendable {
    /// 3x3 convolution, stride 1, zero padding 1, with bias.
    case conv(inChannels: Int, outChannels: Int)
    /// Rectified linear unit after each convolution.
    case relu
    /// 2x2 pooling with stride 2 after each block (max or average).
    case pool
}

/// One layer of a VGG stack: its docs/MATH.md name (`conv3_1`, `relu3_1`, `pool3`), its
/// kind and its position, which equals torchvision's `features.N` index.
public struct VGGLayer: Equatable, Sendable {
    /// `conv{b}_{i}`, `relu{b}_{i}` or `pool{b}`.
    public let name: String
    /// Convolution, ReLU or pooling.
    public let kind: VGGLayerKind
    /// Position in the stack, identical to torchvision's `features.N` index.
    public let index: Int
}

/// A VGG convolution stack: five blocks of 3x3 convolutions (64, 128, 256, 512, 512
/// channels), each convolution followed by a ReLU and each block by a 2x2 pooling, listed
/// in torchvision's `features` order. VGG-19 has 2, 2, 4, 4, 4 convolutions per block,
/// VGG-16 has 2, 2, 3, 3, 3; layer names follow the same scheme in both.
public struct VGGModel: Equatable, Sendable, CustomStringConvertible {
    /// `vgg19` or `vgg16`, as the command line spells it.
    public let name: String
    /// Convolutions per block.
    public let blockSizes: [Int]
    /// Output channels of each block's convolutions.
    public let blockChannels: [Int]
    /// All layers, `layers[i].index == i`.
    public let layers: [VGGLayer]

    /// VGG-19 (Simonyan and Zisserman's configuration E), 37 layers.
    public static let vgg19 = VGGModel(name: "vgg19", blockSizes: [2, 2, 4, 4, 4])
    /// VGG-16 (configuration D), 31 layers.
    public static let vgg16 = VGGModel(name: "vgg16", blockSizes: [2, 2, 3, 3, 3])
    /// Every model the command line accepts.
    public static let all: [VGGModel] = [.vgg19, .vgg16]

    /// The model called `name` (`vgg19`, `vgg16`; case-insensitive, `vgg-19` accepted), or nil.
    public static func named(_ name: String) -> VGGModel? {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "")
        return all.first { $0.name == key }
    }

    /// The model with `convolutionCount` convolutions (16: VGG-19, 13: VGG-16), or nil.
    public static func with(convolutionCount: Int) -> VGGModel? {
        all.first { $0.convolutionCount == convolutionCount }
    }

    private init(name: String, blockSizes: [Int]) {
        self.name = name
        self.blockSizes = blockSizes
        blockChannels = [64, 128, 256, 512, 512]
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
        layers = result
    }

    /// `VGG-19` or `VGG-16`, for messages.
    public var description: String { "VGG-" + name.dropFirst(3) }

    /// The number of convolutions (16 or 13).
    public var convolutionCount: Int { blockSizes.reduce(0, +) }

    /// The layer index of `name`, or nil for a name that is not in the stack.
    public func index(of name: String) -> Int? {
        layers.firstIndex { $0.name == name }
    }

    /// Channels of layer `index`'s output.
    public func outputChannels(of index: Int) -> Int {
        var channels = 3
        for layer in layers.prefix(index + 1) {
            if case let .conv(_, out) = layer.kind { channels = out }
        }
        return channels
    }

    /// The indices of the convolutions among the first `depth` layers.
    public func convIndices(depth: Int) -> [Int] {
        layers.prefix(depth).compactMap { layer in
            if case .conv = layer.kind { return layer.index }
            return nil
        }
    }

    /// Output shape `[C,H,W]` of every layer up to `depth` for a `height x width` RGB input,
    /// or nil (with the offending layer) when a pooling layer would see fewer than 2 rows or
    /// columns.
    public func shapes(height: Int, width: Int, depth: Int) -> (shapes: [Shape], tooSmallAt: String?) {
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

/// The VGG-19 stack, kept as a name for `VGGModel.vgg19` so that code written for one
/// model reads as before.
public enum VGG19 {
    /// The model itself.
    public static let model = VGGModel.vgg19
    /// Convolutions per block.
    public static var blockSizes: [Int] { model.blockSizes }
    /// Output channels of each block's convolutions.
    public static var blockChannels: [Int] { model.blockChannels }
    /// All 37 layers, `layers[i].index == i`.
    public static var layers: [VGGLayer] { model.layers }
    /// The layer index of `name`, or nil for a name that is not in the stack.
    public static func index(of name: String) -> Int? { model.index(of: name) }
    /// Channels of layer `index`'s output.
    public static func outputChannels(of index: Int) -> Int { model.outputChannels(of: index) }
    /// The indices of the convolutions among the first `depth` layers.
    public static func convIndices(depth: Int) -> [Int] { model.convIndices(depth: depth) }
    /// Output shapes up to `depth` (see `VGGModel.shapes`).
    public static func shapes(height: Int, width: Int, depth: Int) -> (shapes: [Shape], tooSmallAt: String?) {
        model.shapes(height: height, width: width, depth: depth)
    }
}
