// OpenCLDevice+Winograd: 3x3 padding-1 convolutions and their input gradients as Winograd F(2x2,3x3) transforms plus 16 CLBlast products.
import COpenCL
import NSTCore

extension OpenCLDevice {
    /// Whether `conv2d` (or, with `inputGradient`, `conv2dInputGradient`) of geometry `g`
    /// takes the Winograd path: 3x3 kernels with padding 1 whose summed channel count (the
    /// products' k) is at least `winogradMinChannels` (tuned; off by default); thinner
    /// layers (VGG's conv1_1) keep im2col, where the transforms would cost more than they save.
    func usesWinograd(_ g: ConvGeometry, inputGradient: Bool) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding == 1 && g.outHeight == g.height && g.outWidth == g.width
            && (inputGradient ? g.outChannels : g.inChannels) >= winogradMinChannels
    }

    /// Tile rows per band, so that the transformed tiles of one band fit in `im2colLimit`
    /// floats; and the tile grid.
    func winogradBands(_ g: ConvGeometry) -> (rows: Int, ty: Int, tx: Int) {
        let (ty, tx) = ConvBands.winogradTiles(height: g.height, width: g.width)
        return (ConvBands.rows(total: ty, perRow: 16 * max(g.inChannels, g.outChannels) * tx, limit: im2colLimit), ty, tx)
    }

    /// The 16 products per band of the Winograd path, in order.
    func winogradGemms(_ g: ConvGeometry, inputGradient: Bool) -> [GemmShape] {
        let (rows, ty, tx) = winogradBands(g)
        let m = inputGradient ? g.inChannels : g.outChannels, k = inputGradient ? g.outChannels : g.inChannels
        var shapes: [GemmShape] = []
        var ty0 = 0
        while ty0 < ty {
            let band = min(rows, ty - ty0)
            shapes += Array(repeating: GemmShape(m: m, n: band * tx, k: k, transA: false, transB: false), count: 16)
            ty0 += band
        }
        return shapes
    }

    /// `output [M,H,W] = conv(input [K,H,W])` with filters `weight`, through Winograd: for
    /// the forward pass M = O, K = I; for the input gradient (`flip`), the input is dOut
    /// (K = O), the filters are `weight` transposed and rotated, and M = I.
    func winogradConvolution(_ op: String, _ g: ConvGeometry, input: cl_mem, weight: cl_mem, bias: cl_mem?,
                             output: cl_mem, flip: Bool) throws {
        let (rows, ty, tx) = winogradBands(g)
        let m = flip ? g.inChannels : g.outChannels, k = flip ? g.outChannels : g.inChannels
        let filters = try scratchBuffer(count: 16 * m * k, role: .winogradFilter)
        let tiles = try scratchBuffer(count: 16 * k * rows * tx, role: .winogradInput)
        let products = try scratchBuffer(count: 16 * m * rows * tx, role: .winogradProducts)
        try run("winograd", "winograd_filter", count: g.outChannels * g.inChannels, [
            .buffer(weight), .buffer(filters), .int(g.outChannels), .int(g.inChannels), .int(flip ? 1 : 0)])
        var ty0 = 0
        while ty0 < ty {
            let band = min(rows, ty - ty0), p = band * tx
            try run("winograd", "winograd_input", count: k * p, [
                .buffer(input), .buffer(tiles), .int(k), .int(g.height), .int(g.width), .int(ty0), .int(band), .int(tx)])
            for xi in 0..<16 {
                try sgemm(op, m: m, n: p, k: k, alpha: 1, a: filters, aOffset: xi * m * k, lda: k,
                          b: tiles, bOffset: xi * k * p, ldb: p, beta: 0, c: products, cOffset: xi * m * p, ldc: p)
            }
            try run("winograd", "winograd_output", count: m * p, [
                .buffer(products), .buffer(output), .buffer(bias ?? products), .int(bias == nil ? 0 : 1), .int(m),
                .int(g.height), .int(g.width), .int(ty0), .int(band), .int(tx)])
            ty0 += band
        }
    }
}
