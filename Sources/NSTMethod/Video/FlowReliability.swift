// FlowReliability: where an optical flow can be trusted (forward-backward consistency, motion boundaries), the long-term weights, and the warping error of a clip (docs/MATH.md section 11).
import NSTCore

/// The per-pixel weights `c` of video's temporal term (Ruder, Dosovitskiy, Brox 2016).
///
/// For frame i and an earlier frame j, `b` is the flow from i back to j (pixel p of frame i
/// was at `p + b(p)` in frame j) and `f~` the flow from j to i sampled at `p + b(p)` (the
/// forward flow warped into frame i). A pixel is reliable, `c = 1`, where
/// - the flows agree: `|f~ + b|^2 <= 0.01 (|f~|^2 + |b|^2) + 0.5`,
/// - it is no motion boundary: `|grad b_x|^2 + |grad b_y|^2 <= 0.01 |b|^2 + 0.002`, and
/// - `p + b(p)` lies inside frame j;
/// elsewhere (disocclusions, boundaries, pixels that come from outside) `c = 0`.
public enum FlowReliability {
    /// The weights `c`, row-major `[height * width]`.
    /// - Parameters:
    ///   - backward: `b`, x then y displacements, each `width * height`.
    ///   - forwardWarped: `f~`, the forward flow sampled at `p + b(p)`, likewise.
    public static func weights(backward: (dx: [Float], dy: [Float]), forwardWarped: (dx: [Float], dy: [Float]),
                               width: Int, height: Int) -> [Float] {
        let n = width * height
        guard backward.dx.count == n, backward.dy.count == n, forwardWarped.dx.count == n, forwardWarped.dy.count == n else {
            return [Float](repeating: 0, count: max(n, 0))
        }
        var c = [Float](repeating: 0, count: n)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let bx = Double(backward.dx[i]), by = Double(backward.dy[i])
                let fx = Double(forwardWarped.dx[i]), fy = Double(forwardWarped.dy[i])
                let px = Double(x) + bx, py = Double(y) + by
                guard px >= 0, py >= 0, px <= Double(width - 1), py <= Double(height - 1) else { continue }
                let sum = (fx + bx) * (fx + bx) + (fy + by) * (fy + by)
                guard sum <= 0.01 * (fx * fx + fy * fy + bx * bx + by * by) + 0.5 else { continue }
                // Forward differences (backward ones on the last row and column).
                let xr = x + 1 < width ? i + 1 : i, xl = x + 1 < width ? i : i - (width > 1 ? 1 : 0)
                let yd = y + 1 < height ? i + width : i, yu = y + 1 < height ? i : i - (height > 1 ? width : 0)
                let gxx = Double(backward.dx[xr] - backward.dx[xl]), gxy = Double(backward.dx[yd] - backward.dx[yu])
                let gyx = Double(backward.dy[xr] - backward.dy[xl]), gyy = Double(backward.dy[yd] - backward.dy[yu])
                guard gxx * gxx + gxy * gxy + gyx * gyx + gyy * gyy <= 0.01 * (bx * bx + by * by) + 0.002 else { continue }
                c[i] = 1
            }
        }
        return c
    }

    /// The long-term weights of the paper: for the earlier frames at distances `d_1 < d_2 <
    /// ...`, with `c_k` the reliability between frame i - d_k and frame i,
    /// `c_long_k = max(c_k - sum_{m<k} c_m, 0)`: each pixel is pulled towards the nearest
    /// earlier frame in which it was visible, and only that one.
    /// - Parameter weights: `c_k` in order of distance, each of the same length.
    public static func longTerm(_ weights: [[Float]]) -> [[Float]] {
        guard let count = weights.first?.count else { return [] }
        var covered = [Float](repeating: 0, count: count)
        return weights.map { c in
            var out = [Float](repeating: 0, count: count)
            for i in 0..<min(count, c.count) {
                out[i] = max(c[i] - covered[i], 0)
                covered[i] += c[i]
            }
            return out
        }
    }

    /// The warping error of one frame's result against the previous result warped into it:
    /// `sum c (x - w)^2 / (3 sum c)` over the reliable pixels, on the [0,1] scale (0 when no
    /// pixel is reliable); also the reliable fraction `sum c / (W H)`.
    /// - Parameters: `result` and `warped` are `[3,H,W]` planar, `weights` `[H,W]`.
    public static func warpingError(result: [Float], warped: [Float], weights: [Float]) -> (error: Double, reliable: Double) {
        let plane = weights.count
        guard plane > 0, result.count == 3 * plane, warped.count == 3 * plane else { return (0, 0) }
        var sum = 0.0, mass = 0.0
        for i in 0..<plane where weights[i] > 0 {
            let w = Double(weights[i])
            mass += w
            for k in 0..<3 {
                let d = Double(result[k * plane + i]) - Double(warped[k * plane + i])
                sum += w * d * d
            }
        }
        return (mass > 0 ? sum / (3 * mass) : 0, mass / Double(plane))
    }
}
