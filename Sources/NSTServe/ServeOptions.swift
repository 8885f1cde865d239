// ServeOptions: how `nst serve` listens and runs jobs: host, port, token, data folder, devices, upload limit.
import Foundation
import StyleTransfer

/// The settings of a server (README "Web interface").
public struct ServeOptions: Sendable {
    /// The address to listen on; loopback by default.
    public var host = "127.0.0.1"
    /// The port; 0 takes any free one (printed at start).
    public var port: UInt16 = 8080
    /// When set, every request must carry it (`Authorization: Bearer T`, or the cookie `/?token=T` sets).
    public var token: String?
    /// Where jobs are kept (their inputs, options, status, image and loss log).
    public var dataFolder: String
    /// One worker per device; each runs one job at a time.
    public var devices: [DeviceChoice] = [.auto]
    /// Tune an OpenCL device without a tuning file briefly when its first job opens it
    /// (`AutoTune`, at that job's size; `--no-autotune` and `NST_AUTOTUNE=0` turn it off).
    public var autotune = true
    /// The largest request body (uploads), in bytes.
    public var maxUpload = 50 << 20

    /// A server keeping its jobs in `dataFolder`.
    public init(dataFolder: String) { self.dataFolder = dataFolder }

    /// Whether `host` is a loopback address (no other machine can reach it).
    public var isLoopback: Bool { host == "127.0.0.1" || host == "localhost" || host.hasPrefix("127.") || host == "::1" }

    /// Checks the settings.
    /// - Throws: `TransferError.option` naming the option: a host others can reach without a
    ///   token, an empty token, an upload limit below 1 KiB.
    public func check() throws {
        if let token, token.count < 8 || token.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            throw TransferError.option("--token", "must be at least 8 printable ASCII characters without spaces")
        }
        guard isLoopback || token != nil else {
            throw TransferError.option("--host", "\(host) can be reached from other machines; give --token T so that only requests carrying it are served")
        }
        guard maxUpload >= 1024 else { throw TransferError.option("--max-upload", "must be at least 1KiB") }
        guard !devices.isEmpty else { throw TransferError.option("--device", "names no device") }
    }
}
