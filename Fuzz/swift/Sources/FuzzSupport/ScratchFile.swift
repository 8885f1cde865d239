// ScratchFile: hands the file-based readers the fuzzer's bytes as a file, one per process, rewritten each run.
import Foundation

/// A file in the temporary folder (in memory under /dev/shm where there is one) that each
/// fuzz input is written to, as the weights readers open files, not bytes.
public final class ScratchFile: @unchecked Sendable {
    /// The file's URL; its name ends in `suffix`, which some readers look at.
    public let url: URL

    public init(suffix: String) {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        url = URL(fileURLWithPath: folder).appendingPathComponent("nst-fuzz-\(getpid())\(suffix)")
    }

    /// Replaces the file's contents with the `count` bytes at `data`.
    /// Returns false when the file cannot be written (the input is then skipped, not a finding).
    public func write(_ data: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        (try? Data(bytes: data, count: count).write(to: url)) != nil
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
