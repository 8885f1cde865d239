// OpenCLDevice+Winograd: 3x3 padding-1 convolutions and their input gradients as Winograd F(2x2,3x3) or F(4x4,3x3) transforms plus 16 or 36 matrix products.
import COpenCL
import NSTCore

extension OpenCLDevice {
    /// Whether `conv2d` (or, with `inputGradient`, `conv2dInputGradient`) of geometry `g`
    /// takes the Winograd path: 3x3 kernels with padding 1 whose summed channel count (the
    /// products' k) is at least `winogradMinChannels` (tuned; off by default); thinner
    /// layers (VGG's conv1_1) keep im2col, where the transforms would cost more than they save.
    package func usesWinograd(_ g: ConvGeometry, inputGradient: Bool) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding == 1 && g.outHeight == g.height && g.outWidth == g.width
            && (inputGradient ? g.outChannels : g.inChannels) >= winogradMinChannels
    }

    /// Tile rows per band, so that the transformed tiles of one band fit in `im2colLimit`
    /// floats; and the tile grid of `winogradTile`.
    func winogradBands(_ g: ConvGeometry) -> (rows: Int, ty: Int, tx: Int) {
        let (ty, tx) = ConvBands.winogradTiles(height: g.height, width: g.width, outputTile: winogradTile.outputTile)
        let perRow = winogradTile.points * max(g.inChannels, g.outChannels) * tx
        return (ConvBands.rows(total: ty, perRow: perRow, limit: im2colLimit), ty, tx)
    }

    /// Tile columns per channel of a band of `tiles` tiles in the transformed-input buffer:
    /// rounded up to whole panels of the project's GEMM, which reads them packed.
    func winogradTilesPerBand(_ tiles: Int) -> Int {
        usesProjectGemm ? roundUp(tiles, to: gemmTiles.panel) : tiles
    }

    /// Floats of one direction's transformed filters (`points * C_in * C_out`).
    func winogradFilterFloats(_ g: ConvGeometry) -> Int {
        winogradTile.points * g.inChannels * g.outChannels
    }

    /// The 16 (F(2x2)) or 36 (F(4x4)) products per band of the Winograd path, in order.
    func winogradGemms(_ g: ConvGeometry, inputGradient: Bool) -> [GemmShape] {
        let (rows, ty, tx) = winogradBands(g)
        let m = inputGradient ? g.inChannels : g.outChannels, k = inputGradient ? g.outChannels : g.inChannels
        var shapes: [GemmShape] = []
        var ty0 = 0
        while ty0 < ty {
            let band = min(rows, ty - ty0)
            shapes += Array(repeating: GemmShape(m: m, n: band * tx, k: k, transA: false, transB: false), count: winogradTile.points)
            ty0 += band
        }
        return shapes
    }

    /// The transformed filters `U [points][M][K]` of `weight` in direction `flip`: the cached
    /// ones when the weight is unchanged since (`WinogradFilterCache`), else transformed now
    /// (into a new cached buffer, or into scratch memory once the cache stopped keeping).
    func winogradFilters(_ g: ConvGeometry, weight: OpenCLStorage, flip: Bool) throws -> cl_mem {
        let tile = winogradTile, count = winogradFilterFloats(g)
        if let cached = winogradFilterCache.lookup(weight, flip: flip, tile: tile, count: count) { return cached }
        let keep = winogradFilterCache.isKeeping
        let filters = keep ? try Self.makeBuffer(context, count: count, device: name)
                           : try scratchBuffer(count: count, role: .winogradFilter)
        do {
            try run(tile.program, "\(tile.kernelPrefix)_filter", count: g.outChannels * g.inChannels, [
                .buffer(weight.buffer), .buffer(filters), .int(g.outChannels), .int(g.inChannels), .int(flip ? 1 : 0)])
        } catch {
            if keep { clReleaseMemObject(filters) }
            throw error
        }
        if keep { winogradFilterCache.insert(filters, count: count, for: weight, flip: flip, tile: tile) }
        return filters
    }

    /// `output [M,H,W] = conv(input [K,H,W])` with filters `weight`, through Winograd
    /// (`winogradTile`): for the forward pass M = O, K = I; for the input gradient (`flip`),
    /// the input is dOut (K = O), the filters are `weight` transposed and rotated, and M = I.
    /// The output kernel applies the ReLU (`relu`) or the ReLU gradient's mask (`mask`, a
    /// buffer shaped like the output) as it writes.
    func winogradConvolution(_ op: String, _ g: ConvGeometry, input: cl_mem, weight: OpenCLStorage, bias: cl_mem?,
                             output: cl_mem, flip: Bool, relu: Bool = false, mask: cl_mem? = nil) throws {
        let tile = winogradTile, points = tile.points, program = tile.program, prefix = tile.kernelPrefix
        let (rows, ty, tx) = winogradBands(g)
        let m = flip ? g.inChannels : g.outChannels, k = flip ? g.outChannels : g.inChannels
        let filters = try winogradFilters(g, weight: weight, flip: flip)
        // With the project's GEMM the input kernel writes the tiles straight into its packed
        // panels and one batched launch makes all the products (2 launches instead of 2 per
        // product); CLBlast takes them row-major, one call per product.
        let panel = usesProjectGemm ? gemmTiles.panel : 0
        let tiles = try scratchBuffer(count: points * k * winogradTilesPerBand(rows * tx), role: .winogradInput)
        let products = try scratchBuffer(count: points * m * rows * tx, role: .winogradProducts)
        var ty0 = 0
        while ty0 < ty {
            let band = min(rows, ty - ty0), p = band * tx, np = winogradTilesPerBand(p)
            // Packed, one row of work-items per panel; else one row of k * p. Rows are whole
            // work-groups of the tuned size; the kernel skips the items past the end.
            let items = panel > 0 ? k * panel : k * p, group = context.workGroupSize
            try context.launch(try context.kernel(program, "\(prefix)_input"), "\(prefix)_input",
                               global: [roundUp(items, to: group), panel > 0 ? np / panel : 1],
                               local: [group, 1], args: [
                .buffer(input), .buffer(tiles), .int(k), .int(g.height), .int(g.width), .int(ty0), .int(band), .int(tx),
                .int(panel), .int(np)])
            if panel > 0 {
                try batchedPackedSgemm(m: m, n: p, k: k, batch: points, a: filters, strideA: m * k, packed: tiles,
                                       strideB: k * np, c: products, strideC: m * p)
            } else {
                for xi in 0..<points {
                    try sgemm(op, m: m, n: p, k: k, alpha: 1, a: filters, aOffset: xi * m * k, lda: k,
                              b: tiles, bOffset: xi * k * p, ldb: p, beta: 0, c: products, cOffset: xi * m * p, ldc: p)
                }
            }
            try run(program, "\(prefix)_output", count: m * p, [
                .buffer(products), .buffer(output), .buffer(bias ?? products), .int(bias == nil ? 0 : 1), .int(m),
                .int(g.height), .int(g.width), .int(ty0), .int(band), .int(tx),
                .int(relu ? 1 : 0), .buffer(mask ?? products), .int(mask == nil ? 0 : 1)])
            ty0 += band
        }
    }
}
