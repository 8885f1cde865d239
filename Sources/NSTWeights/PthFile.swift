// PthFile: PyTorch's .pth state dicts (zip and legacy formats) read without Python and without running anything.
import Foundation
import NSTCore

/// A PyTorch state dict saved by `torch.save`, opened for reading tensors one at a time.
///
/// Two containers exist:
/// - zip (PyTorch 1.6 and later): a zip archive (`ZipArchive` reads it) whose entries are
///   `<name>/data.pkl` (the pickled dict) and `<name>/data/<key>` (one raw little-endian
///   storage per key); the storages are only read when a tensor is asked for, so the
///   classifier's hundreds of megabytes are never loaded.
/// - legacy (before 1.6, e.g. torchvision's 2017 VGG files): five pickles in a row, the
///   magic number `0x1950a86a20f9469cfc6c`, the protocol version 1001, the system info
///   (`little_endian` must be true), the dict, and the list of storage keys; then, in that
///   order, each storage as an 8-byte little-endian element count and its raw bytes. The
///   storages are located by walking the counts with seeks.
///
/// The pickle is read by `PickleReader`, which refuses every global except those a state
/// dict needs: nothing in the file is ever executed.
public final class PthFile {
    /// The path as given, for messages.
    public let path: String
    /// Tensors by key (`features.0.weight`, ...), in the dict's order.
    let tensors: [String: PickleTensor]
    /// The dict's keys in file order.
    public let keys: [String]
    private let handle: FileHandle
    private let archive: ZipArchive?
    /// The zip entry prefix (`archive/`), or the legacy storages' byte offsets by key.
    private let zipPrefix: String
    private let legacyOffsets: [String: Int]

    /// Legacy magic number modulo 2^64 (LONG1 of 10 bytes; its low 8 bytes).
    static let legacyMagicLow: Int = Int(bitPattern: 0xA86A_20F9_469C_FC6C)

    /// Opens `url` and reads its pickle.
    /// - Throws: `WeightsError` for an unreadable file, a container that is neither zip nor
    ///   legacy, a forbidden global or an unsupported construct in the pickle, or a
    ///   storage table that does not fit the file.
    public init(url: URL) throws {
        path = url.path
        let handle = try RegularFile.open(url)
        self.handle = handle
        let head = (try? handle.read(upToCount: 4)) ?? Data()
        var tensors: [String: PickleTensor] = [:], keys: [String] = []
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let archive = try ZipArchive(url: url, handle: handle)
            guard let pickle = archive.entries.first(where: { $0.path.hasSuffix("data.pkl") && $0.path.split(separator: "/").count == 2 }) else {
                throw WeightsError(file: path, problem: "not a PyTorch file: the zip archive has no <name>/data.pkl")
            }
            zipPrefix = String(pickle.path.dropLast("data.pkl".count))
            if let order = archive[zipPrefix + "byteorder"] {
                let text = String(decoding: try archive.contents(order), as: UTF8.self)
                guard text.hasPrefix("little") else { throw WeightsError(file: path, problem: "storages are \(text)-endian; only little-endian files are supported") }
            }
            let bytes = try archive.contents(pickle)
            (tensors, keys) = try Self.unpickleStateDict(bytes, path: path)
            self.archive = archive
            legacyOffsets = [:]
        } else {
            let size = Int((try? handle.seekToEnd()) ?? 0)
            // The pickles are small; the storages after them are never read whole.
            try? handle.seek(toOffset: 0)
            let prefix = [UInt8]((try? handle.read(upToCount: min(size, 16 * 1024 * 1024))) ?? Data())
            var reader = PickleReader(bytes: prefix)
            defer { reader.releaseContainers() }
            do {
                guard case .int(Self.legacyMagicLow) = try reader.read() else {
                    throw WeightsError(file: path, problem: "not a PyTorch file: neither a zip archive nor the legacy format's magic number")
                }
                guard case .int(1001) = try reader.read() else {
                    throw WeightsError(file: path, problem: "legacy PyTorch file with a protocol version other than 1001")
                }
                guard case let .dict(info) = try reader.read() else { throw WeightsError(file: path, problem: "legacy PyTorch file without system info") }
                for (k, v) in info.items where k.string == "little_endian" {
                    if case .bool(false) = v { throw WeightsError(file: path, problem: "storages are big-endian; only little-endian files are supported") }
                }
                let value = try reader.read()
                (tensors, keys) = try Self.stateDict(value, path: path)
                guard let storageKeys = try reader.read().items?.compactMap(\.string) else {
                    throw WeightsError(file: path, problem: "legacy PyTorch file without its list of storage keys")
                }
                // Walk the storages: 8-byte count, then count * element size bytes.
                let sizes = Dictionary(tensors.values.map { ($0.storage.key, $0.storage) }, uniquingKeysWith: { a, _ in a })
                var offset = reader.position, offsets: [String: Int] = [:]
                for key in storageKeys {
                    try handle.seek(toOffset: UInt64(offset))
                    guard let raw = try handle.read(upToCount: 8), raw.count == 8 else {
                        throw WeightsError(file: path, problem: "file ends inside the storage table at byte \(offset) (truncated?)")
                    }
                    let count = raw.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
                    let element = sizes[key].map { $0.dtype == .float16 ? 2 : 4 } ?? 4
                    guard count >= 0, count <= Int64(size) else {
                        throw WeightsError(file: path, problem: "storage '\(key)' claims \(count) elements, more than the file holds")
                    }
                    if let s = sizes[key], s.count != Int(count) {
                        throw WeightsError(file: path, problem: "storage '\(key)' holds \(count) elements, the pickle says \(s.count)")
                    }
                    offsets[key] = offset + 8
                    // Checked: the count is the file's (bounded by its size above, but a sum is not).
                    guard let bytes = CheckedSize.product(Int(count), element), let next = CheckedSize.sum(offset + 8, bytes), next <= size else {
                        throw WeightsError(file: path, problem: "file ends inside storage '\(key)': \(size) bytes, not enough for its \(count) elements (truncated?)")
                    }
                    offset = next
                }
                legacyOffsets = offsets
            } catch let error as PickleError {
                throw WeightsError(file: path, problem: error.message)
            }
            archive = nil
            zipPrefix = ""
        }
        let fileSize = Int(clamping: (try? handle.seekToEnd()) ?? 0)
        for key in keys { if let t = tensors[key] { try Self.checkSizes(t, key: key, fileSize: fileSize, path: path) } }
        self.tensors = tensors
        self.keys = keys
    }

    /// Checks, when the file is opened, that every size a tensor's numbers imply fits `Int`
    /// and the file: its storage's bytes at most the file's, its offset inside the storage,
    /// its element count and its end in bytes representable. A crafted storage of 2^62
    /// elements or an offset near 2^63 is refused here instead of trapping when read.
    /// Whether the tensor's elements lie inside its storage is checked when it is read (a
    /// file may declare tensors it holds no data for).
    private static func checkSizes(_ t: PickleTensor, key: String, fileSize: Int, path: String) throws {
        let element = t.storage.dtype == .float16 ? 2 : 4
        guard let storageBytes = CheckedSize.product(t.storage.count, element), storageBytes <= fileSize else {
            throw WeightsError(file: path, key: key, problem: "its storage claims \(t.storage.count) elements, more than the file's \(fileSize) bytes hold")
        }
        guard t.offset >= 0, t.offset <= t.storage.count else {
            throw WeightsError(file: path, key: key, problem: "offset \(t.offset) lies outside its storage of \(t.storage.count) elements")
        }
        guard let count = CheckedSize.product(t.shape), t.stride.allSatisfy({ $0 >= 0 }),
              let end = CheckedSize.sum(t.offset, count), CheckedSize.product(end, element) != nil else {
            throw WeightsError(file: path, key: key, problem: "shape \(t.shape) and stride \(t.stride) describe more elements than any file holds")
        }
    }

    deinit { try? handle.close() }

    /// The shape of tensor `key`, or nil when the dict has no such tensor.
    public func shape(of key: String) -> [Int]? { tensors[key]?.shape }

    /// Reads tensor `key` as Float, row-major; only its storage is read.
    /// - Throws: `WeightsError` naming the key when it is missing, not contiguous, or its
    ///   storage is missing or too short.
    public func floats(_ key: String) throws -> [Float] {
        guard let t = tensors[key] else { throw WeightsError(file: path, key: key, problem: "missing") }
        // Every size below is checked arithmetic: the numbers come from the file.
        let element = t.storage.dtype == .float16 ? 2 : 4
        guard let count = CheckedSize.product(t.shape) else {
            throw WeightsError(file: path, key: key, problem: "shape \(t.shape) describes more elements than any file holds")
        }
        var expected = 1
        for (d, s) in zip(t.shape, t.stride).reversed() {
            guard d == 1 || s == expected else { throw WeightsError(file: path, key: key, problem: "is not stored contiguously (stride \(t.stride))") }
            // Cannot overflow: a suffix's product is 0 or at most that of the non-zero dimensions, which fits.
            expected *= d
        }
        guard let end = CheckedSize.sum(t.offset, count), end <= t.storage.count,
              let byteStart = CheckedSize.product(t.offset, element), let byteEnd = CheckedSize.product(end, element),
              let storageBytes = CheckedSize.product(t.storage.count, element) else {
            throw WeightsError(file: path, key: key, problem: "offset \(t.offset) and shape \(t.shape) leave its storage of \(t.storage.count) elements")
        }
        let bytes: [UInt8]
        if let archive {
            guard let entry = archive[zipPrefix + "data/" + t.storage.key] else {
                throw WeightsError(file: path, key: key, problem: "its storage '\(t.storage.key)' is missing from the archive")
            }
            let all = try archive.contents(entry)
            guard all.count >= storageBytes else {
                throw WeightsError(file: path, key: key, problem: "its storage has \(all.count) bytes, want \(storageBytes) (truncated?)")
            }
            bytes = Array(all[byteStart..<byteEnd])
        } else {
            guard let start = legacyOffsets[t.storage.key], let at = CheckedSize.sum(start, byteStart) else {
                throw WeightsError(file: path, key: key, problem: "its storage '\(t.storage.key)' is not in the file's storage list")
            }
            do {
                try handle.seek(toOffset: UInt64(at))
                let data = try handle.read(upToCount: byteEnd - byteStart) ?? Data()
                guard data.count == byteEnd - byteStart else { throw WeightsError(file: path, key: key, problem: "file ends inside its storage (truncated?)") }
                bytes = [UInt8](data)
            } catch let error as WeightsError { throw error } catch {
                throw WeightsError(file: path, key: key, problem: "read failed: \(ErrorWords.describe(error))")
            }
        }
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                element == 4
                    ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    : Half.toFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        }
    }

    /// The state dict of the pickle `bytes` (the zip format's data.pkl).
    private static func unpickleStateDict(_ bytes: [UInt8], path: String) throws -> ([String: PickleTensor], [String]) {
        var reader = PickleReader(bytes: bytes)
        defer { reader.releaseContainers() }
        do { return try stateDict(try reader.read(), path: path) } catch let error as PickleError {
            throw WeightsError(file: path, problem: error.message)
        }
    }

    /// The string-keyed tensors of a state dict (other values, e.g. counters, are skipped).
    /// A checkpoint that wraps the dict in `{"state_dict": ...}` is unwrapped, a few levels at
    /// most: a pickle can make a dict its own "state_dict", which would recurse forever.
    private static func stateDict(_ value: PickleValue, path: String, depth: Int = 0) throws -> ([String: PickleTensor], [String]) {
        guard case let .dict(d) = value else { throw WeightsError(file: path, problem: "the pickle is not a dict of tensors") }
        if depth < 4, let inner = d.items.first(where: { $0.key.string == "state_dict" }), case .dict = inner.value {
            return try stateDict(inner.value, path: path, depth: depth + 1)
        }
        var tensors: [String: PickleTensor] = [:], keys: [String] = []
        for (k, v) in d.items {
            guard let key = k.string, case let .tensor(t) = v else { continue }
            tensors[key] = t
            keys.append(key)
        }
        return (tensors, keys)
    }
}
