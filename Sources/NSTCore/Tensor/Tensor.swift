// Tensor: a shape plus backend-owned storage; the bytes live wherever the device keeps them.

/// Backend-specific memory behind a tensor (host memory, an OpenCL buffer, ...).
///
/// Each `Device` defines its own storage class and refuses tensors whose storage it
/// did not make.
public protocol TensorStorage: AnyObject, Sendable {}

/// A dense float32 tensor resident on one device.
///
/// A tensor is made by `Device.makeTensor(_:)` and can only be used with the device
/// that made it. Its contents are read and written through the device
/// (`upload`, `download`, `fill`) so that host and device memory stay apart.
public final class Tensor: Sendable {
    /// The tensor's dimensions.
    public let shape: Shape
    /// The device-owned memory holding `shape.count` floats.
    public let storage: TensorStorage

    /// Wraps storage made by a device. Only devices call this.
    public init(shape: Shape, storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements.
    public var count: Int { shape.count }
}
