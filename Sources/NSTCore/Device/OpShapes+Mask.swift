// OpShapes+Mask: the shape checks of the ops with a per-pixel map (`scaleByMask`, `temporalLoss`, `warp`), shared by the backends.

extension OpShapes {
    /// `tensor [C,H,W]` and `mask [H,W]`; returns the position count H*W.
    /// - Throws: `DeviceError.shapeMismatch` naming both shapes.
    public static func mask(_ op: String, tensor: Shape, mask: Shape) throws -> Int {
        guard tensor.rank == 3, mask.rank == 2, mask[0] == tensor[1], mask[1] == tensor[2] else {
            throw DeviceError.shapeMismatch(op: op, detail: "want tensor [C,H,W] and mask [H,W]; got tensor \(tensor), mask \(mask)")
        }
        return mask.count
    }

    /// `image`, `target` and `gradient` (if any) `[C,H,W]` alike and `weights [H,W]`;
    /// returns C, H, W.
    /// - Throws: `DeviceError.shapeMismatch` naming every shape.
    public static func temporal(_ op: String, image: Shape, target: Shape, weights: Shape, gradient: Shape?) throws -> (Int, Int, Int) {
        guard image.rank == 3, target == image, gradient == nil || gradient == image, weights.rank == 2,
              weights[0] == image[1], weights[1] == image[2] else {
            throw DeviceError.shapeMismatch(op: op, detail: "want image, target and gradient [C,H,W] alike and weights [H,W]; got image \(image), target \(target), weights \(weights)\(gradient.map { ", gradient \($0)" } ?? "")")
        }
        return (image[0], image[1], image[2])
    }

    /// `source` and `output` `[C,H,W]` alike and `flow [2,H,W]`; returns C, H, W.
    /// - Throws: `DeviceError.shapeMismatch` naming every shape.
    public static func warp(_ op: String, source: Shape, flow: Shape, output: Shape) throws -> (Int, Int, Int) {
        guard source.rank == 3, output == source, flow.rank == 3, flow[0] == 2, flow[1] == source[1], flow[2] == source[2] else {
            throw DeviceError.shapeMismatch(op: op, detail: "want source and output [C,H,W] alike and flow [2,H,W]; got source \(source), flow \(flow), output \(output)")
        }
        return (source[0], source[1], source[2])
    }
}
