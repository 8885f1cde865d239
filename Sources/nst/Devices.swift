// Devices: `nst devices`, listing the OpenCL devices and the CPU backend, and `--check` running a small conv on each.
import ArgumentParser
import Foundation
import StyleTransfer

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the OpenCL platforms and devices found, and the CPU backend.",
        discussion: """
            Select a device with --device: `opencl:N` is OpenCL device N of this list, `opencl` \
            the first one, `cpu` the CPU backend; `auto` (marked *) takes the first OpenCL GPU, \
            else the CPU backend. Each OpenCL device's tuning says which settings it runs with: \
            "tuned (file)" (its own file from `nst tune`), "shipped: <entry>" (the nearest entry \
            of the tuning database built into nst) or "defaults".
            """)

    @Flag(help: "Run a small convolution on each OpenCL device and report its difference from the CPU backend.")
    var check = false

    @Flag(help: "Print the devices as JSON (an array; each entry's \"choice\" is its --device value).")
    var json = false

    /// One device in `--json` form; `tuning` is the label of `OpenCLTuningOrigin` ("tuned
    /// (file)", "shipped: <entry>", "defaults"; nil for the CPU backend), `tuningFile` the
    /// file's path, `identity` what the shipped database matches (an entry's `device`).
    struct Entry: Encodable {
        var choice: String, name: String, type: String, platform: String?, driver: String?
        var computeUnits: Int?, globalMemoryBytes: Int?, auto: Bool
        var tuning: String? = nil, tuningFile: String? = nil
        /// What the shipped tuning database matches the device by (an entry's `device`).
        var identity: OpenCLDeviceIdentity? = nil
    }

    func run() throws {
        Signals.stopsAtOnce.store(true, ordering: .relaxed)
        let devices: [OpenCLDeviceInfo]
        do {
            devices = try OpenCLDeviceInfo.all()
        } catch {
            devices = []
            Console.line("OpenCL: the driver failed while listing devices: \(error)")
        }
        let autoPick = DeviceSelection.autoPick(devices)
        if json {
            var entries = devices.map { info in
                let origin = OpenCLDevice.tuning(for: info).origin
                return Entry(choice: "opencl:\(info.index)", name: info.name, type: info.type, platform: info.platformName,
                             driver: info.driverVersion, computeUnits: info.computeUnits, globalMemoryBytes: info.globalMemory,
                             auto: info.index == autoPick?.index, tuning: origin.label, tuningFile: Self.file(origin),
                             identity: info.identity)
            }
            entries.append(Entry(choice: "cpu", name: "CPU backend (\(ProcessSettings.cpuKernels) kernels)", type: "CPU", platform: nil,
                                 driver: nil, computeUnits: CPUDevice.coreCount, globalMemoryBytes: nil, auto: autoPick == nil))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Console.line(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        if devices.isEmpty {
            Console.line("No OpenCL device found: \(OpenCLDeviceInfo.absenceReason()); the CPU backend is used.")
        } else {
            Console.line("OpenCL devices (--device opencl:N):")
            for device in devices {
                let mark = device.index == autoPick?.index ? "*" : " "
                Console.line("\(mark) opencl:\(device.index)  \(device.summary)")
                Console.line("              platform \(device.platformName) (\(device.platformVersion)), driver \(device.driverVersion)")
                Console.line("              tuning: \(Self.describe(OpenCLDevice.tuning(for: device).origin))")
            }
            // Never expected in a release (the tests read every entry), but say so rather than hide it.
            for refused in OpenCLTuningDatabase.shipped.refused { Console.line("shipped OpenCL tuning entry refused: \(refused)") }
        }
        Console.line("\(autoPick == nil ? "*" : " ") cpu       CPU backend (\(CPUDevice.coreCount) cores, \(ProcessSettings.cpuKernels) kernels, OpenBLAS \(ProcessSettings.openBLASCore) kernels)")
        Console.line("* = the device --device auto chooses (auto uses one device; a list such as --device opencl:0,cpu spreads the tiles of a large image over several)")
        if check {
            var worst = 0.0
            for device in devices { worst = max(worst, try Self.check(device)) }
            // Far above float rounding (about 1e-7 here): a larger difference is a bug.
            if worst > 1e-4 {
                throw ValidationError("an OpenCL device differs from the CPU backend by \(worst) (relative); expected below 1e-4")
            }
        }
    }

    /// The tuning file's path, for a device tuned by its file.
    private static func file(_ origin: OpenCLTuningOrigin) -> String? {
        if case .file(let path) = origin { return path }
        return nil
    }

    /// The tuning's label with what the listing adds: the file's path, or how the shipped entry matched.
    private static func describe(_ origin: OpenCLTuningOrigin) -> String {
        switch origin {
        case .file(let path): return "\(origin.label) \(path)"
        case .shipped(_, .exact): return "\(origin.label) (measured on this device and driver)"
        case .shipped(_, .family): return "\(origin.label) (same family; `nst tune` makes this device's own)"
        case .shipped(_, .related): return "\(origin.label) (the nearest measured: same driver and instruction set; `nst tune` makes this device's own)"
        case .given, .defaults: return origin.label
        }
    }

    /// `t` as "0.123 s".
    private static func seconds(_ t: TimeInterval) -> String { String(format: "%.3f s", t) }

    /// Runs a 3x3 convolution (16 -> 16 channels, 32x32) on `info` and on the CPU backend
    /// and prints the time to open the device, the time of the first conv (which builds
    /// or loads the kernels) and the largest difference relative to the largest output.
    static func check(_ info: OpenCLDeviceInfo) throws -> Double {
        let (c, h, w) = (16, 32, 32)
        var rng = SplitMix64(seed: 1)
        let input = (0..<(c * h * w)).map { _ in rng.nextFloat(in: -1, 1) }
        let weight = (0..<(c * c * 9)).map { _ in rng.nextFloat(in: -0.2, 0.2) }
        let bias = (0..<c).map { _ in rng.nextFloat(in: -0.1, 0.1) }
        func conv(_ device: Device) throws -> [Float] {
            let x = try device.makeTensor(Shape(c, h, w)), k = try device.makeTensor(Shape(c, c, 3, 3))
            let b = try device.makeTensor(Shape(c)), y = try device.makeTensor(Shape(c, h, w))
            try device.upload(input, to: x)
            try device.upload(weight, to: k)
            try device.upload(bias, to: b)
            try device.execute(.conv2d(input: x, weight: k, bias: b, output: y, padding: 1))
            return try device.download(y)
        }
        let start = Date()
        let device = try OpenCLDevice(info: info)
        device.applyCLBlastTuning()
        let opened = Date()
        try device.prepareKernels()
        let prepared = Date()
        let result = try conv(device)
        let ran = Date()
        let again = try conv(device)
        let second = Date().timeIntervalSince(ran)
        let reference = try conv(CPUDevice())
        let scale = reference.map { abs(Double($0)) }.max() ?? 0
        var diff = 0.0
        for (a, e) in zip(result + again, reference + reference) { diff = max(diff, abs(Double(a) - Double(e))) }
        let relative = scale > 0 ? diff / scale : diff
        let programs = device.programStatistics
        Console.line("check opencl:\(info.index): " + [
            "open \(seconds(opened.timeIntervalSince(start)))",
            "project kernels \(seconds(prepared.timeIntervalSince(opened))) (\(programs.compiled) compiled, \(programs.fromCache) from cache)",
            "first conv2d [16x32x32] \(seconds(ran.timeIntervalSince(prepared)))"
                + (device.usesProjectGemm ? " (GEMM in gemm.cl)" : " (includes CLBlast's kernel build)"),
            "second \(seconds(second))",
            "max |opencl - cpu| / max |cpu| = \(String(format: "%.3g", relative))",
        ].joined(separator: "; "))
        return relative
    }
}
