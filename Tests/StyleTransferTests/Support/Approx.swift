// Approx: tolerance helpers for the tests; they report the worst element and forward file:line.
import XCTest

/// The worst element of a comparison between two arrays.
struct Mismatch: CustomStringConvertible {
    var index: Int
    var actual: Double
    var expected: Double
    /// |actual - expected| / (abs + rel * |expected|): above 1 means out of tolerance.
    var ratio: Double
    var absoluteError: Double { abs(actual - expected) }
    var relativeError: Double { absoluteError / abs(expected) }
    var description: String {
        let rel = expected == 0 ? "" : ", rel err \(relativeError)"
        return "worst element \(index): got \(actual), want \(expected) (abs err \(absoluteError)\(rel))"
    }
}

/// Finds the element of `actual` that is furthest out of tolerance (`abs + rel*|expected|`),
/// or nil when the arrays are empty. Non-finite values count as infinitely wrong.
func worstMismatch<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], abs absTol: Double, rel relTol: Double
) -> Mismatch? {
    var worst: Mismatch?
    for i in 0..<min(actual.count, expected.count) {
        let a = Double(actual[i]), e = Double(expected[i])
        let err = abs(a - e)
        let ratio: Double
        if !(a.isFinite && e.isFinite) {
            ratio = a == e ? 0 : .infinity // NaN never equals anything
        } else {
            ratio = err == 0 ? 0 : err / (absTol + relTol * abs(e))
        }
        if worst == nil || ratio > worst!.ratio {
            worst = Mismatch(index: i, actual: a, expected: e, ratio: ratio)
        }
    }
    return worst
}

/// Asserts that `actual` and `expected` have equal length and that every element is
/// within `abs + rel * |expected|`; on failure reports the worst element.
func assertClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], abs absTol: Double, rel relTol: Double,
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("\(message()): got \(actual.count) elements, want \(expected.count)", file: file, line: line)
        return
    }
    if let worst = worstMismatch(actual, expected, abs: absTol, rel: relTol), worst.ratio > 1 {
        XCTFail("\(message()): \(worst) (tolerance abs \(absTol), rel \(relTol))", file: file, line: line)
    }
}

/// Scalar form of `assertClose`.
func assertClose(_ actual: Double, _ expected: Double, abs absTol: Double, rel relTol: Double,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose([actual], [expected], abs: absTol, rel: relTol, message(), file: file, line: line)
}
