// CaffeModelFile: the convolutions of a Caffe .caffemodel (NetParameter protobuf), read with a small wire-format reader.
import Foundation
import NSTCore

/// A Caffe `NetParameter` file, opened for reading its convolution layers by name.
///
/// Only the fields this needs are decoded, by number, from the protobuf wire format
/// (caffe.proto): `NetParameter.layers = 2` (V1LayerParameter: `name = 4`, `type = 5`,
/// the enum value 4 being CONVOLUTION, `blobs = 6`) and `NetParameter.layer = 100`
/// (LayerParameter: `name = 1`, `type = 2` the string "Convolution", `blobs = 7`);
/// `BlobProto`: `num = 1`, `channels = 2`, `height = 3`, `width = 4`, `data = 5` (packed
/// or not), `shape = 7` (BlobShape: `dim = 1`, packed or not). Every other field is
/// skipped by its wire type.
///
/// Opening walks the layers with seeks, reading only their names and types and noting
/// where their blobs lie: a fully connected layer's blobs (most of the 548 MB of the VGG
/// authors' file) are never read. A convolution's blobs are read when asked for.
///
/// Why not swift-protobuf: its generated `NetParameter` decodes a whole message into
/// memory (the 548 MB file, twice over while parsing), and one message family with a
/// dozen fields is less code than the generated file plus its runtime. Every length and
/// varint is checked against the bytes that remain, so a malformed file is an error,
/// never a trap.
public final class CaffeModelFile {
    /// The path as given, for messages.
    public let path: String
    /// Convolution layers in file order: name and the byte ranges of their blobs.
    public let convolutionNames: [String]
    private let blobs: [String: [Range<Int>]]
    private let handle: FileHandle
    private let size: Int
    /// How many reads indexing the file took (about one per 64 KiB, however many layers).
    let indexReads: Int

    /// Opens `url` and indexes its convolution layers.
    /// - Throws: `WeightsError` for an unreadable file or malformed protobuf.
    public init(url: URL) throws {
        path = url.path
        let handle = try RegularFile.open(url)
        self.handle = handle
        size = Int((try? handle.seekToEnd()) ?? 0)
        var names: [String] = [], blobs: [String: [Range<Int>]] = [:]
        var reader = FileProtoReader(handle: handle, range: 0..<size, path: path)
        while let (field, wire) = try reader.nextTag() {
            if (field == 2 || field == 100), wire == 2 {
                let range = try reader.lengthDelimited()
                // The layer's reader starts with the file reader's buffer and hands its own
                // back: a file of many small layers is read once, not 64 KiB per layer.
                var layer = reader.reader(of: range)
                defer { reader.adopt(layer) }
                let v1 = field == 2
                var name: String?, isConv = false, ranges: [Range<Int>] = []
                while let (f, w) = try layer.nextTag() {
                    switch (f, w, v1) {
                    case (4, 2, true), (1, 2, false): name = try layer.string()
                    case (5, 0, true): isConv = try layer.varint() == 4
                    case (2, 2, false): isConv = try layer.string() == "Convolution"
                    case (6, 2, true), (7, 2, false): ranges.append(try layer.lengthDelimited())
                    default: try layer.skip(wire: w)
                    }
                }
                if isConv, let name {
                    guard blobs[name] == nil else { throw WeightsError(file: path, key: name, problem: "two convolution layers have this name") }
                    names.append(name)
                    blobs[name] = ranges
                }
            } else {
                try reader.skip(wire: wire)
            }
        }
        guard !names.isEmpty else { throw WeightsError(file: path, problem: "not a Caffe model with convolution layers (no V1 'layers' or 'layer' of type Convolution found)") }
        convolutionNames = names
        self.blobs = blobs
        indexReads = reader.reads
    }

    deinit { try? handle.close() }

    /// The convolution `layer`'s weight (`blob` 0) or bias (`blob` 1) with its shape.
    /// - Throws: `WeightsError` naming the layer when it is missing, lacks the blob, or the
    ///   blob is malformed.
    public func blob(layer: String, index: Int) throws -> (shape: [Int], data: [Float]) {
        let key = "\(layer).\(index == 0 ? "weight" : "bias")"
        guard let ranges = blobs[layer] else { throw WeightsError(file: path, key: key, problem: "missing (no convolution layer '\(layer)')") }
        guard index < ranges.count else { throw WeightsError(file: path, key: key, problem: "missing (the layer has \(ranges.count) blobs)") }
        let range = ranges[index]
        var bytes = [UInt8](repeating: 0, count: range.count)
        do {
            try handle.seek(toOffset: UInt64(range.lowerBound))
            let data = try handle.read(upToCount: range.count) ?? Data()
            guard data.count == range.count else { throw WeightsError(file: path, key: key, problem: "file ends inside the blob (truncated?)") }
            data.copyBytes(to: &bytes, count: range.count)
        } catch let e as WeightsError { throw e } catch {
            throw WeightsError(file: path, key: key, problem: "read failed: \(ErrorWords.describe(error))")
        }
        do { return try Self.parseBlob(bytes) } catch let e as ProtoError {
            throw WeightsError(file: path, key: key, problem: e.message)
        }
    }

    /// Decodes a BlobProto: the shape from BlobShape or legacy num/channels/height/width
    /// (leading 1s of a legacy 4-D shape dropped for a bias), the floats packed or not.
    static func parseBlob(_ bytes: [UInt8]) throws -> (shape: [Int], data: [Float]) {
        var r = ProtoReader(bytes: bytes)
        var legacy = [1, 1, 1, 1], hasLegacy = false, shape: [Int]?, data: [Float] = []
        while let (f, w) = try r.nextTag() {
            switch (f, w) {
            case (1...4, 0):
                legacy[f - 1] = Int(clamping: try r.varint()); hasLegacy = true
            case (5, 2):
                let range = try r.lengthDelimited()
                guard range.count % 4 == 0 else { throw ProtoError(message: "packed float data of \(range.count) bytes is not a multiple of 4") }
                data.reserveCapacity(data.count + range.count / 4)
                for i in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
                    data.append(Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24))
                }
            case (5, 5):
                data.append(Float(bitPattern: try r.fixed32()))
            case (7, 2):
                var s = ProtoReader(bytes: bytes, range: try r.lengthDelimited())
                var dims: [Int] = []
                while let (sf, sw) = try s.nextTag() {
                    switch (sf, sw) {
                    case (1, 0): dims.append(Int(clamping: try s.varint()))
                    case (1, 2):
                        var p = ProtoReader(bytes: bytes, range: try s.lengthDelimited())
                        while !p.atEnd { dims.append(Int(clamping: try p.varint())) }
                    default: try s.skip(wire: sw)
                    }
                }
                shape = dims
            default: try r.skip(wire: w)
            }
        }
        var dims = shape ?? (hasLegacy ? legacy : [data.count])
        if shape == nil, hasLegacy, legacy[0] == 1, legacy[1] == 1, legacy[2] == 1 { dims = [legacy[3]] }   // a legacy bias (1,1,1,n)
        // Checked: a saturating product made [huge, huge, 0] look like 0 floats.
        guard let count = CheckedSize.product(dims), count == data.count else {
            throw ProtoError(message: "blob shape \(dims) does not match its \(data.count) floats")
        }
        return (dims, data)
    }
}

/// A malformed protobuf; the caller adds the file.
struct ProtoError: Error { let message: String }

/// Wire-format reading over bytes in memory, every read checked against the range's end.
struct ProtoReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    var atEnd: Bool { position >= end }

    mutating func nextTag() throws -> (Int, Int)? {
        guard !atEnd else { return nil }
        let tag = try varint()
        guard tag >> 3 > 0, tag >> 3 <= 0x1FFF_FFFF else { throw ProtoError(message: "bad field number in tag \(tag)") }
        return (Int(tag >> 3), Int(tag & 7))
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard position < end else { throw ProtoError(message: "a varint runs past the end of its message (truncated?)") }
            let b = bytes[position]; position += 1
            guard shift < 64 else { throw ProtoError(message: "a varint is longer than 10 bytes") }
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        throw ProtoError(message: "a varint is longer than 10 bytes")
    }

    mutating func fixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw ProtoError(message: "a fixed32 runs past the end of its message") }
        defer { position += 4 }
        return UInt32(bytes[position]) | UInt32(bytes[position + 1]) << 8 | UInt32(bytes[position + 2]) << 16 | UInt32(bytes[position + 3]) << 24
    }

    mutating func lengthDelimited() throws -> Range<Int> {
        let n = try varint()
        guard n <= UInt64(end - position) else { throw ProtoError(message: "a length of \(n) bytes runs past the end of its message (\(end - position) left)") }
        defer { position += Int(n) }
        return position..<(position + Int(n))
    }

    mutating func skip(wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: guard end - position >= 8 else { throw ProtoError(message: "a fixed64 runs past the end") }; position += 8
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed32()
        default: throw ProtoError(message: "wire type \(wire) is not valid here")
        }
    }
}

/// The same reading over a file region, through a small buffer, so a 548 MB file is walked
/// with seeks and never held in memory.
struct FileProtoReader {
    let handle: FileHandle
    let path: String
    private(set) var position: Int
    let end: Int
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    /// Reads made by this reader and the readers made from it.
    private(set) var reads = 0

    init(handle: FileHandle, range: Range<Int>, path: String) {
        self.handle = handle
        self.path = path
        position = range.lowerBound
        end = range.upperBound
    }

    private mutating func byte() throws -> UInt8 {
        guard position < end else { throw WeightsError(file: path, problem: "malformed protobuf: a varint runs past the end of its message at byte \(position) (truncated?)") }
        if position < bufferStart || position >= bufferStart + buffer.count {
            do {
                try handle.seek(toOffset: UInt64(position))
                buffer = [UInt8](try handle.read(upToCount: 64 * 1024) ?? Data())
                reads += 1
            } catch { throw WeightsError(file: path, problem: "read failed: \(ErrorWords.describe(error))") }
            bufferStart = position
            guard !buffer.isEmpty else { throw WeightsError(file: path, problem: "file ends at byte \(position) (truncated?)") }
        }
        defer { position += 1 }
        return buffer[position - bufferStart]
    }

    /// A reader of `range` (inside this one's) that starts with this reader's buffer.
    func reader(of range: Range<Int>) -> FileProtoReader {
        var sub = FileProtoReader(handle: handle, range: range, path: path)
        sub.buffer = buffer
        sub.bufferStart = bufferStart
        return sub
    }

    /// Takes the buffer (and the read count) of a reader made by `reader(of:)`, which read
    /// further on; this reader's position stays.
    mutating func adopt(_ sub: FileProtoReader) {
        buffer = sub.buffer
        bufferStart = sub.bufferStart
        reads += sub.reads
    }

    mutating func nextTag() throws -> (Int, Int)? {
        guard position < end else { return nil }
        let tag = try varint()
        guard tag >> 3 > 0, tag >> 3 <= 0x1FFF_FFFF else { throw WeightsError(file: path, problem: "malformed protobuf: bad tag \(tag) at byte \(position)") }
        return (Int(tag >> 3), Int(tag & 7))
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            let b = try byte()
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        throw WeightsError(file: path, problem: "malformed protobuf: a varint longer than 10 bytes at byte \(position)")
    }

    mutating func lengthDelimited() throws -> Range<Int> {
        let n = try varint()
        guard n <= UInt64(end - position) else {
            throw WeightsError(file: path, problem: "malformed protobuf: a length of \(n) bytes at byte \(position) runs past the end of its message (\(end - position) left; truncated?)")
        }
        defer { position += Int(n) }
        return position..<(position + Int(n))
    }

    mutating func string() throws -> String {
        let r = try lengthDelimited()
        guard r.count <= 4096 else { throw WeightsError(file: path, problem: "malformed protobuf: a name of \(r.count) bytes") }
        var out: [UInt8] = []
        var copy = self
        copy.position = r.lowerBound
        for _ in r { out.append(try copy.byte()) }
        buffer = copy.buffer; bufferStart = copy.bufferStart
        return String(decoding: out, as: UTF8.self)
    }

    mutating func skip(wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1, 5:
            let n = wire == 1 ? 8 : 4
            guard end - position >= n else { throw WeightsError(file: path, problem: "malformed protobuf: a fixed field runs past the end") }
            position += n
        case 2: _ = try lengthDelimited()
        default: throw WeightsError(file: path, problem: "malformed protobuf: wire type \(wire) at byte \(position)")
        }
    }
}
