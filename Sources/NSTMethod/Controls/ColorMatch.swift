// ColorMatch: linear colour matching of a style image to the content image's mean and covariance (Cholesky form).
import NSTCore
import NSTImages

/// Colour matching, the linear histogram matching of Gatys et al. 2016 ("Preserving color
/// in neural artistic style transfer") in its Cholesky form: with `S = L_s L_s^T` and
/// `C = L_c L_c^T` the colour covariances of the style and content images and `mu` their
/// means, every style pixel becomes `x' = L_c L_s^-1 (x - mu_s) + mu_c`, whose mean is `mu_c`
/// and covariance `L_c L_s^-1 S L_s^-T L_c^T = C`. Values are not clamped: the style image
/// only feeds the network, and clamping would break the match.
public enum ColorMatch {
    /// Added to the style covariance's diagonal, only when it is singular (a flat or
    /// two-colour image), so that it still has an inverse factor.
    public static let epsilon = 1e-5

    /// The mean RGB and the 3x3 covariance (row-major, population form) of an image's pixels.
    public static func statistics(_ image: Image) -> (mean: [Double], covariance: [Double]) {
        let n = image.planeCount
        var mean = [0.0, 0.0, 0.0]
        for c in 0..<3 { for i in 0..<n { mean[c] += Double(image.pixels[c * n + i]) } }
        mean = mean.map { $0 / Double(n) }
        var cov = [Double](repeating: 0, count: 9)
        for i in 0..<n {
            let d = (0..<3).map { Double(image.pixels[$0 * n + i]) - mean[$0] }
            for a in 0..<3 { for b in 0..<3 { cov[3 * a + b] += d[a] * d[b] } }
        }
        return (mean, cov.map { $0 / Double(n) })
    }

    /// `style` recoloured to `content`'s colour mean and covariance.
    public static func match(_ style: Image, to content: Image) throws -> Image {
        let (muS, covS) = statistics(style), (muC, covC) = statistics(content)
        var ls = cholesky(covS)
        if min(ls[0], ls[4], ls[8]) <= 1e-6 * (covS[0] + covS[4] + covS[8]).squareRoot() {
            ls = cholesky(covS.enumerated().map { $0.offset % 4 == 0 ? $0.element + epsilon : $0.element })
        }
        // A flat content image has a singular covariance: its factor has zero columns, and
        // the style's colours collapse onto the content's as far as they must.
        let lc = cholesky(covC)
        let transform = multiply(lc, lowerInverse(ls))
        let n = style.planeCount
        var out = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            let d = (0..<3).map { Double(style.pixels[$0 * n + i]) - muS[$0] }
            for r in 0..<3 {
                out[r * n + i] = Float(muC[r] + transform[3 * r] * d[0] + transform[3 * r + 1] * d[1] + transform[3 * r + 2] * d[2])
            }
        }
        return try Image(width: style.width, height: style.height, pixels: out)
    }

    /// The lower-triangular L with `L L^T = m` for a symmetric positive semi-definite 3x3 `m`
    /// (a zero pivot gives a zero column).
    static func cholesky(_ m: [Double]) -> [Double] {
        var l = [Double](repeating: 0, count: 9)
        for i in 0..<3 {
            for j in 0...i {
                var sum = m[3 * i + j]
                for k in 0..<j { sum -= l[3 * i + k] * l[3 * j + k] }
                if i == j { l[3 * i + j] = max(sum, 0).squareRoot() } else { l[3 * i + j] = l[3 * j + j] > 0 ? sum / l[3 * j + j] : 0 }
            }
        }
        return l
    }

    /// The inverse of a lower-triangular 3x3 matrix, by forward substitution.
    static func lowerInverse(_ l: [Double]) -> [Double] {
        var inv = [Double](repeating: 0, count: 9)
        for col in 0..<3 {
            for i in col..<3 {
                var sum = i == col ? 1.0 : 0.0
                for k in col..<i { sum -= l[3 * i + k] * inv[3 * k + col] }
                inv[3 * i + col] = sum / l[3 * i + i]
            }
        }
        return inv
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var product = [Double](repeating: 0, count: 9)
        for r in 0..<3 {
            for c in 0..<3 {
                var sum = 0.0
                for k in 0..<3 { sum += a[3 * r + k] * b[3 * k + c] }
                product[3 * r + c] = sum
            }
        }
        return product
    }
}
