// TensorHelpers: making tensors from values, random test data and naive reference loops for the tests.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer

extension Device {
    /// A tensor of `shape` holding `values`.
    func tensor(_ shape: Shape, _ values: [Float]) throws -> Tensor {
        let t = try makeTensor(shape)
        try upload(values, to: t)
        return t
    }
}

/// Seeded test data.
struct TestData {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    /// `count` floats uniform in [lower, upper).
    mutating func uniform(_ count: Int, _ lower: Float = -1, _ upper: Float = 1) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: lower, upper) }
    }

    /// Values whose magnitude is at least `margin`, with random sign: keeps ReLU inputs
    /// away from its kink at 0.
    mutating func awayFromZero(_ count: Int, margin: Float = 0.1) -> [Float] {
        (0..<count).map { _ in
            let m = rng.nextFloat(in: margin, 1)
            return rng.nextUnitFloat() < 0.5 ? -m : m
        }
    }

    /// Distinct values spaced `spacing` apart in random order: keeps max-pooling windows
    /// away from ties.
    mutating func distinct(_ count: Int, spacing: Float = 0.05) -> [Float] {
        var v = (0..<count).map { Float($0) * spacing - Float(count) * spacing / 2 }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            v.swapAt(i, j)
        }
        return v
    }
}

/// Naive direct convolution (the SPEC formula, Double accumulation) used to check the
/// backends' im2col paths: input [I,H,W], weight [O,I,KH,KW], stride 1, zero padding p.
func referenceConv2d(input: [Float], _ i: Int, _ h: Int, _ w: Int, weight: [Float], _ o: Int, _ kh: Int, _ kw: Int,
                     bias: [Float]?, padding p: Int) -> [Float] {
    let ho = h + 2 * p - kh + 1, wo = w + 2 * p - kw + 1
    var out = [Float](repeating: 0, count: o * ho * wo)
    for oc in 0..<o {
        for y in 0..<ho {
            for x in 0..<wo {
                var s = Double(bias?[oc] ?? 0)
                for ic in 0..<i {
                    for ky in 0..<kh {
                        let sy = y + ky - p
                        guard sy >= 0, sy < h else { continue }
                        for kx in 0..<kw {
                            let sx = x + kx - p
                            guard sx >= 0, sx < w else { continue }
                            s += Double(weight[((oc * i + ic) * kh + ky) * kw + kx]) * Double(input[(ic * h + sy) * w + sx])
                        }
                    }
                }
                out[(oc * ho + y) * wo + x] = Float(s)
            }
        }
    }
    return out
}

/// The Gram matrix `F F^T / pixels` of `[c, pixels]` values, in Double.
func referenceGram(_ f: [Float], c: Int, pixels: Int) -> [Double] {
    var g = [Double](repeating: 0, count: c * c)
    for i in 0..<c {
        for j in 0..<c {
            var sum = 0.0
            for p in 0..<pixels { sum += Double(f[i * pixels + p]) * Double(f[j * pixels + p]) }
            g[i * c + j] = sum / Double(pixels)
        }
    }
    return g
}
