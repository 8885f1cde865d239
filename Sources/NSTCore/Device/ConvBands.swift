// ConvBands: how convolutions are cut into bands of rows to bound their scratch memory, shared by the backends and the memory estimate.

/// The banding rules of the convolution paths. Both backends cut im2col and Winograd work
/// into bands of rows whose scratch fits a budget of floats; the backends and their
/// `scratchFloats` reports call these functions, so the rules live here once.
public enum ConvBands {
    /// How many of `total` rows fit in `limit` floats at `perRow` floats each: at least one
    /// row (a single row larger than the budget is still done), at most `total`.
    public static func rows(total: Int, perRow: Int, limit: Int) -> Int {
        max(1, min(total, limit / max(perRow, 1)))
    }

    /// Output rows of one im2col band: its `[I*KH*KW, rows*W']` column matrix fits `limit`.
    public static func im2colRows(_ g: ConvGeometry, limit: Int) -> Int {
        rows(total: g.outHeight, perRow: g.inChannels * g.kernelHeight * g.kernelWidth * g.outWidth, limit: limit)
    }

    /// Floats of one im2col band's column matrix.
    public static func im2colFloats(_ g: ConvGeometry, limit: Int) -> Int {
        g.inChannels * g.kernelHeight * g.kernelWidth * im2colRows(g, limit: limit) * g.outWidth
    }

    /// The tile grid of Winograd F(m x m, 3x3) on an `height x width` image: `outputTile`
    /// square output tiles (2 for F(2x2, 3x3), 4 for F(4x4, 3x3)).
    public static func winogradTiles(height: Int, width: Int, outputTile: Int = 2) -> (rows: Int, columns: Int) {
        let m = max(outputTile, 1)
        return ((height + m - 1) / m, (width + m - 1) / m)
    }
}

extension ConvGeometry {
    /// The geometry of a 3x3, padding-1 convolution (VGG's), which is valid by construction
    /// for positive sizes and channel counts.
    public static func vgg(inChannels: Int, outChannels: Int, height: Int, width: Int) -> ConvGeometry {
        ConvGeometry(inChannels: inChannels, height: height, width: width, outChannels: outChannels,
                     kernelHeight: 3, kernelWidth: 3, padding: 1, outHeight: height, outWidth: width)
    }
}

extension VGG19 {
    /// The geometry of every convolution VGG-19 runs (see `VGGModel.convolutions`).
    public static func convolutions(size: ImageSize, depth: Int) -> [ConvGeometry] {
        model.convolutions(size: size, depth: depth)
    }

    /// The largest channel count of the first `depth` layers of VGG-19.
    public static func largestChannels(depth: Int) -> Int { model.largestChannels(depth: depth) }
}

extension VGGModel {
    /// The geometry of every convolution the model runs on an image of `size`, cut after
    /// `depth` layers (in layer order; pooling halves the size, rounding down).
    public func convolutions(size: ImageSize, depth: Int) -> [ConvGeometry] {
        var h = size.height, w = size.width
        var result: [ConvGeometry] = []
        for layer in layers.prefix(depth) {
            switch layer.kind {
            case let .conv(ci, co): result.append(.vgg(inChannels: ci, outChannels: co, height: h, width: w))
            case .relu: break
            case .pool: h /= 2; w /= 2
            }
        }
        return result
    }

    /// The largest channel count of the first `depth` layers: the side of the largest Gram
    /// matrix a style loss there can need.
    public func largestChannels(depth: Int) -> Int {
        (0..<min(depth, layers.count)).map(outputChannels(of:)).max() ?? 3
    }
}
