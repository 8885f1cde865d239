// OpenCLWinogradTile: the Winograd variants of the OpenCL backend's 3x3 convolutions, by output tile.

/// Which Winograd variant the OpenCL backend's Winograd convolutions take (`nst tune` picks
/// the faster on each device; stored as `WINOGRAD_TILE`, the output tile's side).
public enum OpenCLWinogradTile: Int, Sendable, CaseIterable {
    /// F(2x2, 3x3) (`Kernels/winograd.cl`, kernels `winograd_*`): 16 products per band, 16
    /// multiplies per 4 outputs.
    case f2x2 = 2
    /// F(4x4, 3x3) (`Kernels/winograd.cl`, kernels `winograd4_*`): 36 products per band, 36
    /// multiplies per 16 outputs, with larger transforms and more rounding (see docs/MATH.md).
    case f4x4 = 4

    /// Side of the output tile.
    public var outputTile: Int { rawValue }
    /// Side of the transformed tile (output tile + 2).
    public var side: Int { rawValue + 2 }
    /// Points of the transformed tile: the number of matrix products per band.
    public var points: Int { side * side }
    /// The kernel file (both variants share one, and its index and epilogue helpers).
    var program: String { "winograd" }
    /// The prefix of the variant's kernels (`<prefix>_filter`, `_input`, `_output`).
    var kernelPrefix: String { self == .f2x2 ? "winograd" : "winograd4" }
    var label: String { self == .f2x2 ? "F(2x2)" : "F(4x4)" }
}
