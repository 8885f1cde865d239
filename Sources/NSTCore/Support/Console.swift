// Console: checked, unbuffered writes to standard output and standard error that never trap.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text straight to file descriptors 1 and 2 with `write(2)`.
///
/// `FileHandle.write` traps when the descriptor cannot be written (a closed stderr, a full
/// disk, a reader that went away), and `print` buffers, so progress lines would show up
/// late. These writes go out at once, retry on interruption and partial writes, and report
/// failure instead of trapping: a run whose terminal went away keeps working.
public enum Console {
    private static let outputFailures = Atomic<Int>(0)

    /// Whether some write to standard output failed in this process (a full disk, a closed
    /// descriptor): `nst` then ends with status 1 rather than 0, as its output is incomplete.
    public static var standardOutputFailed: Bool { outputFailures.load(ordering: .relaxed) > 0 }

    /// Writes `text` to standard output. Returns false when it could not be written.
    @discardableResult
    public static func out(_ text: String) -> Bool { write(text, to: 1) }

    /// Writes `text` followed by a newline to standard output.
    @discardableResult
    public static func line(_ text: String = "") -> Bool { write(text + "\n", to: 1) }

    /// Writes `text` to standard error. Returns false when it could not be written.
    @discardableResult
    public static func error(_ text: String) -> Bool { write(text, to: 2) }

    /// Writes all of `text` to `descriptor`, or returns false at the first error (and
    /// remembers a failure on standard output).
    static func write(_ text: String, to descriptor: Int32) -> Bool {
        let written = writeAll(text, to: descriptor)
        if !written, descriptor == 1 { outputFailures.add(1, ordering: .relaxed) }
        return written
    }

    private static func writeAll(_ text: String, to descriptor: Int32) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                #if canImport(Glibc)
                let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
                #else
                let written = Darwin.write(descriptor, base + offset, buffer.count - offset)
                #endif
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}
