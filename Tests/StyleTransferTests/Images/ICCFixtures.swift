// ICCFixtures: ICC profiles made with Little CMS, embedded by hand in PNG, JPEG and TIFF, and an independent Double reference of Adobe RGB to sRGB.
import CLCMS2
import Foundation
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

/// Source profiles for the ICC tests, saved to bytes by Little CMS. Only the bytes come from
/// lcms; the expected pixels come from `ICCReference`, which does not use it.
enum ICCProfiles {
    /// Adobe RGB (1998)'s tone curve exponent, 563/256 = 2.19921875: exact in ICC's u8.8 and s15.16.
    static let adobeGamma = 563.0 / 256.0
    /// Adobe RGB (1998)'s primaries (x, y).
    static let adobePrimaries = [(0.64, 0.33), (0.21, 0.71), (0.15, 0.06)]
    /// sRGB's (Rec. 709) primaries (x, y).
    static let srgbPrimaries = [(0.64, 0.33), (0.30, 0.60), (0.15, 0.06)]
    /// D65 as both spaces give it.
    static let d65 = (0.3127, 0.3290)

    /// An Adobe-RGB-like matrix/TRC profile: Adobe's primaries, D65 white, gamma 563/256.
    static func adobeRGB() throws -> [UInt8] {
        var white = cmsCIExyY(x: d65.0, y: d65.1, Y: 1)
        let p = adobePrimaries
        var primaries = cmsCIExyYTRIPLE(Red: cmsCIExyY(x: p[0].0, y: p[0].1, Y: 1),
                                        Green: cmsCIExyY(x: p[1].0, y: p[1].1, Y: 1),
                                        Blue: cmsCIExyY(x: p[2].0, y: p[2].1, Y: 1))
        let curve = try XCTUnwrap(cmsBuildGamma(nil, adobeGamma))
        defer { cmsFreeToneCurve(curve) }
        let curves: [OpaquePointer?] = [curve, curve, curve]
        return try save(cmsCreateRGBProfile(&white, &primaries, curves))
    }

    /// A linear grey profile (D50 white, gamma 1), far enough from sRGB's curve that ignoring
    /// it is caught (gamma 2.2 grey is within 0.04 of sRGB everywhere).
    static func linearGray() throws -> [UInt8] {
        let curve = try XCTUnwrap(cmsBuildGamma(nil, 1))
        defer { cmsFreeToneCurve(curve) }
        return try save(cmsCreateGrayProfile(cmsD50_xyY(), curve))
    }

    /// A degenerate profile: sRGB's primaries with curves of gamma 0, which map every
    /// colour to white.
    static func flatRGB() throws -> [UInt8] {
        var white = cmsCIExyY(x: d65.0, y: d65.1, Y: 1)
        let p = srgbPrimaries
        var primaries = cmsCIExyYTRIPLE(Red: cmsCIExyY(x: p[0].0, y: p[0].1, Y: 1), Green: cmsCIExyY(x: p[1].0, y: p[1].1, Y: 1),
                                        Blue: cmsCIExyY(x: p[2].0, y: p[2].1, Y: 1))
        let flat = try XCTUnwrap(cmsBuildGamma(nil, 0))
        defer { cmsFreeToneCurve(flat) }
        let curves: [OpaquePointer?] = [flat, flat, flat]
        return try save(cmsCreateRGBProfile(&white, &primaries, curves))
    }

    /// Little CMS's own sRGB profile.
    static func srgb() throws -> [UInt8] { try save(cmsCreate_sRGBProfile()) }

    /// `profile` saved to bytes, and closed.
    private static func save(_ profile: cmsHPROFILE?) throws -> [UInt8] {
        let profile = try XCTUnwrap(profile, "lcms could not make the profile")
        defer { cmsCloseProfile(profile) }
        var size: cmsUInt32Number = 0
        guard cmsSaveProfileToMem(profile, nil, &size) != 0, size > 0 else { throw FixtureError(description: "lcms: no size") }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        guard cmsSaveProfileToMem(profile, &bytes, &size) != 0 else { throw FixtureError(description: "lcms: not saved") }
        return bytes
    }
}

/// Putting a profile into a file the way each format stores it, written here from the
/// formats' specifications rather than by the codecs under test.
enum ICCEmbedding {
    /// A PNG with an iCCP chunk after IHDR: name, compression method 0, the profile zlib-compressed
    /// (as stored deflate blocks, which every inflater reads).
    static func png(_ png: [UInt8], profile: [UInt8]) throws -> [UInt8] {
        let ihdr = try PNGChunks.first("IHDR", in: png)
        let data = Array("nst test\0".utf8) + [0] + zlibStored(profile)
        var chunk = be32(UInt32(data.count)) + Array("iCCP".utf8) + data
        chunk += be32(PNGChunks.crc32(chunk[4...]))
        return Array(png[..<(ihdr.crcOffset + 4)]) + chunk + Array(png[(ihdr.crcOffset + 4)...])
    }

    /// A JPEG with the profile in APP2 "ICC_PROFILE" markers (numbered from 1, at most 65519
    /// bytes of profile each), placed after SOI and any APP0 (JFIF) segment.
    static func jpeg(_ jpeg: [UInt8], profile: [UInt8], chunk: Int = 65519) -> [UInt8] {
        var at = 2
        if jpeg.count > 6, jpeg[2] == 0xFF, jpeg[3] == 0xE0 { at = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5])) }
        let pieces = stride(from: 0, to: profile.count, by: chunk).map { Array(profile[$0..<min($0 + chunk, profile.count)]) }
        var markers: [UInt8] = []
        for (i, piece) in pieces.enumerated() {
            let length = 2 + 12 + 2 + piece.count
            markers += [0xFF, 0xE2, UInt8(length >> 8), UInt8(length & 0xFF)] + Array("ICC_PROFILE\0".utf8)
            markers += [UInt8(i + 1), UInt8(pieces.count)] + piece
        }
        return Array(jpeg[..<at]) + markers + Array(jpeg[at...])
    }

    /// A zlib stream of stored (uncompressed) deflate blocks and the Adler-32 checksum.
    static func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let n = min(65535, bytes.count - start)
            let final: UInt8 = start + n == bytes.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += bytes[start..<(start + n)]
            start += n
        } while start < bytes.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(b << 16 | a)
    }

    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
}

/// Adobe RGB (1998)-like values to sRGB in Double, from the primaries alone: decode the gamma,
/// to XYZ through the source's RGB-to-XYZ matrix, to linear sRGB through the inverse of
/// sRGB's, clamp, then sRGB's transfer curve. Both spaces have a D65 white, so no chromatic
/// adaptation enters (lcms's D50 round trip cancels).
enum ICCReference {
    /// The RGB-to-XYZ matrix (rows X, Y, Z) of primaries `p` and white `w`, each (x, y):
    /// the primaries' XYZ columns scaled so that RGB (1, 1, 1) is the white with Y = 1.
    static func rgbToXYZ(_ p: [(Double, Double)], white w: (Double, Double)) -> [[Double]] {
        let columns = p.map { [$0.0 / $0.1, 1, (1 - $0.0 - $0.1) / $0.1] }
        let m = (0..<3).map { r in (0..<3).map { c in columns[c][r] } }
        let s = multiply(inverse(m), [w.0 / w.1, 1, (1 - w.0 - w.1) / w.1])
        return (0..<3).map { r in (0..<3).map { c in m[r][c] * s[c] } }
    }

    static func multiply(_ m: [[Double]], _ v: [Double]) -> [Double] {
        m.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// The inverse of a 3x3 matrix by its adjugate.
    static func inverse(_ m: [[Double]]) -> [[Double]] {
        func at(_ r: Int, _ c: Int) -> Double { m[(r + 3) % 3][(c + 3) % 3] }
        // Cofactor (r, c) as the cyclic 2x2 minor, transposed into place.
        let cof = (0..<3).map { r in (0..<3).map { c in at(r + 1, c + 1) * at(r + 2, c + 2) - at(r + 1, c + 2) * at(r + 2, c + 1) } }
        let det = (0..<3).reduce(0.0) { $0 + m[0][$1] * cof[0][$1] }
        return (0..<3).map { r in (0..<3).map { c in cof[c][r] / det } }
    }

    /// sRGB's transfer curve (IEC 61966-2-1), linear to encoded.
    static func srgbEncode(_ x: Double) -> Double { x <= 0.0031308 ? 12.92 * x : 1.055 * pow(x, 1 / 2.4) - 0.055 }

    /// Planar Adobe-RGB-like pixels (`plane` per channel) to planar sRGB.
    static func adobeToSRGB(_ pixels: [Float], plane: Int) -> [Double] {
        let toXYZ = rgbToXYZ(ICCProfiles.adobePrimaries, white: ICCProfiles.d65)
        let fromXYZ = inverse(rgbToXYZ(ICCProfiles.srgbPrimaries, white: ICCProfiles.d65))
        var out = [Double](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            let linear = (0..<3).map { pow(Double(pixels[$0 * plane + i]), ICCProfiles.adobeGamma) }
            let srgb = multiply(fromXYZ, multiply(toXYZ, linear))
            for c in 0..<3 { out[c * plane + i] = srgbEncode(min(max(srgb[c], 0), 1)) }
        }
        return out
    }

    /// Linear grey values to sRGB: the luminance through sRGB's curve, on all three channels.
    static func linearGrayToSRGB(_ pixels: [Float]) -> [Double] {
        pixels.map { srgbEncode(Double($0)) }
    }
}
