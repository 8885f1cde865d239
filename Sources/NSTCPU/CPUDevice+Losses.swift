// CPUDevice+Losses: Gram matrix and the content, style and total-variation losses with their gradients.
import CBLAS
import NSTCore

extension CPUDevice {
    func gram(input: Tensor, output: Tensor) throws {
        let op = "gram"
        let (c, h, w) = try OpShapes.gram(op, activation: input.shape, gram: output.shape)
        try gramInto(try ptr(input, op), c: c, n: h * w, try ptr(output, op))
    }

    /// `g = A A^T / n` for `A` of `c` rows of `n` floats, both triangles filled.
    ///
    /// OpenBLAS runs single-threaded here (see `Gemm`), so a long product is split into
    /// slices of about `gramSlicePixels` pixels whose partial Grams are computed on all cores
    /// and then added in slice order. The slicing depends on the shapes only, never on the
    /// core count, so results are the same on every machine.
    private func gramInto(_ a: UnsafePointer<Float>, c: Int, n: Int, _ g: UnsafeMutablePointer<Float>) throws {
        ProcessSettings.useSingleThreadedOpenBLAS()
        let slices = min(n / Self.gramSlicePixels, Self.gramPartialLimit / max(c * c, 1))
        guard slices > 1 else {
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(n), 1 / Float(n), a, Int32(n), 0, g, Int32(c))
            for i in 0..<c { for j in 0..<i { g[i * c + j] = g[j * c + i] } }
            return
        }
        try scratch.with([slices * c * c]) { buffers in
            let partials = buffers[0]
            Parallel.forEach(slices, costPerItem: c * c * (n / slices)) { s in
                let lo = n * s / slices, hi = n * (s + 1) / slices
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(hi - lo), 1 / Float(n), a + lo, Int32(n),
                            0, partials + s * c * c, Int32(c))
            }
            Parallel.forEach(c, costPerItem: c * slices) { i in
                for j in i..<c {
                    var sum: Float = 0
                    for s in 0..<slices { sum += partials[s * c * c + i * c + j] }
                    g[i * c + j] = sum
                }
            }
            for i in 0..<c { for j in 0..<i { g[i * c + j] = g[j * c + i] } }
        }
    }

    /// Pixels per slice of a split Gram product (`gramInto`).
    static let gramSlicePixels = 4096
    /// Most floats of partial Grams a split product holds (1 MiB).
    static let gramPartialLimit = 1 << 18

    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        let op = "contentLoss"
        try OpShapes.same(op, ("generated", generated.shape), ("target", target.shape))
        if let gradient { try OpShapes.same(op, ("generated", generated.shape), ("gradient", gradient.shape)) }
        let (c, h, w) = try OpShapes.chw(op, "generated", generated.shape)
        let g = try ptr(generated, op), t = try ptr(target, op)
        let dg: UnsafeMutablePointer<Float>? = try ptr(gradient, op)
        let n = c * h * w
        var sum: Double = 0
        for i in 0..<n {
            let d = Double(g[i]) - Double(t[i])
            sum += d * d
        }
        if let dg {
            let k = scale / Float(2 * n)
            for i in 0..<n { dg[i] += k * (g[i] - t[i]) }
        }
        return sum / Double(4 * n)
    }

    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        let op = "styleLoss"
        let (c, h, w) = try OpShapes.gram(op, activation: generated.shape, gram: targetGram.shape)
        if let gradient { try OpShapes.same(op, ("generated", generated.shape), ("gradient", gradient.shape)) }
        let a = try ptr(generated, op), t = try ptr(targetGram, op)
        let dg: UnsafeMutablePointer<Float>? = try ptr(gradient, op)
        let n = h * w
        // The difference G - T lives in a pooled buffer: no allocation per call.
        return try scratch.with([c * c]) { buffers in
            let diff = buffers[0]
            try gramInto(a, c: c, n: n, diff)
            var sum: Double = 0
            for i in 0..<(c * c) {
                diff[i] -= t[i]
                sum += Double(diff[i]) * Double(diff[i])
            }
            if let dg {
                // dJ/dA = (Gram(A) - T) A / (C^2 H W), accumulated with the caller's scale.
                let alpha = scale / (Float(c) * Float(c) * Float(n))
                Gemm.multiply(m: c, n: n, k: c, alpha: alpha, diff, lda: c, a, ldb: n, beta: 1, dg, ldc: n)
            }
            return sum / Double(4 * c * c)
        }
    }

    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try totalVariation("totalVariationLoss", image: image, gradient: gradient, scale: scale, SquaredDifference.self)
    }

    func totalVariationL1Loss(image: Tensor, gradient: Tensor?, scale: Float) throws -> Double {
        try totalVariation("totalVariationL1Loss", image: image, gradient: gradient, scale: scale, AbsoluteDifference.self)
    }

    /// `J = sum_{c,y,x} f(x[c,y,x+1] - x[c,y,x]) + f(x[c,y+1,x] - x[c,y,x])` (terms whose
    /// neighbour falls outside are absent), summed in Double; when `gradient` is given,
    /// accumulates `scale * dJ/dx`: with `f' = factor * slope`, dJ/dx[i] is
    /// `factor * (-slope(right - x) - slope(below - x) + slope(x - left) + slope(x - above))`.
    private func totalVariation<F: DifferencePenalty>(_ op: String, image: Tensor, gradient: Tensor?, scale: Float,
                                                      _: F.Type) throws -> Double {
        let (c, h, w) = try OpShapes.chw(op, "image", image.shape)
        if let gradient { try OpShapes.same(op, ("image", image.shape), ("gradient", gradient.shape)) }
        let x = try ptr(image, op)
        let dg: UnsafeMutablePointer<Float>? = try ptr(gradient, op)
        var sum: Double = 0
        for ch in 0..<c {
            let p = x + ch * h * w
            for y in 0..<h {
                for xx in 0..<w {
                    let i = y * w + xx
                    if xx + 1 < w { sum += F.value(Double(p[i + 1]) - Double(p[i])) }
                    if y + 1 < h { sum += F.value(Double(p[i + w]) - Double(p[i])) }
                }
            }
        }
        if let dg {
            let k = F.factor * scale
            for ch in 0..<c {
                let p = x + ch * h * w, q = dg + ch * h * w
                for y in 0..<h {
                    for xx in 0..<w {
                        let i = y * w + xx, v = p[i]
                        var s: Float = 0
                        if xx + 1 < w { s -= F.slope(p[i + 1] - v) }
                        if xx > 0 { s += F.slope(v - p[i - 1]) }
                        if y + 1 < h { s -= F.slope(p[i + w] - v) }
                        if y > 0 { s += F.slope(v - p[i - w]) }
                        q[i] += k * s
                    }
                }
            }
        }
        return sum
    }
}

/// The penalty a total variation puts on each neighbour difference d: `value(d)`, and its
/// derivative as `factor * slope(d)` (the factor applied once per pixel, as the kernels do).
private protocol DifferencePenalty {
    static func value(_ d: Double) -> Double
    static func slope(_ d: Float) -> Float
    static var factor: Float { get }
}

/// `d^2`, derivative `2 d`.
private enum SquaredDifference: DifferencePenalty {
    @inline(__always) static func value(_ d: Double) -> Double { d * d }
    @inline(__always) static func slope(_ d: Float) -> Float { d }
    static var factor: Float { 2 }
}

/// `|d|`, derivative `sign(d)` with `sign(0) = 0`.
private enum AbsoluteDifference: DifferencePenalty {
    @inline(__always) static func value(_ d: Double) -> Double { abs(d) }
    @inline(__always) static func slope(_ d: Float) -> Float { d > 0 ? 1 : (d < 0 ? -1 : 0) }
    static var factor: Float { 1 }
}
