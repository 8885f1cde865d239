// CPUDevice+Winograd4: 3x3 stride-1 pad-1 convolution by Winograd F(4x4, 3x3): 4x fewer multiplies than im2col.
import CBLAS
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
    /// `U[xi][o][i] = (G w[o,i] G^T)[xi]`; with `flip`, the weights of the adjoint
    /// convolution (`w'[i,o] = w[o,i]` rotated by 180 degrees), so U is `[36][I][O]`.
    func winograd4Weights(_ w: UnsafePointer<Float>, outChannels o: Int, inChannels i: Int, flip: Bool,
                          _ u: UnsafeMutablePointer<Float>) {
        let rows = flip ? i : o, cols = flip ? o : i, plane = rows * cols
        let block = 16
        Parallel.forEach(rows, costPerItem: cols * 160) { row in
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
                        (u + xi * plane + row * cols + col0).update(from: staged + xi * block, count: n)
                    }
                }
            }
        }
    }

    /// Tile rows, padded tile columns and tile rows per band of an F(4x4) convolution.
    func winograd4Bands(ci: Int, co: Int, height h: Int, width w: Int) -> (tilesY: Int, tilesXP: Int, band: Int) {
        let (tilesY, tilesX) = ConvBands.winogradTiles(height: h, width: w, outputTile: 4)
        let tilesXP = 4 * ((tilesX + 3) / 4)   // padded to whole SIMD4 groups
        return (tilesY, tilesXP, ConvBands.rows(total: tilesY, perRow: 36 * (ci + co) * tilesXP, limit: columnBudget))
    }

    /// `out = conv3x3(in, w) (+ bias)` with padding 1, by F(4x4, 3x3). `u` holds the
    /// transformed weights `[36][O][I]`; `v` and `m` hold one band's transformed inputs and
    /// products. The transforms work on four horizontally adjacent tiles at once, one per
    /// SIMD lane.
    func winograd4Convolve(_ x: UnsafePointer<Float>, inChannels ci: Int, outChannels co: Int, height h: Int, width w: Int,
                           u: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                           v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
        let (tilesY, tilesXP, bandTileRows) = winograd4Bands(ci: ci, co: co, height: h, width: w)
        let groupsX = tilesXP / 4
        // A zero-bordered copy of one channel's band: image rows 4*ty0-1 ..< 4*(ty0+rows)+1 and
        // columns -1 ..< 4*tilesXP+3, so each group's two 16-float loads stay inside.
        let pw = 4 * tilesXP + 4
        for ty0 in stride(from: 0, to: tilesY, by: bandTileRows) {
            let tileRows = min(bandTileRows, tilesY - ty0), nt = tileRows * tilesXP, ph = 4 * tileRows + 2
            Parallel.forEach(ci, costPerItem: nt * 200) { ic in
                let pad = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
                defer { pad.deallocate() }
                pad.initialize(repeating: 0, count: ph * pw)
                let plane = x + ic * h * w
                for r in 0..<ph {
                    let sy = 4 * ty0 - 1 + r
                    if sy >= 0 && sy < h { (pad + r * pw + 1).update(from: plane + sy * w, count: w) }
                }
                let out = v + ic * nt, stride = ci * nt
                for tr in 0..<tileRows {
                    for gx in 0..<groupsX {
                        // Each input row of the four tiles, transformed along the row (d B).
                        func row(_ r: Int) -> Six {
                            let base = UnsafeRawPointer(pad + (4 * tr + r) * pw + 16 * gx)
                            let a = base.loadUnaligned(as: SIMD16<Float>.self)
                            let b = base.loadUnaligned(fromByteOffset: 16, as: SIMD16<Float>.self)
                            let ae = a.evenHalf, ao = a.oddHalf
                            return bt6(ae.evenHalf, ao.evenHalf, ae.oddHalf, ao.oddHalf, b.evenHalf.evenHalf, b.oddHalf.evenHalf)
                        }
                        let t0 = row(0), t1 = row(1), t2 = row(2), t3 = row(3), t4 = row(4), t5 = row(5)
                        // Then down each column j (B^T (d B)), stored as V[6i+j].
                        let dst = out + tr * tilesXP + 4 * gx
                        func store(_ j: Int, _ c: Six) {
                            let p = UnsafeMutableRawPointer(dst + j * stride), s6 = 6 * stride * MemoryLayout<Float>.stride
                            p.storeBytes(of: c.a, as: SIMD4<Float>.self)
                            p.storeBytes(of: c.b, toByteOffset: s6, as: SIMD4<Float>.self)
                            p.storeBytes(of: c.c, toByteOffset: 2 * s6, as: SIMD4<Float>.self)
                            p.storeBytes(of: c.d, toByteOffset: 3 * s6, as: SIMD4<Float>.self)
                            p.storeBytes(of: c.e, toByteOffset: 4 * s6, as: SIMD4<Float>.self)
                            p.storeBytes(of: c.f, toByteOffset: 5 * s6, as: SIMD4<Float>.self)
                        }
                        store(0, bt6(t0.a, t1.a, t2.a, t3.a, t4.a, t5.a))
                        store(1, bt6(t0.b, t1.b, t2.b, t3.b, t4.b, t5.b))
                        store(2, bt6(t0.c, t1.c, t2.c, t3.c, t4.c, t5.c))
                        store(3, bt6(t0.d, t1.d, t2.d, t3.d, t4.d, t5.d))
                        store(4, bt6(t0.e, t1.e, t2.e, t3.e, t4.e, t5.e))
                        store(5, bt6(t0.f, t1.f, t2.f, t3.f, t4.f, t5.f))
                    }
                }
            }
            ProcessSettings.useSingleThreadedOpenBLAS()
            // The 36 products are independent: each core takes whole ones.
            Parallel.forEach(36, costPerItem: co * ci * nt) { xi in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(co), Int32(nt), Int32(ci),
                            1, u + xi * co * ci, Int32(ci), v + xi * ci * nt, Int32(nt), 0, m + xi * co * nt, Int32(nt))
            }
            // Y = A^T M A for each output tile, plus bias, clipped to the image.
            Parallel.forEach(co, costPerItem: nt * 100) { oc in
                let plane = y + oc * h * w, b = SIMD4<Float>(repeating: bias?[oc] ?? 0), stride = co * nt
                for tr in 0..<tileRows {
                    let oy = 4 * (ty0 + tr)
                    for gx in 0..<groupsX {
                        let src = m + oc * nt + tr * tilesXP + 4 * gx
                        func load(_ k: Int) -> SIMD4<Float> {
                            UnsafeRawPointer(src + k * stride).loadUnaligned(as: SIMD4<Float>.self)
                        }
                        // A^T M, column by column ...
                        let s0 = at6(load(0), load(6), load(12), load(18), load(24), load(30))
                        let s1 = at6(load(1), load(7), load(13), load(19), load(25), load(31))
                        let s2 = at6(load(2), load(8), load(14), load(20), load(26), load(32))
                        let s3 = at6(load(3), load(9), load(15), load(21), load(27), load(33))
                        let s4 = at6(load(4), load(10), load(16), load(22), load(28), load(34))
                        let s5 = at6(load(5), load(11), load(17), load(23), load(29), load(35))
                        // ... then each row times A: output row i of the four tiles, four columns per lane.
                        let ox = 16 * gx
                        func emit(_ i: Int, _ r: Four) {
                            guard oy + i < h else { return }
                            let c0 = r.a + b, c1 = r.b + b, c2 = r.c + b, c3 = r.d + b
                            let row = plane + (oy + i) * w + ox
                            if ox + 16 <= w {
                                for k in 0..<4 {
                                    row[4 * k] = c0[k]; row[4 * k + 1] = c1[k]; row[4 * k + 2] = c2[k]; row[4 * k + 3] = c3[k]
                                }
                            } else {
                                for k in 0..<4 {
                                    if ox + 4 * k < w { row[4 * k] = c0[k] }
                                    if ox + 4 * k + 1 < w { row[4 * k + 1] = c1[k] }
                                    if ox + 4 * k + 2 < w { row[4 * k + 2] = c2[k] }
                                    if ox + 4 * k + 3 < w { row[4 * k + 3] = c3[k] }
                                }
                            }
                        }
                        emit(0, at6(s0.a, s1.a, s2.a, s3.a, s4.a, s5.a))
                        emit(1, at6(s0.b, s1.b, s2.b, s3.b, s4.b, s5.b))
                        emit(2, at6(s0.c, s1.c, s2.c, s3.c, s4.c, s5.c))
                        emit(3, at6(s0.d, s1.d, s2.d, s3.d, s4.d, s5.d))
                    }
                }
            }
        }
    }
}

/// Six SIMD4 values: one transformed row or column of four tiles (a lane per tile).
struct Six {
    var a = SIMD4<Float>(), b = SIMD4<Float>(), c = SIMD4<Float>(), d = SIMD4<Float>(), e = SIMD4<Float>(), f = SIMD4<Float>()
}

/// Four SIMD4 values: one row or column of an output transform (a lane per tile).
struct Four {
    var a = SIMD4<Float>(), b = SIMD4<Float>(), c = SIMD4<Float>(), d = SIMD4<Float>()
}

/// `B^T d` for one column `d` of six values (or `d B` for one row).
@inline(__always)
private func bt6(_ d0: SIMD4<Float>, _ d1: SIMD4<Float>, _ d2: SIMD4<Float>, _ d3: SIMD4<Float>,
                 _ d4: SIMD4<Float>, _ d5: SIMD4<Float>) -> Six {
    let c = d4 - d2, e = d3 - d1
    return Six(a: c - d2 + d0 - 1.5 * e, b: (d4 - d1) - 0.5 * d3 - 2.5 * d2, c: (d4 + d1) - 2.5 * d3 + 0.5 * d2,
               d: c + 0.5 * e, e: c - 2 * e, f: (d5 + d1 - 2 * d3) + 1.5 * (d2 - d4))
}

/// `A^T m` for one column `m` of six values (or `m A` for one row).
@inline(__always)
private func at6(_ m0: SIMD4<Float>, _ m1: SIMD4<Float>, _ m2: SIMD4<Float>, _ m3: SIMD4<Float>,
                 _ m4: SIMD4<Float>, _ m5: SIMD4<Float>) -> Four {
    let s = m1 + m2, t = m1 - m2
    return Four(a: m0 + s + m3 + m4, b: t + 2 * m3 - 0.5 * m4, c: s + 4 * m3 + 0.25 * m4, d: t + 8 * m3 - 0.125 * m4 + m5)
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
