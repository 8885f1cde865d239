// IterateAverageTests: --average's bias-corrected moving average of a stage's images, against the same average computed on the host from the images.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTMethod
import StyleTransfer
import XCTest

final class IterateAverageTests: XCTestCase {
    /// The images of one engine run (iterate k after k steps, as `currentImage`), what the
    /// engine gives as its result after each (`resultImage`), and the engine.
    private func images(_ problem: TinyProblem) throws -> (iterates: [[Float]], results: [[Float]], engine: TransferEngine) {
        let engine = try problem.engine()
        var iterates: [[Float]] = [], results: [[Float]] = []
        try engine.run { k, _, _ in
            precondition(k == iterates.count)
            iterates.append(try engine.currentImage().pixels)
            results.append(try engine.resultImage().pixels)
        }
        return (iterates, results, engine)
    }

    /// style-transfer-pytorch's EMA written out in Double, as it is written there: the sum starts
    /// at zero and takes the stage's start image first; the average after k steps is the sum
    /// over `1 - d^(k+1)`. `corrected: false` and `withStart: false` are the broken variants
    /// (no bias correction; the start left out, the correction counting steps only).
    static func hostAverages(_ iterates: [[Float]], decay d: Double, corrected: Bool = true, withStart: Bool = true) -> [[Double]] {
        var sum = [Double](repeating: 0, count: iterates[0].count)
        var updates = 0
        var averages: [[Double]] = []
        for (k, x) in iterates.enumerated() {
            if k > 0 || withStart {
                for i in sum.indices { sum[i] = d * sum[i] + (1 - d) * Double(x[i]) }
                updates += 1
            }
            let correction = corrected ? 1 - pow(d, Double(updates)) : 1
            averages.append(updates == 0 ? x.map(Double.init) : sum.map { $0 / correction })
        }
        return averages
    }

    /// After each of 6 Adam and SGD steps the result is the host's average of the images so
    /// far; the start is the first of them, so at k = 0 the result is the start itself.
    func testTheResultIsTheHostAverageOfTheImages() throws {
        for kind in [OptimizerKind.adam, .sgd] {
            var problem = try TinyProblem(size: 16)
            problem.options.optimizer = kind
            problem.options.iterations = 6
            problem.options.learningRate = kind == .sgd ? 1e-4 : 0.05
            problem.options.averageDecay = 0.9
            let (iterates, results, _) = try images(problem)
            XCTAssertEqual(results[0], iterates[0], "\(kind): the average of one image is that image")
            let expected = Self.hostAverages(iterates, decay: 0.9)
            for k in 1..<iterates.count {
                assertClose(results[k], expected[k], abs: 1e-6, rel: 1e-5, "\(kind) after \(k) steps")
            }
            // The images moved enough for the check to mean something: each broken variant is far out.
            let last = iterates.count - 1
            for (name, variant) in [("no bias correction", Self.hostAverages(iterates, decay: 0.9, corrected: false)),
                                    ("start left out", Self.hostAverages(iterates, decay: 0.9, withStart: false))] {
                let worst = worstMismatch(results[last], variant[last], abs: 1e-6, rel: 1e-5)
                XCTAssertGreaterThan(worst?.ratio ?? 0, 20, "\(kind): \(name) would have failed")
            }
            XCTAssertNotEqual(results[last], iterates[last], "\(kind): the output is the average, not the last image")
        }
    }

    /// decay 0: the average is the last image, bit for bit; without --average the result is the image.
    func testDecayZeroAndNoAverage() throws {
        var problem = try TinyProblem(size: 16)
        problem.options.optimizer = .adam
        problem.options.iterations = 3
        problem.options.averageDecay = 0
        let zero = try images(problem)
        XCTAssertEqual(zero.results, zero.iterates)
        problem.options.averageDecay = nil
        let off = try images(problem)
        XCTAssertEqual(off.results, off.iterates)
        XCTAssertNil(try off.engine.averageLosses())
    }

    /// J at the average is J of the average image as a fresh engine started there evaluates it.
    func testAverageLossesAreJOfTheAverageImage() throws {
        var problem = try TinyProblem(size: 16)
        problem.options.optimizer = .adam
        problem.options.iterations = 4
        problem.options.averageDecay = 0.8
        let (_, results, engine) = try images(problem)
        let averaged = try XCTUnwrap(engine.averageLosses())
        problem.options.averageDecay = nil
        let fresh = try problem.engine(initial: try Image(width: engine.width, height: engine.height, pixels: results.last!))
        let direct = try fresh.objective.evaluate(fresh.image, gradient: fresh.gradient)
        assertClose(averaged.total, direct.total, abs: 0, rel: 1e-9, "J")
        assertClose([averaged.content, averaged.style, averaged.tv], [direct.content, direct.style, direct.tv], abs: 0, rel: 1e-9, "terms")
    }

    /// The weights of the kept form equal those of the sum over its correction, and stay
    /// accurate for decays close to 1, where `1 - pow(d, n)` cancels.
    func testWeightsOfTheCorrectedForm() {
        for d in [0.0, 0.5, 0.9, 0.99, 0.999999] {
            for n in [2, 3, 10, 1000] {
                let w = IterateAverage.weight(decay: d, count: n)
                // The sum's recursion divided by its corrections: w_n = d (1 - d^(n-1)) / (1 - d^n).
                let expected = d * (1 - pow(d, Double(n - 1))) / (1 - pow(d, Double(n)))
                assertClose(w, expected, abs: 1e-15, rel: d > 0.99 ? 1e-6 : 1e-12, "d \(d), n \(n)")
            }
        }
        // 1 - d is exact in Double for d in [0.5, 1] (Sterbenz).
        assertClose(IterateAverage.oneMinusPower(0.999999, 1), 1 - 0.999999, abs: 0, rel: 1e-12, "1 - d")
        XCTAssertThrowsError(try IterateAverage(device: CPUDevice(), shape: Shape(3), decay: 1))
        XCTAssertThrowsError(try IterateAverage(device: CPUDevice(), shape: Shape(3), decay: .nan))
    }
}
