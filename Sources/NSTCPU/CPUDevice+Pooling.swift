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
            // Every 2x2 window writes all four of its entries, so only an odd last row or
            // column (which no window covers) needs clearing: one pass over dx, not two.
            if w % 2 == 1 { for y in 0..<(2 * ho) { dst[y * w + w - 1] = 0 } }
            if h % 2 == 1 { (dst + (h - 1) * w).update(repeating: 0, count: w) }
            for oy in 0..<ho {
                let r0 = dst + 2 * oy * w, r1 = r0 + w
                switch kind {
                case .avg:
                    for ox in 0..<wo {
                        let q = g[oy * wo + ox] * 0.25
                        r0[2 * ox] = q; r0[2 * ox + 1] = q; r1[2 * ox] = q; r1[2 * ox + 1] = q
                    }
                case .max:
                    let s0 = src + 2 * oy * w, s1 = s0 + w
                    for ox in 0..<wo {
                        let d = g[oy * wo + ox]
                        // The first maximum in row-major order wins ties, as in the forward pass.
                        var best = 0, top = s0[2 * ox]
                        if s0[2 * ox + 1] > top { best = 1; top = s0[2 * ox + 1] }
                        if s1[2 * ox] > top { best = 2; top = s1[2 * ox] }
                        if s1[2 * ox + 1] > top { best = 3 }
                        r0[2 * ox] = best == 0 ? d : 0
                        r0[2 * ox + 1] = best == 1 ? d : 0
                        r1[2 * ox] = best == 2 ? d : 0
                        r1[2 * ox + 1] = best == 3 ? d : 0
                    }
                }
            }
        }
    }
}
