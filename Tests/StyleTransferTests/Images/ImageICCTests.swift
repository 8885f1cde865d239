// ImageICCTests: images with an embedded ICC profile (PNG iCCP, JPEG APP2, TIFF tag) are read as sRGB, checked against a Double reference.
import Foundation
@testable import NSTCore
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ImageICCTests: XCTestCase {
    /// lcms's float pipeline on 16-bit inputs against the Double reference. The profile's
    /// colorants are stored to s15.16 (1.5e-5) and lcms computes in float; sRGB's steep curve
    /// near black magnifies that in a dark channel beside bright ones. Measured worst: 1.2e-4
    /// (16-bit PNG and TIFF), 1.6e-5 (JPEG), 1e-7 (grey).
    private let tolerance = 5e-4

    private let width = 8, height = 8

    /// 64 saturated and mixed colours, every channel one of 0.05, 0.35, 0.65, 0.95 (as 16-bit
    /// samples, interleaved): Adobe RGB's wider gamut moves these far from their raw values.
    private func samples16() -> [UInt16] {
        let levels: [UInt16] = [0.05, 0.35, 0.65, 0.95].map { (v: Double) in UInt16((v * 65535).rounded()) }
        var samples: [UInt16] = []
        for i in 0..<64 { samples += [levels[i / 16], levels[i / 4 % 4], levels[i % 4]] }
        return samples
    }

    /// Checks `converted` against the reference computed from `raw` (the same file decoded
    /// without its profile), prints the worst error, and that ignoring the profile would fail.
    private func assertAdobeConverted(_ converted: Image, raw: Image, _ label: String,
                                      file: StaticString = #filePath, line: UInt = #line) {
        let expected = ICCReference.adobeToSRGB(raw.pixels, plane: raw.width * raw.height)
        let worst = zip(converted.pixels, expected).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
        let ignored = zip(raw.pixels, expected).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
        print("ICC \(label): worst |lcms - reference| = \(worst), profile ignored would be \(ignored) (tolerance \(tolerance))")
        assertClose(converted.pixels, expected, abs: tolerance, rel: 0, label, file: file, line: line)
        XCTAssertGreaterThan(ignored, 50 * tolerance, "\(label): the fixture must tell a converted image from an unconverted one",
                             file: file, line: line)
    }

    func testAdobeRGBInA16BitPNGIsConvertedToSRGB() throws {
        let plain = try ImageFixtures.png(rows: ImageFixtures.bigEndian(samples16()), width: width, height: height,
                                          bitDepth: 16, colorType: 2)
        let tagged = try ICCEmbedding.png(plain, profile: ICCProfiles.adobeRGB())
        let raw = try Image.decode(plain, path: "plain.png")
        assertAdobeConverted(try Image.decode(tagged, path: "adobe.png"), raw: raw, "16-bit PNG, iCCP")
    }

    func testAdobeRGBInAJPEGIsConvertedToSRGB() throws {
        let eight = samples16().map { UInt8($0 >> 8) }
        let plain = try CodecBridge.encodeJPEGRaw(samples: eight, width: width, height: height, components: 3, quality: 100)
        let profile = try ICCProfiles.adobeRGB()
        let raw = try Image.decode(plain, path: "plain.jpg")
        assertAdobeConverted(try Image.decode(ICCEmbedding.jpeg(plain, profile: profile), path: "adobe.jpg"),
                             raw: raw, "JPEG, one APP2 marker")
        // The same profile split over several markers, which libjpeg reassembles.
        assertAdobeConverted(try Image.decode(ICCEmbedding.jpeg(plain, profile: profile, chunk: 100), path: "adobe.jpg"),
                             raw: raw, "JPEG, APP2 markers of 100 bytes")
    }

    func testAdobeRGBInA16BitTIFFIsConvertedToSRGB() throws {
        func tiff(_ icc: [UInt8]) throws -> [UInt8] {
            try CodecBridge.encodeTIFF(samples8: [], samples16: samples16(), width: width, height: height, icc: icc, path: "x.tif")
        }
        let raw = try Image.decode(tiff([]), path: "plain.tif")
        assertAdobeConverted(try Image.decode(tiff(ICCProfiles.adobeRGB()), path: "adobe.tif"), raw: raw, "16-bit TIFF, ICC tag")
    }

    /// A grey PNG with a linear grey profile reads as the luminance through sRGB's curve.
    func testGrayProfileOnAGrayPNG() throws {
        let levels = (0..<64).map { UInt16(($0 * 1040) % 65536) }
        let plain = try ImageFixtures.png(rows: ImageFixtures.bigEndian(levels), width: width, height: height,
                                          bitDepth: 16, colorType: 0)
        let raw = try Image.decode(plain, path: "plain.png")
        let converted = try Image.decode(ICCEmbedding.png(plain, profile: ICCProfiles.linearGray()), path: "gray.png")
        let expected = ICCReference.linearGrayToSRGB(raw.pixels)
        let worst = zip(converted.pixels, expected).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
        let ignored = zip(raw.pixels, expected).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
        print("ICC grey PNG: worst |lcms - reference| = \(worst), profile ignored would be \(ignored) (tolerance \(tolerance))")
        assertClose(converted.pixels, expected, abs: tolerance, rel: 0, "grey PNG, grey profile")
        XCTAssertGreaterThan(ignored, 50 * tolerance)
    }

    /// An sRGB profile (lcms's, and the one nst's own TIFFs carry) leaves every pixel exactly
    /// as it is without one, which is within the 1e-4 asked of an sRGB-to-sRGB conversion.
    func testSRGBProfilesLeavePixelsUnchanged() throws {
        let samples = samples16()
        let png = try ImageFixtures.png(rows: ImageFixtures.bigEndian(samples), width: width, height: height,
                                        bitDepth: 16, colorType: 2)
        let jpeg = try CodecBridge.encodeJPEGRaw(samples: samples.map { UInt8($0 >> 8) }, width: width, height: height, components: 3)
        let tiff = { (icc: [UInt8]) in
            try CodecBridge.encodeTIFF(samples8: [], samples16: samples, width: self.width, height: self.height, icc: icc, path: "x.tif")
        }
        for (name, profile) in [("lcms sRGB", try ICCProfiles.srgb()), ("nst SRGBProfile", SRGBProfile.bytes)] {
            let pairs = [("PNG", try Image.decode(png, path: "a.png"), try Image.decode(ICCEmbedding.png(png, profile: profile), path: "b.png")),
                         ("JPEG", try Image.decode(jpeg, path: "a.jpg"), try Image.decode(ICCEmbedding.jpeg(jpeg, profile: profile), path: "b.jpg")),
                         ("TIFF", try Image.decode(tiff([]), path: "a.tif"), try Image.decode(tiff(profile), path: "b.tif"))]
            for (format, plain, tagged) in pairs {
                XCTAssertEqual(tagged.pixels, plain.pixels, "\(format) with \(name): pixels unchanged")
            }
        }
    }

    /// Bytes that are no ICC profile fail the read with one line naming the file.
    func testGarbageProfileIsAnErrorNamingTheFile() throws {
        var random = SplitMix64(seed: 7)
        let garbage = (0..<300).map { _ in UInt8(random.next() % 256) }
        let tiff = try CodecBridge.encodeTIFF(samples8: [], samples16: samples16(), width: width, height: height,
                                              icc: garbage, path: "x.tif")
        let jpeg = try CodecBridge.encodeJPEGRaw(samples: samples16().map { UInt8($0 >> 8) }, width: width, height: height, components: 3)
        for (bytes, path) in [(tiff, "garbage.tif"), (ICCEmbedding.jpeg(jpeg, profile: garbage), "garbage.jpg")] {
            XCTAssertThrowsError(try Image.decode(bytes, path: path)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("\(path): embedded ICC profile is unusable: "), text)
                XCTAssertFalse(text.contains("\n"), "one line: \(text)")
                XCTAssertEqual((error as? ImageError)?.kind, .corrupt)
            }
        }
    }

    /// A profile of another colour space than the pixels' (CMYK, or grey, on RGB data) is refused.
    func testProfileOfAnotherColourSpaceIsAnError() throws {
        // lcms's sRGB profile with its header's colour space field (bytes 16-19) set to CMYK:
        // lcms reads it, and it then claims CMYK colours.
        var cmyk = try ICCProfiles.srgb()
        cmyk.replaceSubrange(16..<20, with: Array("CMYK".utf8))
        let cases = [(cmyk, "cmyk.tif", "CMYK"), (try ICCProfiles.linearGray(), "gray.tif", "GRAY")]
        for (profile, path, space) in cases {
            let tiff = try CodecBridge.encodeTIFF(samples8: [], samples16: samples16(), width: width, height: height,
                                                  icc: profile, path: "x.tif")
            XCTAssertThrowsError(try Image.decode(tiff, path: path)) {
                XCTAssertEqual("\($0)", "\(path): embedded ICC profile is unusable: it describes \(space) colours but the image holds RGB")
            }
        }
        let jpeg = try CodecBridge.encodeJPEGRaw(samples: samples16().map { UInt8($0 >> 8) }, width: width, height: height, components: 3)
        XCTAssertThrowsError(try Image.decode(ICCEmbedding.jpeg(jpeg, profile: cmyk), path: "cmyk.jpg")) {
            XCTAssertEqual("\($0)", "cmyk.jpg: embedded ICC profile is unusable: it describes CMYK colours but the image holds RGB")
        }
    }

    /// A profile over the 16 MiB limit is refused before lcms reads it.
    func testOversizedProfileIsRefused() throws {
        var huge = try ICCProfiles.srgb()
        huge += [UInt8](repeating: 0, count: (16 << 20) + 1 - huge.count)
        let tiff = try CodecBridge.encodeTIFF(samples8: [], samples16: samples16(), width: width, height: height,
                                              icc: huge, path: "x.tif")
        XCTAssertThrowsError(try Image.decode(tiff, path: "huge.tif")) {
            XCTAssertEqual("\($0)", "huge.tif: embedded ICC profile is unusable: 16777217 bytes, over the limit of 16 MiB")
        }
    }

    /// Before: a PNG dropped the profiles JPEG refuses (garbage, CMYK, grey on RGB) and read
    /// the pixels as sRGB with status 0; now both formats refuse them in one line.
    func testPNGRefusesTheProfilesJPEGRefuses() throws {
        var random = SplitMix64(seed: 7)
        let garbage = (0..<300).map { _ in UInt8(random.next() % 256) }
        var cmyk = try ICCProfiles.srgb()
        cmyk.replaceSubrange(16..<20, with: Array("CMYK".utf8))
        let plain = try ImageFixtures.png(rows: ImageFixtures.bigEndian(samples16()), width: width, height: height,
                                          bitDepth: 16, colorType: 2)
        for (profile, name) in [(garbage, "garbage"), (cmyk, "cmyk"), (try ICCProfiles.linearGray(), "grey")] {
            let png = try ICCEmbedding.png(plain, profile: profile)
            XCTAssertThrowsError(try Image.decode(png, path: "\(name).png"), name) { error in
                XCTAssertTrue("\(error)".hasPrefix("\(name).png: embedded ICC profile is unusable: "), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
            let jpeg = try CodecBridge.encodeJPEGRaw(samples: samples16().map { UInt8($0 >> 8) }, width: width, height: height, components: 3)
            XCTAssertThrowsError(try Image.decode(ICCEmbedding.jpeg(jpeg, profile: profile), path: "\(name).jpg"), name)
        }
    }

    /// Before: a profile whose curves are a gamma of 0 turned every image white, with status
    /// 0. A profile that maps every colour to one is refused.
    func testDegenerateProfilesAreRefused() throws {
        let profile = try ICCProfiles.flatRGB()
        let plain = try ImageFixtures.png(rows: ImageFixtures.bigEndian(samples16()), width: width, height: height,
                                          bitDepth: 16, colorType: 2)
        XCTAssertThrowsError(try Image.decode(ICCEmbedding.png(plain, profile: profile), path: "flat.png")) { error in
            XCTAssertEqual("\(error)", "flat.png: embedded ICC profile is unusable: it maps every colour to one (a degenerate profile: a gamma of 0, or a singular matrix)")
        }
        // The Adobe-like profile beside it still converts.
        XCTAssertNoThrow(try Image.decode(ICCEmbedding.png(plain, profile: ICCProfiles.adobeRGB()), path: "adobe.png"))
    }
}
