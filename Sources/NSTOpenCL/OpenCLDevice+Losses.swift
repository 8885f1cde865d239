// OpenCLDevice+Losses: Gram matrix, dot product and the content, style and TV losses, reduced on the device.
import COpenCL
import NSTCore

extension OpenCLDevice {
    func gram(input: Tensor, output: Tensor) throws {
        let (c, h, w) = try OpShapes.gram("gram", activation: input.shape, gram: output.shape)
        // G [C,C] = A A^T / (H W)
        try gramProduct("gram", a: try buffer(input, "gram"), c: c, hw: h * w, out: try buffer(output, "gram"))
    }

    func dot(_ x: Tensor, _ y: Tensor, into slots: LossSlots, at index: Int) throws {
        try loss(into: slots, at: index, "dot") { out, slot in
            try OpShapes.sameCount("dot", x.shape, y.shape)
            try reduce("dot_partial", count: x.count, [.buffer(try buffer(x, "dot")), .buffer(try buffer(y, "dot"))],
                       trailing: [.int(x.count)], into: out, at: slot)
            return 1
        }
    }

    func dotCoefficient(_ x: Tensor, _ y: Tensor, scale: Double, into coefficients: Tensor, at index: Int) throws {
        try OpShapes.sameCount("dot", x.shape, y.shape)
        try OpShapes.coefficient("dot", index, count: coefficients.count)
        try reduce("dot_partial", count: x.count, [.buffer(try buffer(x, "dot")), .buffer(try buffer(y, "dot"))],
                   trailing: [.int(x.count)], into: try buffer(coefficients, "dot"), at: index, scale: Float(scale))
    }

    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float,
                            into slots: LossSlots, at index: Int) throws {
        try loss(into: slots, at: index, "contentLoss") {
            try enqueueContentLoss(generated: generated, target: target, gradient: gradient, scale: scale, out: $0, slot: $1)
        }
    }

    /// Queues the content loss: its gradient, and its raw sum into `out[slot]`; returns the
    /// factor that turns the sum into J.
    private func enqueueContentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float,
                                    out: cl_mem, slot: Int) throws -> Double {
        let op = "contentLoss"
        let (c, h, w) = try OpShapes.chw(op, "generated", generated.shape)
        try OpShapes.same(op, ("generated", generated.shape), ("target", target.shape))
        if let gradient { try OpShapes.same(op, ("generated", generated.shape), ("gradient", gradient.shape)) }
        let g = try buffer(generated, op), t = try buffer(target, op)
        let n = c * h * w
        if let gradient {
            // dJ/dG = (G - T) / (2 C H W)
            try run("elementwise", "axpy_diff", count: n, [
                .float(Float(Double(scale) / Double(2 * n))), .buffer(g), .buffer(t),
                .buffer(try buffer(gradient, op)), .int(n)])
        }
        try reduce("sqdiff_partial", count: n, [.buffer(g), .buffer(t)], trailing: [.int(n)], into: out, at: slot)
        return 1 / Double(4 * n)
    }

    /// The matrix products `styleLoss` issues (with a gradient) for `[channels, pixels]` activations.
    func styleLossGemms(channels c: Int, pixels hw: Int) -> [GemmShape] {
        [GemmShape(m: c, n: c, k: hw, transA: false, transB: true), GemmShape(m: c, n: hw, k: c, transA: false, transB: false)]
    }

    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float,
                          into slots: LossSlots, at index: Int) throws {
        try loss(into: slots, at: index, "styleLoss") {
            try enqueueStyleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale, out: $0, slot: $1)
        }
    }

    /// Queues the style loss: its gradient, and its raw sum into `out[slot]`; returns the
    /// factor that turns the sum into J.
    private func enqueueStyleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float,
                                  out: cl_mem, slot: Int) throws -> Double {
        let op = "styleLoss"
        let (c, h, w) = try OpShapes.gram(op, activation: generated.shape, gram: targetGram.shape)
        if let gradient { try OpShapes.same(op, ("generated", generated.shape), ("gradient", gradient.shape)) }
        let a = try buffer(generated, op), target = try buffer(targetGram, op)
        let hw = h * w
        let diff = try scratchBuffer(count: c * c, role: .lossMatrix)
        try gramProduct(op, a: a, c: c, hw: hw, out: diff)
        try reduce("sqdiff_partial", count: c * c, [.buffer(diff), .buffer(target)], trailing: [.int(c * c)],
                   into: out, at: slot)
        if let gradient {
            // dJ/dA = (Gram(A) - T) A / (C^2 H W)
            try run("elementwise", "subtract", count: c * c, [.buffer(diff), .buffer(target), .buffer(diff), .int(c * c)])
            let alpha = Float(Double(scale) / (Double(c * c) * Double(hw)))
            try sgemm(op, m: c, n: hw, k: c, alpha: alpha, a: diff, lda: c, b: a, ldb: hw,
                      beta: 1, c: try buffer(gradient, op), ldc: hw)
        }
        return 1 / Double(4 * c * c)
    }

    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try loss(into: slots, at: index, "totalVariationLoss") {
            try enqueueTotalVariationLoss(image: image, gradient: gradient, scale: scale, out: $0, slot: $1)
        }
    }

    /// Queues the TV loss: its gradient, and its sum into `out[slot]`; returns the factor 1.
    private func enqueueTotalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float, out: cl_mem, slot: Int) throws -> Double {
        let op = "totalVariationLoss"
        let (_, h, w) = try OpShapes.chw(op, "image", image.shape)
        if let gradient { try OpShapes.same(op, ("image", image.shape), ("gradient", gradient.shape)) }
        let x = try buffer(image, op)
        let n = image.count
        if let gradient {
            try run("tv", "tv_grad", count: n, [.buffer(x), .buffer(try buffer(gradient, op)), .float(scale),
                                                .int(h), .int(w), .int(n)])
        }
        try reduce("tv_partial", count: n, [.buffer(x)], trailing: [.int(h), .int(w), .int(n)], into: out, at: slot)
        return 1
    }

    func totalVariationL1Loss(image: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws {
        try loss(into: slots, at: index, "totalVariationL1Loss") { out, slot in
            let op = "totalVariationL1Loss"
            let (_, h, w) = try OpShapes.chw(op, "image", image.shape)
            if let gradient { try OpShapes.same(op, ("image", image.shape), ("gradient", gradient.shape)) }
            let x = try buffer(image, op)
            let n = image.count
            if let gradient {
                try run("tv", "tv_l1_grad", count: n, [.buffer(x), .buffer(try buffer(gradient, op)), .float(scale),
                                                       .int(h), .int(w), .int(n)])
            }
            try reduce("tv_l1_partial", count: n, [.buffer(x)], trailing: [.int(h), .int(w), .int(n)], into: out, at: slot)
            return 1
        }
    }

    // MARK: Loss values read together

    public func makeLossSlots(count: Int) throws -> LossSlots {
        guard count >= 0 else { throw DeviceError.invalidArgument(op: "makeLossSlots", detail: "negative count \(count)") }
        return LossSlots(count: count, storage: try makeTensor(Shape(max(count, 1))))
    }

    public func readLosses(_ slots: LossSlots) throws -> [Double] {
        guard let storage = slots.storage else { throw DeviceError.foreignTensor(op: "readLosses", device: name) }
        let raw = try download(storage)
        return (0..<slots.count).map { Double(raw[$0]) * slots.values[$0] }
    }

    /// A loss left in slot `index` of `slots` (made by this device), its factor kept for `readLosses`.
    func loss(into slots: LossSlots, at index: Int, _ op: String, _ enqueue: (cl_mem, Int) throws -> Double) throws {
        try slots.check(op, index)
        guard let storage = slots.storage else { throw DeviceError.foreignTensor(op: op, device: name) }
        slots.values[index] = try enqueue(try buffer(storage, op), index)
    }
}
