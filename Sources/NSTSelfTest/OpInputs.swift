// OpInputs: the seeded random inputs of an op case, under the names the runner and the naive reference read.
import NSTCore

/// Seeded random inputs of a case; every op's input names are listed here once.
enum OpInputs {
    /// The inputs of case `index` of `OpCases.all`: seeds differ per case but not per run.
    static func make(_ index: Int) -> OpValues { make(OpCases.all[index], seed: 1000 + UInt64(index)) }

    /// The inputs of `c`: its given values, else random ones seeded by `seed`. Outputs an
    /// op overwrites are pre-filled with garbage so a backend that only adds is caught;
    /// outputs it accumulates into start from random values.
    static func make(_ c: OpCase, seed: UInt64) -> OpValues {
        var d = SeededValues(seed: seed)
        var v: OpValues
        switch c.kind {
        case let .conv2d(i, h, w, o, k, _, bias):
            v = ["input": d.uniform(i * h * w), "weight": d.uniform(o * i * k * k)]
            if bias { v["bias"] = d.uniform(o) }
        case let .conv2dInputGradient(i, h, w, o, k, p):
            let oh = h + 2 * p - k + 1, ow = w + 2 * p - k + 1
            // `input` is only the point of the gradient mode's finite differences.
            v = ["outputGradient": d.uniform(o * oh * ow), "weight": d.uniform(o * i * k * k), "input": d.uniform(i * h * w)]
        case let .relu(s, _):
            v = ["input": d.uniform(s.count)]
        case let .reluGradient(s, _):
            // Kept away from ReLU's kink so finite differences of the forward op are smooth.
            v = ["input": d.awayFromZero(s.count), "outputGradient": d.uniform(s.count)]
        case let .pool2x2(_, s):
            v = ["input": d.distinct(s.count)]
        case let .pool2x2Gradient(_, s):
            // Distinct values: no ties in a max window, even after a finite-difference step.
            v = ["input": d.distinct(s.count), "outputGradient": d.uniform(s[0] * (s[1] / 2) * (s[2] / 2))]
        case let .normalize(s), let .normalizeGradient(s):
            v = ["input": d.uniform(s.count, 0, 1), "outputGradient": d.uniform(s.count),
                 "mean": d.uniform(s[0], 0.3, 0.6), "std": d.uniform(s[0], 0.1, 0.4)]
        case let .gram(s):
            v = ["input": d.uniform(s.count)]
        case let .contentLoss(s, _, _):
            v = ["generated": d.uniform(s.count, 0, 1), "target": d.uniform(s.count, 0, 1), "gradient": d.uniform(s.count)]
        case let .styleLoss(s, t, _, _):
            let style = d.uniform(t.count, 0, 1)
            v = ["generated": d.uniform(s.count, 0, 1), "gradient": d.uniform(s.count),
                 "targetGram": NaiveReference.gram(style, Shape(t[0], t[1], t[2])).map(Float.init)]
        case let .totalVariationLoss(s, _, _):
            v = ["image": d.uniform(s.count, 0, 1), "gradient": d.uniform(s.count)]
        case let .totalVariationL1Loss(s, _, _):
            // (7 i mod 19) / 19: neighbours differ by at least 1/19 (rows under 19 wide), far
            // from |d|'s kink at 0 for the finite-difference steps (<= 2e-2).
            v = ["image": (0..<s.count).map { Float((7 * $0) % 19) / 19 }, "gradient": d.uniform(s.count)]
        case let .dot(n), let .dotCoefficient(n, _, _, _):
            v = ["x": d.uniform(n), "y": d.uniform(n)]
        case let .axpy(n, _):
            v = ["x": d.uniform(n), "y": d.uniform(n)]
        case let .scale(n, _):
            v = ["x": d.uniform(n)]
        case let .adamStep(n, _, _, _, _, _):
            v = ["parameter": d.uniform(n), "gradient": d.uniform(n), "m": d.uniform(n), "v": d.uniform(n, 0, 1)]
        case let .axpyCoefficients(n, _, slots):
            v = ["x": d.uniform(n), "y": d.uniform(n), "coefficients": d.uniform(slots)]
        case let .crop(s, _, _, h, w):
            v = ["input": d.uniform(s.count), "output": d.uniform(s[0] * h * w), "outputGradient": d.uniform(s[0] * h * w)]
        case let .addWindow(s, _, _, h, w):
            v = ["window": d.uniform(s[0] * h * w), "destination": d.uniform(s.count)]
        case let .gramGradient(s, _):
            // A symmetric G, as the op requires (the loss's gradient with respect to a Gram matrix is).
            let c = s[0], raw = d.uniform(c * c)
            let g = (0..<(c * c)).map { k in 0.5 * (raw[k] + raw[(k % c) * c + k / c]) }
            v = ["input": d.uniform(s.count), "gramGradient": g, "inputGradient": d.uniform(s.count)]
        case let .scaleByMask(s):
            v = ["tensor": d.uniform(s.count), "mask": d.uniform(s[1] * s[2], 0, 1), "outputGradient": d.uniform(s.count)]
        case let .temporalLoss(s, _, _):
            // Weights 0 (unreliable) at every third pixel, as a real reliability mask has.
            let m = d.uniform(s[1] * s[2], 0, 1).enumerated().map { $0.offset % 3 == 1 ? 0 : $0.element }
            v = ["image": d.uniform(s.count, 0, 1), "target": d.uniform(s.count, 0, 1), "weights": m, "gradient": d.uniform(s.count)]
        case let .warp(s, shift):
            v = ["source": d.uniform(s.count), "flow": d.uniform(2 * s[1] * s[2], -shift, shift), "output": d.uniform(s.count)]
        }
        if case let .dotCoefficient(_, _, slots, _) = c.kind { v["coefficients"] = d.uniform(slots, 5, 6) }
        // Given values replace the random ones of the same name; the rest stay random.
        for (name, values) in c.given ?? [:] { v[name] = values }
        return v
    }
}

/// Seeded random values of the shapes the cases need (the tests' `TestData`).
public struct SeededValues {
    public var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// `count` floats uniform in [lower, upper).
    public mutating func uniform(_ count: Int, _ lower: Float = -1, _ upper: Float = 1) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: lower, upper) }
    }

    /// Values whose magnitude is at least `margin`, with random sign: keeps ReLU inputs
    /// away from its kink at 0.
    public mutating func awayFromZero(_ count: Int, margin: Float = 0.1) -> [Float] {
        (0..<count).map { _ in
            let m = rng.nextFloat(in: margin, 1)
            return rng.nextUnitFloat() < 0.5 ? -m : m
        }
    }

    /// Distinct values spaced `spacing` apart in random order: keeps max-pooling windows
    /// away from ties.
    public mutating func distinct(_ count: Int, spacing: Float = 0.05) -> [Float] {
        var v = (0..<count).map { Float($0) * spacing - Float(count) * spacing / 2 }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            v.swapAt(i, j)
        }
        return v
    }
}
