// TemporalTerm: video's temporal consistency term (Ruder et al. 2016), tau J_temporal, on the image itself, with the previous results warped into this frame as its targets.
import NSTCore
import NSTImages

/// One earlier frame's result as a target of the temporal term, at the image's size: the
/// result warped into the current frame, and the per-pixel weight `c` of each of its
/// pixels (1 where the flow is reliable, 0 at disocclusions and motion boundaries, or the
/// long-term weights of docs/MATH.md section 11).
public struct TemporalTarget: Sendable {
    /// The earlier result warped into this frame.
    public var warped: Image
    /// `warped.width * warped.height` weights, row-major.
    public var weights: [Float]

    /// - Throws: `DeviceError.invalidArgument` unless there is one weight per pixel.
    public init(warped: Image, weights: [Float]) throws {
        guard weights.count == warped.planeCount else {
            throw DeviceError.invalidArgument(op: "TemporalTarget", detail: "\(weights.count) weights for a \(warped.width)x\(warped.height) image")
        }
        self.warped = warped
        self.weights = weights
    }

    /// The target at another size: the image resized as the content is, the weights
    /// resampled bilinearly (a weight between 0 and 1 at a boundary is kept as it is).
    public func resized(width: Int, height: Int) throws -> TemporalTarget {
        guard width != warped.width || height != warped.height else { return self }
        let image = try warped.resized(width: width, height: height)
        let plane = try Image(width: warped.width, height: warped.height, pixels: weights + weights + weights)
        let scaled = try plane.resized(width: width, height: height).pixels.prefix(width * height).map { min(max($0, 0), 1) }
        return try TemporalTarget(warped: image, weights: Array(scaled))
    }
}

/// `J_temporal = sum_j 1/D sum_{c,y,x} c_j[y,x] (x - w_j)^2` over the targets j (D = pixels
/// times channels), each target's sum a `DeviceOp.temporalLoss`. It acts on the image the
/// optimiser changes (not on activations), so its gradient joins dJ/dx directly, scaled by
/// tau (`LossWeights.temporal`), and a tiled evaluation computes it on the whole image
/// exactly as the whole-image one does.
public final class TemporalTerm {
    /// Each target's warped image `[3,H,W]` and weights `[H,W]` on the device.
    private let targets: [(warped: Tensor, weights: Tensor)]

    /// Uploads `targets` (each of the image's size) to `device`.
    /// - Throws: `DeviceError.invalidArgument` for a target of another size; device errors.
    public init(device: any Device, targets: [TemporalTarget], height: Int, width: Int) throws {
        self.targets = try targets.map { target in
            guard target.warped.width == width, target.warped.height == height else {
                throw DeviceError.invalidArgument(op: "TemporalTerm", detail: "a \(target.warped.width)x\(target.warped.height) target for a \(width)x\(height) image")
            }
            let warped = try device.makeTensor(Shape(3, height, width)), weights = try device.makeTensor(Shape(height, width))
            try device.upload(target.warped.pixels, to: warped)
            try device.upload(target.weights, to: weights)
            return (warped, weights)
        }
    }

    /// The loss slots the term needs (one per target).
    public var slotCount: Int { targets.count }

    /// Queues each target's loss into `slots[first + j]` and adds `tau` times its gradient into `gradient`.
    public func apply(image: Tensor, gradient: Tensor, tau: Double, slots: LossSlots, first: Int, device: any Device) throws {
        for (j, target) in targets.enumerated() {
            try device.execute(.temporalLoss(image: image, target: target.warped, weights: target.weights, gradient: gradient,
                                             scale: Float(tau), slots: slots, index: first + j))
        }
    }

    /// J_temporal from the slots' values.
    public func value(_ values: [Double], first: Int) -> Double {
        (0..<targets.count).reduce(0) { $0 + values[first + $1] }
    }
}
