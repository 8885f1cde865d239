// OpenCLDevice: the OpenCL backend's device object, its tensor storage, memory ops and shared launch helpers.
import COpenCL
import Foundation
import NSTCore
import Synchronization

/// An OpenCL buffer owned by one `OpenCLDevice`; released when the tensor goes away.
// @unchecked: OpenCL memory objects may be used from any thread (OpenCL 1.2, appendix A.2);
// the handle itself never changes and is released once.
final class OpenCLStorage: TensorStorage, @unchecked Sendable {
    let buffer: cl_mem
    /// Kept so the context outlives every buffer made in it.
    let context: OpenCLContext
    /// How many ops were handed the buffer (`OpenCLDevice.buffer`), any of which may have
    /// written it: tells `WinogradFilterCache` that a weight may have changed since its
    /// transform. The convolutions read their weights through `weightStorage`, which does not count.
    let accesses = Atomic<Int>(0)

    init(buffer: cl_mem, context: OpenCLContext) {
        self.buffer = buffer
        self.context = context
    }

    deinit { clReleaseMemObject(buffer) }
}

/// The roles of the scratch buffers an `OpenCLDevice` keeps; one op may use several at once.
enum ScratchRole: Hashable {
    case columns, winogradFilter, winogradInput, winogradProducts, gemmTemp, gemmPacked, gramSlices, lossMatrix
}

/// The OpenCL backend: every op runs in the project's own kernels (`Kernels/*.cl`,
/// embedded at build time) and matrix products in CLBlast or in the project's register-tiled
/// GEMM kernels (`usesProjectGemm`); nothing falls back to the CPU.
///
/// One context and one in-order command queue per device object, so ops run in the order
/// they are called; `download` and the losses' returned values wait for the queue.
/// Programs are compiled the first time an op needs them and their binaries cached on
/// disk (see `ProgramBinaryCache`), so a later run does not compile them again.
/// Use a device from one thread at a time.
///
/// Device-specific choices (the GEMM engine and its tiles, CLBlast's GEMM parameters, the
/// kernels' work-group size, which convolutions take the Winograd path) come from the tuning
/// file `nst tune` writes (`OpenCLTuning`), so nothing is fixed for one driver; without one,
/// from the nearest entry of the shipped tuning database (`OpenCLTuningDatabase`); without
/// that, the defaults are CLBlast's own and those of the kernels, and the GEMM engine is
/// chosen by the kind of device (see `usesProjectGemm`).
// @unchecked: the scratch buffers and constant cache are mutable and not locked; a device is
// used from one thread at a time (see above), which the in-order queue relies on too.
public final class OpenCLDevice: Device, @unchecked Sendable {
    /// The driver's description of the device.
    public let info: OpenCLDeviceInfo
    let context: OpenCLContext
    /// Most elements of the im2col matrix of one band of output rows; bounds the
    /// scratch memory of a convolution whatever the image size.
    package let im2colLimit: Int
    /// Partial sums of the reductions (one per work-group) and the final scalar.
    let partials: cl_mem
    let scalar: cl_mem
    /// Convolutions whose products sum over at least this many channels take the Winograd
    /// path (`usesWinograd`): the tuned `winogradMinChannels`, else `winogradOff`. Off by
    /// default because whether Winograd's 2.25x fewer multiply-adds win depends on how well
    /// the driver runs its 16 thinner products (on PoCL they lose to im2col's one): `nst
    /// tune` times both on the device and turns it on where it wins.
    public let winogradMinChannels: Int
    /// A `WINOGRAD_MIN_CHANNELS` no convolution reaches: Winograd off.
    public static let winogradOff = 1 << 20
    /// The Winograd variant those convolutions take: the tuned `winogradTile`, else F(2x2).
    public let winogradTile: OpenCLWinogradTile
    /// Transformed Winograd filters, reused across calls while the weights are unchanged.
    let winogradFilterCache = WinogradFilterCache()
    /// Which code runs the matrix products: the tuned engine, else
    /// `OpenCLGemmEngine.untuned(for:)` (gemm.cl on CPU devices, CLBlast on others).
    public let gemmEngine: OpenCLGemmEngine
    /// Whether matrix products run in `Kernels/gemm.cl` rather than CLBlast. CLBlast's
    /// kernels stage tiles in local memory, which CPU drivers emulate at a loss; GPUs have it
    /// in hardware (`nst tune`'s figures are in BENCHMARKS.md).
    public var usesProjectGemm: Bool { gemmEngine.usesProjectKernels }
    /// Register tiles of `Kernels/gemm.cl` (tuned, else `standard`).
    public let gemmTiles: OpenCLGemmTiles
    /// Work-group width of the GEMM kernels (tuned `group`); 0 leaves it to the driver.
    var gemmGroup: Int { gemmEngine.group }
    /// At most this many work-groups take part in the first pass of a reduction.
    let maxReductionGroups = 256
    /// Grow-only scratch buffers by role (im2col columns, Winograd tiles, CLBlast's
    /// temporary matrices, loss matrices), reused by every op: safe because the queue is
    /// in order, and it keeps allocations out of the iteration loop.
    var scratch: [ScratchRole: (buffer: cl_mem, count: Int)] = [:]
    /// Small per-op constants (channel means and deviations), uploaded once per distinct value list.
    var constantBuffers: [[Float]: cl_mem] = [:]

    public var name: String { "opencl: \(info.name)" }
    /// The tuned parameters in effect (nil: CLBlast's and the kernels' defaults).
    public let tuning: OpenCLTuning?
    /// Where `tuning` came from: the device's file, a shipped entry, the caller, or none.
    public let tuningOrigin: OpenCLTuningOrigin

    /// Opens OpenCL device number `index` in the order of `OpenCLDeviceInfo.all()`
    /// (the order `nst devices` lists).
    /// - Throws: `DeviceError.invalidArgument` when there is no such device.
    public convenience init(index: Int = 0) throws {
        try self.init(info: try Self.info(at: index))
    }

    /// OpenCL device number `index` in the order of `OpenCLDeviceInfo.all()`, unopened.
    /// - Throws: `DeviceError.invalidArgument` when there is no such device.
    public static func info(at index: Int) throws -> OpenCLDeviceInfo {
        let all = try OpenCLDeviceInfo.all()
        guard all.indices.contains(index) else {
            throw DeviceError.invalidArgument(op: "OpenCL device", detail: all.isEmpty
                ? "no OpenCL device was found: \(OpenCLDeviceInfo.absenceReason())"
                : "there is no OpenCL device \(index); `nst devices` lists devices 0 to \(all.count - 1)")
        }
        return all[index]
    }

    /// Opens `info`'s device.
    /// - Parameters:
    ///   - workGroupSize: local size of every kernel (rounded down to a power of two and
    ///     to the device limit); passed to the kernels as `-DWGS`. nil: the tuned `WGS`,
    ///     else 64.
    ///   - im2colLimit: most floats of im2col scratch per convolution band.
    ///   - cacheDirectory: where built programs are cached; nil means the default
    ///     location (`$NST_CACHE_DIR`, `$XDG_CACHE_HOME/nst`, `~/.cache/nst`).
    ///   - tuning: where the tuned parameters come from (default: the file `nst tune`
    ///     stored for this device and driver, if any and valid; else the nearest entry of
    ///     the shipped tuning database; else none).
    ///
    /// The tuning's CLBlast parameters are not applied here: CLBlast holds them for the
    /// whole process, so that is an explicit call, `applyCLBlastTuning()`.
    public init(info: OpenCLDeviceInfo, workGroupSize: Int? = nil, im2colLimit: Int = 1 << 25,
                cacheDirectory: URL? = nil, tuning: OpenCLTuningSource = .stored) throws {
        self.info = info
        ProcessSettings.clearCLBlastCacheAtExit
        let cache = cacheDirectory.map { ProgramBinaryCache(directory: $0) } ?? ProgramBinaryCache()
        let choice = Self.tuning(for: info, source: tuning)
        let tuned = choice.tuning
        tuningOrigin = choice.origin
        self.tuning = tuned
        let tiles = tuned?.gemmTiles ?? .standard
        gemmTiles = tiles
        gemmEngine = tuned?.gemmEngine ?? .untuned(for: info)
        // The GEMM tiles are always passed, so that the kernels and the host's grids agree.
        context = try OpenCLContext(info: info, cache: cache, workGroupSize: workGroupSize ?? tuned?.workGroupSize ?? 64,
                                    defines: tiles.defines)
        self.im2colLimit = max(1, min(im2colLimit, info.maxAllocation / 4))
        winogradMinChannels = tuned?.winogradMinChannels ?? Self.winogradOff
        winogradTile = tuned?.winogradTile ?? .f2x2
        partials = try Self.makeBuffer(context, count: maxReductionGroups, device: info.name)
        do {
            scalar = try Self.makeBuffer(context, count: 1, device: info.name)
        } catch {
            clReleaseMemObject(partials)
            throw error
        }
    }

    deinit {
        // The cached filters are released here, while `context` is surely alive.
        winogradFilterCache.stopKeeping()
        for slot in scratch.values { clReleaseMemObject(slot.buffer) }
        for buffer in constantBuffers.values { clReleaseMemObject(buffer) }
        clReleaseMemObject(partials)
        clReleaseMemObject(scalar)
    }

    /// Programs compiled from source and loaded from the disk cache since this device opened.
    public var programStatistics: (compiled: Int, fromCache: Int) {
        (context.programsCompiled, context.programsFromCache)
    }

    /// Builds every program of `Kernels/` now (from the disk cache when possible), so
    /// that later ops start without compiling; otherwise each program is built on first use.
    public func prepareKernels() throws {
        try context.prepareAllPrograms()
    }

    /// Waits until every queued op has finished (`clFinish`): ops are asynchronous here.
    public func synchronize() throws {
        try OpenCLStatus.check(clFinish(context.queue), "clFinish")
    }

    // MARK: Memory

    public func makeTensor(_ shape: Shape) throws -> Tensor {
        guard shape.dims.allSatisfy({ $0 >= 0 }) else {
            throw DeviceError.invalidArgument(op: "makeTensor", detail: "negative dimension in \(shape)")
        }
        let buffer = try Self.makeBuffer(context, count: shape.count, device: info.name)
        let tensor = Tensor(shape: shape, storage: OpenCLStorage(buffer: buffer, context: context))
        do {
            try fillBuffer(buffer, count: shape.count, value: 0, op: "makeTensor")
        } catch let DeviceError.backend(message) where message.hasSuffix(OpenCLStatus.outOfMemoryNote) {
            // Drivers allocate lazily: a buffer that does not fit fails on first use.
            throw DeviceError.outOfMemory(bytes: shape.count * 4, device: name, hint: Self.memoryHint)
        }
        return tensor
    }

    public func upload(_ values: [Float], to tensor: Tensor) throws {
        let buffer = try self.buffer(tensor, "upload")
        guard values.count == tensor.count else {
            throw DeviceError.shapeMismatch(op: "upload", detail: "\(values.count) values for a tensor \(tensor.shape) of \(tensor.count)")
        }
        guard !values.isEmpty else { return }
        try values.withUnsafeBytes { bytes in
            try OpenCLStatus.check(clEnqueueWriteBuffer(context.queue, buffer, cl_bool(CL_TRUE), 0, bytes.count,
                                                        bytes.baseAddress, 0, nil, nil), "clEnqueueWriteBuffer(upload)")
        }
    }

    public func download(_ tensor: Tensor) throws -> [Float] {
        let buffer = try self.buffer(tensor, "download")
        var values = [Float](repeating: 0, count: tensor.count)
        guard !values.isEmpty else { return values }
        context.blockingReads += 1
        try values.withUnsafeMutableBytes { bytes in
            try OpenCLStatus.check(clEnqueueReadBuffer(context.queue, buffer, cl_bool(CL_TRUE), 0, bytes.count,
                                                       bytes.baseAddress, 0, nil, nil), "clEnqueueReadBuffer(download)")
        }
        return values
    }

    func fillTensor(_ tensor: Tensor, with value: Float) throws {
        try fillBuffer(try buffer(tensor, "fill"), count: tensor.count, value: value, op: "fill")
    }

    func copyTensor(_ source: Tensor, to destination: Tensor) throws {
        let from = try buffer(source, "copy"), to = try buffer(destination, "copy")
        try OpShapes.sameCount("copy", source.shape, destination.shape)
        guard source.count > 0, from != to else { return }
        try OpenCLStatus.check(clEnqueueCopyBuffer(context.queue, from, to, 0, 0, source.count * 4, 0, nil, nil),
                               "clEnqueueCopyBuffer(copy)")
    }

    // MARK: Helpers shared by the op files

    static let memoryHint = "try a smaller image (memory grows with the square of its side)"

    /// The buffer behind `tensor`, or `.foreignTensor` when another device made it. Counts
    /// as an access that may write it (`OpenCLStorage.accesses`).
    func buffer(_ tensor: Tensor, _ op: String) throws -> cl_mem {
        let storage = try weightStorage(tensor, op)
        storage.accesses.add(1, ordering: .releasing)
        return storage.buffer
    }

    /// The storage behind `tensor`, for an op that only reads it (a convolution's weights):
    /// not counted as an access, so the weights' cached Winograd transform stays valid.
    func weightStorage(_ tensor: Tensor, _ op: String) throws -> OpenCLStorage {
        guard let storage = tensor.storage as? OpenCLStorage, storage.context === context else {
            throw DeviceError.foreignTensor(op: op, device: name)
        }
        return storage
    }

    /// A new buffer of `count` floats (at least one, as OpenCL refuses empty buffers).
    static func makeBuffer(_ context: OpenCLContext, count: Int, device: String,
                           copying values: [Float]? = nil) throws -> cl_mem {
        let bytes = max(count, 1) * 4
        guard bytes <= context.info.maxAllocation else {
            throw DeviceError.outOfMemory(bytes: bytes, device: device, hint:
                "the device allows at most \(context.info.maxAllocation / 1_048_576) MiB per buffer; " + memoryHint)
        }
        var status: cl_int = CL_SUCCESS
        context.buffersCreated += 1
        let flags = cl_mem_flags(CL_MEM_READ_WRITE) | (values == nil ? 0 : cl_mem_flags(CL_MEM_COPY_HOST_PTR))
        let buffer: cl_mem? = values.map { values in
            values.withUnsafeBytes { clCreateBuffer(context.context, flags, bytes, UnsafeMutableRawPointer(mutating: $0.baseAddress), &status) }
        } ?? clCreateBuffer(context.context, flags, bytes, nil, &status)
        guard let buffer, status == CL_SUCCESS else {
            if let buffer { clReleaseMemObject(buffer) }
            if OpenCLStatus.isOutOfMemory(status) {
                throw DeviceError.outOfMemory(bytes: bytes, device: device, hint: memoryHint)
            }
            throw OpenCLStatus.error(status, call: "clCreateBuffer(\(bytes) bytes)")
        }
        return buffer
    }

    /// A device buffer holding `values` (small per-op constants such as channel means),
    /// uploaded on first use and kept for the device's lifetime; owned by the device.
    func constants(_ values: [Float]) throws -> cl_mem {
        if let buffer = constantBuffers[values] { return buffer }
        if constantBuffers.count >= 64 {   // bound the memory if a caller cycles through many lists
            for buffer in constantBuffers.values { clReleaseMemObject(buffer) }
            constantBuffers = [:]
        }
        let buffer = try Self.makeBuffer(context, count: values.count, device: name, copying: values)
        constantBuffers[values] = buffer
        return buffer
    }

    /// Scratch memory of `role` for at least `count` floats, grown (never shrunk) as needed.
    func scratchBuffer(count: Int, role: ScratchRole = .columns) throws -> cl_mem {
        if let existing = scratch[role], existing.count >= count { return existing.buffer }
        if let old = scratch.removeValue(forKey: role) { clReleaseMemObject(old.buffer) }
        let buffer = try Self.makeBuffer(context, count: count, device: name)
        scratch[role] = (buffer, count)
        return buffer
    }

    /// Runs kernel `kernel` of `Kernels/<file>.cl` with one work-item per element.
    func run(_ file: String, _ kernel: String, count: Int, _ args: [KernelArg]) throws {
        try context.launch(try context.kernel(file, kernel), kernel, global: count, args: args)
    }

    func fillBuffer(_ buffer: cl_mem, count: Int, value: Float, op: String) throws {
        try run("elementwise", "fill", count: count, [.buffer(buffer), .float(value), .int(count)])
    }

    /// Work-groups of the first pass of a reduction over `count` elements.
    func reductionGroups(_ count: Int) -> Int {
        min(maxReductionGroups, max(1, (count + context.workGroupSize - 1) / context.workGroupSize))
    }

    /// Runs the reduction kernel `kernel` of reduce.cl (arguments `args`, then the partial
    /// sums buffer, then `trailing`) over `count` elements and reduces its partial sums on
    /// the device into `out[slot]`, times `scale`, without waiting.
    func reduce(_ kernel: String, count: Int, _ args: [KernelArg], trailing: [KernelArg], into out: cl_mem, at slot: Int,
                scale: Float = 1) throws {
        let groups = reductionGroups(count)
        try context.launch(try context.kernel("reduce", kernel), kernel, global: 0, groups: groups,
                           args: args + [.buffer(partials)] + trailing)
        try context.launch(try context.kernel("reduce", "sum_into"), "sum_into", global: 0, groups: 1,
                           args: [.buffer(partials), .buffer(out), .int(groups), .int(slot), .float(scale)])
    }

    /// `reduce(...into:at:)` into the device's scalar, then the one float that comes back.
    func reduce(_ kernel: String, count: Int, _ args: [KernelArg], trailing: [KernelArg]) throws -> Double {
        try reduce(kernel, count: count, args, trailing: trailing, into: scalar, at: 0)
        return try readScalar(kernel)
    }

    /// Waits for the queue and reads the device's scalar.
    func readScalar(_ op: String) throws -> Double {
        var value: Float = 0
        context.blockingReads += 1
        try OpenCLStatus.check(clEnqueueReadBuffer(context.queue, scalar, cl_bool(CL_TRUE), 0, 4, &value, 0, nil, nil),
                               "clEnqueueReadBuffer(\(op))")
        return Double(value)
    }
}
