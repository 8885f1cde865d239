// OpenCLDeviceInfo+Absence: says why no OpenCL device was found: no driver installed, or drivers installed that failed to start.
import Foundation

extension OpenCLDeviceInfo {
    /// Why `all()` found no device, in words for a user: either no OpenCL driver is
    /// registered with the ICD loader, or drivers are registered but none started. The
    /// second happens, for instance, to PoCL when it cannot create its kernel cache (an
    /// unwritable or missing HOME, as for a service user), and the loader then reports no
    /// platform at all, which used to be misread as "no driver installed".
    /// - Parameter environment: the process environment (a parameter so tests can vary it).
    public static func absenceReason(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let drivers = registeredDrivers(environment: environment)
        guard !drivers.isEmpty else {
            return "no OpenCL driver is installed (no .icd file in \(vendorDirectory(environment)))"
        }
        var reason = "OpenCL drivers are installed (\(drivers.joined(separator: ", "))) but none started"
        if let cache = unwritableCacheHint(environment: environment) { reason += "; \(cache)" }
        return reason + "; OCL_ICD_DEBUG=7 makes the ICD loader say why"
    }

    /// The folder the Khronos and ocl-icd loaders read `.icd` files from.
    private static func vendorDirectory(_ environment: [String: String]) -> String {
        environment["OCL_ICD_VENDORS"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/OpenCL/vendors"
    }

    /// The `.icd` files registered with the loader, sorted (a file named directly by
    /// OCL_ICD_VENDORS counts as one).
    static func registeredDrivers(environment: [String: String]) -> [String] {
        let place = vendorDirectory(environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: place, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [(place as NSString).lastPathComponent] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: place)) ?? []
        return names.filter { $0.hasSuffix(".icd") }.sorted()
    }

    /// PoCL's kernel cache folder (POCL_CACHE_DIR, else XDG_CACHE_HOME/pocl, else
    /// HOME/.cache/pocl) when it cannot be created or written, as a hint naming the
    /// variable to set; nil when it looks usable.
    static func unwritableCacheHint(environment: [String: String]) -> String? {
        let folder: String, variable: String
        if let dir = environment["POCL_CACHE_DIR"], !dir.isEmpty {
            (folder, variable) = (dir, "POCL_CACHE_DIR")
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            (folder, variable) = (xdg + "/pocl", "XDG_CACHE_HOME")
        } else if let home = environment["HOME"], !home.isEmpty {
            (folder, variable) = (home + "/.cache/pocl", "HOME")
        } else {
            return "HOME is not set, so PoCL has no folder for its kernel cache (set POCL_CACHE_DIR)"
        }
        if isWritableOrCreatable(folder) { return nil }
        return "PoCL's kernel cache \(folder) (from \(variable)) cannot be written (set POCL_CACHE_DIR to a writable folder)"
    }

    /// Whether `path` is a writable folder, or could be made one: its nearest existing
    /// ancestor is a writable folder.
    private static func isWritableOrCreatable(_ path: String) -> Bool {
        var current = path
        let files = FileManager.default
        while true {
            var isDirectory: ObjCBool = false
            if files.fileExists(atPath: current, isDirectory: &isDirectory) {
                return isDirectory.boolValue && access(current, W_OK | X_OK) == 0
            }
            let parent = (current as NSString).deletingLastPathComponent
            if parent == current || parent.isEmpty { return false }
            current = parent
        }
    }
}
