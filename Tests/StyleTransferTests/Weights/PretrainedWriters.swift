// PretrainedWriters: writes PyTorch .pth (zip and legacy) and Caffe .caffemodel files byte for byte as their formats specify, for the reader tests.
import Foundation
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer

/// One tensor of a state dict to write.
struct TorchTensor {
    var key: String
    var shape: [Int]
    var values: [Float]
    var half = false
    /// When false, the pickle names the tensor but no storage bytes are written (a file
    /// that only needs its declared shapes, e.g. for model inference).
    var withData = true
    /// The tensor's offset into its storage, in elements, as the pickle states it.
    var offset = 0
    /// The storage's element count as the pickle states it; nil: the values' count. A
    /// crafted file states 2^62 while holding a few bytes.
    var storageCount: Int?
}

/// Pickle protocol 2 bytes as `torch.save` writes them.
struct PickleBytes {
    var bytes: [UInt8] = [0x80, 0x02]
    mutating func op(_ b: UInt8) { bytes.append(b) }
    mutating func string(_ s: String) { op(0x58); int32(s.utf8.count); bytes += Array(s.utf8) }
    mutating func int(_ v: Int) { op(0x4A); int32(v) }
    mutating func int32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { bytes += $0 } }
    /// BININT when `v` fits 32 bits, else LONG1 with 8 bytes (as pickle writes large ints).
    mutating func number(_ v: Int) {
        if let small = Int32(exactly: v) { int(Int(small)); return }
        op(0x8A); bytes.append(8); withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 }
    }
    mutating func global(_ module: String, _ name: String) { op(0x63); bytes += Array("\(module)\n\(name)\n".utf8) }
    mutating func stop() { op(0x2E) }
}

/// The state dict pickle: an OrderedDict of `_rebuild_tensor_v2` calls with persistent ids
/// `('storage', torch.FloatStorage|HalfStorage, key, 'cpu', numel[, None])`, then BUILD with
/// its `_metadata`. `forbidden` inserts a call of that global first.
func stateDictPickle(_ tensors: [TorchTensor], legacy: Bool, forbidden: (String, String)? = nil) -> [UInt8] {
    var p = PickleBytes()
    if let (module, name) = forbidden {
        p.global(module, name); p.op(0x28); p.string("echo hi"); p.op(0x74); p.op(0x52); p.op(0x30)   // POP
    }
    p.global("collections", "OrderedDict"); p.op(0x71); p.bytes.append(0); p.op(0x29); p.op(0x52)
    p.op(0x28)
    for (k, t) in tensors.enumerated() {
        p.string(t.key)
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.op(0x28)
        p.op(0x28); p.string("storage"); p.global("torch", t.half ? "HalfStorage" : "FloatStorage")
        p.string(String(k)); p.string("cpu"); p.number(t.storageCount ?? t.values.count)
        if legacy { p.op(0x4E) }
        p.op(0x74); p.op(0x51)
        p.number(t.offset)
        p.op(0x28); for d in t.shape { p.number(d) }; p.op(0x74)
        var strides: [Int] = [], s = 1
        for d in t.shape.reversed() { strides.insert(s, at: 0); s = s &* d }
        p.op(0x28); for d in strides { p.number(d) }; p.op(0x74)
        p.op(0x89)
        p.global("collections", "OrderedDict"); p.op(0x29); p.op(0x52)
        p.op(0x74); p.op(0x52)
    }
    p.op(0x75)
    p.op(0x7D); p.op(0x28); p.string("_metadata"); p.op(0x7D); p.op(0x75); p.op(0x62)
    p.stop()
    return p.bytes
}

func storageBytes(_ t: TorchTensor) -> [UInt8] {
    var out: [UInt8] = []
    for v in t.values {
        if t.half { withUnsafeBytes(of: Half.fromFloat(v).littleEndian) { out += $0 } } else { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
    }
    return out
}

/// A pickle of `depth` nested one-element tuples around None: `(((None,),),)...`, one byte
/// (TUPLE1) per level, so 50,000 levels make a 50 KB file.
func nestedTuplePickle(depth: Int) -> [UInt8] {
    var p = PickleBytes()
    p.op(0x4E)
    p.bytes += [UInt8](repeating: 0x85, count: depth)
    p.stop()
    return p.bytes
}

/// The zip format: `archive/data.pkl`, `archive/data/<key>`, `archive/version`, `archive/byteorder`, stored uncompressed.
func writeZipPth(_ tensors: [TorchTensor], to url: URL, pickle: [UInt8]? = nil) throws {
    var entries: [(String, [UInt8])] = [("archive/data.pkl", pickle ?? stateDictPickle(tensors, legacy: false)),
                                        ("archive/byteorder", Array("little".utf8))]
    for (k, t) in tensors.enumerated() where t.withData { entries.append(("archive/data/\(k)", storageBytes(t))) }
    entries.append(("archive/version", Array("3\n".utf8)))
    try Data(storedZip(entries)).write(to: url)
}

/// A zip archive of `entries` stored uncompressed, laid out as the zip specification says
/// (local headers and data, the central directory, the end record); with `zip64`, sizes and
/// offsets go in ZIP64 extra fields and a ZIP64 end record, as writers do for large files.
func storedZip(_ entries: [(String, [UInt8])], zip64: Bool = false) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16 & 0xFFFF) }
    func u64(_ v: Int) -> [UInt8] { u32(v & 0xFFFF_FFFF) + u32(v >> 32) }
    var out: [UInt8] = [], directory: [UInt8] = []
    for (name, bytes) in entries {
        let offset = out.count, crc = Int(CRC32.checksum(bytes)), nameBytes = Array(name.utf8)
        let size32 = zip64 ? 0xFFFF_FFFF : bytes.count
        out += u32(0x0403_4B50) + u16(zip64 ? 45 : 20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(size32) + u32(size32)
        let localExtra = zip64 ? u16(1) + u16(16) + u64(bytes.count) + u64(bytes.count) : []
        out += u16(nameBytes.count) + u16(localExtra.count) + nameBytes + localExtra + bytes
        let extra = zip64 ? u16(1) + u16(24) + u64(bytes.count) + u64(bytes.count) + u64(offset) : []
        directory += u32(0x0201_4B50) + u16(zip64 ? 45 : 20) + u16(zip64 ? 45 : 20) + u16(0) + u16(0) + u16(0) + u16(0)
        directory += u32(crc) + u32(size32) + u32(size32) + u16(nameBytes.count) + u16(extra.count) + u16(0)
        directory += u16(0) + u16(0) + u32(0) + u32(zip64 ? 0xFFFF_FFFF : offset) + nameBytes + extra
    }
    let directoryOffset = out.count
    out += directory
    if zip64 {
        let record = out.count
        out += u32(0x0606_4B50) + u64(44) + u16(45) + u16(45) + u32(0) + u32(0) + u64(entries.count) + u64(entries.count)
        out += u64(directory.count) + u64(directoryOffset)
        out += u32(0x0706_4B50) + u32(0) + u64(record) + u32(1)
        out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(0xFFFF) + u16(0xFFFF) + u32(0xFFFF_FFFF) + u32(0xFFFF_FFFF) + u16(0)
    } else {
        out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(directory.count)
        out += u32(directoryOffset) + u16(0)
    }
    return out
}

/// The legacy format: magic, protocol 1001, system info, the dict, the storage keys, then
/// each storage as an int64 element count and its bytes.
func legacyPth(_ tensors: [TorchTensor], pickle: [UInt8]? = nil) -> [UInt8] {
    var out: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    out += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
    var info = PickleBytes()
    info.op(0x7D); info.op(0x28)
    info.string("protocol_version"); info.op(0x4D); info.bytes += [0xE9, 0x03]
    info.string("little_endian"); info.op(0x88)
    info.string("type_sizes"); info.op(0x7D); info.op(0x28)
    info.string("short"); info.op(0x4B); info.bytes.append(2)
    info.string("int"); info.op(0x4B); info.bytes.append(4)
    info.string("long"); info.op(0x4B); info.bytes.append(4)
    info.op(0x75); info.op(0x75); info.stop()
    out += info.bytes
    out += pickle ?? stateDictPickle(tensors, legacy: true)
    var keys = PickleBytes()
    keys.op(0x5D); keys.op(0x28); for k in tensors.indices { keys.string(String(k)) }; keys.op(0x65); keys.stop()
    out += keys.bytes
    for t in tensors {
        withUnsafeBytes(of: Int64(t.values.count).littleEndian) { out += $0 }
        out += storageBytes(t)
    }
    return out
}

/// Protobuf wire-format encoding.
struct Proto {
    var bytes: [UInt8] = []
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func tag(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    mutating func int(_ field: Int, _ v: Int) { tag(field, 0); varint(UInt64(v)) }
    mutating func message(_ field: Int, _ m: [UInt8]) { tag(field, 2); varint(UInt64(m.count)); bytes += m }
    mutating func string(_ field: Int, _ s: String) { message(field, Array(s.utf8)) }
}

/// A BlobProto: legacy num/channels/height/width (padded to 4-D) or a BlobShape; packed or unpacked floats.
func caffeBlob(shape: [Int], values: [Float], legacyShape: Bool, packed: Bool) -> [UInt8] {
    var b = Proto()
    if legacyShape {
        let dims = Array(repeating: 1, count: 4 - shape.count) + shape
        for (i, d) in dims.enumerated() { b.int(i + 1, d) }
    }
    if packed {
        var data: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        b.message(5, data)
    } else {
        for v in values { b.tag(5, 5); withUnsafeBytes(of: v.bitPattern.littleEndian) { b.bytes += $0 } }
    }
    if !legacyShape {
        var s = Proto()
        var dims = Proto()
        for d in shape { dims.varint(UInt64(d)) }
        s.message(1, dims.bytes)
        b.message(7, s.bytes)
    }
    return b.bytes
}

/// A NetParameter with V1 `layers` (field 2; V1 file: legacy blob shapes, packed data) or
/// current `layer` (field 100; BlobShape, unpacked data), `convs` as (name, weight, bias), plus
/// a data-less ReLU and a fully connected layer after them.
func caffeModel(convs: [(name: String, weight: TorchTensor, bias: TorchTensor)], v1: Bool) -> [UInt8] {
    var net = Proto()
    net.string(1, "VGG_ILSVRC_19_layers")
    func layer(_ name: String, type: Int, typeName: String, blobs: [[UInt8]]) {
        var l = Proto()
        if v1 {
            l.string(2, "bottom"); l.string(3, name); l.string(4, name); l.int(5, type)
            for b in blobs { l.message(6, b) }
        } else {
            l.string(1, name); l.string(2, typeName); l.string(3, "bottom"); l.string(4, name)
            for b in blobs { l.message(7, b) }
        }
        net.message(v1 ? 2 : 100, l.bytes)
    }
    for c in convs {
        layer(c.name, type: 4, typeName: "Convolution", blobs: [
            caffeBlob(shape: c.weight.shape, values: c.weight.values, legacyShape: v1, packed: v1),
            caffeBlob(shape: c.bias.shape, values: c.bias.values, legacyShape: v1, packed: v1),
        ])
        layer("relu" + c.name.dropFirst(4), type: 18, typeName: "ReLU", blobs: [])
    }
    layer("fc6", type: 14, typeName: "InnerProduct", blobs: [
        caffeBlob(shape: [4, 8], values: Array(repeating: 0.5, count: 32), legacyShape: v1, packed: v1),
    ])
    return net.bytes
}
