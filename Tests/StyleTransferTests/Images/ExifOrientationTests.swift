// ExifOrientationTests: JPEGs with an EXIF Orientation tag (1-8, both byte orders) decode upright; malformed EXIF reads as 1.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

final class ExifOrientationTests: XCTestCase {
    private let width = 7, height = 4

    /// A small RGB JPEG of seeded noise, so that every mirror and rotation of it differs.
    private func plainJPEG() throws -> [UInt8] {
        var random = SplitMix64(seed: 42)
        let samples = (0..<(3 * width * height)).map { _ in UInt8(random.next() % 256) }
        return try CodecBridge.encodeJPEGRaw(samples: samples, width: width, height: height, components: 3, quality: 95)
    }

    /// A TIFF structure whose IFD0 holds one entry: `tag` of `type` with `count` and a 16-bit `value`.
    private func tiff(bigEndian: Bool, orientation: Int, magic: Int = 42, ifdOffset: UInt32 = 8,
                      entryCount: Int = 1, tag: Int = 0x0112, type: Int = 3, count: UInt32 = 1) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] {
            bigEndian ? [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]
        }
        func u32(_ v: UInt32) -> [UInt8] {
            let bytes = [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
            return bigEndian ? bytes : bytes.reversed()
        }
        return (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(magic) + u32(ifdOffset)
            + u16(entryCount) + u16(tag) + u16(type) + u32(count) + u16(orientation) + [0, 0]
            + u32(0)  // no next IFD
    }

    /// An APP1 segment (marker, length, payload) holding `header` then `tiff`.
    private func app1(_ tiff: [UInt8], header: [UInt8] = Array("Exif".utf8) + [0, 0]) -> [UInt8] {
        let length = 2 + header.count + tiff.count
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + header + tiff
    }

    /// `jpeg` with `segment` inserted right after SOI.
    private func inserting(_ segment: [UInt8], into jpeg: [UInt8]) -> [UInt8] {
        Array(jpeg[..<2]) + segment + Array(jpeg[2...])
    }

    /// Where the stored pixel (x, y) of a w x h image must land for each orientation, and the
    /// upright size: written out per case from the EXIF spec's pictures, independently of the
    /// library's (start, step) formulation.
    private func expected(_ image: Image, orientation: Int) throws -> Image {
        let w = image.width, h = image.height
        let swapped = orientation >= 5
        let ow = swapped ? h : w, oh = swapped ? w : h
        var out = [Float](repeating: -1, count: image.pixels.count)
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    let (dx, dy): (Int, Int)
                    switch orientation {
                    case 1: (dx, dy) = (x, y)
                    case 2: (dx, dy) = (w - 1 - x, y)               // mirrored left-right
                    case 3: (dx, dy) = (w - 1 - x, h - 1 - y)       // upside down
                    case 4: (dx, dy) = (x, h - 1 - y)               // mirrored top-bottom
                    case 5: (dx, dy) = (y, x)                       // transposed
                    case 6: (dx, dy) = (h - 1 - y, x)               // 90 degrees clockwise: bottom row becomes left column
                    case 7: (dx, dy) = (h - 1 - y, w - 1 - x)       // transversed
                    case 8: (dx, dy) = (y, w - 1 - x)               // 270 degrees clockwise: top row becomes left column
                    default: throw XCTSkip("no orientation \(orientation)")
                    }
                    out[(c * oh + dy) * ow + dx] = image.value(channel: c, x: x, y: y)
                }
            }
        }
        XCTAssertFalse(out.contains(-1), "every output pixel is written once")
        return try Image(width: ow, height: oh, pixels: out)
    }

    func testEveryOrientationInBothByteOrdersDecodesUpright() throws {
        let jpeg = try plainJPEG()
        let stored = try Image.decode(jpeg, path: "plain.jpg")
        XCTAssertEqual(ExifOrientation.read(jpeg: jpeg), 1)
        for bigEndian in [false, true] {
            for orientation in 1...8 {
                let tagged = inserting(app1(tiff(bigEndian: bigEndian, orientation: orientation)), into: jpeg)
                let label = "orientation \(orientation), \(bigEndian ? "MM" : "II")"
                XCTAssertEqual(ExifOrientation.read(jpeg: tagged), orientation, label)
                let image = try Image.decode(tagged, path: "tagged.jpg")
                let want = try expected(stored, orientation: orientation)
                XCTAssertEqual(image.width, orientation >= 5 ? height : width, label)
                XCTAssertEqual(image.height, orientation >= 5 ? width : height, label)
                XCTAssertEqual(image, want, label)
            }
        }
    }

    func testAWrongExpectationIsCaught() throws {
        // Guards the comparison itself: turning the wrong way for 6 (i.e. 8's mapping), or not
        // turning at all, must not pass as upright.
        let jpeg = try plainJPEG()
        let stored = try Image.decode(jpeg, path: "plain.jpg")
        let image = try Image.decode(inserting(app1(tiff(bigEndian: true, orientation: 6)), into: jpeg), path: "six.jpg")
        XCTAssertEqual(image, try expected(stored, orientation: 6))
        XCTAssertNotEqual(image, try expected(stored, orientation: 8), "rotation direction swapped")
        XCTAssertNotEqual(image, try expected(stored, orientation: 5), "transpose instead of rotation")
        XCTAssertNotEqual(image, stored, "orientation ignored")
    }

    func testOrientedOnAKnownImage() throws {
        // 3x2, red plane 0 1 2 / 3 4 5; the other planes are offsets of it.
        let image = try Image(width: 3, height: 2, pixels: (0..<18).map(Float.init))
        let cases: [Int: (Int, Int, [Float])] = [
            1: (3, 2, [0, 1, 2, 3, 4, 5]),
            2: (3, 2, [2, 1, 0, 5, 4, 3]),
            3: (3, 2, [5, 4, 3, 2, 1, 0]),
            4: (3, 2, [3, 4, 5, 0, 1, 2]),
            5: (2, 3, [0, 3, 1, 4, 2, 5]),
            6: (2, 3, [3, 0, 4, 1, 5, 2]),
            7: (2, 3, [5, 2, 4, 1, 3, 0]),
            8: (2, 3, [2, 5, 1, 4, 0, 3]),
        ]
        for (orientation, (w, h, red)) in cases {
            let turned = image.oriented(exif: orientation)
            XCTAssertEqual(turned.width, w, "orientation \(orientation)")
            XCTAssertEqual(turned.height, h, "orientation \(orientation)")
            XCTAssertEqual(turned.pixels, red + red.map { $0 + 6 } + red.map { $0 + 12 }, "orientation \(orientation)")
        }
        XCTAssertEqual(image.oriented(exif: 0), image)
        XCTAssertEqual(image.oriented(exif: 9), image)
    }

    func testMalformedExifDecodesAsStored() throws {
        let jpeg = try plainJPEG()
        let stored = try Image.decode(jpeg, path: "plain.jpg")
        var segments: [String: [UInt8]] = [:]
        for bigEndian in [false, true] {
            let order = bigEndian ? "MM" : "II"
            let good = tiff(bigEndian: bigEndian, orientation: 6)
            // Cut anywhere before the end of the Orientation entry.
            for cut in 0..<22 { segments["\(order) TIFF cut at \(cut)"] = app1(Array(good[..<cut])) }
            segments["\(order) wrong magic"] = app1(tiff(bigEndian: bigEndian, orientation: 6, magic: 43))
            for offset: UInt32 in [0, 7, 25, 26, 1000, 0x7FFF_FFFF, 0xFFFF_FFFF] {
                segments["\(order) IFD offset \(offset)"] = app1(tiff(bigEndian: bigEndian, orientation: 6, ifdOffset: offset))
            }
            for count in [2, 3, 0xFFFF] {
                segments["\(order) IFD count \(count) past the end"] =
                    app1(tiff(bigEndian: bigEndian, orientation: 6, entryCount: count))
            }
            segments["\(order) LONG type"] = app1(tiff(bigEndian: bigEndian, orientation: 6, type: 4))
            segments["\(order) value count 2"] = app1(tiff(bigEndian: bigEndian, orientation: 6, count: 2))
            segments["\(order) value count 2^32-1"] = app1(tiff(bigEndian: bigEndian, orientation: 6, count: 0xFFFF_FFFF))
            for value in [0, 9, 0xFFFF] {
                segments["\(order) orientation \(value)"] = app1(tiff(bigEndian: bigEndian, orientation: value))
            }
            segments["\(order) other tag"] = app1(tiff(bigEndian: bigEndian, orientation: 6, tag: 0x0110))
            segments["\(order) no entries"] = app1(tiff(bigEndian: bigEndian, orientation: 6, entryCount: 0))
            segments["\(order) Exif header misspelt"] =
                app1(good, header: Array("Exif".utf8) + [0, 1])
        }
        segments["mixed byte order IM"] = app1([0x49, 0x4D] + Array(tiff(bigEndian: true, orientation: 6).dropFirst(2)))
        segments["empty APP1"] = [0xFF, 0xE1, 0x00, 0x02]
        for (name, segment) in segments.sorted(by: { $0.key < $1.key }) {
            let bytes = inserting(segment, into: jpeg)
            XCTAssertEqual(ExifOrientation.read(jpeg: bytes), 1, name)
            XCTAssertEqual(try Image.decode(bytes, path: "bad-exif.jpg"), stored, name)
        }
    }

    func testTheParserNeverReadsPastTheBytes() throws {
        let jpeg = try plainJPEG()
        let tagged = inserting(app1(tiff(bigEndian: false, orientation: 6)), into: jpeg)
        // Every prefix up to and past the APP1 segment: bounds are checked, nothing traps.
        let segmentEnd = 2 + 4 + 6 + 26
        for cut in 0...(segmentEnd + 8) {
            let orientation = ExifOrientation.read(jpeg: Array(tagged[..<cut]))
            XCTAssertEqual(orientation, cut >= segmentEnd ? 6 : 1, "cut at \(cut)")
        }
        // An APP1 length running past the end of the file, and lengths under 2.
        for length in [0, 1, 0xFFFF] {
            var bytes = tagged
            bytes[4] = UInt8(length >> 8)
            bytes[5] = UInt8(length & 0xFF)
            XCTAssertEqual(ExifOrientation.read(jpeg: bytes), 1, "APP1 length \(length)")
        }
        // Random damage to the segment gives some orientation 1-8, never a trap.
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            var bytes = Array(tagged[..<(segmentEnd + 4)])
            for _ in 0..<(1 + Int(random.next() % 4)) {
                bytes[2 + Int(random.next() % UInt64(segmentEnd - 2))] = UInt8(random.next() % 256)
            }
            XCTAssertTrue((1...8).contains(ExifOrientation.read(jpeg: bytes)))
        }
        XCTAssertEqual(ExifOrientation.read(jpeg: []), 1)
        XCTAssertEqual(ExifOrientation.read(jpeg: [0xFF, 0xD8]), 1)
    }

    func testOnlyTheExifAPP1CountsAndTheScanEndsTheSearch() throws {
        let jpeg = try plainJPEG()
        let xmp = app1(Array("<x:xmpmeta/>".utf8), header: Array("http://ns.adobe.com/xap/1.0/".utf8) + [0])
        let exif = app1(tiff(bigEndian: true, orientation: 8))
        // An XMP APP1 first, and fill bytes before the Exif one: the Exif one still counts.
        let bytes = inserting(xmp + [0xFF, 0xFF] + exif, into: jpeg)
        XCTAssertEqual(ExifOrientation.read(jpeg: bytes), 8)
        XCTAssertEqual(try Image.decode(bytes, path: "xmp.jpg").width, height)
        // An Exif segment after SOS is entropy-coded data, not metadata.
        let scan = try XCTUnwrap((2..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA })
        var afterScan = jpeg
        afterScan.insert(contentsOf: exif, at: scan + 4)
        XCTAssertEqual(ExifOrientation.read(jpeg: afterScan), 1)
    }
}
