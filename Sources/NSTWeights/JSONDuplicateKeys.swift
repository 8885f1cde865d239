// JSONDuplicateKeys: finds a key that appears twice in one JSON object, which Foundation's parser silently resolves by keeping one.
import Foundation
import NSTCore

/// The safetensors format forbids duplicate keys, but `JSONSerialization` keeps one of them
/// without a word, so a header could describe a tensor twice and be read either way. This
/// scan walks the JSON text (already known to parse) and reports the first key that repeats
/// within one object, at any depth. Escapes are decoded, so `"\u0061"` and `"a"` are the
/// same key.
enum JSONDuplicateKeys {
    /// The first repeated key, or nil when every object's keys are distinct.
    static func first(in bytes: [UInt8]) -> String? {
        // Per open container: nil for an array, else the keys seen and whether a key comes next.
        var stack: [(keys: Set<String>, expectingKey: Bool)?] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "{"): stack.append((keys: [], expectingKey: true))
            case UInt8(ascii: "["): stack.append(nil)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
            // The top object is changed in place: a copy taken out and put back would copy its
            // set of keys at every key, which made a header of 40,000 entries take seconds.
            case UInt8(ascii: ","):
                if !stack.isEmpty, stack[stack.count - 1] != nil { stack[stack.count - 1]?.expectingKey = true }
            case UInt8(ascii: "\""):
                let (text, end) = string(bytes, from: i + 1)
                if !stack.isEmpty, stack[stack.count - 1]?.expectingKey == true {
                    if stack[stack.count - 1]?.keys.insert(text).inserted == false { return text }
                    stack[stack.count - 1]?.expectingKey = false
                }
                i = end
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The decoded string starting after an opening quote at `start`, and the index of its
    /// closing quote (or the end of the bytes).
    private static func string(_ bytes: [UInt8], from start: Int) -> (String, Int) {
        var scalars = String.UnicodeScalarView(), raw: [UInt8] = [], i = start
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                flush()
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    let hex = i + 4 <= bytes.count ? String(decoding: bytes[i..<(i + 4)], as: UTF8.self) : ""
                    if let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) { scalars.append(scalar) }
                    i += 4
                default: scalars.append(Unicode.Scalar(e))
                }
                continue
            }
            raw.append(bytes[i])
            i += 1
        }
        flush()
        return (String(scalars), i)
    }
}
