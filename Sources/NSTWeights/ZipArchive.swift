// ZipArchive: the entries of a zip file that stores them uncompressed (PyTorch's .pth container), read by offset with every length checked.
import Foundation
import NSTCore

/// A read-only view of a zip archive whose entries are stored uncompressed, as `torch.save`
/// writes them (uncompressed and aligned, so that storages can be mapped). Only the central
/// directory is read when the archive opens; an entry's bytes are read when asked for and
/// checked against their CRC-32. Compressed entries are refused with an error naming them.
///
/// Hand-written rather than ZIPFoundation: that package makes every build print a warning
/// on Linux (an undeclared resource file), which the project's zero-warning build forbids,
/// and reading stored entries needs only the directory records parsed here.
struct ZipArchive {
    /// One file in the archive.
    struct Entry {
        let path: String
        let method: UInt16
        let crc32: UInt32
        let size: Int
        let localHeaderOffset: Int
    }

    let path: String
    let entries: [Entry]
    private let handle: FileHandle
    private let fileSize: Int

    /// Reads the central directory of `url`.
    /// - Throws: `WeightsError` when the end-of-directory record or an entry record is
    ///   missing, malformed, or points outside the file.
    init(url: URL, handle: FileHandle) throws {
        path = url.path
        self.handle = handle
        fileSize = Int((try? handle.seekToEnd()) ?? 0)
        // The end-of-central-directory record is in the last 22 + 65535 bytes.
        let tailLength = min(fileSize, 22 + 65_535)
        let tail = try Self.read(handle, at: fileSize - tailLength, count: tailLength, path: path)
        guard tail.count >= 22, let eocd = (0...(tail.count - 22)).reversed().first(where: { Self.u32(tail, $0) == 0x0605_4B50 }) else {
            throw WeightsError(file: path, problem: "not a zip archive: no end-of-central-directory record")
        }
        var count = Int(Self.u16(tail, eocd + 10))
        var directorySize = Int(Self.u32(tail, eocd + 12)), directoryOffset = Int(Self.u32(tail, eocd + 16))
        // ZIP64: a locator just before the record points at the 64-bit record.
        let locator = eocd - 20
        if locator >= 0, Self.u32(tail, locator) == 0x0706_4B50 {
            // Clamped, not converted: a value over Int.max is a bad offset, not a trap (found by fuzzing).
            let recordOffset = Int(clamping: Self.u64(tail, locator + 8))
            let record = try Self.read(handle, at: recordOffset, count: 56, path: path)
            guard Self.u32(record, 0) == 0x0606_4B50 else { throw WeightsError(file: path, problem: "malformed zip: bad ZIP64 end record") }
            count = Int(clamping: Self.u64(record, 32))
            directorySize = Int(clamping: Self.u64(record, 40))
            directoryOffset = Int(clamping: Self.u64(record, 48))
        }
        // Compared without adding: ZIP64 values are clamped to Int.max, whose sum would trap.
        guard directoryOffset >= 0, directorySize >= 0, directorySize <= fileSize, directoryOffset <= fileSize - directorySize,
              count <= directorySize / 46 else {
            throw WeightsError(file: path, problem: "malformed zip: the central directory lies outside the file (truncated?)")
        }
        let directory = try Self.read(handle, at: directoryOffset, count: directorySize, path: path)
        var entries: [Entry] = [], at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, Self.u32(directory, at) == 0x0201_4B50 else {
                throw WeightsError(file: path, problem: "malformed zip: bad central directory record")
            }
            let method = Self.u16(directory, at + 10), crc = Self.u32(directory, at + 16)
            var compressed = Int(Self.u32(directory, at + 20)), size = Int(Self.u32(directory, at + 24))
            let nameLength = Int(Self.u16(directory, at + 28)), extraLength = Int(Self.u16(directory, at + 30))
            let commentLength = Int(Self.u16(directory, at + 32))
            var offset = Int(Self.u32(directory, at + 42))
            let end = at + 46 + nameLength + extraLength + commentLength
            guard end <= directory.count else { throw WeightsError(file: path, problem: "malformed zip: a directory record runs past the directory") }
            let name = String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field (id 1): the 64-bit values of the fields that read 0xFFFFFFFF, in order.
            var extra = at + 46 + nameLength
            while extra + 4 <= at + 46 + nameLength + extraLength {
                let id = Self.u16(directory, extra), length = Int(Self.u16(directory, extra + 2))
                guard extra + 4 + length <= at + 46 + nameLength + extraLength else {
                    throw WeightsError(file: path, problem: "malformed zip: entry '\(name)' has an extra field longer than its record")
                }
                if id == 1 {
                    var field = extra + 4
                    for keyPath in [0, 1, 2] {
                        let wide = keyPath == 0 ? size == 0xFFFF_FFFF : keyPath == 1 ? compressed == 0xFFFF_FFFF : offset == 0xFFFF_FFFF
                        guard wide, field + 8 <= extra + 4 + length else { continue }
                        let value = Int(clamping: Self.u64(directory, field))
                        if keyPath == 0 { size = value } else if keyPath == 1 { compressed = value } else { offset = value }
                        field += 8
                    }
                }
                extra += 4 + length
            }
            guard offset >= 0, offset < fileSize, size >= 0, method != 0 || compressed == size else {
                throw WeightsError(file: path, problem: "malformed zip: entry '\(name)' has sizes or an offset that do not fit the file")
            }
            entries.append(Entry(path: name, method: method, crc32: crc, size: size, localHeaderOffset: offset))
            at = end
        }
        self.entries = entries
    }

    subscript(path: String) -> Entry? { entries.first { $0.path == path } }

    /// The bytes of `entry`, checked against its CRC-32.
    /// - Throws: `WeightsError` for a compressed entry, a bad local header, a file that ends
    ///   inside the entry, or a CRC mismatch.
    func contents(_ entry: Entry) throws -> [UInt8] {
        guard entry.method == 0 else {
            throw WeightsError(file: path, problem: "zip entry '\(entry.path)' is compressed (method \(entry.method)); PyTorch stores entries uncompressed")
        }
        let header = try Self.read(handle, at: entry.localHeaderOffset, count: 30, path: path)
        guard Self.u32(header, 0) == 0x0403_4B50 else {
            throw WeightsError(file: path, problem: "malformed zip: entry '\(entry.path)' has no local header")
        }
        let start = entry.localHeaderOffset + 30 + Int(Self.u16(header, 26)) + Int(Self.u16(header, 28))
        guard entry.size <= fileSize - start else {
            throw WeightsError(file: path, problem: "zip entry '\(entry.path)' runs past the end of the file (truncated?)")
        }
        let bytes = try Self.read(handle, at: start, count: entry.size, path: path)
        guard CRC32.checksum(bytes) == entry.crc32 else {
            throw WeightsError(file: path, problem: "zip entry '\(entry.path)' fails its CRC-32 check (damaged?)")
        }
        return bytes
    }

    private static func read(_ handle: FileHandle, at offset: Int, count: Int, path: String) throws -> [UInt8] {
        guard offset >= 0, count >= 0 else { throw WeightsError(file: path, problem: "malformed zip: negative offset") }
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else { throw WeightsError(file: path, problem: "file ends at byte \(offset + data.count), inside the zip structure (truncated?)") }
            return [UInt8](data)
        } catch let error as WeightsError { throw error } catch {
            throw WeightsError(file: path, problem: "read failed: \(ErrorWords.describe(error))")
        }
    }

    static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
    static func u64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zip uses it.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
