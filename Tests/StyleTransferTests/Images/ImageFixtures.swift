// ImageFixtures: test helpers for images: scratch folders, the shared samples, PNG fixtures and chunk surgery.
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

/// A test setup failure; thrown, it fails the test with this description.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

enum ImageFixtures {
    /// A fresh empty folder under the system temporary folder.
    static func scratchFolder() throws -> URL {
        try makeScratchFolder("image-tests")
    }

    /// Writes `bytes` to `name` in `folder` and returns its path.
    static func write(_ bytes: [UInt8], named name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Sample images: the public-domain paintings in the repository's `examples/`, or the
    /// folder `$NST_SAMPLES_DIR` names (optional; it must hold files of the same names).
    /// Fails the test, rather than skipping it, when the folder is missing.
    static func samplesFolder() throws -> URL {
        let packageRoot = URL(fileURLWithPath: "\(#filePath)")
            .deletingLastPathComponent() // Images
            .deletingLastPathComponent() // StyleTransferTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent()
        let folder: URL
        if let override = ProcessInfo.processInfo.environment["NST_SAMPLES_DIR"], !override.isEmpty {
            folder = URL(fileURLWithPath: override, isDirectory: true)
        } else {
            folder = packageRoot.appendingPathComponent("examples", isDirectory: true)
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw FixtureError(description: "sample images not found at \(folder.path)")
        }
        return folder
    }

    /// A PNG of the given flavour made by the test-only raw encoder in the C shim.
    static func png(rows: [UInt8], width: Int, height: Int, bitDepth: Int, colorType: Int,
                    palette: [UInt8] = [], paletteAlpha: [UInt8] = [], interlaced: Bool = false) throws -> [UInt8] {
        try CodecBridge.encodePNGRaw(rows: rows, width: width, height: height, bitDepth: bitDepth,
                                     colorType: colorType, palette: palette, paletteAlpha: paletteAlpha,
                                     interlaced: interlaced)
    }

    /// Decodes bytes as if read from a file called `name`.
    static func decode(_ bytes: [UInt8], name: String = "fixture.png") throws -> Image {
        try Image.decode(bytes, path: name)
    }

    /// A seeded image whose values are all multiples of 1/255, so that 8-bit PNG keeps them exactly.
    static func eightBitImage(width: Int, height: Int, seed: UInt64) throws -> Image {
        var random = SplitMix64(seed: seed)
        let pixels = (0..<(3 * width * height)).map { _ in Float(random.next() % 256) / 255 }
        return try Image(width: width, height: height, pixels: pixels)
    }

    /// Big-endian bytes of 16-bit samples, as PNG stores them.
    static func bigEndian(_ samples: [UInt16]) -> [UInt8] {
        samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

/// PNG chunk surgery: find chunks, change their data, recompute their CRCs.
enum PNGChunks {
    struct Chunk {
        let type: String
        /// Offset of the length field; data starts 8 bytes later.
        let offset: Int
        let length: Int
        var dataOffset: Int { offset + 8 }
        var crcOffset: Int { offset + 8 + length }
    }

    static func list(_ png: [UInt8]) -> [Chunk] {
        var chunks: [Chunk] = []
        var offset = 8
        while offset + 12 <= png.count {
            let length = Int(readUInt32(png, at: offset))
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            chunks.append(Chunk(type: type, offset: offset, length: length))
            offset += 12 + length
        }
        return chunks
    }

    static func first(_ type: String, in png: [UInt8]) throws -> Chunk {
        try XCTUnwrap(list(png).first { $0.type == type }, "no \(type) chunk")
    }

    /// Recomputes the CRC of `chunk` (over its type and data) in place.
    static func fixCRC(_ png: inout [UInt8], _ chunk: Chunk) {
        let crc = crc32(png[(chunk.offset + 4)..<chunk.crcOffset])
        writeUInt32(&png, crc, at: chunk.crcOffset)
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func writeUInt32(_ bytes: inout [UInt8], _ value: UInt32, at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8((value >> (24 - 8 * UInt32(i))) & 0xFF) }
    }

    /// CRC-32 as PNG (and zlib) define it: polynomial 0xEDB88320, reflected.
    static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Runs `body` with stderr redirected to a file and returns what was written there,
/// to check that the codec libraries print nothing.
func capturingStandardError(_ body: () throws -> Void) throws -> String {
    let folder = try ImageFixtures.scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("stderr.txt").path
    fflush(nil)
    let saved = dup(2)
    let capture = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard saved >= 0, capture >= 0 else { throw FixtureError(description: "cannot redirect stderr") }
    dup2(capture, 2)
    close(capture)
    defer {
        fflush(nil)
        dup2(saved, 2)
        close(saved)
    }
    try body()
    fflush(nil)
    return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}
