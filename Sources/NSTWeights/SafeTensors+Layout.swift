// SafeTensors+Layout: the whole-file rules of the safetensors format checked when a file is opened (bounded header, string metadata, no overlapping tensors).
import Foundation
import NSTCore

extension SafeTensorsFile {
    /// The largest header accepted: 4 MiB, about 40,000 tensor entries (VGG-19's is under
    /// 5 KB). Parsing JSON takes many times its size in memory, so the bound is on the bytes
    /// read, before parsing.
    static let headerLimit = 4 * 1024 * 1024

    /// Checks that `__metadata__`, when present, maps strings to strings, as the format
    /// requires (a number there was ignored silently). Entries are validated when read.
    /// - Throws: `WeightsError` naming the file and the key concerned.
    static func checkLayout(_ dict: [String: Any], path: String) throws {
        if let meta = dict["__metadata__"] {
            guard let fields = meta as? [String: Any] else {
                throw WeightsError(file: path, key: "__metadata__", problem: "must be a JSON object of strings")
            }
            if let key = fields.keys.sorted().first(where: { !(fields[$0] is String) }) {
                throw WeightsError(file: path, key: "__metadata__.\(key)", problem: "metadata values must be strings")
            }
        }
    }

    /// Throws when two valid entries' byte ranges overlap (the format forbids it; overlapping
    /// tensors are a sign of a crafted file). Entries that are invalid on their own are left
    /// to `entry(_:)`, which names their own problem when they are read.
    func checkOverlaps() throws {
        let ranges = keys.compactMap { key in (try? entry(key)).map { (key: key, range: $0.byteRange) } }
            .filter { !$0.range.isEmpty }
            .sorted { ($0.range.lowerBound, $0.key) < ($1.range.lowerBound, $1.key) }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.range.lowerBound < a.range.upperBound {
            throw WeightsError(file: path, key: b.key, problem: "its bytes overlap those of '\(a.key)'; tensors must not share bytes")
        }
    }
}
