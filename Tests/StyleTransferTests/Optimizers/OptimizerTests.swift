// OptimizerTests: each optimiser lowers J on a quadratic and on a tiny style transfer problem.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

/// `J(x) = 1/2 sum_i d_i (x_i - c_i)^2`, an ill-conditioned quadratic with its minimum at c.
final class Quadratic: Objective {
    let device: any Device
    let diagonal: [Float], center: [Float]
    var evaluations = 0

    init(device: any Device, count: Int) {
        self.device = device
        diagonal = (0..<count).map { 1 + 9 * Float($0) / Float(count) }
        center = (0..<count).map { Float($0 % 5) * 0.2 }
    }

    func evaluate(_ x: Tensor, gradient: Tensor) throws -> LossValues {
        evaluations += 1
        let v = try device.download(x)
        var j = 0.0
        var g = [Float](repeating: 0, count: v.count)
        for i in v.indices {
            let d = v[i] - center[i]
            j += 0.5 * Double(diagonal[i]) * Double(d * d)
            g[i] = diagonal[i] * d
        }
        try device.upload(g, to: gradient)
        return LossValues(total: j, content: j, style: 0, tv: 0)
    }
}

final class OptimizerTests: XCTestCase {
    /// Runs `iterations` steps of `kind` on the quadratic and returns J after each.
    private func quadraticRun(_ kind: OptimizerKind, learningRate: Double, iterations: Int) throws -> [Double] {
        let device = CPUDevice()
        let objective = Quadratic(device: device, count: 50)
        let x = try device.makeTensor(Shape(50)), g = try device.makeTensor(Shape(50))
        var losses = try objective.evaluate(x, gradient: g)
        var history = [losses.total]
        let optimizer = try makeOptimizer(kind, device: device, like: x.shape, learningRate: learningRate, iterations: iterations)
        for _ in 0..<iterations {
            do { losses = try optimizer.step(x: x, gradient: g, current: losses, objective: objective) } catch StepFailure.noDecrease { break }
            history.append(losses.total)
        }
        return history
    }

    func testSGDTakesTheGradientStep() throws {
        let losses = try quadraticRun(.sgd, learningRate: 0.05, iterations: 30)
        XCTAssertTrue(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "\(losses)")
        XCTAssertLessThan(losses.last!, 0.05 * losses[0])
        // One step from x = 0 by hand: x1 = lr * d * c.
        let device = CPUDevice()
        let objective = Quadratic(device: device, count: 4)
        let x = try device.makeTensor(Shape(4)), g = try device.makeTensor(Shape(4))
        let start = try objective.evaluate(x, gradient: g)
        _ = try SGD(device: device, learningRate: 0.1).step(x: x, gradient: g, current: start, objective: objective)
        assertClose(try device.download(x), zip(objective.diagonal, objective.center).map { 0.1 * $0 * $1 }, abs: 1e-7, rel: 1e-6, "sgd step")
    }

    func testAdamLowersJ() throws {
        let losses = try quadraticRun(.adam, learningRate: 0.05, iterations: 60)
        XCTAssertLessThan(losses.last!, 0.05 * losses[0], "\(losses)")
    }

    func testLBFGSConvergesOnAQuadraticAndNeverRaisesJ() throws {
        let losses = try quadraticRun(.lbfgs, learningRate: 1, iterations: 25)
        XCTAssertTrue(zip(losses, losses.dropFirst()).allSatisfy { $1 <= $0 }, "\(losses)")
        // Quasi-Newton on a 50-dimensional quadratic: many orders of magnitude in 25 steps,
        // far beyond what steepest descent achieves with condition number 10.
        XCTAssertLessThan(losses.last!, 1e-6 * losses[0], "\(losses)")
    }

    func testLBFGSWithShortHistoryStillConverges() throws {
        let device = CPUDevice()
        let objective = Quadratic(device: device, count: 50)
        let x = try device.makeTensor(Shape(50)), g = try device.makeTensor(Shape(50))
        var losses = try objective.evaluate(x, gradient: g)
        let start = losses.total
        let lbfgs = try LBFGS(device: device, shape: x.shape, learningRate: 1, history: 3)
        // A step that finds no decrease (J at a minimum to float precision) ends the run.
        for _ in 0..<40 {
            do { losses = try lbfgs.step(x: x, gradient: g, current: losses, objective: objective) } catch StepFailure.noDecrease { break }
        }
        XCTAssertLessThanOrEqual(lbfgs.historyCount, 3)
        XCTAssertLessThan(losses.total, 1e-4 * start)
    }

    /// A step whose first trial is accepted waits for 3 dots whatever its m stored pairs:
    /// the slope g.d (or |g| without pairs), and s.y and y.y of the new pair (y.y of the
    /// newest pair is remembered). The recursion's 2m dots stay on the device.
    func testLBFGSWaitsForThreeDotsPerStep() throws {
        let device = CountingDevice(CPUDevice())
        let objective = Quadratic(device: device, count: 50)
        let x = try device.makeTensor(Shape(50)), g = try device.makeTensor(Shape(50))
        var losses = try objective.evaluate(x, gradient: g)
        let lbfgs = try LBFGS(device: device, shape: x.shape, learningRate: 1, history: 4)
        var checked = 0
        for _ in 0..<12 {
            let (pairs, dots, slotDots, evaluations) = (lbfgs.historyCount, device.dots, device.slotDots, objective.evaluations)
            losses = try lbfgs.step(x: x, gradient: g, current: losses, objective: objective)
            // Only steps without a reset or a backtrack have the plain count.
            guard objective.evaluations == evaluations + 1, lbfgs.historyCount == min(pairs + 1, 4) else { continue }
            XCTAssertEqual(device.dots - dots, 3, "step with \(pairs) pairs")
            XCTAssertEqual(device.slotDots - slotDots, 2 * pairs, "step with \(pairs) pairs")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 6, "most steps are plain")
    }

    /// Every optimiser lowers the real objective through VGG on a tiny image.
    func testEachOptimiserLowersTheStyleTransferObjective() throws {
        for kind in OptimizerKind.allCases {
            var problem = try TinyProblem(size: 16)
            problem.options.optimizer = kind
            problem.options.iterations = 4
            problem.options.learningRate = kind == .sgd ? 1e-4 : nil
            let rows = try problem.run(problem.engine())
            XCTAssertEqual(rows.count, 5)
            XCTAssertLessThan(rows.last!.total, rows[0].total, "\(kind): \(rows.map(\.total))")
            if kind == .lbfgs {
                XCTAssertTrue(zip(rows, rows.dropFirst()).allSatisfy { $1.total <= $0.total }, "\(rows.map(\.total))")
            }
        }
    }
}
