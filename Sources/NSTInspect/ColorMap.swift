// ColorMap: the sequential (viridis) and diverging (blue-white-red) colour maps of the activation and Gram pictures.
import NSTCore

/// Maps numbers in [0, 1] (sequential) or [-1, 1] (diverging) to colours.
///
/// The sequential map passes through the five colours viridis is published with
/// (van der Walt and Smith, matplotlib 1.5: `#440154`, `#3b528b`, `#21918c`, `#5ec962`,
/// `#fde725` at 0, 1/4, 1/2, 3/4, 1) and interpolates linearly between them; its luminance
/// rises from start to end, so a brighter cell always means a larger value, also in grey.
/// The diverging map runs from blue through white (0) to red: the distance from white
/// grows with the magnitude, and the hue tells the sign.
public enum ColorMap: Sendable {
    /// Dark violet (low) to yellow (high), for values scaled to [0, 1].
    case sequential
    /// Blue (-1) through white (0) to red (+1), for values scaled to [-1, 1].
    case diverging

    static let viridisStops: [RGBColor] = [0x440154, 0x3b528b, 0x21918c, 0x5ec962, 0xfde725].map { RGBColor(hex: $0) }
    static let divergingLow = RGBColor(hex: 0x2166ac), divergingHigh = RGBColor(hex: 0xb2182b)

    /// The colour of `t`; values outside the map's range are clamped, NaN is the map's low end.
    public func color(_ t: Double) -> RGBColor {
        switch self {
        case .sequential:
            let x = t.isNaN ? 0 : min(max(t, 0), 1) * Double(Self.viridisStops.count - 1)
            let i = min(Int(x), Self.viridisStops.count - 2)
            return Self.viridisStops[i].mixed(with: Self.viridisStops[i + 1], x - Double(i))
        case .diverging:
            let x = t.isNaN ? 0 : min(max(t, -1), 1)
            return x < 0 ? RGBColor.white.mixed(with: Self.divergingLow, -x) : RGBColor.white.mixed(with: Self.divergingHigh, x)
        }
    }
}
