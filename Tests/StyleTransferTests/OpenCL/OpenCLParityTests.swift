// OpenCLParityTests: every Device op on OpenCLDevice against CPUDevice on identical seeded inputs over a sweep of shapes.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
import XCTest

/// Tolerances: elementwise ops (ReLU, pooling, normalisation, vector ops) do the same
/// float operations on both backends, so they agree to a few ulps (abs 1e-6, rel 1e-6).
/// Convolutions and Gram matrices sum up to a few hundred products in a different
/// order (CLBlast vs OpenBLAS), so they get abs 1e-5, rel 1e-4 on values of order 1.
/// Losses are float reductions on the device against double on the CPU: rel 1e-5.
final class OpenCLParityTests: XCTestCase {
    let cpu = CPUDevice()

    /// (in channels, H, W, out channels, kernel, padding): 1x1 images, odd sizes, and
    /// channel counts that are not multiples of the work-group size (64).
    static let convShapes: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 1, 1, 1, 1, 0), (1, 1, 1, 2, 3, 1), (3, 5, 7, 4, 3, 1), (2, 9, 4, 3, 3, 0),
        (67, 5, 3, 2, 3, 1), (5, 6, 6, 65, 3, 1), (3, 8, 8, 2, 5, 2), (4, 7, 5, 3, 1, 0),
    ]

    func checkConvolutions(on cl: OpenCLDevice, label: String) throws {
        var data = TestData(seed: 11)
        for (i, h, w, o, k, p) in Self.convShapes {
            let oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1
            let x = data.uniform(i * h * w), wt = data.uniform(o * i * k * k), b = data.uniform(o)
            let dy = data.uniform(o * oh * ow)
            let what = "\(label) in [\(i),\(h),\(w)] weight [\(o),\(i),\(k),\(k)] pad \(p)"
            var results: [[[Float]]] = []
            for device in [cl as Device, cpu] {
                let input = try device.tensor(Shape(i, h, w), x), weight = try device.tensor(Shape(o, i, k, k), wt)
                let bias = try device.tensor(Shape(o), b), gradOut = try device.tensor(Shape(o, oh, ow), dy)
                let out = try device.makeTensor(Shape(o, oh, ow)), outNoBias = try device.makeTensor(Shape(o, oh, ow))
                try device.conv2d(input: input, weight: weight, bias: bias, output: out, padding: p)
                try device.conv2d(input: input, weight: weight, bias: nil, output: outNoBias, padding: p)
                let dIn = try device.tensor(Shape(i, h, w), data.uniform(i * h * w))  // overwritten
                try device.conv2dInputGradient(outputGradient: gradOut, weight: weight, inputGradient: dIn, padding: p)
                let dW = try device.tensor(Shape(o, i, k, k), [Float](repeating: 7, count: o * i * k * k))
                let dB = try device.tensor(Shape(o), [Float](repeating: 7, count: o))
                try device.conv2dWeightGradient(input: input, outputGradient: gradOut, weightGradient: dW,
                                                biasGradient: dB, padding: p)
                results.append(try [out, outNoBias, dIn, dW, dB].map { try device.download($0) })
            }
            for (index, op) in ["conv2d", "conv2d (no bias)", "conv2dInputGradient", "conv2dWeightGradient",
                                "conv2d bias gradient"].enumerated() {
                assertParity("\(op)", results[0][index], results[1][index], abs: 1e-5, rel: 1e-4)
                if let worst = worstMismatch(results[0][index], results[1][index], abs: 1e-5, rel: 1e-4), worst.ratio > 1 {
                    XCTFail("\(op) \(what): \(worst)")
                }
            }
        }
    }

    func testConvolutionsMatchCPU() throws {
        try checkConvolutions(on: try OpenCLTestDevice.get(), label: "one band")
    }

    /// The same sweep with an im2col budget of 90 floats: every convolution is split into
    /// bands of output rows (one row per band for most shapes), as large images are.
    func testBandedConvolutionsMatchCPU() throws {
        try checkConvolutions(on: try OpenCLTestDevice.get(banded: true), label: "banded")
    }

    static let activationShapes = [(1, 1, 1), (3, 5, 7), (65, 3, 3), (2, 17, 13), (1, 2, 2), (70, 9, 11)]

    func testReluAndGradientMatchCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 12)
        for (c, h, w) in Self.activationShapes {
            let n = c * h * w, x = data.uniform(n), dy = data.uniform(n)
            var results: [[[Float]]] = []
            for device in [cl as Device, cpu] {
                let input = try device.tensor(Shape(c, h, w), x), out = try device.makeTensor(Shape(c, h, w))
                try device.relu(input: input, output: out)
                let dOut = try device.tensor(Shape(c, h, w), dy), dIn = try device.makeTensor(Shape(c, h, w))
                try device.reluGradient(output: out, outputGradient: dOut, inputGradient: dIn)
                try device.relu(input: input, output: input)  // in place
                try device.reluGradient(output: out, outputGradient: dOut, inputGradient: dOut)  // in place
                results.append(try [out, dIn, input, dOut].map { try device.download($0) })
            }
            for (index, op) in ["relu", "reluGradient", "relu (in place)", "reluGradient (in place)"].enumerated() {
                assertParity(op, results[0][index], results[1][index], abs: 0, rel: 0)
            }
        }
    }

    func testPoolingMatchesCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 13)
        for (c, h, w) in [(1, 2, 2), (3, 5, 7), (65, 4, 6), (2, 9, 9), (1, 3, 2)] {
            let n = c * h * w, x = data.distinct(n), dy = data.uniform(c * (h / 2) * (w / 2))
            for kind in PoolKind.allCases {
                var results: [[[Float]]] = []
                for device in [cl as Device, cpu] {
                    let input = try device.tensor(Shape(c, h, w), x), out = try device.makeTensor(Shape(c, h / 2, w / 2))
                    try device.pool2x2(kind, input: input, output: out)
                    let dOut = try device.tensor(Shape(c, h / 2, w / 2), dy)
                    let dIn = try device.tensor(Shape(c, h, w), data.uniform(n))  // overwritten, odd edges included
                    try device.pool2x2Gradient(kind, input: input, outputGradient: dOut, inputGradient: dIn)
                    results.append(try [out, dIn].map { try device.download($0) })
                }
                assertParity("pool2x2 \(kind)", results[0][0], results[1][0], abs: 1e-7, rel: 1e-6)
                assertParity("pool2x2Gradient \(kind)", results[0][1], results[1][1], abs: 1e-7, rel: 1e-6)
            }
        }
    }

    func testGramMatchesCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 14)
        for (c, h, w) in Self.activationShapes {
            let x = data.uniform(c * h * w)
            let results = try [cl as Device, cpu].map { device -> [Float] in
                let g = try device.tensor(Shape(c, c), data.uniform(c * c, 5, 6))  // overwritten
                try device.gram(input: try device.tensor(Shape(c, h, w), x), output: g)
                return try device.download(g)
            }
            assertParity("gram", results[0], results[1], abs: 1e-6, rel: 1e-4)
        }
    }

    /// Loss values (rel 1e-5) and accumulated gradients (onto a non-zero gradient, with a scale).
    func testLossesMatchCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 15)
        for (c, h, w) in Self.activationShapes {
            let n = c * h * w
            let g = data.uniform(n, 0, 1), t = data.uniform(n, 0, 1), s = data.uniform(c * 5 * 3, 0, 1)
            let start = data.uniform(n)
            var values: [[Double]] = [], grads: [[[Float]]] = [], slotted: [[Double]] = []
            for device in [cl as Device, cpu] {
                let gen = try device.tensor(Shape(c, h, w), g), target = try device.tensor(Shape(c, h, w), t)
                let styleImage = try device.tensor(Shape(c, 5, 3), s), targetGram = try device.makeTensor(Shape(c, c))
                try device.gram(input: styleImage, output: targetGram)  // a target from another image size
                let gc = try device.tensor(Shape(c, h, w), start), gs = try device.tensor(Shape(c, h, w), start)
                let gt = try device.tensor(Shape(c, h, w), start)
                let jc = try device.contentLoss(generated: gen, target: target, gradient: gc, scale: 0.7)
                let js = try device.styleLoss(generated: gen, targetGram: targetGram, gradient: gs, scale: 1.3)
                let jt = try device.totalVariationLoss(image: gen, gradient: gt, scale: 0.9)
                let jcOnly = try device.contentLoss(generated: gen, target: target, gradient: nil, scale: 1)
                let jsOnly = try device.styleLoss(generated: gen, targetGram: targetGram, gradient: nil, scale: 1)
                let jtOnly = try device.totalVariationLoss(image: gen, gradient: nil, scale: 1)
                values.append([jc, js, jt, jcOnly, jsOnly, jtOnly])
                // The same losses left in slots and read together (slot 1 left unwritten).
                let slots = try device.makeLossSlots(count: 4)
                try device.totalVariationLoss(image: gen, gradient: nil, scale: 1, into: slots, at: 3)
                try device.styleLoss(generated: gen, targetGram: targetGram, gradient: nil, scale: 1, into: slots, at: 2)
                try device.contentLoss(generated: gen, target: target, gradient: nil, scale: 1, into: slots, at: 0)
                slotted.append(try device.readLosses(slots))
                XCTAssertEqual(slotted.last, [jcOnly, 0, jsOnly, jtOnly], "\(device.name): slots hold the returned values")
                grads.append(try [gc, gs, gt].map { try device.download($0) })
            }
            // The style loss sums squares of G - T, which can be far smaller than the Grams: its
            // float error is that of G (1e-6 of max|G| per entry allowed) times 2 sum|G - T| / (4 C^2),
            // not a fraction of the loss (on an H100 the loss differed by 1.4e-5 of itself).
            let gramG = referenceGram(g, c: c, pixels: h * w), gramT = referenceGram(s, c: c, pixels: 15)
            let sumDiff = zip(gramG, gramT).reduce(0) { $0 + abs($1.0 - $1.1) }
            let styleAbs = 2 * sumDiff * 1e-6 * (gramG.map(abs).max() ?? 0) / Double(4 * c * c)
            for (index, op) in ["contentLoss", "styleLoss", "totalVariationLoss"].enumerated() {
                let absTol = op == "styleLoss" ? max(1e-12, styleAbs) : 1e-12
                assertParity(op, [values[0][index]], [values[1][index]], abs: absTol, rel: 1e-5)
                assertParity(op + " (no gradient)", [values[0][index + 3]], [values[1][index + 3]], abs: absTol, rel: 1e-5)
                assertParity(op + " gradient", grads[0][index], grads[1][index], abs: 1e-6, rel: 1e-5)
            }
        }
    }

    func testNormalizeMatchesCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 16)
        for (c, h, w) in [(3, 5, 7), (5, 1, 1), (3, 16, 9)] {
            let n = c * h * w, x = data.uniform(n, 0, 1), dy = data.uniform(n)
            let mean = data.uniform(c, 0.3, 0.6), std = data.uniform(c, 0.1, 0.4)
            var results: [[[Float]]] = []
            for device in [cl as Device, cpu] {
                let input = try device.tensor(Shape(c, h, w), x), out = try device.makeTensor(Shape(c, h, w))
                try device.normalize(input: input, output: out, mean: mean, std: std)
                let dIn = try device.makeTensor(Shape(c, h, w))
                try device.normalizeGradient(outputGradient: try device.tensor(Shape(c, h, w), dy), inputGradient: dIn, std: std)
                results.append(try [out, dIn].map { try device.download($0) })
            }
            assertParity("normalize", results[0][0], results[1][0], abs: 1e-6, rel: 1e-6)
            assertParity("normalizeGradient", results[0][1], results[1][1], abs: 1e-6, rel: 1e-6)
        }
    }

    /// Counts around the work-group size and a large one whose dot product needs the
    /// compensated, tree-shaped reduction to stay within 1e-5 of the CPU's double sum.
    func testVectorOpsMatchCPU() throws {
        let cl = try OpenCLTestDevice.get()
        var data = TestData(seed: 17)
        for n in [1, 63, 64, 65, 1000, 16411, 300_007] {
            let x = data.uniform(n), y = data.uniform(n), g = data.uniform(n)
            let m0 = data.uniform(n), v0 = data.uniform(n, 0, 1)
            var results: [[[Float]]] = [], dots: [[Double]] = []
            for device in [cl as Device, cpu] {
                let tx = try device.tensor(Shape(n), x), ty = try device.tensor(Shape(n), y)
                let dotXY = try device.dot(tx, ty), dotXX = try device.dot(tx, tx)
                try device.axpy(-0.37, tx, ty)
                let tz = try device.makeTensor(Shape(n))
                try device.copy(ty, to: tz)
                try device.scale(tz, by: 1.7)
                let p = try device.tensor(Shape(n), x), tg = try device.tensor(Shape(n), g)
                let m = try device.tensor(Shape(n), m0), v = try device.tensor(Shape(n), v0)
                for step in 1...3 {
                    try device.adamStep(parameter: p, gradient: tg, m: m, v: v, learningRate: 0.01,
                                        beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: step)
                }
                let f = try device.makeTensor(Shape(n))
                try device.fill(f, with: 0.25)
                // Coefficients kept on the device: slots = [0.5 x.g, -2 g.g, 7], then
                // f += (slot0 - 0.5 slot1) x and f += 3 slot2 g.
                let slots = try device.tensor(Shape(3), [9, 9, 7])
                try device.dot(tx, tg, scale: 0.5, into: slots, at: 0)
                try device.dot(tg, tg, scale: -2, into: slots, at: 1)
                try device.axpy([CoefficientTerm(index: 0, factor: 1), CoefficientTerm(index: 1, factor: -0.5)], coefficients: slots, tx, f)
                try device.axpy([CoefficientTerm(index: 2, factor: 3)], coefficients: slots, tg, f)
                dots.append([dotXY, dotXX])
                results.append(try [ty, tz, p, m, v, f, slots].map { try device.download($0) })
            }
            assertParity("dot", [dots[0][0]], [dots[1][0]], abs: 1e-6 * Double(n).squareRoot(), rel: 1e-5)
            assertParity("dot (x, x)", [dots[0][1]], [dots[1][1]], abs: 0, rel: 1e-5)
            for (index, op) in ["axpy", "scale (after copy)", "adamStep parameter", "adamStep m", "adamStep v",
                                "fill, then axpy with device coefficients"].enumerated() {
                assertParity(op, results[0][index], results[1][index], abs: 1e-6, rel: 1e-5)
            }
            assertParity("dot into slots", results[0][6], results[1][6], abs: 1e-6 * Double(n).squareRoot(), rel: 1e-5)
        }
    }
}
