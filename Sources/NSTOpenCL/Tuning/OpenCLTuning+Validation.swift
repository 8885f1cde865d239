// OpenCLTuning+Validation: which tuned values a device accepts, CLBlast's GEMM kernel constraints among them.
import NSTCore

extension OpenCLTuning {
    /// Every parameter CLBlast 1.5's `Xgemm` kernel takes (CLBlast wants all of them overridden at once).
    public static let xgemmNames = ["GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG",
                                    "SA", "SB", "STRM", "STRN", "VWM", "VWN"]
    /// Every parameter of `XgemmDirect`.
    public static let xgemmDirectNames = ["KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "PADA", "PADB", "VWMD",
                                          "VWND", "WGD"]
    /// The parameter of the GEMM routine: below `XGEMM_MIN_INDIRECT_SIZE^3` multiply-adds
    /// CLBlast uses the direct kernel.
    public static let routineNames = ["XGEMM_MIN_INDIRECT_SIZE"]

    /// Throws a message naming the first value that is not acceptable for `info`'s device.
    /// Messages name values by their keys in the file (`OpenCLTuning+JSON`), which is where
    /// a bad value comes from.
    public func validate(for info: OpenCLDeviceInfo) throws {
        try validate(for: info.identity)
    }

    /// Throws unless the tuning was made for `device` (name, driver, platform) and every
    /// value is acceptable there (`checkValues`). Tuning files, shipped database entries (against
    /// the device they were measured on, and again once adapted to the device they are applied
    /// to) and the tuner's own outcome all pass through here.
    public func validate(for device: OpenCLDeviceIdentity) throws {
        guard deviceName == device.name, driverVersion == device.driverVersion, platformVersion == device.platformVersion else {
            throw invalid("made for \(deviceName) (driver \(driverVersion), \(platformVersion)), not this device")
        }
        try checkValues(maxWorkGroupSize: device.maxWorkGroupSize)
    }

    /// Every constraint on the values, in one place: the format, CLBlast's parameter sets and
    /// their kernels' rules, the Winograd threshold, the gemm.cl group, tiles and work-group
    /// size, the last two bounded by the device's `maxWorkGroupSize`.
    func checkValues(maxWorkGroupSize: Int) throws {
        guard format == Self.currentFormat else { throw invalid("format \(format), expected \(Self.currentFormat)") }
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
            case "Xgemm": try Self.checkXgemm(values, maxWorkGroup: maxWorkGroupSize)
            case "XgemmDirect": try Self.checkXgemmDirect(values, maxWorkGroup: maxWorkGroupSize)
            default: break
            }
        }
        guard winogradMinChannels >= 1, winogradMinChannels <= OpenCLDevice.winogradOff else {
            throw invalid("\(OpenCLTuningKey.winogradMinChannels) = \(winogradMinChannels) must be 1 to \(OpenCLDevice.winogradOff)")
        }
        if case .projectKernels(let group) = gemmEngine {
            guard group >= 0, group <= max(maxWorkGroupSize, 1) else {
                throw invalid("\(OpenCLTuningKey.gemmGroup) = \(group) must be 0 to \(maxWorkGroupSize)")
            }
        }
        if let size = workGroupSize {
            guard size >= 1, size <= max(maxWorkGroupSize, 1), size & (size - 1) == 0 else {
                throw invalid("\(OpenCLTuningKey.workGroupSize) = \(size) must be a power of two up to \(maxWorkGroupSize)")
            }
        }
        for (name, value) in (gemmTiles?.defines ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard OpenCLGemmTiles.accepts(name, value) else { throw invalid("\(name) = \(value) is out of range") }
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
}
