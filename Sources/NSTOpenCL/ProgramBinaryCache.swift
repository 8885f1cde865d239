// ProgramBinaryCache: built OpenCL program binaries on disk, keyed by source, options, device and driver.
import Foundation
import NSTCore

/// A folder of built program binaries, so a second run does not compile the kernels again.
///
/// Location: `$NST_CACHE_DIR`, else `$XDG_CACHE_HOME/nst`, else `~/.cache/nst` (the
/// binaries go in its `opencl` subfolder). An entry is named by a 128-bit hash of its
/// key (kernel source, build options, device name, driver version, platform version) and
/// also stores the whole key and a checksum of the binary, so a hash collision, a
/// truncated file or any other corruption reads as a miss and the program is rebuilt.
/// Entries are written to a temporary file and renamed into place, so a crash or a
/// concurrent run never leaves a half-written entry under the final name. Every failure
/// to read or write the cache is ignored: it only costs a rebuild.
struct ProgramBinaryCache {
    /// The folder holding the entries, or nil when no home or cache folder is known.
    let directory: URL?

    init(directory: URL?) { self.directory = directory }

    /// The cache at the documented location for `environment`.
    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        directory = Self.defaultRoot(environment: environment)?.appendingPathComponent("opencl", isDirectory: true)
    }

    static func defaultRoot(environment: [String: String]) -> URL? {
        if let dir = environment["NST_CACHE_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir, isDirectory: true) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("nst", isDirectory: true)
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/nst", isDirectory: true)
        }
        return nil
    }

    /// The key of a program: everything that changes the binary a driver produces.
    static func key(source: String, options: String, deviceName: String, driverVersion: String,
                    platformVersion: String) -> String {
        "nst-opencl-program-v1\noptions: \(options)\ndevice: \(deviceName)\ndriver: \(driverVersion)\n"
            + "platform: \(platformVersion)\n\(source)"
    }

    func url(forKey key: String) -> URL? {
        let bytes = Array(key.utf8)
        let name = Self.hex(Self.fnv1a(bytes, basis: 0xcbf2_9ce4_8422_2325))
            + Self.hex(Self.fnv1a(bytes, basis: 0x6c62_272e_07bb_0142))
        return directory?.appendingPathComponent(name + ".clbin")
    }

    /// The binary stored for `key`, or nil when there is none or it does not check out.
    func load(key: String) -> [UInt8]? {
        guard let url = url(forKey: key), let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return Self.decode(Array(data), key: key)
    }

    /// Stores `binary` for `key` atomically (`AtomicWrite`); failures are ignored (the next
    /// run rebuilds), and no temporary file is left behind.
    func store(key: String, binary: [UInt8]) {
        guard let directory, let url = url(forKey: key), !binary.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try AtomicWrite.write(Self.encode(binary, key: key), to: url.path)
        } catch {}
    }

    // File layout: magic, key length, key, binary length, binary, FNV-1a of the binary
    // (lengths and checksum as little-endian UInt64).
    private static let magic = Array("NSTCLBIN".utf8)

    static func encode(_ binary: [UInt8], key: String) -> [UInt8] {
        let keyBytes = Array(key.utf8)
        var out = magic
        out += le(UInt64(keyBytes.count)) + keyBytes
        out += le(UInt64(binary.count)) + binary
        out += le(fnv1a(binary, basis: 0xcbf2_9ce4_8422_2325))
        return out
    }

    static func decode(_ bytes: [UInt8], key: String) -> [UInt8]? {
        var at = 0
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, n <= bytes.count - at else { return nil }
            defer { at += n }
            return bytes[at..<(at + n)]
        }
        func number() -> Int? {
            guard let raw = take(8) else { return nil }
            let value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return value <= UInt64(Int.max) ? Int(value) : nil
        }
        guard take(magic.count).map(Array.init) == magic,
              let keyLength = number(), let storedKey = take(keyLength), Array(storedKey) == Array(key.utf8),
              let binaryLength = number(), binaryLength > 0, let binary = take(binaryLength).map(Array.init),
              let checksum = take(8), at == bytes.count,
              Array(checksum) == le(fnv1a(binary, basis: 0xcbf2_9ce4_8422_2325))
        else { return nil }
        return binary
    }

    private static func le(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// 64-bit FNV-1a; two different offset bases give the 128-bit file name.
    static func fnv1a<C: Collection>(_ bytes: C, basis: UInt64) -> UInt64 where C.Element == UInt8 {
        var hash = basis
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
