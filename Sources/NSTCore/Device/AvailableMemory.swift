// AvailableMemory: how much memory the host can give a run (physical memory or a container's limit).
import Foundation

/// The memory a backend can hold, as far as the process can tell.
public enum AvailableMemory {
    /// Physical memory, or the cgroup's limit when that is smaller (a container's
    /// `memory.max` is what the kernel's OOM killer enforces).
    public static func hostBytes() -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let limits = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"].compactMap { path in
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(cgroupLimit)
        }
        return ([physical] + limits).min() ?? physical
    }

    /// The byte count in a cgroup limit file, or nil for `max` (no limit) or anything unreadable.
    static func cgroupLimit(_ text: String) -> Int? {
        guard let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0 else { return nil }
        return value
    }
}
