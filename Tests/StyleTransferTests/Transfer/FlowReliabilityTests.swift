// FlowReliabilityTests: the reliability of docs/MATH.md section 11 on hand-made flows (agreeing, disagreeing, from outside, a motion boundary), the long-term weights and the warping error by hand.
@testable import NSTMethod
import XCTest

final class FlowReliabilityTests: XCTestCase {
    private let (w, h) = (8, 3)

    private func uniform(_ dx: Float, _ dy: Float) -> (dx: [Float], dy: [Float]) {
        ([Float](repeating: dx, count: w * h), [Float](repeating: dy, count: w * h))
    }

    /// A pan of 2 px: pixel x of frame i was at x + 2 in frame j, and the forward flow
    /// brought back is -2. Columns 6 and 7 come from outside frame j: unreliable.
    func testAgreeingFlowsAreReliableExceptWhatComesFromOutside() {
        let c = FlowReliability.weights(backward: uniform(2, 0), forwardWarped: uniform(-2, 0), width: w, height: h)
        for y in 0..<h { XCTAssertEqual(Array(c[(y * w)..<((y + 1) * w)]), [1, 1, 1, 1, 1, 1, 0, 0], "row \(y)") }
    }

    /// |f~ + b|^2 = 16 > 0.01 (4 + 4) + 0.5: disoccluded everywhere. A difference of 0.6 px
    /// is within the tolerance, one of 0.8 px is not.
    func testDisagreeingFlowsAreUnreliable() {
        XCTAssertEqual(Set(FlowReliability.weights(backward: uniform(2, 0), forwardWarped: uniform(2, 0), width: w, height: h)), [0])
        let near = FlowReliability.weights(backward: uniform(0, 1), forwardWarped: uniform(0, -1.6), width: w, height: h)
        XCTAssertEqual(near[0], 1, "0.36 <= 0.01 (1 + 2.56) + 0.5")
        let far = FlowReliability.weights(backward: uniform(0, 1), forwardWarped: uniform(0, -1.8), width: w, height: h)
        XCTAssertEqual(far[0], 0, "0.64 > 0.01 (1 + 3.24) + 0.5")
        XCTAssertEqual(near[2 * w], 0, "the last row moves outside")
    }

    /// b_x jumps from 0 to 1 between columns 3 and 4: |grad b_x|^2 = 1 > 0.01 |b|^2 + 0.002
    /// at column 3 (its forward difference), nowhere else; f~ = -b keeps the flows agreeing.
    func testAMotionBoundaryIsUnreliable() {
        let dx = (0..<(w * h)).map { Float($0 % w >= 4 ? 1 : 0) }, dy = [Float](repeating: 0, count: w * h)
        let c = FlowReliability.weights(backward: (dx, dy), forwardWarped: (dx.map { -$0 }, dy), width: w, height: h)
        XCTAssertEqual(Array(c[0..<w]), [1, 1, 1, 0, 1, 1, 1, 0], "column 3 is the boundary, column 7 moves outside")
    }

    func testLongTermWeightsTakeTheNearestFrameWhereAPixelWasVisible() {
        let c = FlowReliability.longTerm([[1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]])
        XCTAssertEqual(c, [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        XCTAssertEqual(FlowReliability.longTerm([[0.5, 1]]), [[0.5, 1]], "one distance: the weights as they are")
    }

    /// Two pixels, one reliable: the mean of its three squared differences (0.1^2, 0.2^2, 0) / 3.
    func testWarpingErrorByHand() {
        let result: [Float] = [0.5, 0.9, 0.5, 0.1, 0.5, 0.7], warped: [Float] = [0.4, 0.0, 0.3, 0.9, 0.5, 0.2]
        let m = FlowReliability.warpingError(result: result, warped: warped, weights: [1, 0])
        XCTAssertEqual(m.error, (0.01 + 0.04 + 0) / 3, accuracy: 1e-7)
        XCTAssertEqual(m.reliable, 0.5)
        XCTAssertEqual(FlowReliability.warpingError(result: result, warped: warped, weights: [0, 0]).error, 0)
    }
}
