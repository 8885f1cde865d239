// VectorKernelsTests: the SIMD element-wise kernels equal their scalar forms bit for bit, special values and ragged ends included.
@testable import NSTCPU
@testable import NSTCore
import XCTest

final class VectorKernelsTests: XCTestCase {
    /// Values whose handling a vector rewrite can get wrong: NaN, both zeros, infinities,
    /// subnormals, placed so that they fall in full vectors and in the scalar tail.
    private func specials(count: Int, seed: UInt64) -> [Float] {
        var data = TestData(seed: seed)
        var values = data.uniform(count, -2, 2)
        let odd: [Float] = [.nan, -0.0, 0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, -1e-30]
        for (k, v) in odd.enumerated() {
            values[(k * 7) % count] = v
            values[count - 1 - k] = v
        }
        return values
    }

    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    func testReluEqualsSwiftMaxBitForBit() {
        for count in [16, 37, 64, 1000] {
            let x = specials(count: count, seed: UInt64(count))
            var y = [Float](repeating: 7, count: count)
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    // Two ranges, as Parallel.ranges hands them, one starting mid-vector.
                    VectorKernels.relu(xs.baseAddress!, ys.baseAddress!, 0..<(count / 3))
                    VectorKernels.relu(xs.baseAddress!, ys.baseAddress!, (count / 3)..<count)
                }
            }
            XCTAssertEqual(bits(y), bits(x.map { max($0, 0) }), "relu, \(count) values")
        }
    }

    func testReluGradientEqualsTheScalarRuleBitForBit() {
        for count in [16, 37, 64, 1000] {
            let y = specials(count: count, seed: UInt64(count) + 1)
            let dy = specials(count: count, seed: UInt64(count) + 2)
            var dx = [Float](repeating: 7, count: count)
            var inPlace = dy
            y.withUnsafeBufferPointer { ys in
                dy.withUnsafeBufferPointer { dys in
                    dx.withUnsafeMutableBufferPointer { VectorKernels.reluGradient(ys.baseAddress!, dys.baseAddress!, $0.baseAddress!, 0..<count) }
                }
                inPlace.withUnsafeMutableBufferPointer { g in
                    VectorKernels.reluGradient(ys.baseAddress!, UnsafePointer(g.baseAddress!), g.baseAddress!, 0..<count)
                }
            }
            let expected = zip(y, dy).map { $0 > 0 ? $1 : 0 }
            XCTAssertEqual(bits(dx), bits(expected), "reluGradient, \(count) values")
            XCTAssertEqual(bits(inPlace), bits(expected), "reluGradient in place, \(count) values")
        }
    }
}
