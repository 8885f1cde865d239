// CPUDevice+Winograd: Winograd F(2x2, 3x3) (2.25x fewer multiplies than im2col) and the entry points of both Winograd variants.
import CBLAS
import NSTCore

/// Winograd F(2x2, 3x3) (Lavin & Gray 2015): each 2x2 output tile is
/// `A^T [ (G g G^T) .* (B^T d B) ] A` for the 4x4 input tile d around it. Summed over
/// input channels, the elementwise product becomes 16 matrix products
/// `M[xi] = U[xi] (O x I) * V[xi] (I x tiles)`, done by SGEMM. The transforms use only
/// additions and halvings, so rounding stays close to the direct sum's.
extension CPUDevice {
    /// Whether `conv2d`/`conv2dInputGradient` take the Winograd path for this geometry.
    package func usesWinograd(_ g: ConvGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.padding == 1
            && min(g.inChannels, g.outChannels) >= winogradMinChannels && g.height * g.width >= winogradMinPositions
    }

    /// `U[xi][o][i] = (G w[o,i] G^T)[xi]`; with `flip`, the weights of the adjoint
    /// convolution: `w'[i,o] = w[o,i]` rotated by 180 degrees, so U is `[16][I][O]`.
    private func winogradWeights(_ w: UnsafePointer<Float>, outChannels o: Int, inChannels i: Int, flip: Bool,
                                 _ u: UnsafeMutablePointer<Float>) {
        let rows = flip ? i : o, cols = flip ? o : i, plane = rows * cols
        // Each thread fills whole rows of U so its stores run along memory.
        Parallel.forEach(rows, costPerItem: cols * 64) { row in
            for col in 0..<cols {
                let (oc, ic) = flip ? (col, row) : (row, col)
                let src = w + (oc * i + ic) * 9
                // Rows of g (rotated by 180 degrees for the adjoint), as vectors over columns.
                let g0 = flip ? SIMD4(src[8], src[7], src[6], 0) : SIMD4(src[0], src[1], src[2], 0)
                let g1 = flip ? SIMD4(src[5], src[4], src[3], 0) : SIMD4(src[3], src[4], src[5], 0)
                let g2 = flip ? SIMD4(src[2], src[1], src[0], 0) : SIMD4(src[6], src[7], src[8], 0)
                // t = G g: four rows of three.
                let dst = u + row * cols + col
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
    /// scratch stays within the column budget; within a band the transforms work on
    /// four horizontally adjacent tiles at once, one per SIMD lane.
    private func winogradConvolve(_ x: UnsafePointer<Float>, inChannels ci: Int, outChannels co: Int, height h: Int, width w: Int,
                                  u: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                                  v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
        let (tilesY, tilesXP, bandTileRows) = winogradBands(ci: ci, co: co, height: h, width: w)
        let groupsX = tilesXP / 4
        // A zero-bordered copy of one channel's band: rows 2*ty0-1 ..< 2*(ty0+rows)+1, columns -1 ..< 2*tilesXP+1.
        let pw = 2 * tilesXP + 2
        for ty0 in stride(from: 0, to: tilesY, by: bandTileRows) {
            let tileRows = min(bandTileRows, tilesY - ty0), nt = tileRows * tilesXP, ph = 2 * tileRows + 2
            Parallel.forEach(ci, costPerItem: nt * 64) { ic in
                let pad = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
                defer { pad.deallocate() }
                pad.initialize(repeating: 0, count: ph * pw)
                let plane = x + ic * h * w
                for r in 0..<ph {
                    let sy = 2 * ty0 - 1 + r
                    if sy >= 0 && sy < h { (pad + r * pw + 1).update(from: plane + sy * w, count: w) }
                }
                let out = v + ic * nt, stride = ci * nt
                for tr in 0..<tileRows {
                    for gx in 0..<groupsX {
                        // Input row r of the four tiles, as its four columns (lane k = tile k).
                        func columns(_ r: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                            let base = UnsafeRawPointer(pad + (2 * tr + r) * pw + 8 * gx)
                            let a = base.loadUnaligned(as: SIMD8<Float>.self)
                            let b = base.loadUnaligned(fromByteOffset: 8, as: SIMD8<Float>.self)
                            return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                        }
                        let d0 = columns(0), d1 = columns(1), d2 = columns(2), d3 = columns(3)
                        // B^T d, column by column, then each row times B.
                        let c0 = bt(d0.0, d1.0, d2.0, d3.0), c1 = bt(d0.1, d1.1, d2.1, d3.1)
                        let c2 = bt(d0.2, d1.2, d2.2, d3.2), c3 = bt(d0.3, d1.3, d2.3, d3.3)
                        let dst = out + tr * tilesXP + 4 * gx
                        func store(_ r: Int, _ row: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)) {
                            UnsafeMutableRawPointer(dst + (4 * r) * stride).storeBytes(of: row.0, as: SIMD4<Float>.self)
                            UnsafeMutableRawPointer(dst + (4 * r + 1) * stride).storeBytes(of: row.1, as: SIMD4<Float>.self)
                            UnsafeMutableRawPointer(dst + (4 * r + 2) * stride).storeBytes(of: row.2, as: SIMD4<Float>.self)
                            UnsafeMutableRawPointer(dst + (4 * r + 3) * stride).storeBytes(of: row.3, as: SIMD4<Float>.self)
                        }
                        store(0, bt(c0.0, c1.0, c2.0, c3.0)); store(1, bt(c0.1, c1.1, c2.1, c3.1))
                        store(2, bt(c0.2, c1.2, c2.2, c3.2)); store(3, bt(c0.3, c1.3, c2.3, c3.3))
                    }
                }
            }
            ProcessSettings.useSingleThreadedOpenBLAS()
            // The 16 products are independent: each core takes whole ones.
            Parallel.forEach(16, costPerItem: co * ci * nt) { xi in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(co), Int32(nt), Int32(ci),
                            1, u + xi * co * ci, Int32(ci), v + xi * ci * nt, Int32(nt), 0, m + xi * co * nt, Int32(nt))
            }
            // Y = A^T M A for each output tile, plus bias, clipped to the image.
            Parallel.forEach(co, costPerItem: nt * 32) { oc in
                let plane = y + oc * h * w, b = SIMD4<Float>(repeating: bias?[oc] ?? 0), stride = co * nt
                for tr in 0..<tileRows {
                    let oy = 2 * (ty0 + tr)
                    for gx in 0..<groupsX {
                        let src = m + oc * nt + tr * tilesXP + 4 * gx
                        func load(_ k: Int) -> SIMD4<Float> {
                            UnsafeRawPointer(src + k * stride).loadUnaligned(as: SIMD4<Float>.self)
                        }
                        // A^T m, column by column, then each row times A.
                        let s0 = at(load(0), load(4), load(8), load(12)), s1 = at(load(1), load(5), load(9), load(13))
                        let s2 = at(load(2), load(6), load(10), load(14)), s3 = at(load(3), load(7), load(11), load(15))
                        let top = at(s0.0, s1.0, s2.0, s3.0), bottom = at(s0.1, s1.1, s2.1, s3.1)
                        let ox = 8 * gx
                        func emit(_ dy: Int, _ pair: (SIMD4<Float>, SIMD4<Float>)) {
                            guard oy + dy < h else { return }
                            let row = plane + (oy + dy) * w + ox
                            let left = pair.0 + b, right = pair.1 + b
                            if ox + 8 <= w {
                                for k in 0..<4 { row[2 * k] = left[k]; row[2 * k + 1] = right[k] }
                            } else {
                                for k in 0..<4 {
                                    if ox + 2 * k < w { row[2 * k] = left[k] }
                                    if ox + 2 * k + 1 < w { row[2 * k + 1] = right[k] }
                                }
                            }
                        }
                        emit(0, top); emit(1, bottom)
                    }
                }
            }
        }
    }

    /// Tile rows, padded tile columns and tile rows per band of a Winograd convolution of
    /// the device's variant.
    func winogradBands(ci: Int, co: Int, height h: Int, width w: Int) -> (tilesY: Int, tilesXP: Int, band: Int) {
        if winogradTile == .f4x4 { return winograd4Bands(ci: ci, co: co, height: h, width: w) }
        let (tilesY, tilesX) = ConvBands.winogradTiles(height: h, width: w)
        let tilesXP = 4 * ((tilesX + 3) / 4)   // padded to whole SIMD4 groups
        return (tilesY, tilesXP, ConvBands.rows(total: tilesY, perRow: 16 * (ci + co) * tilesXP, limit: columnBudget))
    }

    /// Runs the device's Winograd variant with its transformed weights from the cache and
    /// its input-tile and product buffers borrowed from the scratch pool. `weight` holds the
    /// `[O,I,3,3]` weight of the forward convolution; `flip` convolves with its adjoint
    /// (`ci` and `co` are then the adjoint's).
    private func winograd(ci: Int, co: Int, h: Int, w: Int, x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          y: UnsafeMutablePointer<Float>, weight: CPUStorage, flip: Bool, relu: Bool,
                          mask: UnsafePointer<Float>?) throws {
        let (_, tilesXP, band) = winogradBands(ci: ci, co: co, height: h, width: w)
        let points = winogradTile.points, tile = winogradTile
        // The forward weight's [O, I] are the adjoint's [co, ci] swapped.
        let (o, i) = flip ? (ci, co) : (co, ci)
        let count = tile == .f4x4 ? Self.winograd4PackedFloats(outChannels: co, inChannels: ci) : points * co * ci
        let u = try transformedWeights.transformed(weight, flip: flip, count: count) { u in
            switch tile {
            case .f2x2: winogradWeights(weight.pointer, outChannels: o, inChannels: i, flip: flip, u)
            case .f4x4: winograd4PackedWeights(weight.pointer, outChannels: o, inChannels: i, flip: flip, u)
            }
        }
        let sizes = tile == .f4x4 ? winograd4ScratchFloats(ci: ci, co: co, height: h, width: w)
                                  : (v: points * ci * band * tilesXP, m: points * co * band * tilesXP)
        try withExtendedLifetime(u) {
            try scratch.with([sizes.v, sizes.m]) { b in
                switch tile {
                case .f2x2:
                    winogradConvolve(x, inChannels: ci, outChannels: co, height: h, width: w, u: u.pointer, bias: bias, y,
                                     v: b[0], m: b[1])
                    convolutionEpilogue(y, count: co * h * w, relu: relu, mask: mask)
                case .f4x4:
                    // The ReLU or the mask is applied in the output transform, as it writes.
                    winograd4Convolve(x, inChannels: ci, outChannels: co, height: h, width: w, u: u.pointer, bias: bias, y,
                                      v: b[0], m: b[1], relu: relu, mask: mask)
                }
            }
        }
    }

    /// Forward convolution by Winograd (geometry already validated, `usesWinograd(g)`).
    func winogradForward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: CPUStorage,
                         bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, relu: Bool) throws {
        try winograd(ci: g.inChannels, co: g.outChannels, h: g.height, w: g.width, x: x, bias: bias, y: y, weight: w,
                     flip: false, relu: relu, mask: nil)
    }

    /// Input gradient by Winograd: the adjoint of a 3x3 pad-1 convolution is the 3x3
    /// pad-1 convolution of `dOut` with the weights transposed and rotated 180 degrees.
    /// With `mask`, values where it is not positive become 0 (`conv2dInputGradientReLU`).
    func winogradInputGradient(_ g: ConvGeometry, dy: UnsafePointer<Float>, w: CPUStorage,
                               dx: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>?) throws {
        try winograd(ci: g.outChannels, co: g.inChannels, h: g.height, w: g.width, x: dy, bias: nil, y: dx, weight: w,
                     flip: true, relu: false, mask: mask)
    }
}

extension WinogradTile {
    /// Points of the input tile (and products per tile and channel pair): 16 or 36.
    var points: Int { self == .f2x2 ? 16 : 36 }
}

/// One column of `B^T d` (or one row of `(B^T d) B`): `(a - c, b + c, c - b, b - d)`.
@inline(__always)
private func bt(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>)
    -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
    (a - c, b + c, c - b, b - d)
}

/// One column of `A^T m` (or one row of `(A^T m) A`): `(a + b + c, b - c - d)`.
@inline(__always)
private func at(_ a: SIMD4<Float>, _ b: SIMD4<Float>, _ c: SIMD4<Float>, _ d: SIMD4<Float>) -> (SIMD4<Float>, SIMD4<Float>) {
    (a + b + c, b - c - d)
}
