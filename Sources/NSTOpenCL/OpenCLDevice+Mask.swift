// OpenCLDevice+Mask: `DeviceOp.scaleByMask` through the `scale_by_mask` kernel of elementwise.cl.
import NSTCore

extension OpenCLDevice {
    func scaleByMask(_ tensor: Tensor, mask: Tensor) throws {
        let op = "scaleByMask"
        let positions = try OpShapes.mask(op, tensor: tensor.shape, mask: mask.shape)
        try run("elementwise", "scale_by_mask", count: tensor.count, [
            .buffer(try buffer(tensor, op)), .buffer(try buffer(mask, op)), .int(positions), .int(tensor.count)])
    }
}
