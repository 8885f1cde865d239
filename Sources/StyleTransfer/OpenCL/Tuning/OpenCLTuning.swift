// OpenCLTuning: tuned CLBlast GEMM parameters and kernel defines of one device and driver, their checks and their JSON file.
import Foundation

/// What `nst tune` found best for one OpenCL device and driver: CLBlast kernel parameters
/// (applied with `CLBlastOverrideParameters` when an `OpenCLDevice` opens) and the
/// `#define`s of the project's own kernels (passed as `-D` when programs are built, so
/// they are part of the program cache key).
///
/// Stored as JSON in `<cache>/tuning/<hash of device, driver, platform>.json`, next to the
/// program binaries' folder. A file is used only when it parses, names this very device,
/// driver and platform, and every value passes `validate`; anything else (a corrupt file,
/// one from another driver, hand-edited nonsense) is ignored and the defaults are used.
public struct OpenCLTuning: Codable, Equatable, Sendable {
    /// The file format; a file with another number is ignored.
    public static let currentFormat = 1
    public var format = OpenCLTuning.currentFormat
    /// The device, driver and platform the values were measured on.
    public var deviceName: String
    public var driverVersion: String
    public var platformVersion: String
    /// CLBlast kernel name (`Xgemm`, `XgemmDirect`, `GemmRoutine`) to its full parameter set.
    public var clblast: [String: [String: Int]]
    /// The project's kernel defines, such as `WGS` (work-group size of every kernel).
    public var defines: [String: Int]
    /// Host-side choices of the backend: `WINOGRAD_MIN_CHANNELS` (the thinnest convolution,
    /// in summed channels, that takes the Winograd path), `GEMM_KERNELS` (1: matrix products
    /// in `Kernels/gemm.cl`, 0: in CLBlast) and `GEMM_GROUP` (work-group width of the GEMM
    /// kernels, 0 for the driver's choice).
    public var host: [String: Int]
    /// Optional measurements for people reading the file (GFLOP/s, seconds); never used.
    public var notes: [String: Double]

    public init(info: OpenCLDeviceInfo, clblast: [String: [String: Int]] = [:], defines: [String: Int] = [:],
                host: [String: Int] = [:], notes: [String: Double] = [:]) {
        self.host = host
        deviceName = info.name
        driverVersion = info.driverVersion
        platformVersion = info.platformVersion
        self.clblast = clblast
        self.defines = defines
        self.notes = notes
    }

    // MARK: Checks

    /// Every parameter CLBlast 1.5's `Xgemm` kernel takes (CLBlast wants all of them overridden at once).
    public static let xgemmNames = ["GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG",
                                    "SA", "SB", "STRM", "STRN", "VWM", "VWN"]
    /// Every parameter of `XgemmDirect`.
    public static let xgemmDirectNames = ["KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "PADA", "PADB", "VWMD",
                                          "VWND", "WGD"]
    /// The parameter of the GEMM routine: below `XGEMM_MIN_INDIRECT_SIZE^3` multiply-adds
    /// CLBlast uses the direct kernel.
    public static let routineNames = ["XGEMM_MIN_INDIRECT_SIZE"]
    /// The project kernel defines that may be tuned.
    public static let defineNames = ["WGS"] + OpenCLGemmTiles.limits.keys.sorted()
    /// The host-side choices that may be tuned.
    public static let hostNames = ["WINOGRAD_MIN_CHANNELS", "GEMM_KERNELS", "GEMM_GROUP"]

    /// Throws a message naming the first value that is not acceptable for `info`'s device.
    public func validate(for info: OpenCLDeviceInfo) throws {
        guard format == Self.currentFormat else { throw invalid("format \(format), expected \(Self.currentFormat)") }
        guard deviceName == info.name, driverVersion == info.driverVersion, platformVersion == info.platformVersion else {
            throw invalid("made for \(deviceName) (driver \(driverVersion), \(platformVersion)), not this device")
        }
        for (kernel, values) in clblast {
            let names: [String]
            switch kernel {
            case "Xgemm": names = Self.xgemmNames
            case "XgemmDirect": names = Self.xgemmDirectNames
            case "GemmRoutine": names = Self.routineNames
            default: throw invalid("unknown CLBlast kernel \(kernel)")
            }
            guard Set(values.keys) == Set(names) else { throw invalid("\(kernel) needs exactly \(names.sorted())") }
            guard values.values.allSatisfy({ $0 >= 0 && $0 <= 4096 }) else { throw invalid("\(kernel) value out of range") }
            switch kernel {
            case "Xgemm": try Self.checkXgemm(values, maxWorkGroup: info.maxWorkGroupSize)
            case "XgemmDirect": try Self.checkXgemmDirect(values, maxWorkGroup: info.maxWorkGroupSize)
            default: break
            }
        }
        for (name, value) in host {
            switch name {
            case "WINOGRAD_MIN_CHANNELS":
                guard value >= 1, value <= 1 << 20 else { throw invalid("\(name) = \(value) must be 1 to \(1 << 20)") }
            case "GEMM_KERNELS":
                guard value == 0 || value == 1 else { throw invalid("\(name) = \(value) must be 0 or 1") }
            case "GEMM_GROUP":
                guard value >= 0, value <= max(info.maxWorkGroupSize, 1) else {
                    throw invalid("\(name) = \(value) must be 0 to \(info.maxWorkGroupSize)")
                }
            default: throw invalid("unknown host setting \(name)")
            }
        }
        for (name, value) in defines {
            if name == "WGS" {
                guard value >= 1, value <= max(info.maxWorkGroupSize, 1), value & (value - 1) == 0 else {
                    throw invalid("\(name) = \(value) must be a power of two up to \(info.maxWorkGroupSize)")
                }
            } else if OpenCLGemmTiles.limits[name] != nil {
                guard OpenCLGemmTiles.accepts(name, value) else { throw invalid("\(name) = \(value) is out of range") }
            } else {
                throw invalid("unknown kernel define \(name)")
            }
        }
    }

    private func invalid(_ detail: String) -> DeviceError { DeviceError.backend("OpenCL tuning: \(detail)") }

    /// The constraints of CLBlast's `Xgemm` kernel (as its tuner states them).
    static func checkXgemm(_ p: [String: Int], maxWorkGroup: Int) throws {
        func v(_ name: String) -> Int { p[name] ?? 0 }
        let positive = ["KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG", "VWM", "VWN", "KREG"]
        guard positive.allSatisfy({ v($0) > 0 }) else { throw DeviceError.backend("OpenCL tuning: Xgemm value must be positive") }
        let threads = v("MDIMC") * v("NDIMC")
        let ok = v("GEMMK") == 0 && v("KREG") == 1
            && v("MWG") % (v("MDIMC") * v("VWM")) == 0 && v("NWG") % (v("NDIMC") * v("VWN")) == 0
            && v("MWG") % (v("MDIMA") * v("VWM")) == 0 && v("NWG") % (v("NDIMB") * v("VWN")) == 0
            && threads % v("MDIMA") == 0 && threads % v("NDIMB") == 0
            && v("KWG") % (threads / v("MDIMA")) == 0 && v("KWG") % (threads / v("NDIMB")) == 0
            && v("KWG") % v("KWI") == 0 && threads <= max(maxWorkGroup, 1)
            && [0, 1].contains(v("SA")) && [0, 1].contains(v("SB")) && [0, 1].contains(v("STRM")) && [0, 1].contains(v("STRN"))
            && [1, 2, 4, 8].contains(v("VWM")) && [1, 2, 4, 8].contains(v("VWN"))
        guard ok else { throw DeviceError.backend("OpenCL tuning: Xgemm parameters \(p) break the kernel's constraints") }
    }

    /// The constraints of CLBlast's `XgemmDirect` kernel.
    static func checkXgemmDirect(_ p: [String: Int], maxWorkGroup: Int) throws {
        func v(_ name: String) -> Int { p[name] ?? 0 }
        let positive = ["KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "VWMD", "VWND", "WGD"]
        guard positive.allSatisfy({ v($0) > 0 }) else { throw DeviceError.backend("OpenCL tuning: XgemmDirect value must be positive") }
        let threads = v("MDIMCD") * v("NDIMCD")
        let ok = v("WGD") % (v("MDIMCD") * v("VWMD")) == 0 && v("WGD") % (v("NDIMCD") * v("VWND")) == 0
            && v("WGD") % (v("MDIMAD") * v("VWMD")) == 0 && v("WGD") % (v("NDIMBD") * v("VWND")) == 0
            && threads % v("MDIMAD") == 0 && threads % v("NDIMBD") == 0
            && v("WGD") % (threads / v("MDIMAD")) == 0 && v("WGD") % (threads / v("NDIMBD")) == 0
            && v("WGD") % v("KWID") == 0 && threads <= max(maxWorkGroup, 1)
            && [1, 2, 4, 8].contains(v("VWMD")) && [1, 2, 4, 8].contains(v("VWND"))
        guard ok else { throw DeviceError.backend("OpenCL tuning: XgemmDirect parameters \(p) break the kernel's constraints") }
    }

    // MARK: File

    /// The tuning file of `info`'s device under the cache root (`$NST_CACHE_DIR`,
    /// `$XDG_CACHE_HOME/nst` or `~/.cache/nst`, as for program binaries), or nil when no
    /// cache folder is known.
    public static func defaultURL(for info: OpenCLDeviceInfo,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        ProgramBinaryCache.defaultRoot(environment: environment).map { url(in: $0, for: info) }
    }

    /// The tuning file of `info`'s device under the cache root `root`.
    public static func url(in root: URL, for info: OpenCLDeviceInfo) -> URL {
        let key = Array("\(info.name)\n\(info.driverVersion)\n\(info.platformVersion)".utf8)
        let hash = ProgramBinaryCache.fnv1a(key, basis: 0xcbf2_9ce4_8422_2325)
        return root.appendingPathComponent("tuning", isDirectory: true)
            .appendingPathComponent(String(format: "%016llx.json", hash))
    }

    /// The tuning stored at `url` if it is readable, well-formed and valid for `info`; nil otherwise.
    public static func load(from url: URL, for info: OpenCLDeviceInfo) -> OpenCLTuning? {
        guard let data = FileManager.default.contents(atPath: url.path),
              let tuning = try? JSONDecoder().decode(OpenCLTuning.self, from: data),
              (try? tuning.validate(for: info)) != nil
        else { return nil }
        return tuning
    }

    /// Writes the tuning to `url` as JSON, atomically (a temporary file renamed into place).
    /// - Throws: `DeviceError.backend` naming the file when it cannot be written.
    public func store(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let directory = url.deletingLastPathComponent()
        let temp = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try encoder.encode(self).write(to: temp)
            guard rename(temp.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw DeviceError.backend("could not write the OpenCL tuning file \(url.path): \(error.localizedDescription)")
        }
    }
}
