// OpenCLDevice+Convolution: conv2d and its gradients as im2col/col2im kernels plus matrix products.
import COpenCL
import NSTCore

extension OpenCLDevice {
    /// The matrix products `conv2d` (or, with `inputGradient`, `conv2dInputGradient`) issues
    /// for geometry `g`, in order: what `nst tune` times.
    func convGemms(_ g: ConvGeometry, inputGradient: Bool) -> [GemmShape] {
        if usesWinograd(g, inputGradient: inputGradient) { return winogradGemms(g, inputGradient: inputGradient) }
        let ikk = g.inChannels * g.kernelHeight * g.kernelWidth, rows = bandRows(g)
        var shapes: [GemmShape] = []
        var oy0 = 0
        while oy0 < g.outHeight {
            let band = min(rows, g.outHeight - oy0)
            shapes.append(inputGradient
                ? GemmShape(m: ikk, n: band * g.outWidth, k: g.outChannels, transA: true, transB: false)
                : GemmShape(m: g.outChannels, n: band * g.outWidth, k: ikk, transA: false, transB: false))
            oy0 += band
        }
        return shapes
    }

    /// Output rows per band, so that one band's im2col matrix fits in `im2colLimit` floats
    /// (at least one row).
    private func bandRows(_ g: ConvGeometry) -> Int {
        ConvBands.im2colRows(g, limit: im2colLimit)
    }

    /// Calls `body(oy0, rows, col)` for each band of output rows, with `col` scratch
    /// large enough for the band's im2col matrix (plain, or packed in panels).
    private func forEachBand(_ g: ConvGeometry, _ body: (Int, Int, cl_mem) throws -> Void) throws {
        let rows = bandRows(g), ikk = g.inChannels * g.kernelHeight * g.kernelWidth
        let col = try scratchBuffer(count: max(ikk * rows * g.outWidth, usesProjectGemm ? packedCount(k: ikk, n: rows * g.outWidth) : 0))
        var oy0 = 0
        while oy0 < g.outHeight {
            let band = min(rows, g.outHeight - oy0)
            try body(oy0, band, col)
            oy0 += band
        }
    }

    /// The band's im2col matrix `[I*KH*KW, rows*OW]` into `col`; with `packed`, in the panel
    /// layout of the project's GEMM kernels instead.
    func im2col(_ g: ConvGeometry, input: cl_mem, col: cl_mem, oy0: Int, rows: Int, packed: Bool = false) throws {
        let ikk = g.inChannels * g.kernelHeight * g.kernelWidth
        let geometry: [KernelArg] = [.buffer(input), .buffer(col), .int(g.height), .int(g.width), .int(g.kernelHeight),
                                     .int(g.kernelWidth), .int(g.padding), .int(g.outWidth), .int(oy0), .int(rows)]
        if packed {
            let panels = (rows * g.outWidth + gemmTiles.panel - 1) / gemmTiles.panel
            try context.launch(try context.kernel("im2col", "im2col_packed"), "im2col_packed", global: [ikk, panels],
                               local: nil, args: geometry + [.int(ikk)])
        } else {
            let total = ikk * rows * g.outWidth
            try run("im2col", "im2col", count: total, geometry + [.int(total)])
        }
    }

    /// `conv2d`, then max(., 0) with `relu` (the `conv2dReLU` op): in the Winograd output
    /// kernel, or by the relu kernel after the im2col path.
    func conv2d(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int, relu: Bool = false) throws {
        let op = relu ? "conv2dReLU" : "conv2d"
        let g = try ConvGeometry(op: op, input: input.shape, weight: weight.shape, bias: bias?.shape,
                                 output: output.shape, padding: padding)
        // The weight is only read: not counted as an access, so its Winograd transform stays cached.
        let inBuf = try buffer(input, op), weightStorage = try weightStorage(weight, op), outBuf = try buffer(output, op)
        let wBuf = weightStorage.buffer, biasBuf = try bias.map { try buffer($0, op) }
        let ikk = g.inChannels * g.kernelHeight * g.kernelWidth, ohw = g.outHeight * g.outWidth
        if usesWinograd(g, inputGradient: false) {
            return try winogradConvolution(op, g, input: inBuf, weight: weightStorage, bias: biasBuf, output: outBuf,
                                           flip: false, relu: relu)
        }
        let packed = usesProjectGemm
        try forEachBand(g) { oy0, rows, col in
            try im2col(g, input: inBuf, col: col, oy0: oy0, rows: rows, packed: packed)
            // out[:, band] = W [O, IKK] x col [IKK, rows*OW]
            try sgemm(op, m: g.outChannels, n: rows * g.outWidth, k: ikk, alpha: 1, a: wBuf, lda: ikk,
                      b: col, ldb: rows * g.outWidth, beta: 0, c: outBuf, cOffset: oy0 * g.outWidth, ldc: ohw,
                      bPacked: packed)
        }
        if let biasBuf {
            try run("elementwise", "bias_add", count: output.count,
                    [.buffer(outBuf), .buffer(biasBuf), .int(ohw), .int(output.count)])
        }
        if relu { try run("elementwise", "relu", count: output.count, [.buffer(outBuf), .buffer(outBuf), .int(output.count)]) }
    }

    /// `conv2dInputGradient`, then 0 wherever `mask` (the convolution's input, a ReLU output)
    /// is not positive (the `conv2dInputGradientReLU` op).
    func conv2dInputGradient(outputGradient: Tensor, weight: Tensor, inputGradient: Tensor, padding: Int,
                             mask: Tensor? = nil) throws {
        let op = mask == nil ? "conv2dInputGradient" : "conv2dInputGradientReLU"
        let g = try ConvGeometry(op: op, input: inputGradient.shape, weight: weight.shape, bias: nil,
                                 output: outputGradient.shape, padding: padding)
        if let mask { try OpShapes.same(op, ("input", mask.shape), ("inputGradient", inputGradient.shape)) }
        let dOut = try buffer(outputGradient, op), weightStorage = try weightStorage(weight, op)
        let wBuf = weightStorage.buffer, dIn = try buffer(inputGradient, op)
        let maskBuf = try mask.map { try buffer($0, op) }
        let ikk = g.inChannels * g.kernelHeight * g.kernelWidth, ohw = g.outHeight * g.outWidth
        if usesWinograd(g, inputGradient: true) {
            return try winogradConvolution(op, g, input: dOut, weight: weightStorage, bias: nil, output: dIn, flip: true,
                                           mask: maskBuf)
        }
        // Bands add into the rows they touch, which overlap at band edges: start from zero.
        try fillBuffer(dIn, count: inputGradient.count, value: 0, op: op)
        try forEachBand(g) { oy0, rows, col in
            // dcol [IKK, rows*OW] = W^T [IKK, O] x dOut[:, band]
            try sgemm(op, transA: true, m: ikk, n: rows * g.outWidth, k: g.outChannels, alpha: 1, a: wBuf, lda: ikk,
                      b: dOut, bOffset: oy0 * g.outWidth, ldb: ohw, beta: 0, c: col, ldc: rows * g.outWidth)
            // Input rows this band reads: oy + ky - p for oy in the band, ky in 0..<KH.
            let y0 = max(0, oy0 - g.padding)
            let y1 = min(g.height - 1, oy0 + rows - 1 + g.kernelHeight - 1 - g.padding)
            guard y1 >= y0 else { return }
            let ny = y1 - y0 + 1, total = g.inChannels * ny * g.width
            try run("im2col", "col2im", count: total, [
                .buffer(col), .buffer(dIn), .int(g.height), .int(g.width), .int(g.kernelHeight), .int(g.kernelWidth),
                .int(g.padding), .int(g.outWidth), .int(oy0), .int(rows), .int(y0), .int(ny), .int(total)])
        }
        if let maskBuf {
            try run("elementwise", "relu_grad", count: inputGradient.count,
                    [.buffer(maskBuf), .buffer(dIn), .buffer(dIn), .int(inputGradient.count)])
        }
    }

    public func conv2dWeightGradient(input: Tensor, outputGradient: Tensor, weightGradient: Tensor,
                                     biasGradient: Tensor?, padding: Int) throws {
        let op = "conv2dWeightGradient"
        let g = try ConvGeometry(op: op, input: input.shape, weight: weightGradient.shape, bias: biasGradient?.shape,
                                 output: outputGradient.shape, padding: padding)
        let inBuf = try buffer(input, op), dOut = try buffer(outputGradient, op), dW = try buffer(weightGradient, op)
        let dB = try biasGradient.map { try buffer($0, op) }
        let ikk = g.inChannels * g.kernelHeight * g.kernelWidth, ohw = g.outHeight * g.outWidth
        var first = true
        try forEachBand(g) { oy0, rows, col in
            try im2col(g, input: inBuf, col: col, oy0: oy0, rows: rows)
            // dW [O, IKK] (+)= dOut[:, band] [O, rows*OW] x col^T [rows*OW, IKK]
            try sgemm(op, transB: true, m: g.outChannels, n: ikk, k: rows * g.outWidth, alpha: 1,
                      a: dOut, aOffset: oy0 * g.outWidth, lda: ohw, b: col, ldb: rows * g.outWidth,
                      beta: first ? 0 : 1, c: dW, ldc: ikk)
            first = false
        }
        if let dB {
            try context.launch(try context.kernel("reduce", "row_sum"), "row_sum", global: 0, groups: g.outChannels,
                               args: [.buffer(dOut), .buffer(dB), .int(ohw)])
        }
    }
}
