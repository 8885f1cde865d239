// TestCache: the tests' own cache folder, so that a user's `nst tune` result or fetched weights never change what a test runs.
import Foundation

enum TestCache {
    /// `<tmp>/nst-test-cache-<uid>`: OpenCL kernel binaries and anything else the tests'
    /// devices and `nst` runs cache. Shared by the whole run (building the kernels once).
    static let folder: URL = FileManager.default.temporaryDirectory.appendingPathComponent("nst-test-cache-\(getuid())")

    /// `environment` (default: this process's) with `NST_CACHE_DIR` set to `folder` unless
    /// it names one already: the environment every `nst` a test starts runs in.
    static func environment(_ environment: [String: String]? = nil) -> [String: String] {
        var environment = environment ?? ProcessInfo.processInfo.environment
        if environment["NST_CACHE_DIR"] == nil { environment["NST_CACHE_DIR"] = folder.path }
        return environment
    }
}
