// OpticalFlowTests: DIS and Farneback find a known shift of a smooth texture, in the right direction (A(p) ≈ B(p + flow)).
import Foundation
import NSTImages
import NSTVideo
import XCTest

final class OpticalFlowTests: XCTestCase {
    /// A smooth grey texture (sines of incommensurate frequencies and directions, no period
    /// a search could confuse) shifted by (dx, dy): the frame shows texture(x - dx, y - dy),
    /// so a pixel of the unshifted frame is found (dx, dy) further on in this one.
    private func texture(shiftedBy dx: Double, _ dy: Double, width: Int = 128, height: Int = 96) throws -> Image {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        let plane = width * height
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x) - dx, v = Double(y) - dy
                var value = 0.5 + 0.17 * sin(2 * .pi * (0.071 * u + 0.029 * v))
                value += 0.13 * sin(2 * .pi * (-0.043 * u + 0.087 * v) + 1)
                value += 0.09 * sin(2 * .pi * (0.113 * u + 0.051 * v) + 2)
                value += 0.06 * cos(2 * .pi * (0.021 * u - 0.137 * v))
                for c in 0..<3 { pixels[c * plane + y * width + x] = Float(value) }
            }
        }
        return try Image(width: width, height: height, pixels: pixels)
    }

    /// The median dx and dy over the interior (16 pixels from each border, where the shifted
    /// texture has no counterpart).
    private func interiorMedian(_ flow: Flow) -> (dx: Double, dy: Double) {
        var xs: [Float] = [], ys: [Float] = []
        for y in 16..<(flow.height - 16) {
            for x in 16..<(flow.width - 16) {
                xs.append(flow.dx[y * flow.width + x])
                ys.append(flow.dy[y * flow.width + x])
            }
        }
        return (Double(xs.sorted()[xs.count / 2]), Double(ys.sorted()[ys.count / 2]))
    }

    func testBothMethodsFindTheShiftInTheRightDirection() throws {
        let a = try texture(shiftedBy: 0, 0), b = try texture(shiftedBy: 3, 1)
        for method in FlowMethod.allCases {
            let flow = try OpticalFlow.compute(from: a, to: b, method: method)
            XCTAssertEqual(flow.width, 128)
            XCTAssertEqual(flow.height, 96)
            XCTAssertEqual(flow.dx.count, 128 * 96)
            XCTAssertEqual(flow.dy.count, 128 * 96)
            let (dx, dy) = interiorMedian(flow)
            XCTAssertEqual(dx, 3, accuracy: 0.5, "\(method)")
            XCTAssertEqual(dy, 1, accuracy: 0.5, "\(method)")
            // The convention checked the other way: a flow pointing from B back to A (the sign
            // error this API is easy to get wrong) would be near (-3, -1).
            XCTAssertGreaterThan(hypot(dx + 3, dy + 1), 2, "\(method): the flow points backwards")

            let back = interiorMedian(try OpticalFlow.compute(from: b, to: a, method: method))
            XCTAssertEqual(back.dx, -3, accuracy: 0.5, "\(method) from B to A")
            XCTAssertEqual(back.dy, -1, accuracy: 0.5, "\(method) from B to A")
        }
    }

    func testIdenticalFramesHaveNoFlow() throws {
        let a = try texture(shiftedBy: 0, 0)
        for method in FlowMethod.allCases {
            let (dx, dy) = interiorMedian(try OpticalFlow.compute(from: a, to: a, method: method))
            XCTAssertEqual(dx, 0, accuracy: 0.05, "\(method)")
            XCTAssertEqual(dy, 0, accuracy: 0.05, "\(method)")
        }
    }

    func testFramesOfDifferentSizesThrow() throws {
        let a = try texture(shiftedBy: 0, 0), b = try texture(shiftedBy: 0, 0, width: 64, height: 96)
        XCTAssertThrowsError(try OpticalFlow.compute(from: a, to: b, method: .dis)) { error in
            XCTAssertEqual((error as? FlowError)?.problem,
                           "frames of 128x96 and 64x96 have no flow between them; they must be of one size")
        }
        // A frame smaller than DIS's patches: OpenCV's own exception comes back as an error or
        // a flow, never a crash.
        let tiny = try Image(width: 1, height: 1, pixels: [0.5, 0.5, 0.5])
        for method in FlowMethod.allCases {
            if let flow = try? OpticalFlow.compute(from: tiny, to: tiny, method: method) {
                XCTAssertEqual(flow.dx.count, 1)
            }
        }
    }

    func testFlowInitChecksCounts() {
        XCTAssertNotNil(Flow(width: 2, height: 1, dx: [0, 1], dy: [0, 0]))
        XCTAssertNil(Flow(width: 2, height: 2, dx: [0, 1], dy: [0, 0]))
        XCTAssertNil(Flow(width: 0, height: 0, dx: [], dy: []))
    }
}
