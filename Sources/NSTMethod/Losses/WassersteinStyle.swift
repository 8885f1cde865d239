// WassersteinStyle: the W2 style loss of one layer (mean and covariance matched under the Wasserstein-2 distance), its value and gradient in Double on the host.
import NSTCore

/// Which statistic of a style layer's features the style loss matches (`--style-loss`).
public enum StyleLossKind: String, CaseIterable, Sendable {
    /// The Gram matrix, `J = 1/(4 C^2) ||Gram(A) - T||^2` (Gatys et al.).
    case gram
    /// The mean and covariance under the Wasserstein-2 distance between Gaussians (Kolkin et
    /// al., "Style is a Distribution of Features"; crowsonkb's style-transfer-pytorch):
    /// `J = mean_c (mu - mu_t)^2 + (1/C) tr(S_t + S - 2 (S_t^1/2 S S_t^1/2)^1/2)`.
    case w2

    /// Whether the statistic is taken of `[A; 1]`, the features with a channel of ones below
    /// them: that Gram matrix holds the second raw moment and the mean (`WassersteinStyle`).
    package var augmented: Bool { self == .w2 }
}

/// The W2 style loss of one layer against its target (docs/MATH.md section 12), evaluated
/// in Double on the host from the features' *augmented* Gram matrix
/// `G' = [A; 1][A; 1]^T / N = [[srm, mu], [mu^T, 1]]` (srm the second raw moment `A A^T / N`,
/// mu the mean of each channel): both add up over tiles and over blended styles linearly,
/// as Gram matrices do, so the device computes them with the Gram op and the exact tiling
/// keeps working.
///
/// With `S = srm - mu mu^T + eps I` (eps = 1e-4, as style-transfer-pytorch), `R = S_t^1/2`
/// and `M = R S R`:
/// `J = mean_c (mu - mu_t)^2 + (1/C) (tr S_t + tr S - 2 tr M^1/2)`. Its gradient with respect
/// to the features is `dJ/dA = (1/N) E' [A; 1]` (first C rows) with
/// `E' = [[2 D, g], [g^T, 0]]`, `D = dJ/dS = (I - R M^-1/2 R) / C` and
/// `g = dJ/dmu = 2 (mu - mu_t) / C - 2 D mu`; the device applies it with the Gram gradient op.
/// The square roots come from LAPACK's eigendecomposition, exactly (to Double rounding),
/// rather than from Newton-Schulz iterations, which differ from the exact value by about 3%
/// after style-transfer-pytorch's 12.
struct WassersteinStyle {
    /// The ridge added to both covariances (style-transfer-pytorch's).
    static let epsilon = 1e-4
    let channels: Int
    /// The target's mean, covariance (with the ridge) and the covariance's square root.
    let mean: [Double], covariance: [Double], covarianceRoot: [Double]
    /// `tr S_t`.
    let covarianceTrace: Double

    /// The target from its augmented Gram matrix (`(C+1)^2`, row-major; a blend of styles'
    /// is their weighted sum).
    /// - Throws: `DeviceError` when the matrix is not `(C+1)^2` or holds non-finite values,
    ///   or the eigensolver fails.
    init(augmentedTarget target: [Double], channels c: Int) throws {
        guard target.count == (c + 1) * (c + 1) else {
            throw DeviceError.invalidArgument(op: "W2 target", detail: "\(target.count) values for \(c) channels; want (C+1)^2")
        }
        guard target.allSatisfy(\.isFinite) else {
            throw DeviceError.invalidArgument(op: "W2 target", detail: "the style's statistics are not finite")
        }
        channels = c
        let (mu, sigma) = Self.moments(target, channels: c)
        mean = mu
        covariance = sigma
        covarianceRoot = try SymmetricEigen(sigma, n: c).map(Self.root)
        covarianceTrace = (0..<c).reduce(0) { $0 + sigma[$1 * c + $1] }
    }

    /// `sqrt(max(x, 0))`: an eigenvalue of a positive semidefinite matrix rounded below zero counts as zero.
    static func root(_ x: Double) -> Double { max(x, 0).squareRoot() }

    /// mu and `S = srm - mu mu^T + eps I` (symmetrised) from an augmented Gram matrix.
    static func moments(_ g: [Double], channels c: Int) -> (mean: [Double], covariance: [Double]) {
        let stride = c + 1
        // The mean sits in the last column and the last row; the two agree to rounding.
        let mu = (0..<c).map { i in (g[i * stride + c] + g[c * stride + i]) / 2 }
        var sigma = [Double](repeating: 0, count: c * c)
        for i in 0..<c {
            for j in 0..<c {
                sigma[i * c + j] = (g[i * stride + j] + g[j * stride + i]) / 2 - mu[i] * mu[j] + (i == j ? epsilon : 0)
            }
        }
        return (mu, sigma)
    }

    /// J and `E'` (`(C+1)^2`, row-major) at the generated features' augmented Gram matrix.
    /// Non-finite statistics give a NaN value and gradient (the run's guard reports them).
    /// - Throws: `DeviceError` when the matrix is not `(C+1)^2` or the eigensolver fails.
    func evaluate(augmented g: [Double]) throws -> (value: Double, gradient: [Float]) {
        let c = channels, stride = c + 1
        guard g.count == stride * stride else {
            throw DeviceError.invalidArgument(op: "W2 loss", detail: "\(g.count) values for \(c) channels; want (C+1)^2")
        }
        guard g.allSatisfy(\.isFinite) else { return (.nan, [Float](repeating: .nan, count: g.count)) }
        let (mu, sigma) = Self.moments(g, channels: c)
        let r = covarianceRoot
        let m = Dense.product(Dense.product(r, sigma, n: c), r, n: c)
        let eigen = try SymmetricEigen(m, n: c)
        // M is positive definite in exact arithmetic (both covariances carry eps I); a
        // rounding below zero is clamped, and the inverse root floored where M is that flat.
        let floor = Self.epsilon * Self.epsilon * 1e-4
        let rootTrace = eigen.values.reduce(0) { $0 + Self.root($1) }
        var sigmaTrace = 0.0, meanSquares = 0.0
        for i in 0..<c {
            sigmaTrace += sigma[i * c + i]
            meanSquares += (mu[i] - mean[i]) * (mu[i] - mean[i])
        }
        let value = meanSquares / Double(c) + (covarianceTrace + sigmaTrace - 2 * rootTrace) / Double(c)
        // R M^-1/2 R = (R U L^-1/4)(R U L^-1/4)^T.
        var p = Dense.product(r, eigen.vectors, n: c)
        for j in 0..<c {
            let s = 1 / max(eigen.values[j], floor).squareRoot().squareRoot()
            for i in 0..<c { p[j * c + i] *= s }
        }
        let q = Dense.product(p, p, n: c, transposeRight: true)
        var e = [Float](repeating: 0, count: stride * stride)
        var dmu = [Double](repeating: 0, count: c)
        for i in 0..<c {
            var row = 0.0
            for j in 0..<c {
                let d = ((i == j ? 1 : 0) - q[i * c + j]) / Double(c)
                e[i * stride + j] = Float(2 * d)
                row += d * mu[j]
            }
            dmu[i] = 2 * (mu[i] - mean[i]) / Double(c) - 2 * row
        }
        for i in 0..<c {
            e[i * stride + c] = Float(dmu[i])
            e[c * stride + i] = Float(dmu[i])
        }
        return (value, e)
    }
}

/// The W2 loss's default weights.
public enum WassersteinStyleDefaults {
    /// alpha / beta when beta is not given: style-transfer-pytorch weighs its content MSE
    /// (4 J_content) by 0.015 against W2 style terms weighing 1 in all, so alpha / beta = 4 x 0.015.
    public static let contentToStyle = 0.06
}
