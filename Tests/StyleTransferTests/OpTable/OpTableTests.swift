// OpTableTests: every case of OpCases on every backend against NaiveReference, finite differences and hand values (like ggml's test-backend-ops).
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
@testable import NSTSelfTest
import XCTest

extension OpTableBackend {
    /// The shared OpenCL test device, its banded twin (im2col budget 90 floats), and two tuned
    /// to take Winograd from 16 channels (the untuned default never does), as the CPU's:
    /// F(4x4, 3x3) and F(2x2, 3x3).
    static func opencl() throws -> OpTableBackend {
        OpTableBackend(name: "opencl", plain: try OpenCLTestDevice.get(), banded: try OpenCLTestDevice.get(banded: true),
                       winograd: try OpTableWinogradDevice.get(.f4x4), winograd2x2: try OpTableWinogradDevice.get(.f2x2))
    }
}

enum OpTableWinogradDevice {
    // A `static let` is initialised once, thread-safely: the kernels compile once per run.
    private static let shared: Result<[OpenCLWinogradTile: OpenCLDevice], Error> = Result {
        let info = try OpenCLTestDevice.get().info
        return try Dictionary(uniqueKeysWithValues: OpenCLWinogradTile.allCases.map { tile in
            (tile, try OpenCLDevice(info: info, tuning: .given(OpenCLTuning(info: info, winogradMinChannels: 16, winogradTile: tile))))
        })
    }

    /// The OpenCL test driver's device with Winograd `tile` from 16 summed channels.
    static func get(_ tile: OpenCLWinogradTile) throws -> OpenCLDevice {
        guard let device = try shared.get()[tile] else { throw DeviceError.backend("no \(tile) test device") }
        return device
    }
}

/// A scalar function of one input vector and its analytic gradient, built from a table case.
struct OpGradientProblem {
    var point: [Float]
    var value: ([Float]) throws -> Double
    var analytic: () throws -> [Float]
}

/// Finite-difference settings of the gradient mode, per backend.
struct FiniteDifferences {
    var eps: Float
    var abs: Double
    var rel: Double

    /// Step 1e-2, |err| <= 1e-5 + 1e-2 max|numeric|: the CPU's forward ops round to float,
    /// its losses sum in Double, so the central difference is good to ~1e-4 of the gradient.
    static let cpu = FiniteDifferences(eps: 1e-2, abs: 1e-5, rel: 1e-2)
    /// Step 2e-2 (float-friendly: a float loss sum's rounding is divided by 2 eps; still below
    /// half the 0.05 spacing of the max-pooling inputs and the 0.1 margin of ReLU's inputs),
    /// |err| <= 1e-4 + 3e-2 max|numeric|: OpenCL's losses are float reductions.
    static let opencl = FiniteDifferences(eps: 2e-2, abs: 1e-4, rel: 3e-2)
}

enum OpTableGradients {
    /// Cases whose differentiated variable has more elements are left to the reference mode:
    /// two forward ops per element (the Winograd-sized case would take 4096 convolutions).
    static let maxElements = 300

    /// `sum r[i] * y[i]` in Double.
    static func weighted(_ y: [Float], _ r: [Float]) -> Double {
        zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// The scalar L(x) and dL/dx of a gradient case: `sum r * forward(x)` for the backward ops
    /// (r = the case's output gradient), `scale * J(x)` for the losses (gradient from zeros).
    static func problem(_ c: OpCase, _ v: OpValues, on device: Device) throws -> OpGradientProblem? {
        func t(_ shape: Shape, _ values: [Float]) throws -> Tensor { try device.tensor(shape, values) }
        func forward(_ shape: Shape, _ op: (Tensor) throws -> Void) throws -> [Float] {
            let y = try device.makeTensor(shape)
            try op(y)
            return try device.download(y)
        }
        switch c.kind {
        case let .conv2dInputGradient(i, h, w, o, k, p):
            let inShape = Shape(i, h, w), wShape = Shape(o, i, k, k), outShape = Shape(o, h + 2 * p - k + 1, w + 2 * p - k + 1)
            let r = v["outputGradient"]!, weight = try t(wShape, v["weight"]!)
            return OpGradientProblem(point: v["input"]!, value: { x in
                weighted(try forward(outShape) { try device.conv2d(input: try t(inShape, x), weight: weight, bias: nil, output: $0, padding: p) }, r)
            }, analytic: {
                try forward(inShape) { try device.conv2dInputGradient(outputGradient: try t(outShape, r), weight: weight, inputGradient: $0, padding: p) }
            })
        case let .reluGradient(s, _):
            let r = v["outputGradient"]!, x0 = v["input"]!
            return OpGradientProblem(point: x0, value: { x in
                weighted(try forward(s) { try device.relu(input: try t(s, x), output: $0) }, r)
            }, analytic: {
                let y = try device.makeTensor(s)
                try device.relu(input: try t(s, x0), output: y)
                return try forward(s) { try device.reluGradient(output: y, outputGradient: try t(s, r), inputGradient: $0) }
            })
        case let .pool2x2Gradient(kind, s):
            let outShape = Shape(s[0], s[1] / 2, s[2] / 2), r = v["outputGradient"]!, x0 = v["input"]!
            return OpGradientProblem(point: x0, value: { x in
                weighted(try forward(outShape) { try device.pool2x2(kind, input: try t(s, x), output: $0) }, r)
            }, analytic: {
                try forward(s) { try device.pool2x2Gradient(kind, input: try t(s, x0), outputGradient: try t(outShape, r), inputGradient: $0) }
            })
        case let .normalizeGradient(s):
            let r = v["outputGradient"]!, mean = v["mean"]!, std = v["std"]!
            return OpGradientProblem(point: v["input"]!, value: { x in
                weighted(try forward(s) { try device.normalize(input: try t(s, x), output: $0, mean: mean, std: std) }, r)
            }, analytic: {
                try forward(s) { try device.normalizeGradient(outputGradient: try t(s, r), inputGradient: $0, std: std) }
            })
        case let .contentLoss(s, true, scale):
            let target = try t(s, v["target"]!)
            return lossProblem(s, v["generated"]!, scale, device) {
                try device.contentLoss(generated: $0, target: target, gradient: $1, scale: scale)
            }
        case let .styleLoss(s, _, true, scale):
            let target = try t(Shape(s[0], s[0]), v["targetGram"]!)
            return lossProblem(s, v["generated"]!, scale, device) {
                try device.styleLoss(generated: $0, targetGram: target, gradient: $1, scale: scale)
            }
        case let .totalVariationLoss(s, true, scale):
            return lossProblem(s, v["image"]!, scale, device) {
                try device.totalVariationLoss(image: $0, gradient: $1, scale: scale)
            }
        case let .crop(s, y, x, h, w):
            // L = sum r * crop(x): dL/dx is r added into a zero tensor at the window (crop's adjoint).
            let window = Shape(s[0], h, w), r = v["outputGradient"]!
            return OpGradientProblem(point: v["input"]!, value: { input in
                weighted(try forward(window) { try device.execute(.crop(try t(s, input), y: y, x: x, into: $0)) }, r)
            }, analytic: {
                try forward(s) { try device.execute(.addWindow(try t(window, r), into: $0, y: y, x: x)) }
            })
        case let .gramGradient(s, scale):
            // L = scale/2 * sum_ij G_ij (A A^T)_ij, whose gradient is scale * G A for symmetric G;
            // the device's Gram divides by H*W, which is multiplied back.
            let c = s[0], pixels = Double(s[1] * s[2]), gram = v["gramGradient"]!
            return OpGradientProblem(point: v["input"]!, value: { a in
                0.5 * Double(scale) * pixels * weighted(try forward(Shape(c, c)) { try device.gram(input: try t(s, a), output: $0) }, gram)
            }, analytic: {
                try forward(s) { try device.execute(.gramGradient(input: try t(s, v["input"]!), gramGradient: try t(Shape(c, c), gram),
                                                                  inputGradient: $0, scale: scale)) }
            })
        case let .scaleByMask(s):
            // L = sum r * (a . m): the op is self-adjoint, so dL/da is the op applied to r.
            let r = v["outputGradient"]!, mask = try t(Shape(s[1], s[2]), v["mask"]!)
            return OpGradientProblem(point: v["tensor"]!, value: { a in
                let x = try t(s, a)
                try device.execute(.scaleByMask(x, mask: mask))
                return weighted(try device.download(x), r)
            }, analytic: {
                let x = try t(s, r)
                try device.execute(.scaleByMask(x, mask: mask))
                return try device.download(x)
            })
        case let .temporalLoss(s, true, scale):
            let target = try t(s, v["target"]!), weights = try t(Shape(s[1], s[2]), v["weights"]!)
            return lossProblem(s, v["image"]!, scale, device) { image, gradient in
                try device.scalar { .temporalLoss(image: image, target: target, weights: weights, gradient: gradient, scale: scale, slots: $0, index: 0) }
            }
        case let .totalVariationL1Loss(s, true, scale):
            return lossProblem(s, v["image"]!, scale, device) { image, gradient in
                try device.scalar { .totalVariationL1Loss(image: image, gradient: gradient, scale: scale, slots: $0, index: 0) }
            }
        default:
            return nil
        }
    }

    private static func lossProblem(_ s: Shape, _ x0: [Float], _ scale: Float, _ device: Device,
                                    _ loss: @escaping (Tensor, Tensor?) throws -> Double) -> OpGradientProblem {
        OpGradientProblem(point: x0, value: { x in
            Double(scale) * (try loss(try device.tensor(s, x), nil))
        }, analytic: {
            let g = try device.makeTensor(s)
            _ = try loss(try device.tensor(s, x0), g)
            return try device.download(g)
        })
    }

    /// Central differences `(L(x + eps e_i) - L(x - eps e_i)) / (x_i+ - x_i-)` (the step
    /// actually applied in float), in Double.
    static func numeric(_ p: OpGradientProblem, eps: Float) throws -> [Double] {
        var x = p.point
        var result = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let x0 = x[i]
            x[i] = x0 + eps; let up = x[i]; let lPlus = try p.value(x)
            x[i] = x0 - eps; let down = x[i]; let lMinus = try p.value(x)
            x[i] = x0
            result[i] = (lPlus - lMinus) / (Double(up) - Double(down))
        }
        return result
    }
}

final class OpTableTests: XCTestCase {
    /// Seeds differ per case (its index in the table) but not per run.
    static func inputs(_ index: Int) -> OpValues { OpInputs.make(index) }
    private func inputs(_ index: Int) -> OpValues { Self.inputs(index) }

    // MARK: (a) reference mode

    /// Runs the cases `include` selects on `backend` against the naive reference (and the
    /// hand-computed ones against their hand values: `SelfTest`, as `nst selftest` does),
    /// failing once per mismatching output, and prints the worst mismatch per family and op.
    /// Also used by OpenCLTuningTests to check tuned devices.
    static func checkReference(_ backend: OpTableBackend, where include: (OpCase) -> Bool = { _ in true }) throws {
        let report = SelfTest.run(backend, where: include)
        XCTAssertGreaterThan(report.cases, 0, "\(backend.name): no case selected")
        for failure in report.failures { XCTFail("\(backend.name): \(failure)") }
        print("reference mode, " + report.lines.joined(separator: "\n"))
    }

    private func checkReference(_ backend: OpTableBackend) throws { try Self.checkReference(backend) }

    func testReferenceCPU() throws { try checkReference(.cpu()) }
    func testReferenceOpenCL() throws { try checkReference(try .opencl()) }

    // MARK: (b) gradient mode

    private func checkGradients(_ backend: OpTableBackend, _ fd: FiniteDifferences) throws {
        var worst = WorstPerOp(), checked = 0
        for (index, c) in OpCases.all.enumerated() {
            guard let n = c.gradientVariableCount, n <= OpTableGradients.maxElements,
                  let problem = try OpTableGradients.problem(c, inputs(index), on: backend.device(c.path)) else { continue }
            let analytic = try problem.analytic(), numeric = try OpTableGradients.numeric(problem, eps: fd.eps)
            let comparisons = OpComparison.compare([OpOutput(name: "analytic", values: analytic.map(Double.init))],
                                                   [OpOutput(name: "analytic", values: numeric)], abs: fd.abs, rel: fd.rel)
            // Each convolution path is reported on its own line, so a new algorithm's error shows.
            worst.record(c.path == .plain ? c.kind.opName : "\(c.kind.opName) \(c.path.rawValue)", comparisons, "\(c)")
            for m in comparisons where !(m.ratio <= 1) {
                XCTFail("\(backend.name): \(c): analytic vs finite differences (eps \(fd.eps)): \(m.description)")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 20, "gradient cases checked")
        worst.print("gradient mode, \(backend.name) (\(checked) cases, eps \(fd.eps), abs \(fd.abs), rel \(fd.rel))")
    }

    func testGradientsCPU() throws { try checkGradients(.cpu(), .cpu) }
    func testGradientsOpenCL() throws { try checkGradients(try .opencl(), .opencl) }

    // MARK: (c) the self-test's own checks (hand values, paths, failures)

    /// The hand-computed cases run in the reference mode (`SelfTest` also compares them, and
    /// the naive reference, with their hand values); this counts them.
    func testHandComputedCasesAreInTheTable() {
        XCTAssertEqual(OpCases.all.filter { $0.handExpected != nil }.count, OpCases.handComputed.count)
        XCTAssertGreaterThanOrEqual(OpCases.handComputed.count, 10)
    }

    /// A backend whose Winograd devices are swapped fails on every Winograd case's path, and
    /// one whose pooling takes the other kind fails on the pooling cases (hand values included),
    /// while every other case still passes: the self-test names what is wrong.
    func testSelfTestReportsBrokenBackends() {
        let cpu = OpTableBackend.cpu()
        let swapped = SelfTest.run(OpTableBackend(name: "swapped", plain: cpu.plain, banded: cpu.banded,
                                                  winograd: cpu.winograd2x2, winograd2x2: cpu.winograd))
        let winogradCases = OpCases.all.filter { $0.path == .winograd || $0.path == .winograd2x2 }.count
        XCTAssertEqual(swapped.failures.filter { $0.contains("does not take the") }.count, winogradCases, swapped.failures.joined(separator: "\n"))
        XCTAssertFalse(swapped.passed)

        let pools = OpCases.all.filter { if case .pool2x2 = $0.kind { return true } else { return false } }.count
        let broken = SelfTest.run(OpTableBackend(name: "swapped pooling", plain: SwappedPoolingDevice(), banded: cpu.banded,
                                                 winograd: cpu.winograd, winograd2x2: cpu.winograd2x2))
        let failedCases = Set(broken.failures.compactMap { $0.components(separatedBy: " against ").first })
        XCTAssertEqual(failedCases.count, pools, broken.failures.joined(separator: "\n"))
        XCTAssertTrue(failedCases.allSatisfy { $0.hasPrefix("pool2x2 ") }, broken.failures.joined(separator: "\n"))
        XCTAssertTrue(broken.failures.contains { $0.contains("against the hand values") })
        XCTAssertGreaterThan(broken.worstRatio(.elementwise) ?? 0, 1)
        XCTAssertLessThanOrEqual(broken.worstRatio(.contraction) ?? 2, 1)
    }

    // MARK: every check can fail

    /// The reference comparison reports a mismatch for broken expectations: a reference fed
    /// the transposed kernel (every square, non-trivial convolution), and for every case an
    /// expected output moved by twice its tolerance at its largest element.
    func testBrokenReferenceIsReported() throws {
        let backend = OpTableBackend.cpu()
        for (index, c) in OpCases.all.enumerated() {
            let v = inputs(index), tol = c.kind.family.tolerance
            let actual = try OpTableRunner.run(c, v, on: backend.device(c.path))
            var broken = NaiveReference.evaluate(c, v)
            let k = broken[0].values.indices.max { abs(broken[0].values[$0]) < abs(broken[0].values[$1]) }!
            let scale = abs(broken[0].values[k])
            broken[0].values[k] += 2 * (tol.abs + tol.rel * scale)
            XCTAssertTrue(OpComparison.compare(actual, broken, abs: tol.abs, rel: tol.rel).contains { $0.ratio > 1 },
                          "\(c): a perturbed expected output passed")

            if case let .conv2d(_, h, w, _, 3, _, _) = c.kind, c.given == nil, h * w > 1 {
                var transposed = v
                let w = v["weight"]!
                transposed["weight"] = (0..<w.count).map { j in
                    let (oi, ky, kx) = (j / 9, (j % 9) / 3, j % 3)
                    return w[oi * 9 + kx * 3 + ky]
                }
                XCTAssertTrue(OpComparison.compare(actual, NaiveReference.evaluate(c, transposed), abs: tol.abs, rel: tol.rel)
                    .contains { $0.ratio > 1 },
                              "\(c): a reference with the transposed kernel passed")
            }
        }
    }

    /// The gradient check reports a mismatch for a broken analytic gradient: the input
    /// gradient of a convolution run with the transposed kernel, and for every gradient case
    /// the analytic gradient moved by 3 tolerances at its largest element.
    func testBrokenGradientIsReported() throws {
        let backend = OpTableBackend.cpu(), fd = FiniteDifferences.cpu
        var transposedChecked = 0
        for (index, c) in OpCases.all.enumerated() {
            guard let n = c.gradientVariableCount, n <= OpTableGradients.maxElements else { continue }
            var v = inputs(index)
            let device = backend.device(c.path)
            guard let problem = try OpTableGradients.problem(c, v, on: device) else { continue }
            let numeric = try OpTableGradients.numeric(problem, eps: fd.eps)
            var analytic = try problem.analytic().map(Double.init)
            let k = numeric.indices.max { abs(numeric[$0]) < abs(numeric[$1]) }!
            analytic[k] += 3 * (fd.abs + fd.rel * abs(numeric[k]))
            XCTAssertTrue(OpComparison.compare([OpOutput(name: "g", values: analytic)], [OpOutput(name: "g", values: numeric)],
                                               abs: fd.abs, rel: fd.rel).contains { $0.ratio > 1 }, "\(c): a perturbed gradient passed")

            if case let .conv2dInputGradient(i, h, w, o, 3, _) = c.kind, i * h * w > 1 {
                let wt = v["weight"]!
                v["weight"] = (0..<wt.count).map { j in wt[(j / 9) * 9 + (j % 3) * 3 + (j % 9) / 3] }
                let wrong = try OpTableGradients.problem(c, v, on: device)!.analytic().map(Double.init)
                XCTAssertTrue(OpComparison.compare([OpOutput(name: "g", values: wrong)], [OpOutput(name: "g", values: numeric)],
                                                   abs: fd.abs, rel: fd.rel).contains { $0.ratio > 1 },
                              "\(c) [\(o) outputs]: the transposed kernel's input gradient passed")
                transposedChecked += 1
            }
        }
        XCTAssertGreaterThan(transposedChecked, 0)
    }
}

/// The CPU backend with max and average pooling swapped (forward only): a broken backend
/// the self-test must catch.
private final class SwappedPoolingDevice: Device {
    let base = CPUDevice()
    var name: String { "swapped pooling" }
    var memory: DeviceMemory? { base.memory }
    func makeTensor(_ shape: Shape) throws -> Tensor { try base.makeTensor(shape) }
    func upload(_ values: [Float], to tensor: Tensor) throws { try base.upload(values, to: tensor) }
    func download(_ tensor: Tensor) throws -> [Float] { try base.download(tensor) }
    func makeLossSlots(count: Int) throws -> LossSlots { try base.makeLossSlots(count: count) }
    func readLosses(_ slots: LossSlots) throws -> [Double] { try base.readLosses(slots) }
    func scratchFloats(sizes: [ImageSize], depth: Int, model: VGGModel) -> Int { base.scratchFloats(sizes: sizes, depth: depth, model: model) }
    func execute(_ op: DeviceOp) throws {
        if case let .pool2x2(kind, input, output) = op {
            try base.execute(.pool2x2(kind == .max ? .avg : .max, input: input, output: output))
        } else {
            try base.execute(op)
        }
    }
}
