// ExifOrientation: finds the EXIF Orientation tag (1-8) of a JPEG's APP1 segment, bounds-checked; anything malformed means 1.
import NSTCore

/// Reads the EXIF Orientation tag of JPEG bytes without trusting any length, offset or
/// count in them: a damaged or hostile file only loses its orientation (reads as 1, as
/// stored), it never traps or fails the decode, since libjpeg decodes the pixels anyway.
enum ExifOrientation {
    /// The Orientation tag's number in IFD0.
    static let tag = 0x0112
    /// The TIFF type SHORT (an unsigned 16-bit integer).
    static let shortType = 3

    /// The orientation (1-8) that the first Exif APP1 segment before the scan gives,
    /// or 1 when there is none or any part of it is malformed.
    static func read(jpeg bytes: [UInt8]) -> Int {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return 1 }
        var position = 2
        // Each pass needs a marker (FF xx) and a length (2 bytes big-endian, counting itself).
        while position + 4 <= bytes.count {
            guard bytes[position] == 0xFF else { return 1 }
            let marker = bytes[position + 1]
            // A marker may be preceded by any number of FF fill bytes.
            if marker == 0xFF { position += 1; continue }
            // TEM and RST0-7 stand alone, without a length.
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { position += 2; continue }
            // Metadata comes before the scan (SOS); EOI means there is no scan at all.
            if marker == 0xDA || marker == 0xD9 { return 1 }
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            let end = position + 2 + length
            guard length >= 2, end <= bytes.count else { return 1 }
            // APP1 also holds XMP ("http://ns.adobe.com/xap/1.0/"): only an Exif one answers.
            if marker == 0xE1, let orientation = orientation(app1: Array(bytes[(position + 4)..<end])) {
                return orientation
            }
            position = end
        }
        return 1
    }

    /// The orientation in an APP1 payload (after its length): nil when it is not Exif,
    /// 1 when it is Exif but malformed or without the tag.
    static func orientation(app1 payload: [UInt8]) -> Int? {
        let header: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]  // "Exif\0\0"
        guard payload.count >= header.count, Array(payload[0..<header.count]) == header else { return nil }
        return orientation(tiff: Array(payload[header.count...]))
    }

    /// The Orientation in IFD0 of a TIFF structure (offsets count from its first byte),
    /// or 1 when anything is out of bounds or not as the spec has it.
    static func orientation(tiff: [UInt8]) -> Int {
        guard tiff.count >= 8 else { return 1 }
        let bigEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): bigEndian = false  // "II", Intel order
        case (0x4D, 0x4D): bigEndian = true   // "MM", Motorola order
        default: return 1
        }
        // Every read checks its own bounds, so that no offset from the file can index past the end.
        func uint16(at offset: Int) -> Int? {
            guard offset >= 0, offset <= tiff.count - 2 else { return nil }
            let first = Int(tiff[offset]), second = Int(tiff[offset + 1])
            return bigEndian ? first << 8 | second : second << 8 | first
        }
        func uint32(at offset: Int) -> Int? {
            guard let first = uint16(at: offset), let second = uint16(at: offset + 2) else { return nil }
            return bigEndian ? first << 16 | second : second << 16 | first
        }
        guard uint16(at: 2) == 42, let ifd = uint32(at: 4), let count = uint16(at: ifd) else { return 1 }
        // 12 bytes an entry: a count that runs past the end means the IFD cannot be trusted at all.
        // (ifd is at most 2^32 and count*12 under 2^20, so the sum cannot overflow a 64-bit Int.)
        guard ifd + 2 + count * 12 <= tiff.count else { return 1 }
        for index in 0..<count {
            let entry = ifd + 2 + index * 12
            guard uint16(at: entry) == tag else { continue }
            // The value of one SHORT sits in the first two bytes of the entry's value field.
            guard uint16(at: entry + 2) == shortType, uint32(at: entry + 4) == 1,
                  let value = uint16(at: entry + 8), (1...8).contains(value) else { return 1 }
            return value
        }
        return 1
    }
}
