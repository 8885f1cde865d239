// CPUDevice+Windows: copying a window out of an activation and adding one back, and the Gram product's adjoint, for tiled evaluation.
import NSTCore

extension CPUDevice {
    func crop(_ source: Tensor, y: Int, x: Int, into destination: Tensor) throws {
        let op = "crop"
        let (c, h, w, wh, ww) = try OpShapes.window(op, large: source.shape, small: destination.shape, y: y, x: x)
        let s = try ptr(source, op), d = try ptr(destination, op)
        Parallel.forEach(c, costPerItem: wh * ww) { ch in
            for r in 0..<wh {
                (d + (ch * wh + r) * ww).update(from: s + (ch * h + y + r) * w + x, count: ww)
            }
        }
    }

    func addWindow(_ source: Tensor, into destination: Tensor, y: Int, x: Int) throws {
        let op = "addWindow"
        let (c, h, w, wh, ww) = try OpShapes.window(op, large: destination.shape, small: source.shape, y: y, x: x)
        let s = try ptr(source, op), d = try ptr(destination, op)
        Parallel.forEach(c, costPerItem: wh * ww) { ch in
            for r in 0..<wh {
                let from = s + (ch * wh + r) * ww, to = d + (ch * h + y + r) * w + x
                for i in 0..<ww { to[i] += from[i] }
            }
        }
    }

    func gramGradient(input: Tensor, gramGradient gram: Tensor, inputGradient: Tensor, scale: Float) throws {
        let op = "gramGradient"
        let (c, h, w) = try OpShapes.gramGradient(op, input: input.shape, gram: gram.shape, inputGradient: inputGradient.shape)
        let a = try ptr(input, op), g = try ptr(gram, op), da = try ptr(inputGradient, op)
        // dA [C, HW] += scale * G [C, C] x A [C, HW]
        Gemm.multiply(m: c, n: h * w, k: c, alpha: scale, g, lda: c, a, ldb: h * w, beta: 1, da, ldc: h * w)
    }
}
