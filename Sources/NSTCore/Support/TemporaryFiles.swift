// TemporaryFiles: the process's temporary files in flight, so that a signal that ends the process at once can remove them.
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files this process has created and not yet renamed or removed (atomic
/// writes, the folder probe, the kernel cache).
///
/// A signal that must end the process at once runs its handler on another thread than
/// the write in progress; this list is how it finds what to clean up. It is process-wide
/// by nature (one process, one set of files), so it is a `Mutex`-guarded static, not
/// unguarded global state. A path is registered *before* the file is created, so there is
/// no moment at which a file exists that the list does not name.
public enum TemporaryFiles {
    private static let paths = Mutex<Set<String>>([])

    /// Adds `path` (before creating the file).
    public static func register(_ path: String) {
        paths.withLock { _ = $0.insert(path) }
    }

    /// Drops `path` (after renaming or removing the file).
    public static func unregister(_ path: String) {
        paths.withLock { _ = $0.remove(path) }
    }

    /// The paths now registered, for tests.
    public static var current: Set<String> { paths.withLock { $0 } }

    /// Removes every registered file (those not yet created are simply absent) and empties
    /// the list. Safe to call from any thread.
    public static func removeAll() {
        let all = paths.withLock { list -> Set<String> in
            defer { list.removeAll() }
            return list
        }
        for path in all { _ = unlink(path) }
    }

    /// A name for a new temporary file: `prefix` followed by 6 random letters and digits.
    public static func uniqueName(prefix: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return prefix + String((0..<6).map { _ in alphabet.randomElement() ?? "x" })
    }
}
