// CPUDevice+Temporal: the ops of video's temporal consistency: `DeviceOp.warp` (bilinear backward warp) and `DeviceOp.temporalLoss`.
import NSTCore

extension CPUDevice {
    func warp(source: Tensor, flow: Tensor, output: Tensor) throws {
        let op = "warp"
        let (c, h, w) = try OpShapes.warp(op, source: source.shape, flow: flow.shape, output: output.shape)
        let s = try ptr(source, op), f = try ptr(flow, op), o = try ptr(output, op)
        let plane = h * w
        Parallel.ranges(plane) { r in
            for i in r {
                let taps = BilinearTaps(x: f[i], y: f[plane + i], column: i % w, row: i / w, width: w, height: h)
                for k in 0..<c { o[k * plane + i] = taps.sample(s + k * plane) }
            }
        }
    }

    func temporalLoss(image: Tensor, target: Tensor, weights: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        let op = "temporalLoss"
        let (c, h, w) = try OpShapes.temporal(op, image: image.shape, target: target.shape, weights: weights.shape,
                                              gradient: gradient?.shape)
        let x = try ptr(image, op), t = try ptr(target, op), m = try ptr(weights, op)
        let dx: UnsafeMutablePointer<Float>? = try ptr(gradient, op)
        let plane = h * w, n = c * plane
        var sum: Double = 0
        for i in 0..<n {
            let d = Double(x[i]) - Double(t[i])
            sum += Double(m[i % plane]) * d * d
        }
        if let dx {
            let k = 2 * scale / Float(n)
            for i in 0..<n { dx[i] += k * m[i % plane] * (x[i] - t[i]) }
        }
        return sum / Double(n)
    }
}

/// The four neighbours of a bilinear sample at `(column + dx, row + dy)` and their weights,
/// with neighbours outside the image weighted 0 (as `DeviceOp.warp` reads them).
struct BilinearTaps {
    private var index = (0, 0, 0, 0)
    private var weight: (Float, Float, Float, Float) = (0, 0, 0, 0)

    init(x dx: Float, y dy: Float, column: Int, row: Int, width: Int, height: Int) {
        let px = Float(column) + dx, py = Float(row) + dy
        // A non-finite or far-away position samples nothing (all weights 0).
        guard px.isFinite, py.isFinite, px > -1, py > -1, px < Float(width), py < Float(height) else { return }
        let x0f = px.rounded(.down), y0f = py.rounded(.down)
        let fx = px - x0f, fy = py - y0f
        let x0 = Int(x0f), y0 = Int(y0f)
        func tap(_ x: Int, _ y: Int, _ w: Float) -> (Int, Float) {
            x >= 0 && x < width && y >= 0 && y < height ? (y * width + x, w) : (0, 0)
        }
        let a = tap(x0, y0, (1 - fx) * (1 - fy)), b = tap(x0 + 1, y0, fx * (1 - fy))
        let c = tap(x0, y0 + 1, (1 - fx) * fy), d = tap(x0 + 1, y0 + 1, fx * fy)
        index = (a.0, b.0, c.0, d.0)
        weight = (a.1, b.1, c.1, d.1)
    }

    /// The weighted sum of the four neighbours in the plane `p`.
    func sample(_ p: UnsafePointer<Float>) -> Float {
        weight.0 * p[index.0] + weight.1 * p[index.1] + weight.2 * p[index.2] + weight.3 * p[index.3]
    }
}
