// SymmetricEigen: a real symmetric matrix's eigendecomposition in Double (LAPACK's dsyevd), and functions of the matrix through it.
import CBLAS
import NSTCore

/// `S = U diag(values) U^T` for a real symmetric `n x n` matrix, in Double.
struct SymmetricEigen {
    let n: Int
    /// Ascending.
    let values: [Double]
    /// Column-major: column j (elements `j*n ..< (j+1)*n`) is the eigenvector of `values[j]`.
    let vectors: [Double]

    /// Decomposes `matrix` (`n*n`, symmetric; only its lower triangle in column-major order,
    /// the upper in row-major, is read).
    /// - Throws: `DeviceError.backend` when LAPACK reports a failure (it does not converge).
    init(_ matrix: [Double], n: Int) throws {
        self.n = n
        var a = matrix, w = [Double](repeating: 0, count: n), info: Int32 = 0
        var size = Int32(n), lwork: Int32 = -1, liwork: Int32 = -1
        var query = [Double](repeating: 0, count: 1), iquery = [Int32](repeating: 0, count: 1)
        // The workspace query first (lwork = -1), then the decomposition itself.
        dsyevd_("V", "L", &size, &a, &size, &w, &query, &lwork, &iquery, &liwork, &info, 1, 1)
        guard info == 0 else { throw DeviceError.backend("LAPACK's dsyevd failed (info \(info)) on a \(n)x\(n) matrix") }
        lwork = Int32(query[0].rounded(.up))
        liwork = iquery[0]
        var work = [Double](repeating: 0, count: max(Int(lwork), 1)), iwork = [Int32](repeating: 0, count: max(Int(liwork), 1))
        dsyevd_("V", "L", &size, &a, &size, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        guard info == 0 else { throw DeviceError.backend("LAPACK's dsyevd failed (info \(info)) on a \(n)x\(n) matrix") }
        values = w
        vectors = a
    }

    /// `U diag(f(values)) U^T` (symmetric, so row- and column-major alike).
    func map(_ f: (Double) -> Double) -> [Double] {
        var scaled = vectors
        for j in 0..<n {
            let s = f(values[j])
            for i in 0..<n { scaled[j * n + i] *= s }
        }
        return Dense.product(scaled, vectors, n: n, transposeRight: true)
    }
}

/// Dense Double products on the host (OpenBLAS), for the W2 loss's `n x n` matrices.
enum Dense {
    /// `L R` or `L R^T` of two `n x n` column-major matrices.
    static func product(_ left: [Double], _ right: [Double], n: Int, transposeRight: Bool = false) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        let size = Int32(n)
        cblas_dgemm(CblasColMajor, CblasNoTrans, transposeRight ? CblasTrans : CblasNoTrans, size, size, size,
                    1, left, size, right, size, 0, &out, size)
        return out
    }
}
