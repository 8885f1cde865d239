// OpenCLDeviceInfo: enumeration of OpenCL platforms and devices and the properties `nst devices` shows.
import COpenCL
import Foundation
import NSTCore

/// One OpenCL device as the driver describes it.
///
/// `index` is the device's position in the list `OpenCLDeviceInfo.all()` returns: platforms
/// in the order the ICD loader reports them, and within each platform its devices in
/// the driver's order. `opencl:N` on the command line selects the device with index N, and
/// `nst devices` prints the list in this same order.
public struct OpenCLDeviceInfo: @unchecked Sendable {
    /// Position in the list of all OpenCL devices (see the type's documentation).
    public let index: Int
    public let platformName: String
    /// `CL_PLATFORM_VERSION`, e.g. "OpenCL 3.0 PoCL 3.1 ...".
    public let platformVersion: String
    public let name: String
    /// "GPU", "CPU", "accelerator" or "other".
    public let type: String
    public let isGPU: Bool
    /// `CL_DEVICE_GLOBAL_MEM_SIZE` in bytes.
    public let globalMemory: Int
    /// `CL_DEVICE_MAX_MEM_ALLOC_SIZE` in bytes: the largest single buffer.
    public let maxAllocation: Int
    public let computeUnits: Int
    public let maxWorkGroupSize: Int
    /// `CL_DEVICE_OPENCL_C_VERSION`, e.g. "OpenCL C 1.2 PoCL".
    public let openCLCVersion: String
    /// `CL_DRIVER_VERSION`.
    public let driverVersion: String
    /// `CL_DEVICE_VENDOR`, e.g. "NVIDIA Corporation"; PoCL reports the processor's vendor ("AuthenticAMD").
    public let vendor: String
    /// `CL_DEVICE_VERSION`, e.g. "OpenCL 3.0 PoCL HSTR: pthread-x86_64-pc-linux-gnu-haswell".
    public let deviceVersion: String
    /// The device's architecture as the shipped tuning database keys it
    /// (`OpenCLDeviceIdentity.architecture(name:deviceVersion:computeCapability:)`).
    public let architecture: String

    let platformID: cl_platform_id
    let deviceID: cl_device_id

    /// Every OpenCL device of every platform, in the documented order. No ICD, or an ICD
    /// loader with no platforms (`CL_PLATFORM_NOT_FOUND_KHR`), gives an empty list.
    /// - Throws: `DeviceError.backend` when the driver fails in any other way.
    public static func all() throws -> [OpenCLDeviceInfo] {
        var platformCount: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &platformCount)
        if status == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || platformCount == 0 { return [] }
        try OpenCLStatus.check(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        try OpenCLStatus.check(clGetPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")
        var result: [OpenCLDeviceInfo] = []
        for case let platform? in platforms {
            var deviceCount: cl_uint = 0
            let found = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
            if found == CL_DEVICE_NOT_FOUND || deviceCount == 0 { continue }
            try OpenCLStatus.check(found, "clGetDeviceIDs")
            var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            try OpenCLStatus.check(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &devices, nil),
                                   "clGetDeviceIDs")
            for case let device? in devices {
                result.append(try OpenCLDeviceInfo(index: result.count, platform: platform, device: device))
            }
        }
        return result
    }

    private init(index: Int, platform: cl_platform_id, device: cl_device_id) throws {
        self.index = index
        platformID = platform
        deviceID = device
        platformName = try Self.platformString(platform, cl_platform_info(CL_PLATFORM_NAME))
        platformVersion = try Self.platformString(platform, cl_platform_info(CL_PLATFORM_VERSION))
        name = try Self.deviceString(device, cl_device_info(CL_DEVICE_NAME))
        openCLCVersion = try Self.deviceString(device, cl_device_info(CL_DEVICE_OPENCL_C_VERSION))
        driverVersion = try Self.deviceString(device, cl_device_info(CL_DRIVER_VERSION))
        vendor = try Self.deviceString(device, cl_device_info(CL_DEVICE_VENDOR))
        deviceVersion = try Self.deviceString(device, cl_device_info(CL_DEVICE_VERSION))
        architecture = OpenCLDeviceIdentity.architecture(name: name, deviceVersion: deviceVersion,
                                                         computeCapability: Self.nvidiaComputeCapability(device))
        let kind: cl_device_type = try Self.deviceValue(device, cl_device_info(CL_DEVICE_TYPE))
        isGPU = kind & cl_device_type(CL_DEVICE_TYPE_GPU) != 0
        if isGPU { type = "GPU" }
        else if kind & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { type = "CPU" }
        else if kind & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { type = "accelerator" }
        else { type = "other" }
        globalMemory = Int(try Self.deviceValue(device, cl_device_info(CL_DEVICE_GLOBAL_MEM_SIZE)) as cl_ulong)
        maxAllocation = Int(try Self.deviceValue(device, cl_device_info(CL_DEVICE_MAX_MEM_ALLOC_SIZE)) as cl_ulong)
        computeUnits = Int(try Self.deviceValue(device, cl_device_info(CL_DEVICE_MAX_COMPUTE_UNITS)) as cl_uint)
        maxWorkGroupSize = Int(try Self.deviceValue(device, cl_device_info(CL_DEVICE_MAX_WORK_GROUP_SIZE)) as Int)
    }

    /// One line for listings: name, type, memory, compute units, OpenCL C version.
    public var summary: String {
        let gib = Double(globalMemory) / 1_073_741_824
        let memory = gib >= 1 ? "\(Self.format(gib)) GiB" : "\(Self.format(gib * 1024)) MiB"
        return "\(name) [\(type), \(memory), \(computeUnits) compute units, \(openCLCVersion)]"
    }

    private static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }

    /// The compute capability of an NVIDIA device (`cl_nv_device_attribute_query`), or nil
    /// on other devices or when the driver does not answer: only a key of the tuning
    /// database, so a failure costs nothing but the family match.
    private static func nvidiaComputeCapability(_ device: cl_device_id) -> (major: Int, minor: Int)? {
        guard let extensions = try? deviceString(device, cl_device_info(CL_DEVICE_EXTENSIONS)),
              extensions.split(separator: " ").contains("cl_nv_device_attribute_query"),
              let major: cl_uint = try? deviceValue(device, 0x4000 /* CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV */),
              let minor: cl_uint = try? deviceValue(device, 0x4001 /* CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV */)
        else { return nil }
        return (Int(major), Int(minor))
    }

    static func deviceString(_ device: cl_device_id, _ param: cl_device_info) throws -> String {
        var size = 0
        try OpenCLStatus.check(clGetDeviceInfo(device, param, 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try OpenCLStatus.check(clGetDeviceInfo(device, param, size, &bytes, nil), "clGetDeviceInfo")
        return trimmed(bytes)
    }

    static func platformString(_ platform: cl_platform_id, _ param: cl_platform_info) throws -> String {
        var size = 0
        try OpenCLStatus.check(clGetPlatformInfo(platform, param, 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try OpenCLStatus.check(clGetPlatformInfo(platform, param, size, &bytes, nil), "clGetPlatformInfo")
        return trimmed(bytes)
    }

    static func deviceValue<T: FixedWidthInteger>(_ device: cl_device_id, _ param: cl_device_info) throws -> T {
        var value: T = 0
        try OpenCLStatus.check(clGetDeviceInfo(device, param, MemoryLayout<T>.size, &value, nil), "clGetDeviceInfo")
        return value
    }

    private static func trimmed(_ bytes: [CChar]) -> String {
        let text = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
