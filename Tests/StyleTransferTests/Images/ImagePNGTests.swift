// ImagePNGTests: PNG decoding of every flavour (8/16-bit, grey, palette, alpha, interlaced) and writing.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ImagePNGTests: XCTestCase {
    func testEightBitRoundTripIsExact() throws {
        let folder = try ImageFixtures.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try ImageFixtures.eightBitImage(width: 13, height: 7, seed: 42)
        let path = folder.appendingPathComponent("round.png").path
        try image.writePNG(to: path)
        let back = try Image.load(path: path)
        XCTAssertEqual(back.width, 13)
        XCTAssertEqual(back.height, 7)
        XCTAssertEqual(back.pixels, image.pixels, "8-bit values must survive a PNG round trip exactly")
        // Through the URL entry points too.
        try image.writePNG(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try Image(contentsOf: URL(fileURLWithPath: path)), image)
    }

    func testWritingClampsScalesAndRoundsToNearest() throws {
        let values: [Float] = [-0.5, 0, 1, 1.5, .nan, 100.4 / 255, 100.6 / 255, 0.5, .infinity]
        let image = try Image(width: 3, height: 1, pixels: values)
        // Interleaved: pixel x has (R, G, B) = values[x], values[3 + x], values[6 + x].
        let want: [UInt8] = [0, 0, 255, 255, 0, 100, 101, 128, 255] // planar
        let rgb = image.rgb8()
        let interleaved = (0..<3).flatMap { x in (0..<3).map { c in want[c * 3 + x] } }
        XCTAssertEqual(rgb, interleaved)
        let back = try ImageFixtures.decode(try image.pngData())
        XCTAssertEqual(back.pixels, want.map { Float($0) / 255 })
    }

    func testSixteenBitPNGDecodesToValueOver65535() throws {
        let samples: [UInt16] = [0, 1, 257, 12345, 32768, 65534, 65535, 40000, 7]
        let rgb = try ImageFixtures.decode(ImageFixtures.png(
            rows: ImageFixtures.bigEndian(samples), width: 3, height: 1, bitDepth: 16, colorType: 2))
        for x in 0..<3 {
            for c in 0..<3 {
                XCTAssertEqual(rgb.value(channel: c, x: x, y: 0), Float(samples[3 * x + c]) / 65535, "x \(x) c \(c)")
            }
        }
        let grey = try ImageFixtures.decode(ImageFixtures.png(
            rows: ImageFixtures.bigEndian(samples), width: 9, height: 1, bitDepth: 16, colorType: 0))
        let want = samples.map { Float($0) / 65535 }
        XCTAssertEqual(grey.pixels, want + want + want, "16-bit grey becomes R = G = B = v/65535")
    }

    func testGreyOfEveryBitDepthBecomesRGB() throws {
        // Low bit depths expand by replicating bits: v * 255 / (2^bits - 1).
        for (bits, packed, values) in [
            (1, [UInt8(0b1010_0000)], [1, 0, 1, 0]),
            (2, [UInt8(0b0001_1011)], [0, 1, 2, 3]),
            (4, [UInt8(0x0F), 0x5A], [0, 15, 5, 10]),
            (8, [UInt8(0), 17, 200, 255], [0, 17, 200, 255]),
        ] {
            let image = try ImageFixtures.decode(ImageFixtures.png(
                rows: packed, width: 4, height: 1, bitDepth: bits, colorType: 0))
            let scale = 255 / ((1 << bits) - 1)
            let plane = values.map { Float($0 * scale) / 255 }
            XCTAssertEqual(image.pixels, plane + plane + plane, "\(bits)-bit grey")
        }
    }

    func testPaletteImagesBecomeRGB() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 128, 0, 10, 20, 30]
        let eightBit = try ImageFixtures.decode(ImageFixtures.png(
            rows: [2, 0, 1, 1, 2, 0], width: 3, height: 2, bitDepth: 8, colorType: 3, palette: palette))
        let fourBit = try ImageFixtures.decode(ImageFixtures.png(
            rows: [0x20, 0x10, 0x12, 0x00], width: 3, height: 2, bitDepth: 4, colorType: 3, palette: palette))
        let indices = [2, 0, 1, 1, 2, 0]
        let want = (0..<3).flatMap { c in indices.map { Float(palette[3 * $0 + c]) / 255 } }
        XCTAssertEqual(eightBit.pixels, want)
        XCTAssertEqual(fourBit.pixels, want)
    }

    func testTransparencyIsCompositedOnWhite() throws {
        func white(_ colour: Float, _ alpha: Float) -> Float { colour * alpha + (1 - alpha) }
        // Palette with tRNS: entry 0 fully transparent, entry 1 half, entry 2 opaque (no entry).
        let palette: [UInt8] = [0, 0, 0, 200, 100, 0, 10, 20, 30]
        let paletted = try ImageFixtures.decode(ImageFixtures.png(
            rows: [0, 1, 2], width: 3, height: 1, bitDepth: 8, colorType: 3,
            palette: palette, paletteAlpha: [0, 128]))
        let alphas: [Float] = [0, 128.0 / 255, 1]
        let wantPalette = (0..<3).flatMap { c in (0..<3).map { white(Float(palette[3 * $0 + c]) / 255, alphas[$0]) } }
        XCTAssertEqual(paletted.pixels, wantPalette)
        XCTAssertEqual(paletted.value(channel: 0, x: 0, y: 0), 1, "fully transparent becomes white")

        // Grey + alpha, 8-bit.
        let greyAlpha = try ImageFixtures.decode(ImageFixtures.png(
            rows: [0, 0, 100, 51, 200, 255], width: 3, height: 1, bitDepth: 8, colorType: 4))
        let wantGrey = [white(0, 0), white(100 / 255, 51 / 255), white(200 / 255, 1)]
        XCTAssertEqual(greyAlpha.pixels, wantGrey + wantGrey + wantGrey)

        // RGBA, 16-bit.
        let rgba: [UInt16] = [65535, 0, 30000, 32768, 1000, 2000, 3000, 65535]
        let deep = try ImageFixtures.decode(ImageFixtures.png(
            rows: ImageFixtures.bigEndian(rgba), width: 2, height: 1, bitDepth: 16, colorType: 6))
        let wantDeep = (0..<3).flatMap { c in
            (0..<2).map { x in white(Float(rgba[4 * x + c]) / 65535, Float(rgba[4 * x + 3]) / 65535) }
        }
        XCTAssertEqual(deep.pixels, wantDeep)
    }

    func testInterlacedPNGMatchesPlain() throws {
        let image = try ImageFixtures.eightBitImage(width: 11, height: 9, seed: 7)
        let rows = image.rgb8()
        let plain = try ImageFixtures.png(rows: rows, width: 11, height: 9, bitDepth: 8, colorType: 2)
        let adam7 = try ImageFixtures.png(rows: rows, width: 11, height: 9, bitDepth: 8, colorType: 2, interlaced: true)
        XCTAssertNotEqual(plain, adam7, "the fixture must really be interlaced")
        XCTAssertEqual(try ImageFixtures.decode(adam7), image)
        XCTAssertEqual(try ImageFixtures.decode(plain), image)
    }

    func testCodecsPrintNothing() throws {
        let samples = try ImageFixtures.samplesFolder()
        let rgba = try ImageFixtures.png(rows: [1, 2, 3, 4], width: 1, height: 1, bitDepth: 8, colorType: 6,
                                         interlaced: true)
        let jpeg = try ImageFile.contents(of: samples.appendingPathComponent("shipwreck.jpg").path)
        let printed = try capturingStandardError {
            _ = try ImageFixtures.decode(rgba)
            _ = try ImageFixtures.eightBitImage(width: 3, height: 3, seed: 1).pngData()
            _ = try Image.load(path: samples.appendingPathComponent("woman-with-hat-matisse.jpg").path)
            _ = try Image.load(path: samples.appendingPathComponent("starry_night.jpg").path)
            _ = try Image.decode(jpeg, path: "shipwreck.jpg")
            // Failures are reported by the thrown error only, never on stderr.
            XCTAssertThrowsError(try Image.decode(Array(jpeg[..<(jpeg.count / 2)]), path: "cut.jpg"))
            XCTAssertThrowsError(try ImageFixtures.decode(Array(rgba[..<(rgba.count / 2)])))
        }
        XCTAssertEqual(printed, "", "the codecs must not print")
    }
}
