// SRGBProfile: a minimal ICC v4 display profile of sRGB, built here, that TIFF outputs carry to say their colour space.
import NSTCore

/// The bytes of an ICC version 4.3 RGB display profile for sRGB (IEC 61966-2-1): the
/// D50-adapted primaries, the sRGB tone curve as a parametric curve (type 3:
/// `Y = ((X + b') / 1.055)^2.4` above 0.04045, `X / 12.92` below), the D50 white point and
/// the Bradford adaptation from sRGB's D65 white. TIFF has no colour-space tag of its own,
/// so this profile goes in its ICCProfile tag (34675). Its profile ID is left zero, which
/// ICC allows ("not calculated"), so the bytes are the same on every run.
enum SRGBProfile {
    /// D50, the profile connection space's illuminant.
    static let d50: [Double] = [0.9642, 1.0, 0.8249]
    /// The red, green and blue colorants adapted to D50 (the columns of sRGB's RGB-to-XYZ matrix).
    static let colorants: [[Double]] = [[0.4360747, 0.2225045, 0.0139322],
                                        [0.3850649, 0.7168786, 0.0971045],
                                        [0.1430804, 0.0606169, 0.7141733]]
    /// Bradford adaptation from D65 to D50, row by row.
    static let chad: [Double] = [1.0478112, 0.0228866, -0.0501270,
                                 0.0295424, 0.9904844, -0.0170491,
                                 -0.0092345, 0.0150436, 0.7521316]
    /// sRGB's curve as ICC's parametric curve type 3: gamma, a, b, c, d.
    static let curve: [Double] = [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045]

    /// The profile's bytes.
    static let bytes: [UInt8] = build()

    private static func build() -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func s15(_ v: Double) -> [UInt8] { be32(UInt32(bitPattern: Int32((v * 65536).rounded()))) }
        func sig(_ s: String) -> [UInt8] { Array(s.utf8) }
        func xyz(_ v: [Double]) -> [UInt8] { sig("XYZ ") + be32(0) + v.flatMap(s15) }
        func mluc(_ text: String) -> [UInt8] {
            let utf16 = text.utf16.flatMap { be16($0) }
            return sig("mluc") + be32(0) + be32(1) + be32(12) + sig("enUS") + be32(UInt32(utf16.count)) + be32(28) + utf16
        }
        let para = sig("para") + be32(0) + be16(3) + be16(0) + curve.flatMap(s15)
        let tags: [(String, [UInt8])] = [
            ("desc", mluc("sRGB (nst)")), ("cprt", mluc("No copyright, use freely")), ("wtpt", xyz(d50)),
            ("rXYZ", xyz(colorants[0])), ("gXYZ", xyz(colorants[1])), ("bXYZ", xyz(colorants[2])),
            ("rTRC", para), ("gTRC", para), ("bTRC", para), ("chad", sig("sf32") + be32(0) + chad.flatMap(s15)),
        ]
        // Data follows the header (128 bytes) and the tag table, each element 4-byte aligned;
        // the three tone curves share one element.
        var offset = 128 + 4 + 12 * tags.count
        var table = be32(UInt32(tags.count)), data: [UInt8] = []
        var placed: [[UInt8]: Int] = [:]
        for (name, element) in tags {
            let at: Int
            if let shared = placed[element] { at = shared } else {
                at = offset
                placed[element] = at
                let padded = element + [UInt8](repeating: 0, count: (4 - element.count % 4) % 4)
                data += padded
                offset += padded.count
            }
            table += sig(name) + be32(UInt32(at)) + be32(UInt32(element.count))
        }
        let size = 128 + table.count + data.count
        var header = be32(UInt32(size)) + be32(0) + be32(0x0430_0000) + sig("mntr") + sig("RGB ") + sig("XYZ ")
        header += [2024, 1, 1, 0, 0, 0].flatMap { be16($0) } + sig("acsp") + be32(0) + be32(0) + be32(0) + be32(0)
        header += [UInt8](repeating: 0, count: 8) + be32(0) + d50.flatMap(s15) + be32(0)
        header += [UInt8](repeating: 0, count: 128 - header.count)
        return header + table + data
    }
}
