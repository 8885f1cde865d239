// CPUDevice+Pooling: 2x2 stride-2 max and average pooling and their gradients.
import NSTCore

extension CPUDevice {
    func pool2x2(_ kind: PoolKind, input: Tensor, output: Tensor) throws {
        let op = "pool2x2"
        let (c, h, w) = try OpShapes.pool(op, input: input.shape, output: output.shape)
        let x = try ptr(input, op), y = try ptr(output, op)
        let ho = h / 2, wo = w / 2
        Parallel.forEach(c, costPerItem: h * w) { ch in
            let src = x + ch * h * w, dst = y + ch * ho * wo
            for oy in 0..<ho {
                let r0 = src + 2 * oy * w, r1 = r0 + w
                for ox in 0..<wo {
                    let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                    switch kind {
                    case .max: dst[oy * wo + ox] = max(max(a, b), max(c, d))
                    case .avg: dst[oy * wo + ox] = (a + b + c + d) * 0.25
                    }
                }
            }
        }
    }

    func pool2x2Gradient(_ kind: PoolKind, input: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws {
        let op = "pool2x2Gradient"
        try OpShapes.same(op, ("input", input.shape), ("inputGradient", inputGradient.shape))
        let (c, h, w) = try OpShapes.pool(op, input: input.shape, output: outputGradient.shape)
        let x = try ptr(input, op), dy = try ptr(outputGradient, op), dx = try ptr(inputGradient, op)
        let ho = h / 2, wo = w / 2
        Parallel.forEach(c, costPerItem: h * w) { ch in
            let src = x + ch * h * w, g = dy + ch * ho * wo, dst = dx + ch * h * w
            dst.update(repeating: 0, count: h * w)
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let d = g[oy * wo + ox]
                    let i00 = 2 * oy * w + 2 * ox
                    switch kind {
                    case .avg:
                        let q = d * 0.25
                        dst[i00] = q; dst[i00 + 1] = q; dst[i00 + w] = q; dst[i00 + w + 1] = q
                    case .max:
                        // The first maximum in row-major order wins ties, as in the forward pass.
                        var best = i00
                        if src[i00 + 1] > src[best] { best = i00 + 1 }
                        if src[i00 + w] > src[best] { best = i00 + w }
                        if src[i00 + w + 1] > src[best] { best = i00 + w + 1 }
                        dst[best] = d
                    }
                }
            }
        }
    }
}
