// ImageJPEGTests: decoding the sample JPEGs of examples/, and JPEG failures (truncation, corruption, size).
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ImageJPEGTests: XCTestCase {
    private func sample(_ name: String) throws -> String {
        try ImageFixtures.samplesFolder().appendingPathComponent(name).path
    }

    func testStarryNightDecodes() throws {
        let image = try Image.load(path: sample("starry_night.jpg"))
        XCTAssertEqual(image.width, 1024)
        XCTAssertEqual(image.height, 640)
        XCTAssertEqual(image.pixels.count, 3 * 1024 * 640)
        XCTAssertTrue(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "values must lie in [0, 1]")
        XCTAssertTrue(image.pixels.allSatisfy { abs(($0 * 255).rounded() - $0 * 255) < 1e-3 },
                      "8-bit JPEG values are v/255")
        let plane = image.planeCount
        let means = (0..<3).map { c in image.pixels[(c * plane)..<((c + 1) * plane)].reduce(0, +) / Float(plane) }
        // A dark blue night sky: every channel is mid-dark and blue dominates red.
        for mean in means { XCTAssertTrue((0.15...0.6).contains(mean), "channel means \(means)") }
        XCTAssertGreaterThan(means[2], means[0], "blue should dominate red in The Starry Night: \(means)")
        // Neighbouring pixels of a picture are correlated; uniform noise (or a wrong stride) gives about 1/3.
        var step: Float = 0
        for i in 0..<(plane - 1) where (i + 1) % image.width != 0 { step += abs(image.pixels[i + 1] - image.pixels[i]) }
        XCTAssertLessThan(step / Float(plane), 0.25, "mean step between neighbours")
    }

    func testTruncatedJPEGThrowsNamingTheFile() throws {
        let bytes = try ImageFile.contents(of: sample("starry_night.jpg"))
        let folder = try ImageFixtures.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for cut in [3, 100, bytes.count / 2, bytes.count - 2] {
            let path = try ImageFixtures.write(Array(bytes[..<cut]), named: "starry.jpg", in: folder)
            XCTAssertThrowsError(try Image.load(path: path), "cut at \(cut)") { error in
                let error = error as? ImageError
                XCTAssertEqual(error?.kind, .truncated, "cut at \(cut): \(String(describing: error))")
                XCTAssertEqual(error?.description, "\(path): truncated JPEG data")
            }
        }
    }

    func testCorruptJPEGThrows() throws {
        var bytes = try ImageFile.contents(of: sample("starry_night.jpg"))
        // Overwrite the middle of the entropy-coded data with a marker that cannot be there.
        let middle = bytes.count / 2
        for i in 0..<64 { bytes[middle + i] = i % 2 == 0 ? 0xFF : 0xD0 + UInt8(i % 8) }
        XCTAssertThrowsError(try Image.decode(bytes, path: "bad.jpg")) { error in
            let error = error as? ImageError
            XCTAssertEqual(error?.kind, .corrupt, String(describing: error))
            XCTAssertTrue(error?.description.hasPrefix("bad.jpg: ") ?? false, String(describing: error))
        }
    }

    func testHugeJPEGDimensionsAreRefused() throws {
        var bytes = try ImageFile.contents(of: sample("starry_night.jpg"))
        // The baseline frame header (SOF0, FF C0): length(2) precision(1) height(2) width(2).
        let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 7] = UInt8(20000 >> 8)
        bytes[sof + 8] = UInt8(20000 & 0xFF)
        XCTAssertThrowsError(try Image.decode(bytes, path: "wide.jpg")) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .tooLarge)
            XCTAssertEqual("\(error)", "wide.jpg: image is 20000x640 pixels; the limit is 16384 on a side")
        }
    }
}

/// JPEG flavours made by the test-only encoder in the C shim: grey, Adobe CMYK, progressive.
final class ImageJPEGFlavourTests: XCTestCase {
    /// A smooth 8-bit test pattern (JPEG keeps smooth content nearly exactly).
    private func pattern(width: Int, height: Int, channel: Int) -> [UInt8] {
        (0..<(width * height)).map { i in
            UInt8((i % width) * 200 / width + (i / width) * 40 / height + channel * 5)
        }
    }

    func testGreyJPEGBecomesRGB() throws {
        let grey = pattern(width: 32, height: 24, channel: 0)
        let jpeg = try CodecBridge.encodeJPEGRaw(samples: grey, width: 32, height: 24, components: 1, quality: 100)
        let image = try Image.decode(jpeg, path: "grey.jpg")
        let plane = grey.map { Float($0) / 255 }
        for c in 0..<3 {
            assertClose(Array(image.pixels[(c * 768)..<((c + 1) * 768)]), plane, abs: 3.0 / 255, rel: 0, "channel \(c)")
        }
        XCTAssertEqual(Array(image.pixels[0..<768]), Array(image.pixels[768..<1536]), "R = G for grey")
    }

    func testAdobeCMYKJPEGBecomesRGB() throws {
        let width = 16, height = 16
        let rgb = (0..<3).map { pattern(width: width, height: height, channel: $0) }
        // Adobe's inverted CMYK with no black ink: stored C = 255 - ink = red, and so on; K stored 255.
        var samples: [UInt8] = []
        for i in 0..<(width * height) { samples += [rgb[0][i], rgb[1][i], rgb[2][i], 255] }
        let jpeg = try CodecBridge.encodeJPEGRaw(samples: samples, width: width, height: height, components: 4,
                                                 quality: 100)
        let image = try Image.decode(jpeg, path: "cmyk.jpg")
        XCTAssertEqual([image.width, image.height], [width, height])
        assertClose(image.pixels, rgb.flatMap { $0.map { Float($0) / 255 } }, abs: 3.0 / 255, rel: 0)
    }

    func testProgressiveJPEGDecodesAndItsTruncationThrows() throws {
        let width = 40, height = 30
        var samples: [UInt8] = []
        let rgb = (0..<3).map { pattern(width: width, height: height, channel: $0) }
        for i in 0..<(width * height) { samples += [rgb[0][i], rgb[1][i], rgb[2][i]] }
        let jpeg = try CodecBridge.encodeJPEGRaw(samples: samples, width: width, height: height, components: 3,
                                                 quality: 100, progressive: true)
        XCTAssertTrue(zip(jpeg, jpeg.dropFirst()).contains { $0 == 0xFF && $1 == 0xC2 }, "no progressive frame (SOF2)")
        let image = try Image.decode(jpeg, path: "prog.jpg")
        assertClose(image.pixels, rgb.flatMap { $0.map { Float($0) / 255 } }, abs: 6.0 / 255, rel: 0)
        XCTAssertThrowsError(try Image.decode(Array(jpeg[..<(jpeg.count * 2 / 3)]), path: "prog.jpg")) { error in
            XCTAssertEqual("\(error)", "prog.jpg: truncated JPEG data")
        }
    }
}
