// AvailableMemory: how much memory the host can give a run (physical memory, what is free, a container's limit, the address-space limit).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory a backend can hold, as far as the process can tell.
public enum AvailableMemory {
    /// What this process can hold in all: the smallest of physical memory, the memory not
    /// in use by others (this process's own resident memory plus the kernel's
    /// `MemAvailable`), the cgroup's limit and what is left under it (a container's
    /// `memory.max` is what the kernel's OOM killer enforces), and the room left under an
    /// address-space limit (`ulimit -v`).
    public static func hostBytes() -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let own = residentBytes() ?? 0
        var candidates = [physical]
        if let free = meminfoAvailable() { candidates.append(own + free) }
        for (limitPath, usagePath) in [("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                       ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")] {
            guard let limit = read(limitPath).flatMap(cgroupLimit) else { continue }
            candidates.append(limit)
            if let usage = read(usagePath).flatMap(cgroupLimit) { candidates.append(max(limit - usage, 0) + own) }
        }
        if let room = addressSpaceRoom() { candidates.append(own + room) }
        return candidates.min() ?? physical
    }

    /// Bytes that can still be allocated right now (`hostBytes` less what this process
    /// already holds): the budget an image decoder gets.
    public static func allocatableBytes() -> Int {
        max(hostBytes() - (residentBytes() ?? 0), 0)
    }

    /// True when `bytes` can be allocated now: tried with `malloc`, which reports failure
    /// (Swift arrays trap instead), and freed at once. Called before a large array is made.
    public static func canAllocate(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        // More than the machine holds can never be had; asking malloc for it is also what
        // memory checkers report as an error (AddressSanitizer aborts on such a request).
        guard bytes <= hostBytes() else { return false }
        guard let block = malloc(bytes) else { return false }
        free(block)
        return true
    }

    /// The byte count in a cgroup limit file, or nil for `max` (no limit) or anything unreadable.
    static func cgroupLimit(_ text: String) -> Int? {
        guard let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0 else { return nil }
        return value
    }

    /// `MemAvailable` of /proc/meminfo in bytes, or nil where there is none.
    static func meminfoAvailable() -> Int? {
        guard let text = read("/proc/meminfo") else { return nil }
        return meminfoValue(text, key: "MemAvailable:")
    }

    /// The value of `key` (in kB) in meminfo-style `text`, in bytes.
    static func meminfoValue(_ text: String, key: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
        return kilobytes * 1024
    }

    /// This process's resident and virtual sizes in bytes (from /proc/self/statm).
    static func residentBytes() -> Int? { statm()?.resident }

    private static func statm() -> (virtual: Int, resident: Int)? {
        guard let fields = read("/proc/self/statm")?.split(separator: " "), fields.count >= 2,
              let pages = Int(fields[0]), let resident = Int(fields[1]) else { return nil }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (pages * page, resident * page)
    }

    /// Room left under RLIMIT_AS, or nil when it is unlimited (RLIM_INFINITY, all ones).
    private static func addressSpaceRoom() -> Int? {
        var limit = rlimit()
        guard getrlimit(RLIMIT_AS_VALUE, &limit) == 0, limit.rlim_cur != rlim_t.max,
              let virtual = statm()?.virtual else { return nil }
        return max(Int(clamping: limit.rlim_cur) - virtual, 0)
    }

    #if canImport(Glibc)
    private static let RLIMIT_AS_VALUE = __rlimit_resource_t(RLIMIT_AS.rawValue)
    #else
    private static let RLIMIT_AS_VALUE = RLIMIT_AS
    #endif

    private static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
}
