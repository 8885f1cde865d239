// FileStructure: an independent reader of uncompressed TIFF's tags and strips for the tests, parsed byte by byte.
import Foundation

/// A minimal reader of baseline, uncompressed, contiguous TIFF files (either byte order),
/// written from the TIFF 6.0 layout: header, first IFD, tags, strips.
struct TIFFFile {
    let littleEndian: Bool
    let bytes: [UInt8]
    /// Tag number -> (type, count, the value or offset field's position).
    var tags: [Int: (type: Int, count: Int, field: Int)] = [:]

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return nil }
        if bytes[0] == 0x49, bytes[1] == 0x49 { littleEndian = true } else if bytes[0] == 0x4D, bytes[1] == 0x4D { littleEndian = false } else { return nil }
        self.bytes = bytes
        guard u16(2) == 42 else { return nil }
        let ifd = u32(4), count = u16(ifd)
        for k in 0..<count {
            let entry = ifd + 2 + 12 * k
            tags[u16(entry)] = (u16(entry + 2), u32(entry + 4), entry + 8)
        }
    }

    func u16(_ at: Int) -> Int {
        littleEndian ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : Int(bytes[at]) << 8 | Int(bytes[at + 1])
    }

    func u32(_ at: Int) -> Int {
        littleEndian ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2)
    }

    /// The values of a SHORT (3) or LONG (4) tag.
    func values(_ tag: Int) -> [Int] {
        guard let t = tags[tag] else { return [] }
        let size = t.type == 3 ? 2 : 4
        let start = t.count * size <= 4 ? t.field : u32(t.field)
        return (0..<t.count).map { size == 2 ? u16(start + 2 * $0) : u32(start + 4 * $0) }
    }

    /// The bytes of an UNDEFINED (7) or BYTE tag, e.g. the ICC profile (34675).
    func data(_ tag: Int) -> [UInt8] {
        guard let t = tags[tag] else { return [] }
        let start = t.count <= 4 ? t.field : u32(t.field)
        return Array(bytes[start..<(start + t.count)])
    }

    /// Every sample of an uncompressed image, in file order (strips concatenated).
    func samples() -> [Int] {
        let bits = values(258).first ?? 1
        var out: [Int] = []
        for (offset, count) in zip(values(273), values(279)) {
            var at = offset
            while at < offset + count {
                out.append(bits == 16 ? u16(at) : Int(bytes[at]))
                at += bits / 8
            }
        }
        return out
    }
}
