// OpenCLDevice+Temporal: `DeviceOp.warp` and `DeviceOp.temporalLoss` through temporal.cl and reduce.cl's `masked_sqdiff_partial`.
import NSTCore

extension OpenCLDevice {
    func warp(source: Tensor, flow: Tensor, output: Tensor) throws {
        let op = "warp"
        let (_, h, w) = try OpShapes.warp(op, source: source.shape, flow: flow.shape, output: output.shape)
        try run("temporal", "warp_bilinear", count: source.count, [
            .buffer(try buffer(source, op)), .buffer(try buffer(flow, op)), .buffer(try buffer(output, op)),
            .int(h), .int(w), .int(source.count)])
    }

    func temporalLoss(image: Tensor, target: Tensor, weights: Tensor, gradient: Tensor?, scale: Float,
                      into slots: LossSlots, at index: Int) throws {
        let op = "temporalLoss"
        try loss(into: slots, at: index, op) { out, slot in
            let (_, h, w) = try OpShapes.temporal(op, image: image.shape, target: target.shape, weights: weights.shape,
                                                  gradient: gradient?.shape)
            let x = try buffer(image, op), t = try buffer(target, op), m = try buffer(weights, op)
            let n = image.count
            if let gradient {
                try run("temporal", "axpy_masked_diff", count: n, [
                    .float(Float(2 * Double(scale) / Double(n))), .buffer(x), .buffer(t), .buffer(m),
                    .buffer(try buffer(gradient, op)), .int(h * w), .int(n)])
            }
            try reduce("masked_sqdiff_partial", count: n, [.buffer(x), .buffer(t), .buffer(m)], trailing: [.int(h * w), .int(n)],
                       into: out, at: slot)
            return 1 / Double(n)
        }
    }
}
