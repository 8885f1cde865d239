// VectorKernels: the CPU backend's element-wise loops written with 16-wide SIMD loads and stores, since the compiler left their scalar forms unvectorised.
/// Element-wise kernels over raw float ranges. Each gives exactly the result of its scalar
/// form, NaN and signed zeros included: the op table compares them bit for bit.
enum VectorKernels {
    typealias Vector = SIMD16<Float>

    /// `y[i] = max(x[i], 0)` as Swift's `max` computes it: -0 becomes +0 and NaN stays NaN.
    /// `x` and `y` may be the same buffer.
    static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        var i = range.lowerBound
        let zero = Vector(repeating: 0)
        while i + Vector.scalarCount <= range.upperBound {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v.replacing(with: zero, where: v .<= zero), as: Vector.self)
            i += Vector.scalarCount
        }
        while i < range.upperBound {
            y[i] = max(x[i], 0)
            i += 1
        }
    }

    /// `dx[i] = y[i] > 0 ? dy[i] : 0` (a NaN output passes no gradient). `dx` may be `dy`.
    static func reluGradient(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                             _ range: Range<Int>) {
        var i = range.lowerBound
        let zero = Vector(repeating: 0)
        while i + Vector.scalarCount <= range.upperBound {
            let out = UnsafeRawPointer(y + i).loadUnaligned(as: Vector.self)
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: zero.replacing(with: g, where: out .> zero), as: Vector.self)
            i += Vector.scalarCount
        }
        while i < range.upperBound {
            dx[i] = y[i] > 0 ? dy[i] : 0
            i += 1
        }
    }
}
