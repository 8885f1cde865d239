// OpenCLContext: one device's context, in-order queue, programs (built once, cached on disk) and kernels (created once).
import COpenCL
import Foundation
import NSTCore

/// A kernel argument, converted to the C type the kernel declares.
enum KernelArg {
    case buffer(cl_mem)
    case int(Int)
    case float(Float)
}

/// The OpenCL objects of one device: a context, an in-order queue, and the project's
/// programs and kernels, each made the first time it is needed and then kept.
///
/// Not thread-safe: a device is driven from one thread at a time (kernel arguments are
/// set on shared kernel objects).
final class OpenCLContext {
    let info: OpenCLDeviceInfo
    let context: cl_context
    let queue: cl_command_queue
    /// Local size of every launch; a power of two, passed to the kernels as `-DWGS`.
    let workGroupSize: Int
    /// Options every program is built with (part of the cache key).
    let buildOptions: String
    private let cache: ProgramBinaryCache
    private var programs: [String: cl_program] = [:]
    private var kernels: [String: cl_kernel] = [:]
    /// How many programs were compiled from source and how many came from the disk cache.
    private(set) var programsCompiled = 0
    private(set) var programsFromCache = 0
    /// How many buffers were created in this context (tensors, scratch, constants): the
    /// tests check that an optimisation loop's iterations create none.
    var buffersCreated = 0
    /// How many reads waited for the queue (downloads and scalar results): the tests check
    /// that an evaluation waits once.
    var blockingReads = 0

    /// - Parameter defines: extra `-Dname=value` options for every program (tuned tile sizes).
    init(info: OpenCLDeviceInfo, cache: ProgramBinaryCache, workGroupSize requested: Int = 64,
         defines: [String: Int] = [:]) throws {
        self.info = info
        self.cache = cache
        // Largest power of two not above the request or the device limit.
        var size = 1
        while size * 2 <= min(max(requested, 1), max(info.maxWorkGroupSize, 1)) { size *= 2 }
        workGroupSize = size
        // -w: compiler warnings (PoCL prints them to stderr itself, e.g. for 16-wide vectors on
        // AVX2 while tuning) mean nothing to a user; errors still come back in the build log.
        buildOptions = (["-cl-std=CL1.2", "-w", "-DWGS=\(size)"] + defines.sorted { $0.key < $1.key }.map { "-D\($0.key)=\($0.value)" })
            .joined(separator: " ")
        var status: cl_int = CL_SUCCESS
        var device: cl_device_id? = info.deviceID
        guard let context = clCreateContext(nil, 1, &device, nil, nil, &status), status == CL_SUCCESS else {
            throw OpenCLStatus.error(status, call: "clCreateContext(\(info.name))")
        }
        guard let queue = clCreateCommandQueue(context, info.deviceID, 0, &status), status == CL_SUCCESS else {
            clReleaseContext(context)
            throw OpenCLStatus.error(status, call: "clCreateCommandQueue(\(info.name))")
        }
        self.context = context
        self.queue = queue
    }

    deinit {
        clFinish(queue)
        for kernel in kernels.values { clReleaseKernel(kernel) }
        for program in programs.values { clReleaseProgram(program) }
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// The kernel `name` of `Kernels/<file>.cl`, building that program on first use.
    func kernel(_ file: String, _ name: String) throws -> cl_kernel {
        let key = file + "." + name
        if let kernel = kernels[key] { return kernel }
        let program = try self.program(file)
        var status: cl_int = CL_SUCCESS
        guard let kernel = clCreateKernel(program, name, &status), status == CL_SUCCESS else {
            throw OpenCLStatus.error(status, call: "clCreateKernel(\(name)) from Kernels/\(file).cl")
        }
        kernels[key] = kernel
        return kernel
    }

    /// Runs `kernel` over `global` work-items (rounded up to whole work-groups; the
    /// kernels ignore the extra items) with local size `workGroupSize`.
    func launch(_ kernel: cl_kernel, _ name: String, global: Int, groups: Int? = nil, args: [KernelArg]) throws {
        let local = workGroupSize
        let globalSize = groups.map { $0 * local } ?? ((max(global, 1) + local - 1) / local * local)
        try launch(kernel, name, global: [globalSize], local: [local], args: args)
    }

    /// Runs `kernel` over a grid of `global` work-items per dimension, in work-groups of
    /// `local` (each global size a multiple of it), or with the driver's choice when nil.
    func launch(_ kernel: cl_kernel, _ name: String, global: [Int], local: [Int]?, args: [KernelArg]) throws {
        try setArguments(kernel, name, args)
        var globalSize = global.map { max($0, 1) }
        var localSize = local ?? []
        let status = localSize.isEmpty
            ? clEnqueueNDRangeKernel(queue, kernel, cl_uint(globalSize.count), nil, &globalSize, nil, 0, nil, nil)
            : clEnqueueNDRangeKernel(queue, kernel, cl_uint(globalSize.count), nil, &globalSize, &localSize, 0, nil, nil)
        try OpenCLStatus.check(status, "clEnqueueNDRangeKernel(\(name))")
    }

    private func setArguments(_ kernel: cl_kernel, _ name: String, _ args: [KernelArg]) throws {
        for (index, arg) in args.enumerated() {
            let status: cl_int
            switch arg {
            case .buffer(let buffer):
                var value: cl_mem? = buffer
                status = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &value)
            case .int(let number):
                guard let narrow = Int32(exactly: number) else {
                    throw DeviceError.invalidArgument(op: name, detail:
                        "size \(number) is too large for the OpenCL kernels (limit \(Int32.max) elements)")
                }
                var value = narrow
                status = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<Int32>.size, &value)
            case .float(let number):
                var value = number
                status = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<Float>.size, &value)
            }
            try OpenCLStatus.check(status, "clSetKernelArg(\(name), \(index))")
        }
    }

    // MARK: Programs

    /// Builds (or loads from the disk cache) every embedded program now rather than on first use.
    func prepareAllPrograms() throws {
        for file in KernelSources.all.keys.sorted() { _ = try program(file) }
    }

    private func program(_ file: String) throws -> cl_program {
        if let program = programs[file] { return program }
        guard let source = KernelSources.all[file] else {
            throw DeviceError.backend("OpenCL: no kernel file Kernels/\(file).cl was embedded at build time")
        }
        let program = try buildProgram(file: file, source: source)
        programs[file] = program
        return program
    }

    /// Builds `source` (named `Kernels/<file>.cl` in messages), from the disk cache when
    /// it holds a binary for this source, options, device and driver, else from source
    /// (then storing the binary). The caller owns the returned program.
    func buildProgram(file: String, source: String) throws -> cl_program {
        let key = ProgramBinaryCache.key(source: source, options: buildOptions, deviceName: info.name,
                                         driverVersion: info.driverVersion, platformVersion: info.platformVersion)
        if let binary = cache.load(key: key), let program = programFromBinary(binary) {
            programsFromCache += 1
            return program
        }
        let program = try programFromSource(source, file: file)
        programsCompiled += 1
        if let binary = try? binary(of: program) { cache.store(key: key, binary: binary) }
        return program
    }

    /// A program from a cached binary, or nil when the driver refuses it (a stale or
    /// corrupt entry): the caller then compiles from source and overwrites the entry.
    private func programFromBinary(_ binary: [UInt8]) -> cl_program? {
        var status: cl_int = CL_SUCCESS
        var binaryStatus: cl_int = CL_SUCCESS
        var device: cl_device_id? = info.deviceID
        var length = binary.count
        let program: cl_program? = binary.withUnsafeBufferPointer { bytes in
            var pointer: UnsafePointer<UInt8>? = bytes.baseAddress
            return clCreateProgramWithBinary(context, 1, &device, &length, &pointer, &binaryStatus, &status)
        }
        guard let program, status == CL_SUCCESS, binaryStatus == CL_SUCCESS else {
            if let program { clReleaseProgram(program) }
            return nil
        }
        guard clBuildProgram(program, 1, &device, buildOptions, nil, nil) == CL_SUCCESS else {
            clReleaseProgram(program)
            return nil
        }
        return program
    }

    private func programFromSource(_ source: String, file: String) throws -> cl_program {
        var status: cl_int = CL_SUCCESS
        var device: cl_device_id? = info.deviceID
        let created: cl_program? = source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            return clCreateProgramWithSource(context, 1, &pointer, nil, &status)
        }
        guard let program = created, status == CL_SUCCESS else {
            throw OpenCLStatus.error(status, call: "clCreateProgramWithSource(Kernels/\(file).cl)")
        }
        let built = clBuildProgram(program, 1, &device, buildOptions, nil, nil)
        if built != CL_SUCCESS {
            let log = buildLog(program)
            clReleaseProgram(program)
            // PoCL fails every build, with a log that says nothing, when it cannot write its
            // kernel cache: say that, as `nst devices` does, rather than the build's words.
            if info.platformName.contains("Portable Computing Language"),
               let hint = OpenCLDeviceInfo.unwritableCacheHint(environment: ProcessInfo.processInfo.environment) {
                throw DeviceError.backend("OpenCL: \(info.name) cannot build its kernels: \(hint)")
            }
            throw DeviceError.backend(
                "OpenCL: clBuildProgram(Kernels/\(file).cl, \(buildOptions)) failed with \(OpenCLStatus.name(built)) (\(built)) on \(info.name); build log:\n\(log)")
        }
        return program
    }

    private func buildLog(_ program: cl_program) -> String {
        var size = 0
        let info = cl_program_build_info(CL_PROGRAM_BUILD_LOG)
        guard clGetProgramBuildInfo(program, self.info.deviceID, info, 0, nil, &size) == CL_SUCCESS, size > 0 else {
            return "(no build log)"
        }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, self.info.deviceID, info, size, &bytes, nil) == CL_SUCCESS else {
            return "(no build log)"
        }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func binary(of program: cl_program) throws -> [UInt8] {
        var size = 0
        try OpenCLStatus.check(clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES),
                                                MemoryLayout<Int>.size, &size, nil), "clGetProgramInfo(BINARY_SIZES)")
        guard size > 0 else { return [] }
        var binary = [UInt8](repeating: 0, count: size)
        try binary.withUnsafeMutableBufferPointer { bytes in
            var pointer: UnsafeMutablePointer<UInt8>? = bytes.baseAddress
            try OpenCLStatus.check(clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES),
                                                    MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointer, nil),
                                   "clGetProgramInfo(BINARIES)")
        }
        return binary
    }
}
