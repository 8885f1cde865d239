// CountingDevice: a Device wrapper counting allocations (and their peak bytes) and host transfers, for loop and memory tests.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
import StyleTransfer

/// Forwards every op to `base` and counts `makeTensor`, `upload`, `download` and `readLosses` calls, and
/// the dot products read back by the host (`.dot`) and those left on the device (`.dotCoefficient`); also the
/// peak bytes of the tensors alive at once (tensors are tracked weakly, so released ones stop counting).
// @unchecked: the counters are plain vars; each test drives its device from one thread.
final class CountingDevice: Device, @unchecked Sendable {
    let base: any Device
    var allocations = 0, uploads = 0, downloads = 0, dots = 0, slotDots = 0, lossReads = 0
    private(set) var peakBytes = 0
    private struct Tracked { weak var tensor: Tensor?; let bytes: Int }
    private var tracked: [Tracked] = []
    /// Bytes of the tensors made here that are still alive.
    var liveBytes: Int { tracked.reduce(0) { $0 + ($1.tensor == nil ? 0 : $1.bytes) } }

    init(_ base: any Device) { self.base = base }

    var name: String { base.name }
    func makeTensor(_ shape: Shape) throws -> Tensor {
        allocations += 1
        let tensor = try base.makeTensor(shape)
        tracked.removeAll { $0.tensor == nil }
        tracked.append(Tracked(tensor: tensor, bytes: shape.count * MemoryLayout<Float>.stride))
        peakBytes = max(peakBytes, liveBytes)
        return tensor
    }
    func upload(_ values: [Float], to tensor: Tensor) throws { uploads += 1; try base.upload(values, to: tensor) }
    func download(_ tensor: Tensor) throws -> [Float] { downloads += 1; return try base.download(tensor) }
    func synchronize() throws { try base.synchronize() }
    func execute(_ op: DeviceOp) throws {
        switch op {
        case .dot: dots += 1
        case .dotCoefficient: slotDots += 1
        default: break
        }
        try base.execute(op)
    }
    func makeLossSlots(count: Int) throws -> LossSlots { try base.makeLossSlots(count: count) }
    func readLosses(_ slots: LossSlots) throws -> [Double] { lossReads += 1; return try base.readLosses(slots) }
    func scratchFloats(sizes: [ImageSize], depth: Int, model: VGGModel) -> Int { base.scratchFloats(sizes: sizes, depth: depth, model: model) }
    var memory: DeviceMemory? { base.memory }
}
