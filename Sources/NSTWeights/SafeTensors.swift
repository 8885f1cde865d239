// SafeTensors: a validating reader for the .safetensors format (JSON header + raw little-endian tensors).
import Foundation
import NSTCore

/// A `.safetensors` file opened for reading tensors one at a time.
///
/// Format: 8 bytes little-endian header length `n`, `n` bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"k": "v"}}`, then the data section; offsets are relative to its
/// start. Only the header is read when opening; each tensor is read with a seek and one
/// read, so the file is never held in memory twice. Everything read is validated, and
/// every error names the file and the key.
public final class SafeTensorsFile {
    /// One tensor's header entry, validated.
    public struct Entry: Equatable, Sendable {
        /// The stored element type.
        public let dtype: DType
        /// The tensor's dimensions, outermost first.
        public let shape: [Int]
        /// Byte range in the file (absolute, already shifted past the header).
        public let byteRange: Range<Int>
        /// The number of elements (fits Int: the entry was validated).
        public var count: Int { shape.reduce(1, *) }
    }

    /// The element types this reader converts to Float.
    public enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16"
        /// Bytes per element.
        public var byteSize: Int { self == .f32 ? 4 : 2 }
    }

    /// The path as given, for messages.
    public let path: String
    /// Free-form `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    /// The raw header entries, by key; validated when read.
    private let header: [String: Any]
    private let dataStart: Int
    private let fileSize: Int
    private let handle: FileHandle

    /// The largest header accepted; real headers are a few kilobytes.
    static let maxHeaderLength = 100 * 1024 * 1024

    /// Opens `url` and parses its header.
    /// - Throws: `WeightsError` for an unreadable file, a header length that does not fit
    ///   the file, or a header that is not a JSON object.
    public init(url: URL) throws {
        path = url.path
        let handle = try RegularFile.open(url)
        self.handle = handle
        let size: UInt64
        do { size = try handle.seekToEnd(); try handle.seek(toOffset: 0) } catch {
            throw WeightsError(file: url.path, problem: "cannot be read (is it a folder?)")
        }
        fileSize = Int(size)
        guard fileSize >= 8 else {
            throw WeightsError(file: path, problem: "not a safetensors file: \(fileSize) bytes is shorter than the 8-byte header length")
        }
        let lengthBytes = try Self.read(handle, path: path, offset: 0, count: 8)
        let length = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length >= 2, length <= UInt64(min(fileSize - 8, Self.maxHeaderLength)) else {
            throw WeightsError(file: path, problem: "not a safetensors file: header length \(length) does not fit a file of \(fileSize) bytes")
        }
        guard length <= UInt64(Self.headerLimit) else {
            throw WeightsError(file: path, problem: "header of \(length) bytes is larger than the \(Self.headerLimit) bytes accepted")
        }
        dataStart = 8 + Int(length)
        let json = try Self.read(handle, path: path, offset: 8, count: Int(length))
        guard let object = try? JSONSerialization.jsonObject(with: json), let dict = object as? [String: Any] else {
            throw WeightsError(file: path, problem: "not a safetensors file: the header is not a JSON object")
        }
        if let key = JSONDuplicateKeys.first(in: [UInt8](json)) {
            throw WeightsError(file: path, problem: "the header names '\(key)' twice in one object; the format forbids duplicate keys")
        }
        try Self.checkLayout(dict, path: path)
        var metadata: [String: String] = [:]
        if let meta = dict["__metadata__"] as? [String: Any] {
            for (k, v) in meta { if let s = v as? String { metadata[k] = s } }
        }
        self.metadata = metadata
        var header = dict
        header["__metadata__"] = nil
        self.header = header
        try checkOverlaps()
    }

    deinit { try? handle.close() }

    /// The tensor keys in the file, sorted.
    public var keys: [String] { header.keys.sorted() }

    /// True when the file has a tensor named `key`.
    public func contains(_ key: String) -> Bool { header[key] != nil }

    /// The validated header entry of `key`.
    /// - Throws: `WeightsError` naming the key when it is missing, its dtype is not F32/F16,
    ///   its shape or offsets are malformed, its offsets leave the data section, or its byte
    ///   count does not match dtype and shape.
    public func entry(_ key: String) throws -> Entry {
        guard let raw = header[key] else { throw WeightsError(file: path, key: key, problem: "missing") }
        guard let info = raw as? [String: Any] else {
            throw WeightsError(file: path, key: key, problem: "header entry is not a JSON object")
        }
        guard let dtypeName = info["dtype"] as? String else {
            throw WeightsError(file: path, key: key, problem: "header entry has no dtype")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw WeightsError(file: path, key: key, problem: "dtype \(dtypeName) is not supported (want F32 or F16)")
        }
        guard let shapeValues = info["shape"] as? [Any], let shape = Self.integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
            throw WeightsError(file: path, key: key, problem: "shape is not a list of non-negative integers")
        }
        guard let offsetValues = info["data_offsets"] as? [Any], let offsets = Self.integers(offsetValues), offsets.count == 2 else {
            throw WeightsError(file: path, key: key, problem: "data_offsets is not a pair of integers")
        }
        let dataSize = fileSize - dataStart
        guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
            throw WeightsError(file: path, key: key, problem:
                "data_offsets [\(offsets[0]), \(offsets[1])] fall outside the data section of \(dataSize) bytes (file truncated?)")
        }
        // The byte count of a file-given shape can overflow Int: it is computed with checks
        // and nil stands for "more than any file holds".
        let bytes = CheckedSize.product(shape + [dtype.byteSize])
        guard let bytes, bytes == offsets[1] - offsets[0] else {
            throw WeightsError(file: path, key: key, problem:
                "data_offsets span \(offsets[1] - offsets[0]) bytes, but \(dtypeName) shape \(shape) needs \(bytes.map(String.init) ?? "too many")")
        }
        return Entry(dtype: dtype, shape: shape, byteRange: (dataStart + offsets[0])..<(dataStart + offsets[1]))
    }

    /// Reads tensor `key` converted to Float, row-major.
    /// - Parameter shape: when given, the shape the tensor must have (`for` names its use).
    public func floats(_ key: String, shape want: [Int]? = nil, for use: String? = nil) throws -> [Float] {
        let entry = try entry(key)
        if let want, entry.shape != want {
            let purpose = use.map { " \($0)" } ?? ""
            throw WeightsError(file: path, key: key, problem: "shape \(entry.shape) does not fit\(purpose): want \(want)")
        }
        let bytes = try Self.read(handle, path: path, offset: entry.byteRange.lowerBound, count: entry.byteRange.count, key: key)
        var out = [Float](repeating: 0, count: entry.count)
        bytes.withUnsafeBytes { raw in
            switch entry.dtype {
            case .f32:
                for i in 0..<out.count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .f16:
                for i in 0..<out.count {
                    out[i] = Half.toFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        }
        return out
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            result.append(Int(d))
        }
        return result
    }

    private static func read(_ handle: FileHandle, path: String, offset: Int, count: Int, key: String? = nil) throws -> Data {
        do {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else {
                throw WeightsError(file: path, key: key, problem: "file ends after \(offset + data.count) bytes, expected \(offset + count) (truncated?)")
            }
            return data
        } catch let error as WeightsError {
            throw error
        } catch {
            throw WeightsError(file: path, key: key, problem: "read failed: \(ErrorWords.describe(error))")
        }
    }
}
