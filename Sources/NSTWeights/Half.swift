// Half: IEEE 754 binary16 <-> Float conversion done on bits, so it works on every platform.
import NSTCore

/// IEEE half-precision bit conversions (Swift's `Float16` is not available everywhere).
public enum Half {
    /// Converts binary16 bits to Float exactly (subnormals, infinities and NaN included).
    public static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa * 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }

    /// Converts a Float to the nearest binary16 bits (round to nearest even; overflow to
    /// infinity). Used by tests that write float16 files.
    public static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if f.isNaN { return sign | 0x7E00 }
        let magnitude = abs(f)
        if magnitude >= 65520 { return sign | 0x7C00 }
        if magnitude < 0x1p-14 {
            // Subnormal half: round magnitude / 2^-24 to nearest even.
            return sign | UInt16((magnitude * 0x1p24).rounded(.toNearestOrEven))
        }
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        var mantissa = bits & 0x7F_FFFF
        var e = UInt32(exponent)
        // Round 23-bit mantissa to 10 bits, ties to even.
        let rest = mantissa & 0x1FFF
        mantissa >>= 13
        if rest > 0x1000 || (rest == 0x1000 && mantissa & 1 == 1) {
            mantissa += 1
            if mantissa == 0x400 { mantissa = 0; e += 1 }
        }
        return sign | UInt16(e << 10) | UInt16(mantissa)
    }
}
