// OutputFormatTests: PNG (8/16-bit, sRGB chunk), JPEG quality and TIFF (8/16-bit, ICC profile) outputs, read back two ways.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class OutputFormatTests: XCTestCase {
    /// A 7x5 ramp whose values are multiples of 1/65535 that 8 bits cannot hold.
    private func ramp() throws -> Image {
        let n = 7 * 5
        return try Image(width: 7, height: 5, pixels: (0..<(3 * n)).map { Float((997 * $0 + 301) % 65536) / 65535 })
    }

    func testFormatFollowsTheExtension() {
        XCTAssertEqual(OutputFormat(path: "a/b.PNG"), .png)
        XCTAssertEqual(OutputFormat(path: "x.jpeg"), .jpeg)
        XCTAssertEqual(OutputFormat(path: "x.jpg"), .jpeg)
        XCTAssertEqual(OutputFormat(path: "x.tif"), .tiff)
        XCTAssertEqual(OutputFormat(path: "x.TIFF"), .tiff)
        XCTAssertNil(OutputFormat(path: "x.gif"))
        XCTAssertNil(OutputFormat(path: "png"))
        XCTAssertNil(OutputFormat(path: "dir.png/x"))
        XCTAssertNil(OutputFormat(path: ".png"))
    }

    /// 16-bit PNG keeps every value to half a 16-bit level through the project's decoder;
    /// the 8-bit file cannot (the check would catch a silently 8-bit "16-bit" file).
    func testPNG16RoundTripsAndCarriesSRGB() throws {
        let image = try ramp()
        let bytes16 = try image.encoded(ImageEncoding(format: .png, bitDepth: 16), path: "x.png")
        let back = try Image.decode(bytes16, path: "x.png")
        assertClose(back.pixels, image.pixels, abs: 0.5 / 65535 + 1e-7, rel: 0, "16-bit PNG round trip")
        let bytes8 = try image.encoded(ImageEncoding(format: .png, bitDepth: 8), path: "x.png")
        let back8 = try Image.decode(bytes8, path: "x.png")
        XCTAssertGreaterThan(maxAbsDifference(back8.pixels, image.pixels), 10 / 65535, "8 bits lose the 16-bit levels")
        for (bytes, depth) in [(bytes16, 16), (bytes8, 8)] {
            // The chunk list read from the byte layout (ImageFixtures' reader; no libpng).
            let chunks = PNGChunks.list(bytes).map { (type: $0.type, data: Array(bytes[$0.dataOffset..<($0.dataOffset + $0.length)])) }
            XCTAssertEqual(chunks.first?.type, "IHDR")
            XCTAssertEqual(chunks.first.map { Int($0.data[8]) }, depth, "IHDR bit depth")
            XCTAssertEqual(chunks.first.map { Int($0.data[9]) }, 2, "colour type RGB")
            let srgb = chunks.firstIndex { $0.type == "sRGB" }, idat = chunks.firstIndex { $0.type == "IDAT" }
            XCTAssertNotNil(srgb, "sRGB chunk")
            XCTAssertEqual(srgb.map { chunks[$0].data }, [0], "perceptual intent")
            XCTAssertLessThan(srgb ?? .max, idat ?? -1, "sRGB comes before the image data")
            XCTAssertTrue(chunks.contains { $0.type == "gAMA" } && chunks.contains { $0.type == "cHRM" })
        }
    }

    /// TIFF: the project's decoder and the test's own reader see the same samples, which are
    /// the image quantised as `rgb8()` / `rgb16()` say; the file carries the sRGB profile.
    func testTIFFRoundTripsThroughBothReaders() throws {
        let image = try ramp()
        for depth in [8, 16] {
            let bytes = try image.encoded(ImageEncoding(format: .tiff, bitDepth: depth), path: "x.tif")
            let back = try Image.decode(bytes, path: "x.tif")
            let level = depth == 16 ? 65535.0 : 255.0
            assertClose(back.pixels, image.pixels, abs: 0.5 / level + 1e-7, rel: 0, "\(depth)-bit TIFF through the decoder")
            guard let file = TIFFFile(bytes) else { return XCTFail("not a TIFF the test reader understands") }
            XCTAssertEqual(file.values(256), [7], "width")
            XCTAssertEqual(file.values(257), [5], "height")
            XCTAssertEqual(file.values(258), [depth, depth, depth], "bits per sample")
            XCTAssertEqual(file.values(259), [1], "no compression")
            XCTAssertEqual(file.values(262), [2], "photometric RGB")
            let expected = depth == 16 ? image.rgb16().map(Int.init) : image.rgb8().map(Int.init)
            XCTAssertEqual(file.samples(), expected, "\(depth)-bit samples read by the test's reader")
            XCTAssertEqual(file.data(34675), SRGBProfile.bytes, "ICC profile tag")
        }
    }

    /// The profile is a well-formed ICC header and its numbers are sRGB's: the colorants sum
    /// to the D50 white (to 4e-4: the published D50-adapted colorants' Z adds to 0.8252, ICC's
    /// D50 is 0.8249), and the tone curve at 0.5 is sRGB's 0.2140.
    func testSRGBProfileDescribesSRGB() {
        let p = SRGBProfile.bytes
        func be32(_ at: Int) -> Int { Int(p[at]) << 24 | Int(p[at + 1]) << 16 | Int(p[at + 2]) << 8 | Int(p[at + 3]) }
        func s15(_ at: Int) -> Double { Double(Int32(truncatingIfNeeded: be32(at))) / 65536 }
        XCTAssertEqual(be32(0), p.count, "size field")
        XCTAssertEqual(String(decoding: p[36..<40], as: UTF8.self), "acsp")
        XCTAssertEqual(String(decoding: p[16..<24], as: UTF8.self), "RGB XYZ ")
        var tags: [String: Int] = [:]
        for k in 0..<be32(128) {
            let entry = 132 + 12 * k
            XCTAssertLessThanOrEqual(be32(entry + 4) + be32(entry + 8), p.count, "tag inside the profile")
            tags[String(decoding: p[entry..<(entry + 4)], as: UTF8.self)] = be32(entry + 4)
        }
        for name in ["desc", "cprt", "wtpt", "rXYZ", "gXYZ", "bXYZ", "rTRC", "gTRC", "bTRC", "chad"] { XCTAssertNotNil(tags[name], name) }
        let sum = (0..<3).map { i in ["rXYZ", "gXYZ", "bXYZ"].reduce(0.0) { $0 + s15(tags[$1, default: 0] + 8 + 4 * i) } }
        assertClose(sum, [0.9642, 1.0, 0.8249], abs: 4e-4, rel: 0, "colorants sum to D50")
        let curve = tags["rTRC", default: 0]
        let (g, a, b, c, d) = (s15(curve + 12), s15(curve + 16), s15(curve + 20), s15(curve + 24), s15(curve + 28))
        func eval(_ x: Double) -> Double { x >= d ? pow(a * x + b, g) : c * x }
        assertClose(eval(0.5), pow((0.5 + 0.055) / 1.055, 2.4), abs: 1e-4, rel: 0, "sRGB curve at 0.5")
        assertClose(eval(0.02), 0.02 / 12.92, abs: 1e-5, rel: 0, "sRGB linear segment")
    }

    /// A higher JPEG quality is closer to the image and larger; 16-bit JPEG is refused.
    func testJPEGQuality() throws {
        var data = TestData(seed: 3)
        let image = try Image(width: 24, height: 16, pixels: data.uniform(3 * 24 * 16, 0, 1))
        let high = try image.encoded(ImageEncoding(format: .jpeg, jpegQuality: 95), path: "x.jpg")
        let low = try image.encoded(ImageEncoding(format: .jpeg, jpegQuality: 20), path: "x.jpg")
        let errHigh = maxAbsDifference(try Image.decode(high, path: "h").pixels, image.pixels)
        let errLow = maxAbsDifference(try Image.decode(low, path: "l").pixels, image.pixels)
        XCTAssertLessThan(errHigh, errLow)
        XCTAssertGreaterThan(high.count, low.count)
        XCTAssertThrowsError(try image.encoded(ImageEncoding(format: .jpeg, bitDepth: 16), path: "x.jpg")) {
            XCTAssertEqual("\($0)", "x.jpg: JPEG cannot hold 16 bits per channel")
        }
    }

    /// TIFF inputs: damaged data is an error naming the file, never a crash or a message on stderr.
    func testDamagedTIFFIsAnError() throws {
        let bytes = try ramp().encoded(ImageEncoding(format: .tiff, bitDepth: 16), path: "x.tif")
        XCTAssertThrowsError(try Image.decode(Array(bytes.prefix(40)), path: "cut.tif")) {
            XCTAssertTrue("\($0)".hasPrefix("cut.tif: "), "\($0)")
        }
        var wrongOffset = bytes
        wrongOffset[4] = 0xFF; wrongOffset[5] = 0xFF; wrongOffset[6] = 0xFF
        XCTAssertThrowsError(try Image.decode(wrongOffset, path: "bad.tif")) {
            XCTAssertTrue("\($0)".hasPrefix("bad.tif: "), "\($0)")
        }
    }
}

/// The largest |a - b| over two equal-length arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
}
