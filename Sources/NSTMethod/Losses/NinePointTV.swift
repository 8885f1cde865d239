// NinePointTV: style-transfer-pytorch's total variation (a nine-point stencil on the replicate-padded image), its value and gradient in Double on the host.
import NSTCore

/// The total variation of crowsonkb's style-transfer-pytorch (`TVLoss`), on the [0,1] image
/// padded by one pixel replicating its border (docs/MATH.md section 12):
///
///     J = 2 (S_right / (3 C H W) + S_down / (3 C H W) + S_diag / (12 C (H+1)(W+1)) + S_anti / (12 C (H+1)(W+1)))
///
/// where `S_right` and `S_down` sum the squared differences of horizontal and vertical
/// neighbours (those across the padded border are 0) and `S_diag`, `S_anti` those of the two
/// diagonals over every 2x2 window of the padded image. It runs on the host in Double: only
/// `--preset style-transfer-pytorch` uses it, and it is linear work on the image beside the
/// network's, so one transfer each way is cheaper than a kernel pair to keep on every backend.
enum NinePointTV {
    /// J and dJ/dx (`[C,H,W]`, CHW) of an image.
    static func evaluate(_ x: [Float], channels c: Int, height h: Int, width w: Int) -> (value: Double, gradient: [Float]) {
        guard c > 0, h > 0, w > 0, x.count == c * h * w else { return (0, [Float](repeating: 0, count: x.count)) }
        let straight = 2.0 / (3.0 * Double(c * h * w)), diagonal = 2.0 / (12.0 * Double(c * (h + 1) * (w + 1)))
        var gradient = [Double](repeating: 0, count: x.count)
        var value = 0.0
        // One squared difference x[a] - x[b] weighted by k: its value and both gradients.
        func term(_ a: Int, _ b: Int, _ k: Double) {
            let d = Double(x[a]) - Double(x[b])
            value += k * d * d
            gradient[a] += 2 * k * d
            gradient[b] -= 2 * k * d
        }
        for ch in 0..<c {
            let base = ch * h * w
            func at(_ y: Int, _ x: Int) -> Int { base + y * w + x }
            for y in 0..<h {
                for x in 0..<w {
                    if x + 1 < w { term(at(y, x + 1), at(y, x), straight) }
                    if y + 1 < h { term(at(y + 1, x), at(y, x), straight) }
                }
            }
            // The padded image's pixel (i, j), i in 0...h+1, is the image's (clamp(i-1), clamp(j-1)).
            func padded(_ i: Int, _ j: Int) -> Int { at(min(max(i - 1, 0), h - 1), min(max(j - 1, 0), w - 1)) }
            for i in 0...h {
                for j in 0...w {
                    term(padded(i + 1, j + 1), padded(i, j), diagonal)
                    term(padded(i + 1, j), padded(i, j + 1), diagonal)
                }
            }
        }
        return (value, gradient.map { Float($0) })
    }
}
