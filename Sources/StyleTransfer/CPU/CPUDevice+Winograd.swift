// CPUDevice+Winograd: 3x3 stride-1 pad-1 convolution by Winograd F(2x2, 3x3): 2.25x fewer multiplies than im2col.
import CBLAS

/// Winograd F(2x2, 3x3) (Lavin & Gray 2015): each 2x2 output tile is
/// `A^T [ (G g G^T) .* (B^T d B) ] A` for the 4x4 input tile d around it. Summed over
/// input channels, the elementwise product becomes 16 matrix products
/// `M[xi] = U[xi] (O x I) * V[xi] (I x tiles)`, done by SGEMM. The transforms use only
/// additions and halvings, so rounding stays close to the direct sum's.
extension CPUDevice {
    /// Whether `conv2d`/`conv2dInputGradient` take the Winograd path for this geometry.
    func usesWinograd(_ g: ConvGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding == 1
            && min(g.inChannels, g.outChannels) >= winogradMinChannels
    }

    /// `U[xi][o][i] = (G w[o,i] G^T)[xi]`; with `flip`, the weights of the adjoint
    /// convolution: `w'[i,o] = w[o,i]` rotated by 180 degrees, so U is `[16][I][O]`.
    private func winogradWeights(_ w: UnsafePointer<Float>, outChannels o: Int, inChannels i: Int, flip: Bool,
                                 _ u: UnsafeMutablePointer<Float>) {
        let rows = flip ? i : o, cols = flip ? o : i, plane = rows * cols
        Parallel.forEach(o, costPerItem: i * 64) { oc in
            for ic in 0..<i {
                let src = w + (oc * i + ic) * 9
                // Rows of g (rotated by 180 degrees for the adjoint), as vectors over columns.
                let g0 = flip ? SIMD4(src[8], src[7], src[6], 0) : SIMD4(src[0], src[1], src[2], 0)
                let g1 = flip ? SIMD4(src[5], src[4], src[3], 0) : SIMD4(src[3], src[4], src[5], 0)
                let g2 = flip ? SIMD4(src[2], src[1], src[0], 0) : SIMD4(src[6], src[7], src[8], 0)
                // t = G g: four rows of three.
                let dst = u + (flip ? ic * cols + oc : oc * cols + ic)
                // U row r = t_r G^T, where t = G g has rows g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2.
                func emit(_ r: Int, _ t: SIMD4<Float>) {
                    dst[(4 * r) * plane] = t[0]
                    dst[(4 * r + 1) * plane] = 0.5 * (t[0] + t[1] + t[2])
                    dst[(4 * r + 2) * plane] = 0.5 * (t[0] - t[1] + t[2])
                    dst[(4 * r + 3) * plane] = t[2]
                }
                emit(0, g0); emit(1, 0.5 * (g0 + g1 + g2)); emit(2, 0.5 * (g0 - g1 + g2)); emit(3, g2)
            }
        }
    }

    /// `out = conv3x3(in, w) (+ bias)` with padding 1, by Winograd. `u` holds the
    /// transformed weights `[16][O][I]`. Tiles are processed in bands of tile rows so the
    /// scratch stays within the column budget.
    private func winogradConvolve(_ x: UnsafePointer<Float>, inChannels ci: Int, outChannels co: Int, height h: Int, width w: Int,
                                  u: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                                  op: String) throws {
        let tilesY = (h + 1) / 2, tilesX = (w + 1) / 2
        let bandTileRows = max(1, min(tilesY, columnBudget / max(1, 16 * (ci + co) * tilesX)))
        let maxTiles = bandTileRows * tilesX
        let vTensor = try makeTensor(Shape(16, ci, maxTiles)), mTensor = try makeTensor(Shape(16, co, maxTiles))
        let v = try ptr(vTensor, op), m = try ptr(mTensor, op)
        for ty0 in stride(from: 0, to: tilesY, by: bandTileRows) {
            let tileRows = min(bandTileRows, tilesY - ty0), nt = tileRows * tilesX
            // V[xi][i][t] = (B^T d B)[xi] for the 4x4 input tile at (2ty - 1, 2tx - 1).
            Parallel.forEach(ci, costPerItem: nt * 48) { ic in
                let plane = x + ic * h * w
                let stride = ci * nt
                for t in 0..<nt {
                    let y0 = 2 * (ty0 + t / tilesX) - 1, x0 = 2 * (t % tilesX) - 1
                    let interior = y0 >= 0 && y0 + 4 <= h && x0 >= 0 && x0 + 4 <= w
                    func row(_ r: Int) -> SIMD4<Float> {
                        let sy = y0 + r
                        if interior { return UnsafeRawPointer(plane + sy * w + x0).loadUnaligned(as: SIMD4<Float>.self) }
                        guard sy >= 0, sy < h else { return .zero }
                        var v = SIMD4<Float>.zero
                        for c in 0..<4 where x0 + c >= 0 && x0 + c < w { v[c] = plane[sy * w + x0 + c] }
                        return v
                    }
                    let d0 = row(0), d1 = row(1), d2 = row(2), d3 = row(3)
                    // Rows of B^T d, then each row times B, scattered to the 16 matrices.
                    let rows = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                    let out = v + ic * nt + t
                    func store(_ k: Int, _ s: SIMD4<Float>) {
                        out[(4 * k) * stride] = s[0] - s[2]
                        out[(4 * k + 1) * stride] = s[1] + s[2]
                        out[(4 * k + 2) * stride] = s[2] - s[1]
                        out[(4 * k + 3) * stride] = s[1] - s[3]
                    }
                    store(0, rows.0); store(1, rows.1); store(2, rows.2); store(3, rows.3)
                }
            }
            for xi in 0..<16 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(co), Int32(nt), Int32(ci),
                            1, u + xi * co * ci, Int32(ci), v + xi * ci * nt, Int32(nt), 0, m + xi * co * nt, Int32(nt))
            }
            // Y = A^T M A for each output tile, plus bias, clipped to the image.
            Parallel.forEach(co, costPerItem: nt * 32) { oc in
                let plane = y + oc * h * w, b = bias?[oc] ?? 0, stride = co * nt
                for t in 0..<nt {
                    let src = m + oc * nt + t
                    func row(_ r: Int) -> SIMD4<Float> {
                        SIMD4(src[(4 * r) * stride], src[(4 * r + 1) * stride], src[(4 * r + 2) * stride], src[(4 * r + 3) * stride])
                    }
                    let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
                    // Rows of A^T M, then each times A.
                    let s0 = m0 + m1 + m2, s1 = m1 - m2 - m3
                    let oy = 2 * (ty0 + t / tilesX), ox = 2 * (t % tilesX)
                    plane[oy * w + ox] = s0[0] + s0[1] + s0[2] + b
                    if ox + 1 < w { plane[oy * w + ox + 1] = s0[1] - s0[2] - s0[3] + b }
                    if oy + 1 < h {
                        plane[(oy + 1) * w + ox] = s1[0] + s1[1] + s1[2] + b
                        if ox + 1 < w { plane[(oy + 1) * w + ox + 1] = s1[1] - s1[2] - s1[3] + b }
                    }
                }
            }
        }
        withExtendedLifetime((vTensor, mTensor)) {}
    }

    /// Forward convolution by Winograd (geometry already validated, `usesWinograd(g)`).
    func winogradForward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, op: String) throws {
        let uTensor = try makeTensor(Shape(16, g.outChannels, g.inChannels))
        let u = try ptr(uTensor, op)
        winogradWeights(w, outChannels: g.outChannels, inChannels: g.inChannels, flip: false, u)
        try winogradConvolve(x, inChannels: g.inChannels, outChannels: g.outChannels, height: g.height, width: g.width,
                             u: u, bias: bias, y, op: op)
        withExtendedLifetime(uTensor) {}
    }

    /// Input gradient by Winograd: the adjoint of a 3x3 pad-1 convolution is the 3x3
    /// pad-1 convolution of `dOut` with the weights transposed and rotated 180 degrees.
    func winogradInputGradient(_ g: ConvGeometry, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                               dx: UnsafeMutablePointer<Float>, op: String) throws {
        let uTensor = try makeTensor(Shape(16, g.inChannels, g.outChannels))
        let u = try ptr(uTensor, op)
        winogradWeights(w, outChannels: g.outChannels, inChannels: g.inChannels, flip: true, u)
        try winogradConvolve(dy, inChannels: g.outChannels, outChannels: g.inChannels, height: g.height, width: g.width,
                             u: u, bias: nil, dx, op: op)
        withExtendedLifetime(uTensor) {}
    }
}
