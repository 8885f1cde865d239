// CPUDevice: the reference backend's type, its host-memory storage and the memory ops.
import Foundation
import NSTCore
import Synchronization

/// Host memory behind a `CPUDevice` tensor: one aligned float32 allocation, freed with the tensor.
// @unchecked: the allocation is owned by this storage and written only through the ops of
// the device that made it, whose contract keeps concurrent ops on disjoint tensors.
final class CPUStorage: TensorStorage, @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    /// How many times an op has been handed this storage (`CPUDevice.ptr`): a change tells
    /// `WinogradWeightCache` that a weight may have been written since it was transformed.
    let accesses = Atomic<Int>(0)

    /// Allocates `count` floats, zeroed unless `zeroed` is false (for buffers that are
    /// written whole before any read).
    init?(count: Int, zeroed: Bool = true) {
        guard count >= 0, count <= Int.max / MemoryLayout<Float>.stride else { return nil }
        // posix_memalign reports failure instead of trapping, so out-of-memory is an error.
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(count, 1) * MemoryLayout<Float>.stride) == 0, let raw else { return nil }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
        self.count = count
    }

    deinit { free(pointer) }
}

/// The Winograd variants of the CPU backend's 3x3 convolutions (by output tile).
package enum WinogradTile: Sendable {
    /// F(2x2, 3x3): 16 products per 4 outputs; transforms by additions and halvings only.
    case f2x2
    /// F(4x4, 3x3): 36 products per 16 outputs (`CPUDevice+Winograd4.swift`).
    case f4x4
}

/// The reference backend: plain loops that follow docs/MATH.md, matrix products through
/// OpenBLAS (`cblas_sgemm`), hot loops spread over the cores.
///
/// It is both the fallback when no OpenCL GPU exists and the reference the OpenCL
/// backend is tested against. Losses are accumulated in Double.
public final class CPUDevice: Device {
    /// The number of cores the hot loops are spread over.
    public static var coreCount: Int { Parallel.coreCount }

    public let name = "cpu"

    /// Column buffers of the convolutions are built for a band of output rows at a time,
    /// so their size stays bounded (about this many floats) however large the image is.
    package let columnBudget: Int
    /// 3x3 pad-1 convolutions with at least this many input and output channels use
    /// Winograd; thinner ones (VGG's first layer) use im2col.
    let winogradMinChannels: Int
    /// ... and at least this many output positions (H x W). Below it a layer's im2col
    /// product is small, while Winograd's transformed weights (cached, 8x the weights for
    /// F(4x4) both ways) are not: a 32 px run of VGG-19 held about 400 MB of them.
    let winogradMinPositions: Int
    /// The Winograd variant those convolutions take.
    package let winogradTile: WinogradTile
    /// Temporaries of the ops, reused across calls.
    let scratch = ScratchPool()
    /// Transformed Winograd weights, reused across calls while the weights are unchanged.
    let transformedWeights = WinogradWeightCache()

    /// Makes the CPU backend. It has no state beyond the tensors it makes.
    public convenience init() { self.init(columnBudget: 1 << 22, winogradMinChannels: 16, winogradMinPositions: 256) }

    /// Makes the CPU backend with a given scratch budget, Winograd threshold and variant
    /// (tests use tiny budgets to exercise the banded paths on small images, thresholds
    /// that force one algorithm or the other, and both variants; their Winograd paths run at
    /// any size unless `winogradMinPositions` says otherwise).
    package init(columnBudget: Int, winogradMinChannels: Int = 16, winogradMinPositions: Int = 0, winogradTile: WinogradTile = .f4x4) {
        self.columnBudget = max(1, columnBudget)
        self.winogradMinChannels = winogradMinChannels
        self.winogradMinPositions = winogradMinPositions
        self.winogradTile = winogradTile
    }

    /// Returns the host pointer of a tensor made by this backend, for an op that may write
    /// it (counted in `CPUStorage.accesses`).
    func ptr(_ tensor: Tensor, _ op: String) throws -> UnsafeMutablePointer<Float> {
        let storage = try cpuStorage(tensor, op)
        storage.accesses.add(1, ordering: .releasing)
        return storage.pointer
    }

    /// The storage of a tensor made by this backend, not counted as an access: for the
    /// convolutions' weights, which they only read.
    func cpuStorage(_ tensor: Tensor, _ op: String) throws -> CPUStorage {
        guard let storage = tensor.storage as? CPUStorage else {
            throw DeviceError.foreignTensor(op: op, device: name)
        }
        return storage
    }

    func ptr(_ tensor: Tensor?, _ op: String) throws -> UnsafeMutablePointer<Float>? {
        guard let tensor else { return nil }
        return try ptr(tensor, op) as UnsafeMutablePointer<Float>
    }

    public func makeTensor(_ shape: Shape) throws -> Tensor {
        guard shape.dims.allSatisfy({ $0 >= 0 }) else {
            throw DeviceError.invalidArgument(op: "makeTensor", detail: "negative dimension in \(shape)")
        }
        var bytes = MemoryLayout<Float>.stride, overflow = false
        for d in shape.dims where !overflow { (bytes, overflow) = bytes.multipliedReportingOverflow(by: d) }
        guard !overflow, let storage = CPUStorage(count: bytes / MemoryLayout<Float>.stride) else {
            throw DeviceError.outOfMemory(bytes: overflow ? Int.max : bytes, device: name,
                                          hint: "try a smaller image")
        }
        return Tensor(shape: shape, storage: storage)
    }

    public func upload(_ values: [Float], to tensor: Tensor) throws {
        let p = try ptr(tensor, "upload")
        guard values.count == tensor.count else {
            throw DeviceError.shapeMismatch(op: "upload", detail: "tensor \(tensor.shape) holds \(tensor.count) values; got \(values.count)")
        }
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { p.update(from: base, count: values.count) }
        }
    }

    public func download(_ tensor: Tensor) throws -> [Float] {
        let p = try ptr(tensor, "download")
        return Array(UnsafeBufferPointer(start: p, count: tensor.count))
    }

    func fillTensor(_ tensor: Tensor, with value: Float) throws {
        try ptr(tensor, "fill").update(repeating: value, count: tensor.count)
    }

    func copyTensor(_ source: Tensor, to destination: Tensor) throws {
        try OpShapes.sameCount("copy", source.shape, destination.shape)
        let s = try ptr(source, "copy"), d = try ptr(destination, "copy")
        if s != d { d.update(from: s, count: source.count) }
    }
}
