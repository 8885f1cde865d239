// OpShapes+Mask: the shape check of `DeviceOp.scaleByMask`, shared by the backends.

extension OpShapes {
    /// `tensor [C,H,W]` and `mask [H,W]`; returns the position count H*W.
    /// - Throws: `DeviceError.shapeMismatch` naming both shapes.
    public static func mask(_ op: String, tensor: Shape, mask: Shape) throws -> Int {
        guard tensor.rank == 3, mask.rank == 2, mask[0] == tensor[1], mask[1] == tensor[2] else {
            throw DeviceError.shapeMismatch(op: op, detail: "want tensor [C,H,W] and mask [H,W]; got tensor \(tensor), mask \(mask)")
        }
        return mask.count
    }
}
