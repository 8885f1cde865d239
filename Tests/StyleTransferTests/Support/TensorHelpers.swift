// TensorHelpers: making tensors from values, random test data and naive reference loops for the tests.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer
@testable import NSTSelfTest

extension Device {
    /// A tensor of `shape` holding `values`.
    func tensor(_ shape: Shape, _ values: [Float]) throws -> Tensor {
        let t = try makeTensor(shape)
        try upload(values, to: t)
        return t
    }
}

/// Seeded test data (the op table's generator).
typealias TestData = SeededValues

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

/// The Gram matrix `F F^T / pixels` of `[c, pixels]` values, in Double (the op table's naive one).
func referenceGram(_ f: [Float], c: Int, pixels: Int) -> [Double] { NaiveReference.gram(f, Shape(c, 1, pixels)) }
