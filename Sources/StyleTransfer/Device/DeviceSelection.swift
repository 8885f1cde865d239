// DeviceSelection: parsing a device choice (auto, cpu, opencl, opencl:N, or a list of them) and opening the chosen backend.
import NSTCPU
import NSTCore
import NSTOpenCL
import Foundation

/// Which backend `TransferOption.device` asks for.
///
/// - `auto`: the first OpenCL GPU if there is one, else the CPU backend.
/// - `cpu`: the CPU backend (`CPUDevice`).
/// - `opencl`: the first OpenCL device of any type (a CPU driver such as PoCL included).
/// - `opencl:N`: OpenCL device number N, counting from 0 in the order `nst devices`
///   lists them (platforms in the ICD loader's order, then each platform's devices in the
///   driver's order; see `OpenCLDeviceInfo.index`).
public enum DeviceChoice: Equatable, Sendable, CustomStringConvertible {
    case auto
    case cpu
    /// An OpenCL device by index; nil means the first one.
    case opencl(Int?)

    /// Parses the text of `TransferOption.device`.
    /// - Throws: `DeviceError.invalidArgument` naming `TransferOption.device` and the accepted forms.
    public init(parsing text: String) throws {
        let lowered = text.lowercased()
        switch lowered {
        case "auto": self = .auto
        case "cpu": self = .cpu
        case "opencl": self = .opencl(nil)
        default:
            if lowered.hasPrefix("opencl:"), let index = Int(lowered.dropFirst("opencl:".count)), index >= 0 {
                self = .opencl(index)
            } else {
                throw DeviceError.invalidArgument(op: TransferOption.device.rawValue,
                    detail: "expected auto, cpu, opencl or opencl:N (N as listed by `nst devices`); got '\(text)'")
            }
        }
    }

    /// Parses a comma-separated `TransferOption.device` list (`opencl:0,cpu`): the devices tiles are spread
    /// over, the first holding the image. The one parser of every command's device list.
    /// - Throws: `DeviceError.invalidArgument` naming `TransferOption.device` for an empty or bad entry.
    public static func list(parsing text: String) throws -> [DeviceChoice] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map {
            try DeviceChoice(parsing: $0.trimmingCharacters(in: .whitespaces))
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .cpu: return "cpu"
        case .opencl(nil): return "opencl"
        case .opencl(let index?): return "opencl:\(index)"
        }
    }
}

public enum DeviceSelection {
    /// The OpenCL device `auto` picks among `devices`: the first GPU, or nil
    /// (meaning the CPU backend) when there is none.
    public static func autoPick(_ devices: [OpenCLDeviceInfo]) -> OpenCLDeviceInfo? {
        devices.first { $0.isGPU }
    }

    /// Opens the backend `choice` names; for an OpenCL device, also hands its tuned CLBlast
    /// parameters to CLBlast (`OpenCLDevice.applyCLBlastTuning`, process-wide). With
    /// `autotune`, an OpenCL device without a tuning file of its own is tuned briefly first
    /// and the result stored (`AutoTune.prepare`); the CPU backend never is.
    /// - Throws: `DeviceError.invalidArgument` when the OpenCL device asked for does not
    ///   exist, or the OpenCL error of a driver that fails to open.
    public static func makeDevice(_ choice: DeviceChoice, autotune: AutoTune? = nil) throws -> any Device {
        switch choice {
        case .cpu:
            return CPUDevice()
        case .auto:
            // A broken or absent OpenCL installation means there is no GPU to prefer.
            let devices = (try? OpenCLDeviceInfo.all()) ?? []
            if let gpu = autoPick(devices) { return try open(gpu, autotune: autotune) }
            return CPUDevice()
        case .opencl(let index):
            do {
                return try open(try OpenCLDevice.info(at: index ?? 0), autotune: autotune)
            } catch let DeviceError.invalidArgument(_, detail) {
                throw DeviceError.invalidArgument(op: TransferOption.device.rawValue, detail: detail)
            }
        }
    }

    /// Opens `choice` for the process of node-local rank `localRank` in a distributed run:
    /// `auto` takes the OpenCL GPU numbered `localRank` (modulo the GPUs found), else the CPU
    /// backend; the other choices as `makeDevice(_:autotune:)`.
    public static func makeDevice(_ choice: DeviceChoice, localRank: Int, autotune: AutoTune? = nil) throws -> any Device {
        guard choice == .auto else { return try makeDevice(choice, autotune: autotune) }
        let gpus = ((try? OpenCLDeviceInfo.all()) ?? []).filter(\.isGPU)
        guard !gpus.isEmpty else { return CPUDevice() }
        return try open(gpus[localRank % gpus.count], autotune: autotune)
    }

    /// Opens `info`'s device with its tuning (after `autotune` made one, if it had none) and
    /// hands its CLBlast parameters to CLBlast.
    private static func open(_ info: OpenCLDeviceInfo, autotune: AutoTune?) throws -> OpenCLDevice {
        let device = try OpenCLDevice(info: info, tuning: autotune?.prepare(info) ?? .stored)
        device.applyCLBlastTuning()
        return device
    }

    /// Parses `text` as `TransferOption.device` and opens that backend.
    public static func makeDevice(_ text: String) throws -> any Device {
        try makeDevice(try DeviceChoice(parsing: text))
    }
}
