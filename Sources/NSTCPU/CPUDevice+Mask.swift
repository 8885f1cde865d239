// CPUDevice+Mask: `DeviceOp.scaleByMask`, a spatial weight applied to every channel in place.
import NSTCore

extension CPUDevice {
    func scaleByMask(_ tensor: Tensor, mask: Tensor) throws {
        let op = "scaleByMask"
        let positions = try OpShapes.mask(op, tensor: tensor.shape, mask: mask.shape)
        let a = try ptr(tensor, op), m = try ptr(mask, op)
        Parallel.ranges(tensor.count) { r in for i in r { a[i] *= m[i % positions] } }
    }
}
