// TemporalTermTests: video's temporal term adds exactly tau J_temporal and its gradient to the objective, on both backends; a term that ignored its weights would be caught.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTMethod
@testable import StyleTransfer
import XCTest

final class TemporalTermTests: XCTestCase {
    /// J and dJ/dx at the problem's image with and without the temporal term, on `device`.
    private func withAndWithout(_ problem: TilingProblem, on device: any Device) throws -> (with: (LossValues, [Float]), without: (LossValues, [Float])) {
        var plain = problem
        plain.temporalWeight = 0
        return (try problem.untiled(on: device), try plain.untiled(on: device))
    }

    /// tau J_temporal and its gradient in Double on the host, from the problem's image and
    /// target; `ignoringWeights` is a deliberately broken variant (every pixel reliable).
    private func expected(_ problem: TilingProblem, ignoringWeights: Bool = false) throws -> (value: Double, gradient: [Double]) {
        let x = try problem.images().x, target = try problem.temporalTargets()[0], tau = problem.temporalWeight
        let plane = target.weights.count, n = x.count
        var value = 0.0, gradient = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let c = ignoringWeights ? 1 : Double(target.weights[i % plane]), d = Double(x[i]) - Double(target.warped.pixels[i])
            value += c * d * d / Double(n)
            gradient[i] = tau * 2 * c * d / Double(n)
        }
        return (tau * value, gradient)
    }

    /// The worst gradient difference against the expected one, relative to its largest element.
    private func gradientMismatch(_ with: [Float], _ without: [Float], _ expected: [Double]) -> Double {
        let scale = expected.map(abs).max() ?? 0
        return zip(zip(with, without), expected).map { abs(Double($0.0) - Double($0.1) - $1) }.max()! / scale
    }

    private func check(on device: any Device, tolerance: Double) throws {
        let problem = TilingProblem(temporalWeight: 200)
        let (with, without) = try withAndWithout(problem, on: device)
        let want = try expected(problem)
        XCTAssertEqual(with.0.temporal * problem.temporalWeight, want.value, accuracy: 1e-5 * want.value, "\(device.name)")
        XCTAssertEqual(with.0.total - without.0.total, want.value, accuracy: 1e-5 * with.0.total, "\(device.name)")
        XCTAssertEqual(with.0.content, without.0.content, accuracy: 1e-9 * without.0.content, "the other parts stay")
        let mismatch = gradientMismatch(with.1, without.1, want.gradient)
        print("temporal term on \(device.name): J_temporal \(with.0.temporal), gradient mismatch \(mismatch) of its largest element")
        XCTAssertLessThanOrEqual(mismatch, tolerance, "\(device.name)")
        // The broken variant (weights ignored) is far outside the tolerance.
        let broken = try expected(problem, ignoringWeights: true)
        XCTAssertGreaterThan(gradientMismatch(with.1, without.1, broken.gradient), 100 * tolerance)
        XCTAssertGreaterThan(abs(broken.value - want.value), 100 * 1e-5 * want.value)
    }

    /// The difference of two float gradients: measured ~2e-7 of the temporal gradient's
    /// largest element on both backends; 1e-5 leaves room for other float orders.
    func testTemporalTermOnTheCPU() throws { try check(on: CPUDevice(), tolerance: 1e-5) }
    func testTemporalTermOnOpenCL() throws { try check(on: try OpenCLTestDevice.get(), tolerance: 1e-5) }
}
