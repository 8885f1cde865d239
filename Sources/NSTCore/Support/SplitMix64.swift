// SplitMix64: the project's deterministic random generator (same numbers on every machine).

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by the golden-ratio
/// increment and mixed by two multiply-xorshift rounds. Chosen because it is tiny,
/// fully specified and gives identical streams on every platform, unlike
/// `SystemRandomNumberGenerator`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Starts the stream at `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float uniform in [0, 1): the top 24 bits of `next()` times 2^-24, so the
    /// value is exact in float32 and identical everywhere.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A float uniform in [lower, upper).
    public mutating func nextFloat(in lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextUnitFloat()
    }
}
