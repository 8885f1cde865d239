// DeviceError: the errors every backend throws for bad shapes, bad arguments and backend failures.
import Foundation


/// An error thrown by a `Device` operation, worded for the person running the tool.
public enum DeviceError: Error, CustomStringConvertible, Equatable {
    /// The shapes given to an op do not fit together; the message names each shape.
    case shapeMismatch(op: String, detail: String)
    /// An argument is out of range (a negative padding, an empty tensor, ...).
    case invalidArgument(op: String, detail: String)
    /// A tensor made by another device was passed to this one.
    case foreignTensor(op: String, device: String)
    /// Memory for a tensor could not be had.
    case outOfMemory(bytes: Int, device: String, hint: String)
    /// The backend itself failed (an OpenCL status, a BLAS error, ...).
    case backend(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, detail): return "\(op): shape mismatch: \(detail)"
        case let .invalidArgument(op, detail): return "\(op): \(detail)"
        case let .foreignTensor(op, device): return "\(op): tensor was not made by device \(device)"
        case let .outOfMemory(bytes, device, hint):
            let mib = Double(bytes) / 1_048_576
            return "out of memory on \(device): could not allocate \(String(format: "%.1f", mib)) MiB; \(hint)"
        case let .backend(message): return message
        }
    }
}
