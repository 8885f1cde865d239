// SpatialMask: a greyscale weight over the image's positions, and its downsampling to a layer's resolution.
import NSTCore
import NSTImages

/// A weight in [0, 1] per pixel (style and content masks), row by row.
public struct SpatialMask: Equatable, Sendable {
    public let width: Int, height: Int
    /// `width * height` values in [0, 1].
    public let values: [Float]

    /// Wraps values (clamped to [0, 1]; NaN becomes 0).
    /// - Throws: `ImageError` (`.invalidImage`) unless there are `width * height` of them.
    public init(width: Int, height: Int, values: [Float]) throws {
        guard width >= 1, height >= 1, values.count == width * height else {
            throw ImageError(.invalidImage, path: nil, "a \(width)x\(height) mask needs \(max(width * height, 0)) values, not \(values.count)")
        }
        self.width = width
        self.height = height
        self.values = values.map { $0.isNaN ? 0 : min(max($0, 0), 1) }
    }

    /// The mask of an image: the mean of its three channels at each pixel (a grey image's
    /// own value), clamped to [0, 1].
    public init(image: Image) {
        let n = image.planeCount
        let values = (0..<n).map { (image.pixels[$0] + image.pixels[n + $0] + image.pixels[2 * n + $0]) / 3 }
        self.width = image.width
        self.height = image.height
        self.values = values.map { $0.isNaN ? 0 : min(max($0, 0), 1) }
    }

    /// A mask of one value everywhere.
    public static func constant(_ value: Float, width: Int, height: Int) throws -> SpatialMask {
        try SpatialMask(width: width, height: height, values: [Float](repeating: value, count: width * height))
    }

    /// The mask at the resolution after one of the network's 2x2 poolings: each value the
    /// mean of its 2x2 window (area averaging on the network's own grid), an odd last row
    /// or column dropped as the pooling drops it.
    public func halved() -> SpatialMask {
        let h = height / 2, w = width / 2
        var out = [Float](repeating: 0, count: max(h * w, 0))
        for y in 0..<h {
            for x in 0..<w {
                let top = 2 * y * width + 2 * x, bottom = top + width
                out[y * w + x] = (values[top] + values[top + 1] + values[bottom] + values[bottom + 1]) / 4
            }
        }
        return SpatialMask(uncheckedWidth: w, height: h, values: out)
    }

    /// The mask at the resolution of layer `index` of `model`: halved once per pooling layer
    /// up to and including it.
    public func at(layer index: Int, of model: VGGModel) -> SpatialMask {
        var mask = self
        for layer in model.layers.prefix(index + 1) where layer.kind == .pool { mask = mask.halved() }
        return mask
    }

    /// `mean(m^2)`: the share of the positions a masked Gram matrix is normalised by.
    public var meanSquare: Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(values.count, 1))
    }

    private init(uncheckedWidth: Int, height: Int, values: [Float]) {
        self.width = uncheckedWidth
        self.height = height
        self.values = values
    }
}

/// The masks of a run at the generated image's size (`TransferEngine`'s input).
public struct TransferMasks: Sendable {
    /// One per style image, in order; empty: no style masks.
    public var style: [SpatialMask]
    /// Where the content is kept, or nil.
    public var content: SpatialMask?

    public init(style: [SpatialMask] = [], content: SpatialMask? = nil) {
        self.style = style
        self.content = content
    }
}
