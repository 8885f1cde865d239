// ImageErrorTests: bad input files each throw an ImageError that names the file; nothing crashes.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ImageErrorTests: ScratchFolderTestCase {
    /// Writes `bytes` as `name`, loads it, and checks the error's kind and that it names the file.
    private func assertLoadFails(_ bytes: [UInt8], named name: String, kind: ImageError.Kind,
                                 containing text: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try ImageFixtures.write(bytes, named: name, in: folder)
        XCTAssertThrowsError(try Image.load(path: path), file: file, line: line) { error in
            guard let error = error as? ImageError else {
                return XCTFail("not an ImageError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("\(path): "), "\(error)", file: file, line: line)
            XCTAssertTrue(text.isEmpty || error.description.contains(text), "\(error) should mention '\(text)'", file: file, line: line)
        }
    }

    private func smallPNG() throws -> [UInt8] {
        try ImageFixtures.eightBitImage(width: 16, height: 16, seed: 3).pngData()
    }

    func testEmptyRandomAndForeignFilesThrow() throws {
        try assertLoadFails([], named: "empty.png", kind: .empty, containing: "empty")
        var random = SplitMix64(seed: 99)
        let noise = (0..<1000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try assertLoadFails(noise, named: "noise.jpg", kind: .unsupportedFormat, containing: "unsupported image format")
        try assertLoadFails(Array("GIF89a\u{1}\0\u{1}\0\0\0\0;".utf8), named: "x.gif", kind: .unsupportedFormat,
                            containing: "unsupported image format")
    }

    /// A device that never ends is refused by its first bytes, not read until memory runs out.
    func testEndlessNonImageStreamIsRefusedByItsFirstBytes() throws {
        XCTAssertThrowsError(try Image.load(path: "/dev/zero")) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .unsupportedFormat, "\(error)")
            XCTAssertEqual("\(error)", "/dev/zero: unsupported image format (only PNG, JPEG and TIFF can be read)")
        }
    }

    func testMissingFileAndFolderThrow() throws {
        let missing = folder.appendingPathComponent("nope.png").path
        XCTAssertThrowsError(try Image.load(path: missing)) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .fileNotFound)
            XCTAssertEqual("\(error)", "\(missing): no such file")
        }
        XCTAssertThrowsError(try Image.load(path: folder.path)) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .unreadable)
            XCTAssertTrue("\(error)".hasPrefix(folder.path), "\(error)")
        }
    }

    func testTruncatedPNGThrows() throws {
        let png = try smallPNG()
        for cut in [4, 8, 20, 40, png.count / 2, png.count - 1] {
            let kind: ImageError.Kind = cut < 8 ? .unsupportedFormat : .truncated
            try assertLoadFails(Array(png[..<cut]), named: "cut\(cut).png", kind: kind)
        }
        try assertLoadFails(Array(png[..<(png.count / 2)]), named: "half.png", kind: .truncated,
                            containing: "truncated PNG data")
    }

    func testCorruptPNGThrows() throws {
        let png = try smallPNG()
        let idat = try PNGChunks.first("IDAT", in: png)
        // Intact data under a wrong checksum.
        var badCRC = png
        badCRC[idat.crcOffset + 2] ^= 0x55
        try assertLoadFails(badCRC, named: "crc.png", kind: .corrupt, containing: "IDAT: CRC error")
        // A flipped byte in the image data: zlib's or the chunk's checksum must catch it.
        var flipped = png
        flipped[idat.dataOffset + idat.length / 2] ^= 0x55
        try assertLoadFails(flipped, named: "flipped.png", kind: .corrupt, containing: "IDAT")
        // The same damage with the chunk CRC made to match: zlib's own checks remain.
        PNGChunks.fixCRC(&flipped, idat)
        try assertLoadFails(flipped, named: "idat.png", kind: .corrupt)
        // A damaged header.
        var badHeader = png
        badHeader[try PNGChunks.first("IHDR", in: png).dataOffset + 8] = 7 // bit depth 7
        PNGChunks.fixCRC(&badHeader, try PNGChunks.first("IHDR", in: png))
        try assertLoadFails(badHeader, named: "ihdr.png", kind: .corrupt)
    }

    func testAbsurdPNGDimensionsAreRefusedBeforeDecoding() throws {
        let png = try smallPNG()
        let ihdr = try PNGChunks.first("IHDR", in: png)
        for (width, height) in [(20000, 20000), (20000, 10), (10, 16385)] {
            var huge = png
            PNGChunks.writeUInt32(&huge, UInt32(width), at: ihdr.dataOffset)
            PNGChunks.writeUInt32(&huge, UInt32(height), at: ihdr.dataOffset + 4)
            PNGChunks.fixCRC(&huge, ihdr)
            try assertLoadFails(huge, named: "x.png", kind: .tooLarge,
                                containing: "image is \(width)x\(height) pixels; the limit is 16384 on a side")
        }
        var empty = png
        PNGChunks.writeUInt32(&empty, 0, at: ihdr.dataOffset)
        PNGChunks.fixCRC(&empty, ihdr)
        try assertLoadFails(empty, named: "zero.png", kind: .corrupt, containing: "zero")
    }

    func testBadImageArgumentsThrow() {
        XCTAssertThrowsError(try Image(width: 2, height: 2, pixels: [0, 1])) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .invalidImage)
        }
        XCTAssertThrowsError(try Image(width: 0, height: 5, pixels: []))
        XCTAssertThrowsError(try Image(width: 20000, height: 1, pixels: []))
    }
}

/// Seeded random damage to small PNG and JPEG files: every outcome must be an image or an ImageError.
final class ImageMutationTests: XCTestCase {
    func testDamagedFilesThrowOrDecodeButNeverCrash() throws {
        let png = try ImageFixtures.png(rows: (0..<(24 * 16 * 8)).map { UInt8(truncatingIfNeeded: $0 &* 37) },
                                        width: 24, height: 16, bitDepth: 16, colorType: 6, interlaced: true)
        let rgb = (0..<(24 * 16 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let jpeg = try CodecBridge.encodeJPEGRaw(samples: rgb, width: 24, height: 16, components: 3, progressive: true)
        var random = SplitMix64(seed: 2024)
        var outcomes: [String: Int] = [:]
        for (name, original) in [("m.png", png), ("m.jpg", jpeg)] {
            for _ in 0..<150 {
                var bytes = original
                for _ in 0...(random.next() % 4) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                if random.next() % 2 == 0 { bytes.removeSubrange(Int(random.next() % UInt64(bytes.count))...) }
                do {
                    let image = try Image.decode(bytes, path: name)
                    XCTAssertEqual(image.pixels.count, 3 * image.width * image.height)
                    XCTAssertTrue(image.pixels.allSatisfy { (0...1).contains($0) }, "decoded values out of [0, 1]")
                    outcomes["decoded", default: 0] += 1
                } catch let error as ImageError {
                    XCTAssertTrue(error.description.hasPrefix("\(name): "), "\(error)")
                    outcomes["\(error.kind)", default: 0] += 1
                }
            }
        }
        XCTAssertGreaterThan(outcomes["truncated", default: 0], 0, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["corrupt", default: 0], 0, "\(outcomes)")
    }

    /// Before: a TIFF claiming 8192x8192 had its 1 GiB of floats and raster allocated before
    /// anything was read (the PNG and JPEG decoders refused it from the header; found by fuzzing).
    func testTIFFOverTheMemoryBudgetIsRefusedFromItsHeader() throws {
        var tiff = try CodecBridge.encodeTIFF(samples8: [UInt8](repeating: 7, count: 2 * 2 * 3), samples16: [], width: 2, height: 2,
                                              icc: [], path: "small.tif")
        XCTAssertEqual(Array(tiff.prefix(2)), [0x49, 0x49], "little-endian TIFF expected")
        func u16(_ at: Int) -> Int { Int(tiff[at]) | Int(tiff[at + 1]) << 8 }
        let ifd = u16(4) | u16(6) << 16
        for entry in 0..<u16(ifd) {
            let at = ifd + 2 + 12 * entry
            guard u16(at) == 256 || u16(at) == 257 else { continue }   // ImageWidth, ImageLength
            tiff.replaceSubrange((at + 8)..<(at + 12), with: [0x00, 0x20, 0, 0])   // 8192, as SHORT or LONG
        }
        XCTAssertThrowsError(try Image.decode(tiff, path: "huge.tif", budget: 64 << 20)) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .outOfMemory, "\(error)")
            XCTAssertTrue("\(error)".contains("8192x8192"), "\(error)")
        }
    }
}
