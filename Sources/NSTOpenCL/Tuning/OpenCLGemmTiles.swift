// OpenCLGemmTiles: the tile sizes of the project's own GEMM kernels (Kernels/gemm.cl), their limits and their -D defines.
import NSTCore

/// Register-tile sizes of `Kernels/gemm.cl`, passed to every program as `-D` defines (so
/// the host's grid sizes and the kernels always agree) and tuned by `nst tune`.
public struct OpenCLGemmTiles: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Rows of C per work-item in the `A B` and `A^T B` kernels.
    public var rows: Int
    /// Vectors of C per row per work-item in those kernels.
    public var vectors: Int
    /// Vector width (along n there, along k in the `A B^T` kernel).
    public var width: Int
    /// Rows and columns of C per work-item in the `A B^T` kernel.
    public var ntRows: Int
    public var ntColumns: Int

    /// 6 x 16 blocks (AVX2's 16 vector registers: 12 accumulators, 2 of B, 1 broadcast)
    /// and 3 x 4 dot products of 8-wide vectors.
    public static let standard = OpenCLGemmTiles(rows: 6, vectors: 2, width: 8, ntRows: 3, ntColumns: 4)

    public init(rows: Int, vectors: Int, width: Int, ntRows: Int, ntColumns: Int) {
        self.rows = rows; self.vectors = vectors; self.width = width; self.ntRows = ntRows; self.ntColumns = ntColumns
    }

    /// Columns of a packed panel of B (and of C per work-item).
    public var panel: Int { vectors * width }

    /// The define names, each with the values it may take.
    public static let limits: [String: ClosedRange<Int>] = [
        "GEMM_TM": 1...16, "GEMM_TN": 1...8, "GEMM_VW": 2...16, "GEMM_NT_TM": 1...8, "GEMM_NT_TN": 1...8,
    ]

    /// Whether `name = value` is an acceptable define (vector widths are OpenCL C's vector
    /// types: 2, 4, 8, 16; it has no `float1`).
    public static func accepts(_ name: String, _ value: Int) -> Bool {
        guard let range = limits[name], range.contains(value) else { return false }
        return name != "GEMM_VW" || [2, 4, 8, 16].contains(value)
    }

    /// The tiles named in `defines`, each missing one taken from `standard`.
    public init(defines: [String: Int]) {
        let base = Self.standard
        self.init(rows: defines["GEMM_TM"] ?? base.rows, vectors: defines["GEMM_TN"] ?? base.vectors,
                  width: defines["GEMM_VW"] ?? base.width, ntRows: defines["GEMM_NT_TM"] ?? base.ntRows,
                  ntColumns: defines["GEMM_NT_TN"] ?? base.ntColumns)
    }

    /// The `-D` defines of these tiles.
    public var defines: [String: Int] {
        ["GEMM_TM": rows, "GEMM_TN": vectors, "GEMM_VW": width, "GEMM_NT_TM": ntRows, "GEMM_NT_TN": ntColumns]
    }

    public var description: String { "\(rows)x\(panel) (\(vectors)x\(width)-wide), A B^T \(ntRows)x\(ntColumns)" }
}
