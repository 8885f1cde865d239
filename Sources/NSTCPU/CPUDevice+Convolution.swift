// CPUDevice+Convolution: conv2d forward, input gradient and weight/bias gradients by im2col/col2im + SGEMM.
import NSTCore

extension CPUDevice {
    /// Floats of the transformed weights `WinogradWeightCache` keeps for one convolution:
    /// both directions (forward and input gradient), zero for an im2col convolution.
    func winogradWeightFloats(_ g: ConvGeometry) -> Int {
        guard usesWinograd(g) else { return 0 }
        guard winogradTile == .f4x4 else { return 2 * winogradTile.points * g.inChannels * g.outChannels }
        return Self.winograd4PackedFloats(outChannels: g.outChannels, inChannels: g.inChannels)
            + Self.winograd4PackedFloats(outChannels: g.inChannels, inChannels: g.outChannels)
    }

    /// Output rows per band so that a `[I*KH*KW, rows*W']` column buffer fits the budget.
    private func bandRows(_ g: ConvGeometry) -> Int {
        ConvBands.im2colRows(g, limit: columnBudget)
    }

    /// Scratch floats one convolution (or its input gradient, no larger) borrows: an im2col
    /// band, or Winograd's two tile bands (its transformed weights are cached, see
    /// `winogradWeightFloats`).
    func convolutionScratchFloats(_ g: ConvGeometry) -> Int {
        guard usesWinograd(g) else { return ConvBands.im2colFloats(g, limit: columnBudget) }
        if winogradTile == .f4x4 {
            // The larger of the two directions (forward and input gradient swap ci and co).
            let f = winograd4ScratchFloats(ci: g.inChannels, co: g.outChannels, height: g.height, width: g.width)
            let b = winograd4ScratchFloats(ci: g.outChannels, co: g.inChannels, height: g.height, width: g.width)
            return max(f.v + f.m, b.v + b.m)
        }
        let (_, tilesXP, band) = winogradBands(ci: g.inChannels, co: g.outChannels, height: g.height, width: g.width)
        return winogradTile.points * (g.inChannels + g.outChannels) * band * tilesXP
    }

    /// Fills `col[(i*KH+ky)*KW+kx, r*W'+x] = in[i, y0+r+ky-p, x+kx-p]` (0 outside) for
    /// output rows y0..<y0+rows.
    private func im2col(_ input: UnsafePointer<Float>, _ g: ConvGeometry, y0: Int, rows: Int,
                        _ col: UnsafeMutablePointer<Float>) {
        let n = rows * g.outWidth, kk = g.kernelHeight * g.kernelWidth
        Parallel.forEach(g.inChannels, costPerItem: kk * n) { i in
            let plane = input + i * g.height * g.width
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let dst = col + ((i * g.kernelHeight + ky) * g.kernelWidth + kx) * n
                    // Valid x range for this kx: 0 <= x + kx - p < W.
                    let xLo = max(0, g.padding - kx), xHi = min(g.outWidth, g.width + g.padding - kx)
                    for r in 0..<rows {
                        let row = dst + r * g.outWidth
                        let sy = y0 + r + ky - g.padding
                        guard sy >= 0, sy < g.height, xLo < xHi else {
                            row.update(repeating: 0, count: g.outWidth)
                            continue
                        }
                        if xLo > 0 { row.update(repeating: 0, count: xLo) }
                        row.advanced(by: xLo).update(from: plane + sy * g.width + xLo + kx - g.padding, count: xHi - xLo)
                        if xHi < g.outWidth { row.advanced(by: xHi).update(repeating: 0, count: g.outWidth - xHi) }
                    }
                }
            }
        }
    }

    /// Adds the column buffer of output rows y0..<y0+rows back into `dIn` (the adjoint of `im2col`).
    private func col2imAdd(_ col: UnsafePointer<Float>, _ g: ConvGeometry, y0: Int, rows: Int,
                           _ dIn: UnsafeMutablePointer<Float>) {
        let n = rows * g.outWidth, kk = g.kernelHeight * g.kernelWidth
        // Each input channel's plane is written by one thread only.
        Parallel.forEach(g.inChannels, costPerItem: kk * n) { i in
            let plane = dIn + i * g.height * g.width
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let src = col + ((i * g.kernelHeight + ky) * g.kernelWidth + kx) * n
                    let xLo = max(0, g.padding - kx), xHi = min(g.outWidth, g.width + g.padding - kx)
                    guard xLo < xHi else { continue }
                    for r in 0..<rows {
                        let sy = y0 + r + ky - g.padding
                        guard sy >= 0, sy < g.height else { continue }
                        let s = src + r * g.outWidth, d = plane + sy * g.width + kx - g.padding
                        for x in xLo..<xHi { d[x] += s[x] }
                    }
                }
            }
        }
    }

    /// Runs `body(col, y0, rows, n)` for each band of `rows` output rows starting at `y0`
    /// (`n = rows * W'` columns), with a column buffer borrowed from the scratch pool.
    private func forEachBand(_ g: ConvGeometry,
                             _ body: (_ col: UnsafeMutablePointer<Float>, _ y0: Int, _ rows: Int, _ n: Int) -> Void) throws {
        let band = bandRows(g)
        try scratch.with([g.inChannels * g.kernelHeight * g.kernelWidth * band * g.outWidth]) { buffers in
            for y0 in stride(from: 0, to: g.outHeight, by: band) {
                let rows = min(band, g.outHeight - y0)
                body(buffers[0], y0, rows, rows * g.outWidth)
            }
        }
    }

    /// The ReLU (`relu`) or the ReLU gradient's mask (`mask`) as a pass of its own over `y`,
    /// for the paths that cannot apply it while they write: the same kernels as the ops, so
    /// the result is bit for bit that of the separate ops.
    func convolutionEpilogue(_ y: UnsafeMutablePointer<Float>, count: Int, relu: Bool, mask: UnsafePointer<Float>?) {
        if relu { Parallel.ranges(count) { r in VectorKernels.relu(y, y, r) } }
        if let mask { Parallel.ranges(count) { r in VectorKernels.reluGradient(mask, y, y, r) } }
    }

    /// `conv2d`, then max(., 0) with `relu` (the `conv2dReLU` op).
    func conv2d(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int, relu: Bool = false) throws {
        let op = relu ? "conv2dReLU" : "conv2d"
        let g = try ConvGeometry(op: op, input: input.shape, weight: weight.shape, bias: bias?.shape,
                                 output: output.shape, padding: padding)
        // The weight is only read: not counted as an access, so its Winograd transform stays cached.
        let ws = try cpuStorage(weight, op), w = ws.pointer
        let x = try ptr(input, op), y = try ptr(output, op)
        let b: UnsafeMutablePointer<Float>? = try ptr(bias, op)
        if usesWinograd(g) { return try winogradForward(g, x: x, w: ws, bias: b, y: y, relu: relu) }
        let k = g.inChannels * g.kernelHeight * g.kernelWidth, plane = g.outHeight * g.outWidth
        try forEachBand(g) { col, y0, rows, n in
            im2col(x, g, y0: y0, rows: rows, col)
            // out[:, band] = W[O, K] * col[K, n], written in place into the output planes (ldc = H'W').
            Gemm.multiply(m: g.outChannels, n: n, k: k, w, lda: k, col, ldb: n, y + y0 * g.outWidth, ldc: plane)
        }
        if let b {
            Parallel.forEach(g.outChannels, costPerItem: plane) { o in
                let p = y + o * plane, v = b[o]
                for i in 0..<plane { p[i] += v }
            }
        }
        convolutionEpilogue(y, count: output.count, relu: relu, mask: nil)
    }

    /// `conv2dInputGradient`, then 0 wherever `mask` (the convolution's input, a ReLU output)
    /// is not positive (the `conv2dInputGradientReLU` op).
    func conv2dInputGradient(outputGradient: Tensor, weight: Tensor, inputGradient: Tensor, padding: Int,
                             mask: Tensor? = nil) throws {
        let op = mask == nil ? "conv2dInputGradient" : "conv2dInputGradientReLU"
        let g = try ConvGeometry(op: op, input: inputGradient.shape, weight: weight.shape, bias: nil,
                                 output: outputGradient.shape, padding: padding)
        if let mask { try OpShapes.same(op, ("input", mask.shape), ("inputGradient", inputGradient.shape)) }
        let ws = try cpuStorage(weight, op), w = ws.pointer   // read only, as in `conv2d`
        let dy = try ptr(outputGradient, op), dx = try ptr(inputGradient, op)
        let m: UnsafeMutablePointer<Float>? = try mask.map { try ptr($0, op) }
        if usesWinograd(g) { return try winogradInputGradient(g, dy: dy, w: ws, dx: dx, mask: m) }
        let k = g.inChannels * g.kernelHeight * g.kernelWidth, plane = g.outHeight * g.outWidth
        dx.update(repeating: 0, count: inputGradient.count)
        try forEachBand(g) { col, y0, rows, n in
            // dcol[K, n] = W^T[K, O] * dOut[O, band]
            Gemm.multiply(transA: true, m: k, n: n, k: g.outChannels, w, lda: k, dy + y0 * g.outWidth, ldb: plane, col, ldc: n)
            col2imAdd(col, g, y0: y0, rows: rows, dx)
        }
        convolutionEpilogue(dx, count: inputGradient.count, relu: false, mask: m)
    }

    public func conv2dWeightGradient(input: Tensor, outputGradient: Tensor, weightGradient: Tensor,
                                     biasGradient: Tensor?, padding: Int) throws {
        let op = "conv2dWeightGradient"
        let g = try ConvGeometry(op: op, input: input.shape, weight: weightGradient.shape, bias: biasGradient?.shape,
                                 output: outputGradient.shape, padding: padding)
        let x = try ptr(input, op), dy = try ptr(outputGradient, op), dw = try ptr(weightGradient, op)
        let db: UnsafeMutablePointer<Float>? = try ptr(biasGradient, op)
        let k = g.inChannels * g.kernelHeight * g.kernelWidth, plane = g.outHeight * g.outWidth
        try forEachBand(g) { col, y0, rows, n in
            im2col(x, g, y0: y0, rows: rows, col)
            // dW[O, K] (+)= dOut[O, band] * col[K, n]^T; the first band overwrites.
            Gemm.multiply(transB: true, m: g.outChannels, n: k, k: n, dy + y0 * g.outWidth, lda: plane, col, ldb: n,
                          beta: y0 == 0 ? 0 : 1, dw, ldc: k)
        }
        if let db {
            Parallel.forEach(g.outChannels, costPerItem: plane) { o in
                let p = dy + o * plane
                var s: Double = 0
                for i in 0..<plane { s += Double(p[i]) }
                db[o] = Float(s)
            }
        }
    }
}
