// RGBColor: an sRGB colour with components in [0, 1], as the pictures of `nst`'s inspection commands use it.
import Foundation
import NSTCore

/// An sRGB colour, each component in [0, 1].
public struct RGBColor: Equatable, Sendable {
    /// Red, green and blue in [0, 1] (gamma-encoded sRGB, as stored in a PNG).
    public var red: Double, green: Double, blue: Double

    /// A colour from its components in [0, 1].
    public init(_ red: Double, _ green: Double, _ blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from a 24-bit `0xRRGGBB` value.
    public init(hex: UInt32) {
        self.init(Double((hex >> 16) & 0xff) / 255, Double((hex >> 8) & 0xff) / 255, Double(hex & 0xff) / 255)
    }

    public static let white = RGBColor(1, 1, 1)
    public static let black = RGBColor(0, 0, 0)

    /// `self + t (other - self)` per component.
    public func mixed(with other: RGBColor, _ t: Double) -> RGBColor {
        RGBColor(red + t * (other.red - red), green + t * (other.green - green), blue + t * (other.blue - blue))
    }

    /// Relative luminance (ITU-R BT.709 weights on linearised sRGB), the brightness a
    /// sequential colour map must increase.
    public var luminance: Double {
        func linear(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// The three components as bytes (clamped, rounded to nearest).
    public var bytes: (UInt8, UInt8, UInt8) { (Self.byte(red), Self.byte(green), Self.byte(blue)) }

    /// `#rrggbb`, for SVG.
    public var hexString: String {
        let (r, g, b) = bytes
        return "#" + [r, g, b].map { value in
            let text = String(value, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    static func byte(_ value: Double) -> UInt8 {
        let clamped = value.isNaN ? 0 : Swift.min(Swift.max(value, 0), 1)
        return UInt8((clamped * 255).rounded())
    }
}
