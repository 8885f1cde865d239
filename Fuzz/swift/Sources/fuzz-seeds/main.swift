// fuzz-seeds: writes small valid files for the Swift fuzz targets with the reader tests' own writers (linked here).
import Foundation

/// Stands in for the tests' seeded data (Tests/StyleTransferTests/Support), which the linked
/// writers name but the seeds below do not use.
struct TestData {
    init(seed: UInt64) {}
    mutating func uniform(_ count: Int) -> [Float] { (0..<count).map { Float($0 % 7) / 7 - 0.5 } }
}

/// Usage: fuzz-seeds CORPUS (the folder holding one folder per target). Writes into its
/// safetensors/, pth/ and caffemodel/ folders, and adds to image/ a copy of each JPEG there
/// with an EXIF orientation, so the image target starts on the turning code too.
let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: fuzz-seeds CORPUS\n".utf8))
    exit(1)
}
let corpus = URL(fileURLWithPath: arguments[1])

func save(_ bytes: [UInt8], _ target: String, _ name: String) throws {
    let folder = corpus.appendingPathComponent(target)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data(bytes).write(to: folder.appendingPathComponent(name))
}

/// Two small tensors in VGG's key names: a conv weight and its bias.
func tensors(half: Bool) -> [TorchTensor] {
    [TorchTensor(key: "features.0.weight", shape: [2, 3, 1, 1], values: (0..<6).map { Float($0) / 4 }, half: half),
     TorchTensor(key: "features.0.bias", shape: [2], values: [0.5, -1], half: half)]
}

for half in [false, true] {
    let t = tensors(half: half), suffix = half ? "f16" : "f32"
    let st = t.map { TestTensor(key: $0.key, shape: $0.shape, values: $0.values, dtype: half ? "F16" : "F32") }
    try save([UInt8](safetensorsData(st, metadata: half ? nil : ["format": "pt", "preprocess": "caffe"])),
             "safetensors", "seed-\(suffix).safetensors")
    var zip: [(String, [UInt8])] = [("archive/data.pkl", stateDictPickle(t, legacy: false)), ("archive/byteorder", Array("little".utf8))]
    for (k, tensor) in t.enumerated() { zip.append(("archive/data/\(k)", storageBytes(tensor))) }
    try save(storedZip(zip), "pth", "seed-zip-\(suffix).pth")
    try save(storedZip(zip, zip64: true), "pth", "seed-zip64-\(suffix).pth")
    try save(legacyPth(t), "pth", "seed-legacy-\(suffix).pth")
}
let t = tensors(half: false)
// Seeds that start the fuzzer on the size and nesting checks: offsets and storage counts
// near 2^63 (LONG1 integers it can mutate), and tuples nested past the pickle's depth limit.
var huge = t
huge[0].offset = Int.max - 8
huge[1].storageCount = 1 << 62
try save(storedZip([("archive/data.pkl", stateDictPickle(huge, legacy: false))] + t.enumerated().map { ("archive/data/\($0.offset)", storageBytes($0.element)) }),
         "pth", "seed-zip-huge.pth")
try save(legacyPth(huge), "pth", "seed-legacy-huge.pth")
try save(storedZip([("archive/data.pkl", nestedTuplePickle(depth: 300))]), "pth", "seed-zip-deep.pth")
// Seeds for the byte budgets: a string and a byte string whose 8-byte lengths claim 1 TiB
// (BINUNICODE8, BINBYTES8) with three bytes behind them, in both containers.
for (name, opcode) in [("unicode8", UInt8(0x8D)), ("bytes8", UInt8(0x8E))] {
    var claim: [UInt8] = [0x80, 0x04, opcode]
    withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { claim += $0 }
    claim += Array("abc".utf8) + [0x2E]
    try save(storedZip([("archive/data.pkl", claim)]), "pth", "seed-zip-\(name)-claim.pth")
    try save(legacyPth(t, pickle: claim), "pth", "seed-legacy-\(name)-claim.pth")
}
for v1 in [false, true] {
    try save(caffeModel(convs: [("conv1_1", t[0], t[1])], v1: v1), "caffemodel", "seed-\(v1 ? "v1" : "v2").caffemodel")
}

// An APP1 Exif segment (big-endian TIFF, one IFD entry: Orientation = 6, turn clockwise) after SOI.
let exif: [UInt8] = [0xFF, 0xE1, 0x00, 0x22] + Array("Exif".utf8) + [0, 0, 0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8,
    0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]
let images = corpus.appendingPathComponent("image")
for name in (try? FileManager.default.contentsOfDirectory(atPath: images.path)) ?? [] where name.hasSuffix(".jpg") {
    let jpeg = [UInt8](try Data(contentsOf: images.appendingPathComponent(name)))
    guard jpeg.count > 2 else { continue }
    try save(Array(jpeg[0..<2]) + exif + jpeg[2...], "image", "exif-" + name)
}
