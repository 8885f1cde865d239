// TVKind: the three forms of the total variation term.
import NSTCore

/// The total variation term's form.
public enum TVKind: Equatable, Sendable {
    /// `sum (x[.., x+1] - x)^2 + (x[y+1, ..] - x)^2` on the [0,1] image (docs/MATH.md section 6).
    case squared
    /// `sum_c (1/std_c) sum |x[.., x+1] - x| + |x[y+1, ..] - x|`: the L1 total variation of the
    /// preprocessed image `(x - mean) / std` (docs/MATH.md section 10).
    case absolute
    /// style-transfer-pytorch's nine-point stencil on the replicate-padded [0,1] image,
    /// normalised by the pixel counts (`NinePointTV`, docs/MATH.md section 12).
    case ninePoint
}
