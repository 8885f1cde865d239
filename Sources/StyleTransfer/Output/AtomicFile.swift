// AtomicFile: atomic writes of the run's non-image outputs, errors naming the option they came from.
import Foundation
import NSTCore
import NSTImages

/// Atomic file writes for outputs named by an option (the loss log): the one
/// implementation, `ImageFile.writeAtomically` (a private temporary file in the
/// destination's folder renamed over the destination), with its errors reworded as
/// `TransferError.file` naming the option.
public enum AtomicFile {
    /// Writes `data` to `path` atomically: `path` keeps its old contents or gets all of
    /// the new ones, and no temporary file is left behind.
    /// - Throws: `TransferError.file` naming `role` and `path` when the folder is missing or
    ///   not writable, or the write fails.
    public static func write(_ data: Data, to path: String, role: String) throws {
        do {
            try ImageFile.writeAtomically([UInt8](data), to: path)
        } catch let error as ImageError {
            throw TransferError.file(role: role, path: path, problem: error.reason)
        }
    }
}
