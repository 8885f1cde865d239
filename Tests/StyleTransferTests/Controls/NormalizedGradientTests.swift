// NormalizedGradientTests: --normalize-gradients divides each term's layer gradient by its L2 norm, checked against norms computed on the host.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class NormalizedGradientTests: XCTestCase {
    /// ||dJ_c/da||_2 = sqrt(J_c / (C H W)) for J_c = 1/(4CHW) sum (a - T)^2.
    private func contentNorm(_ p: ControlObjective, _ jContent: Double) -> Double {
        let shape = p.network.model.shapes(height: p.height, width: p.width, depth: 7).shapes[p.content.indices[0]]
        return (jContent / Double(shape.count)).squareRoot()
    }

    /// ||(G - T) A||_2 / (C^2 H W) of one style layer, from the activation and target downloaded to the host.
    private func styleNorm(_ p: ControlObjective, _ o: TransferObjective, layer k: Int) throws -> Double {
        let a = try p.device.download(o.workspace.activation(p.style.indices[k])), shape = o.workspace.activation(p.style.indices[k]).shape
        let t = try p.device.download(o.styleTargets[k])
        let c = shape[0], n = shape[1] * shape[2]
        var e = [Double](repeating: 0, count: c * c)
        for i in 0..<c { for j in 0..<c {
            var s = 0.0
            for q in 0..<n { s += Double(a[i * n + q]) * Double(a[j * n + q]) }
            e[i * c + j] = s / Double(n) - Double(t[i * c + j])
        } }
        var sum = 0.0
        for i in 0..<c { for q in 0..<n {
            var s = 0.0
            for j in 0..<c { s += e[i * c + j] * Double(a[j * n + q]) }
            sum += s * s
        } }
        return sum.squareRoot() / Double(c * c * n)
    }

    /// Each term alone: the normalised gradient is the plain one divided by the term's norm
    /// at its layer and times its weight; both terms: the sum of the two. The losses are
    /// unchanged. The plain gradient itself (a broken "normalisation" doing nothing) fails.
    func testEachTermIsScaledToUnitNormBeforeItsWeight() throws {
        let p = try ControlObjective(device: CPUDevice(), styleLayers: ["relu1_1"])
        let normalized = ObjectiveControls(normalizeGradients: true)
        let plainContent = try p.evaluate(try p.objective(alpha: 1, beta: 0))
        let plainStyleObjective = try p.objective(alpha: 0, beta: 1)
        let plainStyle = try p.evaluate(plainStyleObjective)
        let nContent = contentNorm(p, plainContent.losses.content)
        let nStyle = try styleNorm(p, plainStyleObjective, layer: 0) * p.style.weights[0]
        XCTAssertGreaterThan(abs(nContent - 1), 0.5, "a norm far from 1, so the check means something")

        let (alpha, beta) = (3.0, 7.0)
        let onlyContent = try p.evaluate(try p.objective(alpha: alpha, beta: 0, controls: normalized))
        let expectedContent = plainContent.gradient.map { Double($0) * alpha / nContent }
        assertCloseScaled(onlyContent.gradient, expectedContent, rel: 1e-4, "content term at unit norm, times alpha")
        XCTAssertGreaterThan(worstRatio(plainContent.gradient.map { Double($0) * alpha }, expectedContent), 1, "an unnormalised gradient fails")
        // The style term's own weight lambda goes in after the norm: its layer gradient is
        // lambda-free when normalised, so the plain one (lambda (G-T)A/(C^2HW)) is divided by lambda * norm.
        let onlyStyle = try p.evaluate(try p.objective(alpha: 0, beta: beta, controls: normalized))
        let expectedStyle = plainStyle.gradient.map { Double($0) * beta * p.style.weights[0] / nStyle }
        assertCloseScaled(onlyStyle.gradient, expectedStyle, rel: 1e-4, "style term at unit norm, times beta lambda")

        let both = try p.evaluate(try p.objective(alpha: alpha, beta: beta, controls: normalized))
        assertCloseScaled(both.gradient, zip(expectedContent, expectedStyle).map { $0 + $1 }, rel: 1e-4, "sum of the normalised terms")
        let plainBoth = try p.evaluate(try p.objective(alpha: alpha, beta: beta))
        assertClose([both.losses.total, both.losses.content, both.losses.style],
                    [plainBoth.losses.total, plainBoth.losses.content, plainBoth.losses.style], abs: 0, rel: 1e-9, "losses unchanged")
    }

    /// The OpenCL backend gives the CPU's normalised (and masked) gradient.
    func testOpenCLMatchesCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var results: [[Float]] = []
        for device in [CPUDevice() as any Device, cl] {
            let p = try ControlObjective(device: device, styleSeeds: [11, 12])
            var left = [Float](repeating: 0, count: p.height * p.width)
            for y in 0..<p.height { for x in 0..<(p.width / 2) { left[y * p.width + x] = 1 } }
            let masks = [try SpatialMask(width: p.width, height: p.height, values: left),
                         try SpatialMask(width: p.width, height: p.height, values: left.map { 1 - $0 })]
            let controls = ObjectiveControls(normalizeGradients: true,
                                             styles: try (0..<2).map { ObjectiveControls.MaskedStyle(mask: masks[$0], targets: try p.ownTargets($0), weight: 1) },
                                             contentMask: masks[1])
            results.append(try p.evaluate(try p.objective(alpha: 2, beta: 5, gamma: 1e-3, controls: controls)).gradient)
        }
        assertCloseScaled(results[1], results[0].map(Double.init), rel: 2e-3, "OpenCL vs CPU, masked and normalised")
    }

    /// Under every control the objective reports |dJ/dx|^2 with its losses, as the plain one
    /// does (the non-finite-gradient guard reads it): it equals the downloaded gradient's.
    func testControlledEvaluationReportsTheGradientNorm() throws {
        let p = try ControlObjective(device: CPUDevice())
        let ones = try SpatialMask.constant(1, width: p.width, height: p.height)
        let cases: [(String, ObjectiveControls?)] = [
            ("plain", nil), ("normalised", ObjectiveControls(normalizeGradients: true)),
            ("masked", ObjectiveControls(styles: [.init(mask: ones, targets: try p.ownTargets(0), weight: 1)], contentMask: ones)),
        ]
        for (name, controls) in cases {
            let (losses, gradient) = try p.evaluate(try p.objective(alpha: 1, beta: 100, gamma: 1e-3, controls: controls))
            let expected = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertGreaterThan(expected, 0, name)
            XCTAssertEqual(losses.gradientSquaredNorm, expected, accuracy: 1e-4 * expected, name)
        }
    }
}

/// max |a - e| / (rel * max|e|) with rel 1e-4: above 1 means `a` would fail the tests' check.
func worstRatio(_ a: [Double], _ e: [Double]) -> Double {
    let scale = e.map(abs).max() ?? 0
    return zip(a, e).map { abs($0 - $1) / (1e-4 * scale) }.max() ?? 0
}
