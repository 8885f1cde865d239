// OpenCLDeviceIdentity: what tuning is checked and matched against: a device's name, driver, family (driver family, vendor, type, architecture) and limits.
import Foundation
import NSTCore

/// An OpenCL device as tuning sees it: the strings a tuning file and the shipped database
/// match on and the limit `OpenCLTuning.validate` checks values against. A plain value, so
/// it can be written down in a database entry (the device an entry was measured on) and made
/// by hand in tests; `OpenCLDeviceInfo.identity` gives a real device's.
public struct OpenCLDeviceIdentity: Codable, Hashable, Sendable {
    /// `CL_DEVICE_NAME`.
    public var name: String
    /// `CL_DRIVER_VERSION`.
    public var driverVersion: String
    /// `CL_PLATFORM_NAME`: the driver family ("Portable Computing Language", "NVIDIA CUDA").
    public var platformName: String
    /// `CL_PLATFORM_VERSION`.
    public var platformVersion: String
    /// `CL_DEVICE_VENDOR`.
    public var vendor: String
    /// "GPU", "CPU", "accelerator" or "other" (`OpenCLDeviceInfo.type`).
    public var type: String
    /// See `architecture(name:deviceVersion:computeCapability:)`.
    public var architecture: String
    /// `CL_DEVICE_MAX_COMPUTE_UNITS`: recorded with an entry, not part of its key.
    public var computeUnits: Int
    /// `CL_DEVICE_MAX_WORK_GROUP_SIZE`: the bound of every work-group size a tuning sets.
    public var maxWorkGroupSize: Int

    /// A device described field by field (as a database entry or a test writes it down).
    public init(name: String, driverVersion: String, platformName: String, platformVersion: String, vendor: String,
                type: String, architecture: String, computeUnits: Int, maxWorkGroupSize: Int) {
        self.name = name; self.driverVersion = driverVersion; self.platformName = platformName
        self.platformVersion = platformVersion; self.vendor = vendor; self.type = type
        self.architecture = architecture; self.computeUnits = computeUnits; self.maxWorkGroupSize = maxWorkGroupSize
    }

    /// The family the shipped database matches when no entry names this very device and
    /// driver (`OpenCLTuningDatabase.nearest`).
    public var family: OpenCLDeviceFamily {
        OpenCLDeviceFamily(platform: platformName, vendor: vendor, type: type, architecture: architecture)
    }

    /// The widest circle the shipped database matches (`OpenCLTuningDatabase.Match.related`):
    /// the driver family, the kind of device and the instruction set, which is the
    /// architecture without its last part (`pthread-x86_64-pc-linux-gnu` of PoCL's
    /// `pthread-x86_64-pc-linux-gnu-haswell`) or, for one without parts, without its
    /// trailing digits (`sm_` of `sm_90`).
    public var relatives: String {
        let parts = architecture.split(separator: "-")
        let isa = parts.count > 1 ? parts.dropLast().joined(separator: "-")
            : String(architecture.reversed().drop { $0.isNumber }.reversed())
        return "\(platformName)|\(type)|\(isa)"
    }

    /// The architecture the database keys a device by, from what the driver says:
    /// - PoCL: the target its kernels are built for, the text after `HSTR:` in
    ///   `CL_DEVICE_VERSION` (e.g. `pthread-x86_64-pc-linux-gnu-haswell`: device driver,
    ///   target triple, LLVM CPU). Distribution builds of PoCL pick that CPU from a handful
    ///   of instruction-set levels (`haswell` is its AVX2 level), so machines with the same
    ///   vector units share it; a build for one exact CPU names that CPU.
    /// - NVIDIA: the compute capability as `sm_XY` (`cl_nv_device_attribute_query`).
    /// - Otherwise the device name (AMD's drivers name the architecture there, e.g. `gfx90a`).
    public static func architecture(name: String, deviceVersion: String, computeCapability: (major: Int, minor: Int)?) -> String {
        if let range = deviceVersion.range(of: "HSTR:") {
            let target = deviceVersion[range.upperBound...].trimmingCharacters(in: .whitespaces)
            if !target.isEmpty { return target }
        }
        if let (major, minor) = computeCapability { return "sm_\(major)\(minor)" }
        return name
    }
}

/// The key of a device family in the shipped tuning database: tuned values carry over
/// between devices of one family (the same driver family on the same architecture) but not
/// beyond. Compute units are left out: the tuned values are per core or per work-group
/// (register tiles, vector widths, work-group sizes), not per device.
public struct OpenCLDeviceFamily: Hashable, Sendable, CustomStringConvertible {
    /// `CL_PLATFORM_NAME`: PoCL and a vendor's CPU runtime on the same processor tune apart.
    public var platform: String
    /// `CL_DEVICE_VENDOR`.
    public var vendor: String
    /// "GPU", "CPU", "accelerator" or "other".
    public var type: String
    /// `OpenCLDeviceIdentity.architecture`.
    public var architecture: String

    /// "platform, vendor type, architecture", for messages.
    public var description: String { "\(platform), \(vendor) \(type), \(architecture)" }
}

extension OpenCLDeviceInfo {
    /// This device as tuning sees it.
    public var identity: OpenCLDeviceIdentity {
        OpenCLDeviceIdentity(name: name, driverVersion: driverVersion, platformName: platformName,
                             platformVersion: platformVersion, vendor: vendor, type: type, architecture: architecture,
                             computeUnits: computeUnits, maxWorkGroupSize: maxWorkGroupSize)
    }
}
