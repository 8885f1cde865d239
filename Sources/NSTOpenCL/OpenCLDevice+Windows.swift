// OpenCLDevice+Windows: copying a window out of an activation and adding one back, and the Gram product's adjoint, for tiled evaluation.
import COpenCL
import NSTCore

extension OpenCLDevice {
    func crop(_ source: Tensor, y: Int, x: Int, into destination: Tensor) throws {
        let op = "crop"
        let (_, h, w, wh, ww) = try OpShapes.window(op, large: source.shape, small: destination.shape, y: y, x: x)
        try run("window", "crop_window", count: destination.count, [
            .buffer(try buffer(source, op)), .buffer(try buffer(destination, op)), .int(h), .int(w), .int(wh), .int(ww),
            .int(y), .int(x), .int(destination.count)])
    }

    func addWindow(_ source: Tensor, into destination: Tensor, y: Int, x: Int) throws {
        let op = "addWindow"
        let (_, h, w, wh, ww) = try OpShapes.window(op, large: destination.shape, small: source.shape, y: y, x: x)
        try run("window", "add_window", count: source.count, [
            .buffer(try buffer(source, op)), .buffer(try buffer(destination, op)), .int(h), .int(w), .int(wh), .int(ww),
            .int(y), .int(x), .int(source.count)])
    }

    func gramGradient(input: Tensor, gramGradient gram: Tensor, inputGradient: Tensor, scale: Float) throws {
        let op = "gramGradient"
        let (c, h, w) = try OpShapes.gramGradient(op, input: input.shape, gram: gram.shape, inputGradient: inputGradient.shape)
        // dA [C, HW] += scale * G [C, C] x A [C, HW]
        try sgemm(op, m: c, n: h * w, k: c, alpha: scale, a: try buffer(gram, op), lda: c, b: try buffer(input, op),
                  ldb: h * w, beta: 1, c: try buffer(inputGradient, op), ldc: h * w)
    }
}
