// JobID: random 128-bit job ids as 32 lowercase hex digits, and the check that a path's id is one (nothing else names a folder).
import Foundation

/// A job's id: 128 random bits (`SystemRandomNumberGenerator`, the system's CSPRNG), so ids
/// cannot be guessed; and only a string of exactly this form is ever used in a path.
public enum JobID {
    /// A new id.
    public static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(rng.next() as UInt64, radix: 16) }.map { String(repeating: "0", count: 16 - $0.count) + $0 }.joined()
    }

    /// Whether `text` is an id (32 lowercase hex digits): no dots, slashes or anything else a path could use.
    public static func isValid(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
