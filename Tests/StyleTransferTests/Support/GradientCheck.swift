// GradientCheck: central finite differences, accumulated in Double, against an op's analytic gradient.
import XCTest

/// A scalar function of one input vector and its analytic gradient: one row of the
/// gradient-check table.
struct GradientCase {
    var name: String
    var input: [Float]
    /// L(x), accumulated in Double.
    var value: ([Float]) throws -> Double
    /// dL/dx from the op's backward.
    var gradient: ([Float]) throws -> [Float]
}

/// Compares `c.gradient` with central differences `(L(x + e_i) - L(x - e_i)) / (x_i+ - x_i-)`
/// for every input element, and fails with the worst element when any is outside
/// `abs + rel * |numeric|`. Returns the worst mismatch for reporting.
@discardableResult
func checkGradient(_ c: GradientCase, eps: Float = 1e-2, abs absTol: Double = 2e-3, rel relTol: Double = 1e-2,
                   file: StaticString = #filePath, line: UInt = #line) throws -> Mismatch? {
    let analytic = try c.gradient(c.input)
    XCTAssertEqual(analytic.count, c.input.count, "\(c.name): gradient size", file: file, line: line)
    var numeric = [Double](repeating: 0, count: c.input.count)
    var x = c.input
    for i in 0..<x.count {
        let x0 = x[i]
        x[i] = x0 + eps; let up = x[i]; let lPlus = try c.value(x)
        x[i] = x0 - eps; let down = x[i]; let lMinus = try c.value(x)
        x[i] = x0
        // The perturbation actually applied in float, not the nominal 2 eps.
        numeric[i] = (lPlus - lMinus) / (Double(up) - Double(down))
    }
    assertClose(analytic, numeric, abs: absTol, rel: relTol, "\(c.name): analytic vs finite differences", file: file, line: line)
    return worstMismatch(analytic, numeric, abs: absTol, rel: relTol)
}

/// `sum r[i] * y[i]` in Double: the scalar whose gradient with respect to y is r.
func weightedSum(_ y: [Float], _ r: [Float]) -> Double {
    zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}
