// TestCache: the tests' own cache folder, so that a user's `nst tune` result or fetched weights never change what a test runs.
import Foundation

enum TestCache {
    /// `<tmp>/nst-test-cache-<uid>`: OpenCL kernel binaries and anything else the tests'
    /// devices and `nst` runs cache. Shared by the whole run (building the kernels once).
    static let folder: URL = FileManager.default.temporaryDirectory.appendingPathComponent("nst-test-cache-\(getuid())")

    /// `environment` (default: this process's) with `NST_CACHE_DIR` set to `folder` unless
    /// it names one already, and `NST_AUTOTUNE=0` unless it sets that: the environment every
    /// `nst` a test starts runs in. The automatic tune would otherwise store a tuning file in
    /// the shared cache on the first OpenCL run, and every later test's device would take it
    /// in place of the shipped entry, depending on the order the tests ran in
    /// (`AutoTuneCLITests` turns it on, each in a cache of its own).
    static func environment(_ environment: [String: String]? = nil) -> [String: String] {
        var environment = environment ?? ProcessInfo.processInfo.environment
        if environment["NST_CACHE_DIR"] == nil { environment["NST_CACHE_DIR"] = folder.path }
        if environment["NST_AUTOTUNE"] == nil { environment["NST_AUTOTUNE"] = "0" }
        return environment
    }
}
