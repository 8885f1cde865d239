// OpenCLTuning: the tuned settings of one OpenCL device and driver (GEMM engine, tiles, CLBlast parameters, work-group size, Winograd use and variant) and their file.
import Foundation
import NSTCore

/// What `nst tune` found best for one OpenCL device and driver: which code runs the matrix
/// products and with what parameters, the work-group size of the project's kernels, and
/// which convolutions take the Winograd path.
///
/// The values reach the device in two ways: the gemm.cl tiles and the work-group size
/// become `-D` defines of every program (so they are part of the program cache key), and
/// the CLBlast parameters are handed to CLBlast by `ProcessSettings.overrideCLBlastParameters`,
/// which holds for the whole process.
///
/// Stored as JSON in `<cache>/tuning/<hash of device, driver, platform>.json`, next to the
/// program binaries' folder, in the string-keyed form of `OpenCLTuning+JSON`. A file is
/// used only when it parses, names this very device, driver and platform, and every value
/// passes `validate`; anything else (a corrupt file, one from another driver, hand-edited
/// nonsense) is ignored, and the nearest shipped entry (`OpenCLTuningDatabase`) or the
/// defaults are used. The shipped entries hold tunings in this same form.
public struct OpenCLTuning: Equatable, Sendable {
    /// The file format; a file with another number is ignored.
    public static let currentFormat = 1
    public var format = OpenCLTuning.currentFormat
    /// The device, driver and platform the values were measured on.
    public var deviceName: String
    public var driverVersion: String
    public var platformVersion: String
    /// CLBlast kernel name (`Xgemm`, `XgemmDirect`, `GemmRoutine`) to its full parameter
    /// set, in CLBlast's own parameter names (it takes them by name).
    public var clblast: [String: [String: Int]]
    /// Local size of every project kernel (`WGS`, a power of two); nil: 64, or the size the
    /// device is opened with.
    public var workGroupSize: Int?
    /// Which code runs the matrix products; nil: `OpenCLGemmEngine.untuned(for:)`.
    public var gemmEngine: OpenCLGemmEngine?
    /// Register tiles of `Kernels/gemm.cl`; nil: `OpenCLGemmTiles.standard`.
    public var gemmTiles: OpenCLGemmTiles?
    /// The thinnest convolution, in summed channels, that takes the Winograd path
    /// (`WINOGRAD_MIN_CHANNELS`); `OpenCLDevice.winogradOff` turns Winograd off.
    public var winogradMinChannels: Int
    /// The Winograd variant those convolutions take (`WINOGRAD_TILE`, absent in files from
    /// before F(4x4) existed: F(2x2)).
    public var winogradTile: OpenCLWinogradTile
    /// Optional measurements for people reading the file (GFLOP/s, seconds); never used.
    public var notes: [String: Double]

    /// Settings made for `info`'s device (every setting left out means its default).
    public init(info: OpenCLDeviceInfo, clblast: [String: [String: Int]] = [:], workGroupSize: Int? = nil,
                gemmEngine: OpenCLGemmEngine? = nil, gemmTiles: OpenCLGemmTiles? = nil,
                winogradMinChannels: Int = OpenCLDevice.winogradOff, winogradTile: OpenCLWinogradTile = .f2x2,
                notes: [String: Double] = [:]) {
        self.init(device: info.identity, clblast: clblast, workGroupSize: workGroupSize, gemmEngine: gemmEngine,
                  gemmTiles: gemmTiles, winogradMinChannels: winogradMinChannels, winogradTile: winogradTile, notes: notes)
    }

    /// Settings made for `device` (a device described by hand, or one a database entry names).
    public init(device: OpenCLDeviceIdentity, clblast: [String: [String: Int]] = [:], workGroupSize: Int? = nil,
                gemmEngine: OpenCLGemmEngine? = nil, gemmTiles: OpenCLGemmTiles? = nil,
                winogradMinChannels: Int = OpenCLDevice.winogradOff, winogradTile: OpenCLWinogradTile = .f2x2,
                notes: [String: Double] = [:]) {
        deviceName = device.name
        driverVersion = device.driverVersion
        platformVersion = device.platformVersion
        self.clblast = clblast
        self.workGroupSize = workGroupSize
        self.gemmEngine = gemmEngine
        self.gemmTiles = gemmTiles
        self.winogradMinChannels = winogradMinChannels
        self.winogradTile = winogradTile
        self.notes = notes
    }

    // MARK: File

    /// The tuning file of `info`'s device under the cache root (`$NST_CACHE_DIR`,
    /// `$XDG_CACHE_HOME/nst` or `~/.cache/nst`, as for program binaries), or nil when no
    /// cache folder is known.
    public static func defaultURL(for info: OpenCLDeviceInfo,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        cacheRoot(environment: environment).map { url(in: $0, for: info) }
    }

    /// The cache root tuning files live under (`$NST_CACHE_DIR`, `$XDG_CACHE_HOME/nst` or
    /// `~/.cache/nst`, as for program binaries), or nil when none is known.
    public static func cacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        ProgramBinaryCache.defaultRoot(environment: environment)
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

    /// Writes the tuning to `url` as JSON, atomically (`AtomicWrite`: a registered temporary
    /// file, flushed, renamed into place).
    /// - Throws: `DeviceError.backend` naming the file when it cannot be written.
    public func store(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicWrite.write(Array(try encoder.encode(self)), to: url.path)
        } catch let error as FileWriteError {
            throw DeviceError.backend("could not write the OpenCL tuning file \(url.path): \(error.reason)")
        } catch {
            throw DeviceError.backend("could not write the OpenCL tuning file \(url.path): \(ErrorWords.describe(error))")
        }
    }
}
