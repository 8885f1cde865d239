// ApproxTests: the tolerance helper finds and reports the worst element.
import XCTest

final class ApproxTests: XCTestCase {
    func testWorstMismatchFindsWorstElement() {
        let worst = worstMismatch([1, 2.5, 3, 4.01] as [Float], [1, 2, 3, 4] as [Double], abs: 1e-3, rel: 1e-3)
        XCTAssertEqual(worst?.index, 1)
        XCTAssertEqual(worst?.absoluteError ?? 0, 0.5, accuracy: 1e-9)
        XCTAssertGreaterThan(worst?.ratio ?? 0, 1)
        XCTAssertTrue(worst?.description.contains("element 1") ?? false)
    }

    func testNaNIsAlwaysWorst() {
        let worst = worstMismatch([1, .nan, 10] as [Float], [1, 2, 3] as [Float], abs: 0, rel: 0)
        XCTAssertEqual(worst?.index, 1)
        XCTAssertEqual(worst?.ratio, .infinity)
    }

    func testWithinToleranceHasRatioBelowOne() {
        let worst = worstMismatch([1.0005] as [Double], [1] as [Double], abs: 0, rel: 1e-3)
        XCTAssertLessThan(worst?.ratio ?? 2, 1)
    }
}
