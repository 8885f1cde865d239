// Device: the protocol every compute backend (CPU, OpenCL) implements; everything above is written once against it.

/// A compute backend: memory, loss read-back, and one entry point for every op.
///
/// The ops are values (`DeviceOp`), so a wrapper that times or counts them forwards
/// `execute` alone, and adding an op touches `DeviceOp`, each backend and its kernel only.
/// Geometry the backends share (shape checks, convolution bands) lives in `OpShapes` and
/// `ConvBands`; each backend reports its own scratch memory (`scratchFloats`).
///
/// A device may be handed from thread to thread, but its ops are issued from one thread
/// at a time (the evaluation that owns it).
public protocol Device: AnyObject, Sendable {
    /// A short, human-readable name ("cpu", "opencl: pthread-...").
    var name: String { get }

    /// Makes a tensor of `shape` on this device, filled with zeros.
    func makeTensor(_ shape: Shape) throws -> Tensor
    /// Copies `values` (exactly `tensor.count` floats, row-major) into `tensor`.
    func upload(_ values: [Float], to tensor: Tensor) throws
    /// Returns the contents of `tensor`, row-major (waits for the ops that write it).
    func download(_ tensor: Tensor) throws -> [Float]
    /// Waits until every op issued so far has finished (a no-op on synchronous backends).
    /// Only timing code needs it: `download` and `readLosses` already wait for their results.
    func synchronize() throws

    /// Runs one op (see `DeviceOp` for each op's definition, shapes and conventions).
    func execute(_ op: DeviceOp) throws

    /// Room for `count` scalar results (losses, dot products) that ops leave on the device
    /// and `readLosses` fetches in one transfer.
    func makeLossSlots(count: Int) throws -> LossSlots
    /// The values of every slot, in double precision (waits for the device; one transfer).
    /// A slot no op wrote since the slots were made reads 0.
    func readLosses(_ slots: LossSlots) throws -> [Double]

    /// Floats of scratch memory this backend keeps inside its ops for the convolutions and
    /// Gram products of `model` on images of `sizes`, cut after `depth` layers: what no
    /// tensor shows but the device must hold (used by `MemoryEstimate`).
    func scratchFloats(sizes: [ImageSize], depth: Int, model: VGGModel) -> Int
    /// The memory this backend can give a run, or nil when unknown.
    var memory: DeviceMemory? { get }
}

/// A backend that can give up memory it keeps for speed (caches), when a run's memory
/// budget asks for it (`TilePlanner`).
public protocol MemoryTrading: Device {
    /// Frees and stops using what it keeps for speed; false when nothing is left to give up.
    func tradeSpeedForMemory() -> Bool
}

/// How much memory a device has and how to name it in a message.
public struct DeviceMemory: Equatable, Sendable {
    /// Bytes the device can hold.
    public let bytes: Int
    /// The device as a message names it ("the CPU backend", "OpenCL device '...'").
    public let label: String
    /// Whether the device's memory is the host's, so the decoded images count against it too.
    public let isHostMemory: Bool

    public init(bytes: Int, label: String, isHostMemory: Bool) {
        self.bytes = bytes
        self.label = label
        self.isHostMemory = isHostMemory
    }
}

extension Device {
    /// Synchronous backends have nothing to wait for.
    public func synchronize() throws {}

    /// Sets every element of `tensor` to `value`.
    public func fill(_ tensor: Tensor, with value: Float) throws { try execute(.fill(tensor, value: value)) }
    /// Overwrites `destination` with `source` (same element count).
    public func copy(_ source: Tensor, to destination: Tensor) throws { try execute(.copy(source, to: destination)) }
}

extension Device {
    /// `scratchFloats` for VGG-19.
    public func scratchFloats(sizes: [ImageSize], depth: Int) -> Int {
        scratchFloats(sizes: sizes, depth: depth, model: .vgg19)
    }
}
