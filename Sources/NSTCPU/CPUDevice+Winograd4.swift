// CPUDevice+Winograd4: 3x3 stride-1 pad-1 convolution by Winograd F(4x4, 3x3): 4x fewer multiplies than im2col.
import CKernels
import NSTCore

/// Winograd F(4x4, 3x3): each 4x4 output tile is `A^T [ (G g G^T) .* (B^T d B) ] A` for the
/// 6x6 input tile d around it, so the sum over input channels becomes 36 matrix products
/// `M[xi] = U[xi] (O x I) * V[xi] (I x tiles)`, 36 multiplies per 16 outputs where F(2x2, 3x3)
/// needs 64.
///
/// The matrices come from the interpolation points 0, 1, -1, 2, -1/2 and infinity. The
/// usual 0, +-1, +-2 (and 0, +-1, +-1/2) have the same operation count, but mixing a point
/// with its reciprocal balances the large and small coefficients: in a float simulation of
/// 256 and 512 summed channels the worst error relative to the largest output was about a
/// third of theirs. All coefficients of B and A are short binary fractions, so the data
/// transforms round only in their additions; G's thirds and fifteenths round once, in the
/// cached weights.
///
/// ```
/// B^T = [1  3/2  -2   -3/2  1    0]   G = [ 1      0     0   ]   A^T = [1  1  1  1  1     0]
///       [0 -1    -5/2 -1/2  1    0]       [-1/3   -1/3  -1/3 ]         [0  1 -1  2 -1/2   0]
///       [0  1     1/2 -5/2  1    0]       [ 1/3   -1/3   1/3 ]         [0  1  1  4  1/4   0]
///       [0 -1/2  -1    1/2  1    0]       [ 1/15   2/15  4/15]         [0  1 -1  8 -1/8   1]
///       [0  2    -1   -2    1    0]       [-16/15  8/15 -4/15]
///       [0  1     3/2 -2   -3/2  1]       [ 0      0     1   ]
/// ```
extension CPUDevice {
    /// Floats of the packed transformed weights of a convolution with `o` outputs and `i` inputs.
    static func winograd4PackedFloats(outChannels o: Int, inChannels i: Int) -> Int {
        36 * roundUp(o, to: Int(NST_PACK_ROWS)) * i
    }

    /// `U[xi][o][i] = (G w[o,i] G^T)[xi]`, packed for `nst_packed_gemm`: each U[xi] as
    /// `[O'/8][I][8]` panels (O' = O rounded up to whole panels, the rows past O zero). With
    /// `flip`, the weights of the adjoint convolution (`w'[i,o] = w[o,i]` rotated by 180
    /// degrees), so the rows are the forward convolution's inputs.
    func winograd4PackedWeights(_ w: UnsafePointer<Float>, outChannels o: Int, inChannels i: Int, flip: Bool,
                                _ u: UnsafeMutablePointer<Float>) {
        let rows = flip ? i : o, cols = flip ? o : i
        let panel = Int(NST_PACK_ROWS), rowsP = roundUp(rows, to: panel), plane = rowsP * cols
        let block = 16
        Parallel.forEach(rowsP, costPerItem: cols * 160) { row in
            // Row `row` of every U[xi] lives at a stride of 8 in its panel.
            let base = u + (row / panel) * cols * panel + row % panel
            guard row < rows else {
                for xi in 0..<36 { for c in 0..<cols { base[xi * plane + c * panel] = 0 } }
                return
            }
            // A block of columns is transformed into `staged` and then written plane by plane,
            // so the 36 planes are visited once per block instead of once per weight.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 * block) { buffer in
                guard let staged = buffer.baseAddress else { return }
                for col0 in stride(from: 0, to: cols, by: block) {
                    let n = min(block, cols - col0)
                    for k in 0..<n {
                        let (oc, ic) = flip ? (col0 + k, row) : (row, col0 + k)
                        let src = w + (oc * i + ic) * 9
                        // Rows of g (rotated by 180 degrees for the adjoint), as vectors over its columns.
                        let g0 = flip ? SIMD4(src[8], src[7], src[6], 0) : SIMD4(src[0], src[1], src[2], 0)
                        let g1 = flip ? SIMD4(src[5], src[4], src[3], 0) : SIMD4(src[3], src[4], src[5], 0)
                        let g2 = flip ? SIMD4(src[2], src[1], src[0], 0) : SIMD4(src[6], src[7], src[8], 0)
                        let t = g6(g0, g1, g2)   // G g: six rows of three
                        // Row r of U = (row r of G g) G^T.
                        func emit(_ r: Int, _ v: SIMD4<Float>) {
                            let e = g6(v[0], v[1], v[2]), p = staged + 6 * r * block + k
                            p[0] = e[0]; p[block] = e[1]; p[2 * block] = e[2]
                            p[3 * block] = e[3]; p[4 * block] = e[4]; p[5 * block] = e[5]
                        }
                        emit(0, t.a); emit(1, t.b); emit(2, t.c); emit(3, t.d); emit(4, t.e); emit(5, t.f)
                    }
                    for xi in 0..<36 {
                        let dst = base + xi * plane + col0 * panel, values = staged + xi * block
                        for k in 0..<n { dst[k * panel] = values[k] }
                    }
                }
            }
        }
    }

    /// Tile rows, padded tile columns and tile rows per band of an F(4x4) convolution.
    func winograd4Bands(ci: Int, co: Int, height h: Int, width w: Int) -> (tilesY: Int, tilesXP: Int, band: Int) {
        let (tilesY, tilesX) = ConvBands.winogradTiles(height: h, width: w, outputTile: 4)
        let tilesXP = 4 * ((tilesX + 3) / 4)   // padded to whole SIMD4 groups
        let perRow = 36 * (ci + roundUp(co, to: Int(NST_PACK_ROWS))) * tilesXP
        return (tilesY, tilesXP, ConvBands.rows(total: tilesY, perRow: perRow, limit: columnBudget))
    }

    /// Scratch floats of an F(4x4) convolution: one band's packed V `[36][nt'/16][ci][16]`
    /// and M `[36][co'][nt']`, with nt' the band's tiles rounded up to whole B panels and co'
    /// the output channels to whole A panels.
    func winograd4ScratchFloats(ci: Int, co: Int, height h: Int, width w: Int) -> (v: Int, m: Int) {
        let (_, tilesXP, band) = winograd4Bands(ci: ci, co: co, height: h, width: w)
        let ntp = roundUp(band * tilesXP, to: Int(NST_PACK_COLS))
        return (36 * ci * ntp, 36 * roundUp(co, to: Int(NST_PACK_ROWS)) * ntp)
    }

    /// `out = conv3x3(in, w) (+ bias)` with padding 1, by F(4x4, 3x3), then max(., 0) with
    /// `relu` and 0 where `mask` (a tensor like `out`) is not positive. `u` holds the
    /// packed transformed weights (`winograd4PackedWeights`); `v` and `m` hold one band's
    /// transformed inputs, packed as B panels, and products. The transforms (`CKernels`) work
    /// on sixteen tiles at once, one per vector lane.
    func winograd4Convolve(_ x: UnsafePointer<Float>, inChannels ci: Int, outChannels co: Int, height h: Int, width w: Int,
                           u: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                           v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, relu: Bool,
                           mask: UnsafePointer<Float>?) {
        let (tilesY, tilesXP, bandTileRows) = winograd4Bands(ci: ci, co: co, height: h, width: w)
        // A zero-bordered copy of one channel's band: image rows 4*ty0-1 ..< 4*(ty0+rows)+1 and
        // columns -1 ..< 4*tilesXP+15, so the transform's five 16-float loads stay inside.
        let pw = 4 * tilesXP + 16
        for ty0 in stride(from: 0, to: tilesY, by: bandTileRows) {
            let tileRows = min(bandTileRows, tilesY - ty0), nt = tileRows * tilesXP, ph = 4 * tileRows + 2
            let cols = Int(NST_PACK_COLS), ntp = roundUp(nt, to: cols), cop = roundUp(co, to: Int(NST_PACK_ROWS))
            Parallel.forEach(ci, costPerItem: nt * 200) { ic in
                let pad = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
                defer { pad.deallocate() }
                pad.initialize(repeating: 0, count: ph * pw)
                let plane = x + ic * h * w
                for r in 0..<ph {
                    let sy = 4 * ty0 - 1 + r
                    if sy >= 0 && sy < h { (pad + r * pw + 1).update(from: plane + sy * w, count: w) }
                }
                // V[xi] is packed as [ntp/16][ci][16], the B panels of the products.
                nst_wino4_input(pad, pw, tileRows, tilesXP, v + ic * cols, ci, ntp)
            }
            // The 36 products are independent: each core takes whole ones. The input
            // transform wrote V already packed, so no copy precedes the products.
            Parallel.forEach(36, costPerItem: cop * ci * ntp) { xi in
                nst_packed_gemm(u + xi * cop * ci, v + xi * ci * ntp, m + xi * cop * ntp, cop, ntp, ci, ntp)
            }
            // Y = A^T M A for each output tile, plus bias, clipped to the image; then the ReLU
            // or the ReLU gradient's mask, as the values are written.
            Parallel.forEach(co, costPerItem: nt * 100) { oc in
                nst_wino4_output(m + oc * ntp, cop * ntp, y + oc * h * w, h, w, 4 * ty0, tileRows, tilesXP,
                                 bias?[oc] ?? 0, relu ? 1 : 0, mask.map { $0 + oc * h * w })
            }
        }
    }
}

/// Six SIMD4 values: the six rows of `G g` for one weight (a lane per column).
struct Six {
    var a = SIMD4<Float>(), b = SIMD4<Float>(), c = SIMD4<Float>(), d = SIMD4<Float>(), e = SIMD4<Float>(), f = SIMD4<Float>()
}

/// `G g` for the three rows of g (vectors over its columns): the six rows of `G g`.
@inline(__always)
private func g6(_ g0: SIMD4<Float>, _ g1: SIMD4<Float>, _ g2: SIMD4<Float>) -> Six {
    let third: Float = 1.0 / 3.0, fifteenth: Float = 1.0 / 15.0
    return Six(a: g0, b: -third * (g0 + g1 + g2), c: third * (g0 - g1 + g2),
               d: fifteenth * (g0 + 2 * g1 + 4 * g2), e: -4 * fifteenth * (4 * g0 - 2 * g1 + g2), f: g2)
}

/// `g G^T` for one row of three values: its six transformed values (the last two lanes 0).
@inline(__always)
private func g6(_ g0: Float, _ g1: Float, _ g2: Float) -> SIMD8<Float> {
    let third: Float = 1.0 / 3.0, fifteenth: Float = 1.0 / 15.0
    return SIMD8(g0, -third * (g0 + g1 + g2), third * (g0 - g1 + g2),
                 fifteenth * (g0 + 2 * g1 + 4 * g2), -4 * fifteenth * (4 * g0 - 2 * g1 + g2), g2, 0, 0)
}
