// AtomicFile: writing a file through a temporary sibling and a rename, so no half-written file is ever seen.
import Foundation

/// Atomic file writes: the data goes to a hidden temporary file in the destination's
/// folder (same file system), which is then renamed over the destination.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    /// - Throws: `TransferError.file` naming `role` and `path` when the folder is missing or
    ///   not writable.
    public static func write(_ data: Data, to path: String, role: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw TransferError.file(role: role, path: path, problem: "cannot be written: \(reason)")
            }
        } catch let error as TransferError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw TransferError.file(role: role, path: path, problem: "cannot be written: \(error.localizedDescription)")
        }
    }
}
