// IterateAverage: the bias-corrected exponential moving average of a stage's images, kept on the device.
import Foundation
import NSTCore

/// The bias-corrected exponential moving average of the images of one stage, as
/// style-transfer-pytorch keeps it (docs/MATH.md, "Iterate averaging"). With decay `d` and
/// the stage's images `x_0` (its start) to `x_k`:
///
///     a_0 = (1 - d) x_0,   a_k = d a_{k-1} + (1 - d) x_k,   average_k = a_k / (1 - d^(k+1))
///
/// Only the corrected average is kept, in one tensor on the device:
/// `average_k = w_k average_{k-1} + (1 - w_k) x_k` with `w_k = d (1 - d^k) / (1 - d^(k+1))`,
/// which is the same number without a second image-sized buffer and with no division left
/// for whoever reads it. An update is a `scale` and an `axpy`; the host only computes `w_k`.
public final class IterateAverage {
    /// The backend holding the average.
    public let device: any Device
    /// The decay rate `d`, 0 <= d < 1.
    public let decay: Double
    /// The bias-corrected average of the images given since `restart` (meaningless before).
    public let average: Tensor
    /// The images averaged since the last `restart` (0: none yet).
    public private(set) var count = 0

    /// Allocates the average, shaped like the image.
    /// - Throws: `DeviceError.invalidArgument` unless `decay` is finite, 0 <= decay < 1.
    public init(device: any Device, shape: Shape, decay: Double) throws {
        guard decay >= 0, decay < 1 else {
            throw DeviceError.invalidArgument(op: "IterateAverage", detail: "the decay must be in [0, 1), got \(decay)")
        }
        self.device = device
        self.decay = decay
        average = try device.makeTensor(shape)
    }

    /// Starts a new average whose first image is `x` (a stage's start).
    public func restart(from x: Tensor) throws {
        try device.copy(x, to: average)
        count = 1
    }

    /// Adds the next image `x` (after a `restart`; without one, `x` starts the average).
    public func add(_ x: Tensor) throws {
        guard count > 0 else { return try restart(from: x) }
        let w = Self.weight(decay: decay, count: count + 1)
        try device.execute(.scale(average, by: Float(w)))
        // The complement of the rounded weight, so that the two float weights sum to 1 as nearly
        // as float allows: a constant image then stays constant to about 1e-7 over any run,
        // instead of drifting by the rounding of two independent decimal weights.
        try device.execute(.axpy(alpha: Float(1 - Double(Float(w))), x: x, y: average))
        count += 1
    }

    /// `w` for the `n`-th image (n >= 2): `d (1 - d^(n-1)) / (1 - d^n)`, the share the
    /// average of the first n - 1 images keeps.
    static func weight(decay d: Double, count n: Int) -> Double {
        d * oneMinusPower(d, n - 1) / oneMinusPower(d, n)
    }

    /// `1 - d^n` without the cancellation of `1 - pow(d, n)` when d is close to 1.
    static func oneMinusPower(_ d: Double, _ n: Int) -> Double {
        d > 0 ? -expm1(Double(n) * log(d)) : (n > 0 ? 1 : 0)
    }
}
