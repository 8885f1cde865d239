// OpCases: the one table of op cases (op, shapes, parameters, inputs) that every backend runs against the naive reference.
import NSTCore

/// The table. Shapes are small (the whole run stays within seconds in a debug build);
/// odd sizes, 1x1 images, channel counts off the work-group size, and Winograd-sized cases
/// (32 channels at 8x8 and at sizes that cut tiles, 256 summed channels for the rounding).
enum OpCases {
    static let all: [OpCase] = conv + convInputGradient + activations + normalisation + losses + vectors + windows
        + masks + temporal + handComputed

    /// Video's temporal term: the loss with and without its gradient (one channel, many, a
    /// 1x1 image), and warps by fractions of a pixel, by more than the image (reads outside
    /// are 0), and of a 1x1 image.
    static let temporal: [OpCase] = [
        OpCase(kind: .temporalLoss(Shape(1, 1, 1), gradient: true, scale: 1)),
        OpCase(kind: .temporalLoss(Shape(3, 5, 7), gradient: false, scale: 1)),
        OpCase(kind: .temporalLoss(Shape(3, 4, 6), gradient: true, scale: 0.7)),
        OpCase(kind: .temporalLoss(Shape(65, 3, 2), gradient: true, scale: 2)),
        OpCase(kind: .warp(Shape(1, 1, 1), shift: 0.5)),
        OpCase(kind: .warp(Shape(3, 5, 7), shift: 1.5)),
        OpCase(kind: .warp(Shape(2, 9, 4), shift: 12)),
        OpCase(kind: .warp(Shape(65, 3, 5), shift: 0.9)),
    ]

    /// One channel, many (off the work-group size), a 1x1 image, and a mask wider than tall.
    static let masks: [OpCase] = [
        OpCase(kind: .scaleByMask(Shape(1, 1, 1))),
        OpCase(kind: .scaleByMask(Shape(1, 4, 5))),
        OpCase(kind: .scaleByMask(Shape(3, 5, 7))),
        OpCase(kind: .scaleByMask(Shape(65, 3, 2))),
    ]

    static let conv: [OpCase] = [
        OpCase(kind: .conv2d(inChannels: 1, height: 1, width: 1, outChannels: 1, kernel: 1, padding: 0, bias: false)),
        OpCase(kind: .conv2d(inChannels: 1, height: 1, width: 1, outChannels: 2, kernel: 3, padding: 1, bias: true)),
        OpCase(kind: .conv2d(inChannels: 3, height: 5, width: 7, outChannels: 4, kernel: 3, padding: 1, bias: true)),
        OpCase(kind: .conv2d(inChannels: 3, height: 5, width: 7, outChannels: 4, kernel: 3, padding: 1, bias: false)),
        OpCase(kind: .conv2d(inChannels: 2, height: 9, width: 4, outChannels: 3, kernel: 3, padding: 0, bias: true)),
        OpCase(kind: .conv2d(inChannels: 4, height: 7, width: 5, outChannels: 3, kernel: 1, padding: 0, bias: true)),
        OpCase(kind: .conv2d(inChannels: 5, height: 6, width: 6, outChannels: 65, kernel: 1, padding: 1, bias: false)),
        OpCase(kind: .conv2d(inChannels: 67, height: 3, width: 3, outChannels: 2, kernel: 3, padding: 1, bias: true)),
        OpCase(kind: .conv2d(inChannels: 3, height: 8, width: 8, outChannels: 2, kernel: 5, padding: 2, bias: true)),
        OpCase(kind: .conv2d(inChannels: 5, height: 7, width: 9, outChannels: 6, kernel: 3, padding: 1, bias: true), path: .banded),
        OpCase(kind: .conv2d(inChannels: 3, height: 6, width: 5, outChannels: 2, kernel: 3, padding: 0, bias: false), path: .banded),
        OpCase(kind: .conv2d(inChannels: 32, height: 8, width: 8, outChannels: 32, kernel: 3, padding: 1, bias: true), path: .winograd),
        OpCase(kind: .conv2d(inChannels: 32, height: 9, width: 21, outChannels: 17, kernel: 3, padding: 1, bias: true), path: .winograd),
        OpCase(kind: .conv2d(inChannels: 256, height: 8, width: 8, outChannels: 16, kernel: 3, padding: 1, bias: false), path: .winograd),
        OpCase(kind: .conv2d(inChannels: 16, height: 5, width: 7, outChannels: 17, kernel: 3, padding: 1, bias: true), path: .winograd),
        OpCase(kind: .conv2d(inChannels: 19, height: 13, width: 2, outChannels: 16, kernel: 3, padding: 1, bias: true), path: .winograd),
        OpCase(kind: .conv2d(inChannels: 32, height: 8, width: 8, outChannels: 32, kernel: 3, padding: 1, bias: true), path: .winograd2x2),
        OpCase(kind: .conv2d(inChannels: 256, height: 8, width: 8, outChannels: 16, kernel: 3, padding: 1, bias: false), path: .winograd2x2),
    ]

    static let convInputGradient: [OpCase] = [
        OpCase(kind: .conv2dInputGradient(inChannels: 1, height: 1, width: 1, outChannels: 1, kernel: 3, padding: 1)),
        OpCase(kind: .conv2dInputGradient(inChannels: 3, height: 5, width: 7, outChannels: 4, kernel: 3, padding: 1)),
        OpCase(kind: .conv2dInputGradient(inChannels: 2, height: 6, width: 5, outChannels: 3, kernel: 3, padding: 0)),
        OpCase(kind: .conv2dInputGradient(inChannels: 4, height: 5, width: 3, outChannels: 3, kernel: 1, padding: 0)),
        OpCase(kind: .conv2dInputGradient(inChannels: 2, height: 4, width: 5, outChannels: 67, kernel: 1, padding: 1)),
        OpCase(kind: .conv2dInputGradient(inChannels: 3, height: 6, width: 5, outChannels: 2, kernel: 5, padding: 2)),
        OpCase(kind: .conv2dInputGradient(inChannels: 3, height: 7, width: 6, outChannels: 5, kernel: 3, padding: 1), path: .banded),
        OpCase(kind: .conv2dInputGradient(inChannels: 2, height: 5, width: 5, outChannels: 2, kernel: 3, padding: 0), path: .banded),
        OpCase(kind: .conv2dInputGradient(inChannels: 32, height: 8, width: 8, outChannels: 32, kernel: 3, padding: 1), path: .winograd),
        OpCase(kind: .conv2dInputGradient(inChannels: 17, height: 11, width: 6, outChannels: 32, kernel: 3, padding: 1), path: .winograd),
        OpCase(kind: .conv2dInputGradient(inChannels: 16, height: 8, width: 8, outChannels: 256, kernel: 3, padding: 1), path: .winograd),
        OpCase(kind: .conv2dInputGradient(inChannels: 16, height: 10, width: 13, outChannels: 16, kernel: 3, padding: 1), path: .winograd),
        OpCase(kind: .conv2dInputGradient(inChannels: 32, height: 8, width: 8, outChannels: 32, kernel: 3, padding: 1), path: .winograd2x2),
        OpCase(kind: .conv2dInputGradient(inChannels: 16, height: 8, width: 8, outChannels: 256, kernel: 3, padding: 1), path: .winograd2x2),
    ]

    static let activations: [OpCase] = [
        OpCase(kind: .relu(Shape(1, 1, 1), inPlace: false)),
        OpCase(kind: .relu(Shape(3, 5, 7), inPlace: false)),
        OpCase(kind: .relu(Shape(65, 3, 3), inPlace: true)),
        OpCase(kind: .reluGradient(Shape(2, 4, 4), inPlace: false)),
        OpCase(kind: .reluGradient(Shape(3, 5, 7), inPlace: false)),
        OpCase(kind: .reluGradient(Shape(2, 3, 5), inPlace: true)),
        OpCase(kind: .pool2x2(.max, Shape(1, 2, 2))),
        OpCase(kind: .pool2x2(.max, Shape(3, 5, 7))),
        OpCase(kind: .pool2x2(.max, Shape(65, 4, 6))),
        OpCase(kind: .pool2x2(.avg, Shape(2, 9, 9))),
        OpCase(kind: .pool2x2(.avg, Shape(1, 3, 2))),
        OpCase(kind: .pool2x2Gradient(.max, Shape(2, 4, 4))),
        OpCase(kind: .pool2x2Gradient(.max, Shape(3, 5, 7))),
        OpCase(kind: .pool2x2Gradient(.avg, Shape(2, 4, 4))),
        OpCase(kind: .pool2x2Gradient(.avg, Shape(2, 5, 3))),
    ]

    static let normalisation: [OpCase] = [
        OpCase(kind: .normalize(Shape(3, 5, 7))),
        OpCase(kind: .normalize(Shape(5, 1, 1))),
        OpCase(kind: .normalizeGradient(Shape(3, 4, 5))),
        OpCase(kind: .normalizeGradient(Shape(5, 1, 1))),
        OpCase(kind: .gram(Shape(1, 1, 1))),
        OpCase(kind: .gram(Shape(3, 5, 7))),
        OpCase(kind: .gram(Shape(65, 3, 3))),
        OpCase(kind: .gram(Shape(2, 17, 13))),
    ]

    static let losses: [OpCase] = [
        OpCase(kind: .contentLoss(Shape(1, 1, 1), gradient: false, scale: 1)),
        OpCase(kind: .contentLoss(Shape(3, 5, 7), gradient: false, scale: 1)),
        OpCase(kind: .contentLoss(Shape(2, 3, 4), gradient: true, scale: 1)),
        OpCase(kind: .contentLoss(Shape(3, 5, 7), gradient: true, scale: 0.7)),
        OpCase(kind: .styleLoss(Shape(3, 5, 7), styleShape: Shape(3, 5, 3), gradient: false, scale: 1)),
        OpCase(kind: .styleLoss(Shape(2, 3, 4), styleShape: Shape(2, 4, 6), gradient: true, scale: 1)),
        OpCase(kind: .styleLoss(Shape(3, 4, 5), styleShape: Shape(3, 5, 3), gradient: true, scale: 1.3)),
        OpCase(kind: .styleLoss(Shape(65, 3, 3), styleShape: Shape(65, 2, 2), gradient: false, scale: 1)),
        OpCase(kind: .totalVariationLoss(Shape(1, 1, 1), gradient: true, scale: 1)),
        OpCase(kind: .totalVariationLoss(Shape(3, 5, 7), gradient: false, scale: 1)),
        OpCase(kind: .totalVariationLoss(Shape(2, 4, 3), gradient: true, scale: 1)),
        OpCase(kind: .totalVariationLoss(Shape(3, 6, 5), gradient: true, scale: 0.9)),
        OpCase(kind: .totalVariationLoss(Shape(1, 1, 6), gradient: true, scale: 2)),
        OpCase(kind: .totalVariationL1Loss(Shape(3, 5, 7), gradient: false, scale: 1)),
        OpCase(kind: .totalVariationL1Loss(Shape(2, 4, 3), gradient: true, scale: 1)),
        OpCase(kind: .totalVariationL1Loss(Shape(3, 6, 5), gradient: true, scale: 255)),
        OpCase(kind: .totalVariationL1Loss(Shape(1, 1, 6), gradient: true, scale: 0.5)),
    ]

    /// Counts around the OpenCL work-group size (64) and one needing many work-groups.
    static let vectors: [OpCase] = [
        OpCase(kind: .dot(count: 1)),
        OpCase(kind: .dot(count: 65)),
        OpCase(kind: .dot(count: 16411)),
        // Many work-groups: OpenCL's compensated, tree-shaped reduction.
        OpCase(kind: .dot(count: 300_007)),
        OpCase(kind: .axpy(count: 63, alpha: -0.37)),
        OpCase(kind: .axpy(count: 1000, alpha: 2.5)),
        OpCase(kind: .scale(count: 64, alpha: 1.7)),
        OpCase(kind: .scale(count: 1001, alpha: -0.3)),
        OpCase(kind: .adamStep(count: 65, steps: 3, learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)),
        OpCase(kind: .adamStep(count: 1000, steps: 1, learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6)),
        OpCase(kind: .dotCoefficient(count: 63, scale: 0.5, slots: 3, index: 0)),
        OpCase(kind: .dotCoefficient(count: 16411, scale: -2, slots: 3, index: 2)),
        OpCase(kind: .axpyCoefficients(count: 65, terms: [CoefficientTerm(index: 2, factor: 3)], slots: 3)),
        OpCase(kind: .axpyCoefficients(count: 1000, terms: [CoefficientTerm(index: 0, factor: 1),
                                                            CoefficientTerm(index: 1, factor: -0.5)], slots: 3)),
    ]

    /// The ops of tiled evaluation: windows at the corners, in the middle, the whole tensor,
    /// and one row or column; the Gram product's adjoint.
    static let windows: [OpCase] = [
        OpCase(kind: .crop(large: Shape(3, 7, 9), y: 0, x: 0, height: 3, width: 4)),
        OpCase(kind: .crop(large: Shape(2, 7, 9), y: 2, x: 3, height: 5, width: 6)),
        OpCase(kind: .crop(large: Shape(65, 3, 5), y: 0, x: 0, height: 3, width: 5)),
        OpCase(kind: .crop(large: Shape(1, 6, 6), y: 5, x: 1, height: 1, width: 4)),
        OpCase(kind: .addWindow(large: Shape(3, 7, 9), y: 4, x: 5, height: 3, width: 4)),
        OpCase(kind: .addWindow(large: Shape(2, 5, 5), y: 1, x: 0, height: 3, width: 1)),
        OpCase(kind: .addWindow(large: Shape(65, 3, 5), y: 0, x: 0, height: 3, width: 5)),
        OpCase(kind: .gramGradient(Shape(3, 5, 7), scale: 1)),
        OpCase(kind: .gramGradient(Shape(65, 3, 3), scale: 0.25)),
        OpCase(kind: .gramGradient(Shape(2, 17, 13), scale: -1.5)),
    ]

    /// Values worked out by hand (moved here from CPU/ConvolutionTests, CPU/LossTests and
    /// OpenCL/OpenCLHandComputedTests); they also run in the reference mode, which checks
    /// the naive reference itself against the hand values.
    static let handComputed: [OpCase] = [
        // A 6x6 image, left three columns 10, right three 0, convolved (valid) with the
        // vertical edge kernel whose columns are 1, 0, -1: every output row is 0, 30, 30, 0.
        OpCase(kind: .conv2d(inChannels: 1, height: 6, width: 6, outChannels: 1, kernel: 3, padding: 0, bias: false),
               given: ["input": (0..<36).map { $0 % 6 < 3 ? 10 : 0 }, "weight": [1, 0, -1, 1, 0, -1, 1, 0, -1]],
               handExpected: ["output": Array([[Double]](repeating: [0, 30, 30, 0], count: 4).joined())],
               note: "6x6 vertical edge"),
        // A = [[1, 2], [3, 4]] (C = 2, H*W = 2): A A^T = [[5, 11], [11, 25]], divided by H*W = 2.
        OpCase(kind: .gram(Shape(2, 1, 2)), given: ["input": [1, 2, 3, 4]],
               handExpected: ["output": [2.5, 5.5, 5.5, 12.5]], note: "hand"),
        // sum (0 - a)^2 = 1 + 4 + 9 + 16 = 30; 1/(4 * 1*2*2) * 30 = 1.875.
        OpCase(kind: .contentLoss(Shape(1, 2, 2), gradient: false, scale: 1),
               given: ["generated": [1, 2, 3, 4], "target": [0, 0, 0, 0]],
               handExpected: ["loss": [1.875]], note: "hand"),
        // Gram [[2.5, 5.5], [5.5, 12.5]] against a zero target: (6.25 + 2*30.25 + 156.25) / (4 * 2^2) = 13.9375.
        OpCase(kind: .styleLoss(Shape(2, 1, 2), styleShape: Shape(2, 1, 2), gradient: false, scale: 1),
               given: ["generated": [1, 2, 3, 4], "targetGram": [0, 0, 0, 0]],
               handExpected: ["loss": [13.9375]], note: "hand"),
        // [[0, 1], [3, 5]]: across (1-0)^2 + (5-3)^2 = 5, down (3-0)^2 + (5-1)^2 = 25; second channel all 2: 0.
        OpCase(kind: .totalVariationLoss(Shape(2, 2, 2), gradient: false, scale: 1),
               given: ["image": [0, 1, 3, 5, 2, 2, 2, 2]], handExpected: ["loss": [30]], note: "hand"),
        // One row: only horizontal terms. (2-1)^2 + (4-2)^2 = 5.
        OpCase(kind: .totalVariationLoss(Shape(1, 1, 3), gradient: false, scale: 1),
               given: ["image": [1, 2, 4]], handExpected: ["loss": [5]], note: "hand, one row"),
        // [[a, b], [c, d]] = [[1, 2], [3, 5]]: (b-a)^2 + (d-c)^2 + (c-a)^2 + (d-b)^2 = 1 + 4 + 4 + 9 = 18;
        // dJ/da = -2(b-a) - 2(c-a) = -6, dJ/db = 2(b-a) - 2(d-b) = -4, dJ/dc = 2(c-a) - 2(d-c) = 0,
        // dJ/dd = 2(d-c) + 2(d-b) = 10 (accumulated onto zeros with scale 1).
        OpCase(kind: .totalVariationLoss(Shape(1, 2, 2), gradient: true, scale: 1),
               given: ["image": [1, 2, 3, 5], "gradient": [0, 0, 0, 0]],
               handExpected: ["loss": [18], "gradient": [-6, -4, 0, 10]], note: "hand, gradient"),
        // L1: [[1, 2], [3, 5]]: |b-a| + |d-c| + |c-a| + |d-b| = 1 + 2 + 2 + 3 = 8;
        // dJ/da = -1 - 1 = -2, dJ/db = 1 - 1 = 0, dJ/dc = 1 - 1 = 0, dJ/dd = 1 + 1 = 2. A tie
        // (second channel all 2) contributes 0 to both.
        OpCase(kind: .totalVariationL1Loss(Shape(2, 2, 2), gradient: true, scale: 1),
               given: ["image": [1, 2, 3, 5, 2, 2, 2, 2], "gradient": [0, 0, 0, 0, 0, 0, 0, 0]],
               handExpected: ["loss": [8], "gradient": [-2, 0, 0, 2, 0, 0, 0, 0]], note: "hand, gradient"),
        // x = [1, 2, 3, 4], t = 0, weights [1, 0, 1, 0.5]: (1 + 0 + 9 + 0.5 * 16) / 4 = 4.5; the
        // gradient 2 m (x - t) / 4 = [0.5, 0, 1.5, 1] (onto zeros, scale 1).
        OpCase(kind: .temporalLoss(Shape(1, 2, 2), gradient: true, scale: 1),
               given: ["image": [1, 2, 3, 4], "target": [0, 0, 0, 0], "weights": [1, 0, 1, 0.5], "gradient": [0, 0, 0, 0]],
               handExpected: ["loss": [4.5], "gradient": [0.5, 0, 1.5, 1]], note: "hand, gradient"),
        // [[1, 2], [3, 4]] sampled half a pixel right and down: the middle of all four is 2.5;
        // (1.5, 0.5) has 2 and 4 inside, weights 1/4 each: 1.5; (0.5, 1.5): (3 + 4) / 4; (1.5, 1.5): 4 / 4.
        OpCase(kind: .warp(Shape(1, 2, 2), shift: 0), given: ["source": [1, 2, 3, 4], "flow": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]],
               handExpected: ["output": [2.5, 1.5, 1.75, 1]], note: "hand, half a pixel"),
        // A whole-pixel shift left copies the right neighbour; the last column reads outside: 0.
        OpCase(kind: .warp(Shape(1, 1, 3), shift: 0), given: ["source": [5, 6, 7], "flow": [1, 1, 1, 0, 0, 0]],
               handExpected: ["output": [6, 7, 0]], note: "hand, one pixel"),
        // 3x3 input: the last row and column are dropped; the window holds 1, 7, 7, 2.
        OpCase(kind: .pool2x2(.max, Shape(1, 3, 3)), given: ["input": [1, 7, 9, 7, 2, 9, 9, 9, 9]],
               handExpected: ["output": [7]], note: "hand"),
        OpCase(kind: .pool2x2(.avg, Shape(1, 3, 3)), given: ["input": [1, 7, 9, 7, 2, 9, 9, 9, 9]],
               handExpected: ["output": [4.25]], note: "hand"),
        // The gradient goes to the first maximum (index 1); dropped row and column get 0.
        OpCase(kind: .pool2x2Gradient(.max, Shape(1, 3, 3)),
               given: ["input": [1, 7, 9, 7, 2, 9, 9, 9, 9], "outputGradient": [5]],
               handExpected: ["inputGradient": [0, 5, 0, 0, 0, 0, 0, 0, 0]], note: "hand, first maximum"),
        // sum_{i<n} i = n(n-1)/2 across many OpenCL work-groups; the value is good to float
        // precision (a float-accumulated sum of 5e9), which the contraction tolerance allows.
        OpCase(kind: .dot(count: 100_000),
               given: ["x": (0..<100_000).map(Float.init), "y": [Float](repeating: 1, count: 100_000)],
               handExpected: ["value": [4_999_950_000]], note: "hand, ramp"),
    ]
}

