// DeviceOp: every compute op of style transfer as a value, the one thing a backend executes and a wrapper forwards.

/// The kind of 2x2, stride-2 pooling after each VGG block.
public enum PoolKind: String, Sendable, CaseIterable {
    /// Maximum of each 2x2 window; the gradient goes to the first maximum in row-major order.
    case max
    /// Mean of each 2x2 window; the gradient is spread equally over its four inputs.
    case avg
}

/// One term `factor * coefficients[index]` of a coefficient that device ops read from a
/// tensor of scalars on the device (L-BFGS's two-loop coefficients), so the host never waits
/// for them.
public struct CoefficientTerm: Equatable, Sendable {
    /// The element of the coefficient tensor.
    public var index: Int
    /// What it is multiplied by.
    public var factor: Float

    public init(index: Int, factor: Float) {
        self.index = index
        self.factor = factor
    }
}

/// One op on device tensors. `Device.execute(_:)` runs it; wrappers (profiling, counting)
/// forward it whole, so a new op is added here, in each backend's `execute` and in its kernel.
///
/// Conventions shared by every op:
/// - Activations are `[C, H, W]`, row-major, one image (no batch dimension).
/// - "Overwrites" means the output's previous contents are ignored; "accumulates" means the
///   result is added to what the output holds.
/// - Shapes are checked before any work; a mismatch throws `DeviceError.shapeMismatch`
///   naming every shape involved. Tensors from another device throw `.foreignTensor`.
/// - Losses leave their unweighted value in a slot of a `LossSlots` (read back by
///   `Device.readLosses`) and accumulate `scale` times their gradient.
/// - Unless said otherwise, an op's output must not alias its inputs.
///
/// The formulas are those of docs/MATH.md.
public enum DeviceOp {
    // MARK: Memory

    /// Sets every element of `tensor` to `value`.
    case fill(Tensor, value: Float)
    /// Overwrites `destination` with `source` (same element count).
    case copy(Tensor, to: Tensor)

    /// Copies the window of `source [C,H,W]` whose top-left corner is row `y`, column `x`
    /// into `destination [C,h,w]` (the window must lie inside `source`). Overwrites
    /// `destination`. Tiled evaluation cuts a tile's interior out of an activation with it.
    case crop(Tensor, y: Int, x: Int, into: Tensor)
    /// Adds `source [C,h,w]` into the window of `destination [C,H,W]` whose top-left corner is
    /// row `y`, column `x` (inside `destination`): the adjoint of `crop`. Accumulates.
    case addWindow(Tensor, into: Tensor, y: Int, x: Int)

    // MARK: Convolution

    /// Stride-1 convolution with zero padding `padding` on each side (1 for VGG's 3x3 "same"
    /// convolutions, 0 for a "valid" convolution of any kernel size):
    /// `out[o,y,x] = bias[o] + sum_{i,ky,kx} w[o,i,ky,kx] * in[i, y+ky-p, x+kx-p]`
    /// (out-of-range input reads are 0). Shapes: input `[I,H,W]`, weight `[O,I,KH,KW]`, bias
    /// `[O]` or nil, output `[O, H+2p-KH+1, W+2p-KW+1]`. Overwrites `output`.
    case conv2d(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int)
    /// Gradient of `conv2d` with respect to its input:
    /// `dIn[i,y,x] = sum_{o,ky,kx} w[o,i,ky,kx] * dOut[o, y-ky+p, x-kx+p]`. Shapes as in
    /// `conv2d` (`outputGradient` like `output`, `inputGradient` like `input`). Overwrites
    /// `inputGradient`.
    case conv2dInputGradient(outputGradient: Tensor, weight: Tensor, inputGradient: Tensor, padding: Int)
    /// `conv2d` then `relu` in one op: `out = relu(conv2d(in, w) + bias)`, bit for bit what
    /// the two ops give. Backends apply the ReLU in the convolution's last pass where they
    /// can, which saves a pass over the output. Shapes as in `conv2d`.
    case conv2dReLU(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int)
    /// `conv2dInputGradient` then the gradient of the ReLU that produced the convolution's
    /// input, in one op: `dIn = conv2dInputGradient(dOut)` where `input > 0`, else 0, bit for
    /// bit what `conv2dInputGradient` and `reluGradient(output: input, ...)` give. `input` is
    /// the convolution's forward input (a ReLU output), shaped like `inputGradient`, which it
    /// must not be.
    case conv2dInputGradientReLU(outputGradient: Tensor, weight: Tensor, input: Tensor, inputGradient: Tensor, padding: Int)

    // MARK: ReLU and pooling

    /// `out = max(in, 0)` elementwise; any shape. Overwrites `output`, which may be `input`.
    case relu(input: Tensor, output: Tensor)
    /// `dIn = dOut` where the forward `output > 0`, else 0. All three the same shape.
    /// Overwrites `inputGradient`, which may be `outputGradient`.
    case reluGradient(output: Tensor, outputGradient: Tensor, inputGradient: Tensor)
    /// 2x2 pooling with stride 2: input `[C,H,W]` (H, W >= 2), output `[C, H/2, W/2]`
    /// (an odd last row or column is dropped). Overwrites `output`.
    case pool2x2(PoolKind, input: Tensor, output: Tensor)
    /// Gradient of `pool2x2` given the forward `input`: max sends each `dOut` to the first
    /// maximum of its window (row-major order), avg sends `dOut/4` to each of the four
    /// inputs; a dropped odd row or column gets 0. Overwrites `inputGradient`.
    case pool2x2Gradient(PoolKind, input: Tensor, outputGradient: Tensor, inputGradient: Tensor)

    // MARK: Input normalisation

    /// `out[c,y,x] = (in[c,y,x] - mean[c]) / std[c]`; `mean` and `std` of length C.
    /// Overwrites `output`.
    case normalize(input: Tensor, output: Tensor, mean: [Float], std: [Float])
    /// `dIn[c,y,x] = dOut[c,y,x] / std[c]`. Overwrites `inputGradient`.
    case normalizeGradient(outputGradient: Tensor, inputGradient: Tensor, std: [Float])

    // MARK: Gram matrix and losses

    /// `G = A A^T / (H W)` where `A` is the `[C, H*W]` view of `input [C,H,W]`. Output `[C,C]`.
    /// Overwrites `output`.
    case gram(input: Tensor, output: Tensor)
    /// Content loss `J = 1/(4 C H W) * sum (target - generated)^2` of equal-shaped
    /// activations into `slots[index]`; when `gradient` is given, accumulates
    /// `scale * (generated - target) / (2 C H W)` into it.
    case contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float, slots: LossSlots, index: Int)
    /// Style loss of one layer `J = 1/(4 C^2) * sum_ij (Gram(generated) - targetGram)_ij^2`
    /// into `slots[index]` (`targetGram [C,C]` may come from an image of another size); when
    /// `gradient` is given, accumulates `scale * (Gram(A) - T) A / (C^2 H W)` into it.
    case styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float, slots: LossSlots, index: Int)
    /// Total variation of an image `[C,H,W]`,
    /// `J = sum_{c,y,x} (x[c,y,x+1] - x[c,y,x])^2 + (x[c,y+1,x] - x[c,y,x])^2` (terms whose
    /// neighbour falls outside are absent), into `slots[index]`; when `gradient` is given,
    /// accumulates `scale * dJ/dx` into it.
    case totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float, slots: LossSlots, index: Int)
    /// `inputGradient += scale * G A` for `input [C,H,W]` (A its `[C, H*W]` view) and a
    /// symmetric `[C,C]` matrix G: the gradient of a loss through a Gram product when
    /// `G` is the loss's gradient with respect to the Gram matrix (times the caller's
    /// normalisation). Tiled evaluation applies the global Gram difference with it.
    case gramGradient(input: Tensor, gramGradient: Tensor, inputGradient: Tensor, scale: Float)
    /// L1 total variation of an image `[C,H,W]`,
    /// `J = sum_{c,y,x} |x[c,y,x+1] - x[c,y,x]| + |x[c,y+1,x] - x[c,y,x]|` (terms whose
    /// neighbour falls outside are absent), into `slots[index]`; when `gradient` is given,
    /// accumulates `scale * dJ/dx` into it, with `d|d|/dd = sign(d)` and `sign(0) = 0`
    /// (neural-style's TV, on its preprocessed image; docs/MATH.md section 10).
    case totalVariationL1Loss(image: Tensor, gradient: Tensor?, scale: Float, slots: LossSlots, index: Int)
    /// `tensor[c,y,x] *= mask[y,x]` in place for `tensor [C,H,W]` and `mask [H,W]`: a
    /// spatial weight on every channel (guided Gram matrices, masked content). The op is
    /// linear in `tensor` and self-adjoint, so it is also its own gradient.
    case scaleByMask(Tensor, mask: Tensor)
    /// Temporal loss of video (Ruder et al. 2016), a masked squared difference: for an
    /// `image [C,H,W]`, a `target` of the same shape (the previous frame's result warped to
    /// this one) and per-pixel `weights [H,W]` (1 where the flow is reliable, 0 elsewhere),
    /// `J = 1/(C H W) * sum_{c,y,x} weights[y,x] (image - target)^2` into `slots[index]`; when
    /// `gradient` is given, accumulates `scale * 2 weights (image - target) / (C H W)` into it.
    case temporalLoss(image: Tensor, target: Tensor, weights: Tensor, gradient: Tensor?, scale: Float, slots: LossSlots, index: Int)
    /// `sum x[i] * y[i]` (any shapes of equal element count) into `slots[index]`, accumulated
    /// as precisely as the losses.
    case dot(Tensor, Tensor, slots: LossSlots, index: Int)

    /// Bilinear backward warp of `source [C,H,W]` by `flow [2,H,W]` (x displacements, then y):
    /// `out[c,y,x]` is `source[c]` sampled at `(x + flow[0,y,x], y + flow[1,y,x])`, the four
    /// neighbours weighted bilinearly and those outside the image read as 0. `output` has
    /// `source`'s shape and is overwritten. Video warps the previous frame's result into the
    /// current frame with it (the flow from the current frame back to the previous one).
    case warp(source: Tensor, flow: Tensor, output: Tensor)

    // MARK: Vector ops for the optimisers (any shapes with equal element counts)

    /// `y += alpha * x`.
    case axpy(alpha: Float, x: Tensor, y: Tensor)
    /// `x *= alpha` in place.
    case scale(Tensor, by: Float)
    /// `coefficients[index] = scale * sum x[i] * y[i]`, left on the device in single precision
    /// for later ops to read (`coefficients` is any tensor with more than `index` elements).
    case dotCoefficient(Tensor, Tensor, scale: Double, coefficients: Tensor, index: Int)
    /// `y += c * x` with `c = sum of the terms` (one or two), read on the device.
    case axpyCoefficients([CoefficientTerm], coefficients: Tensor, x: Tensor, y: Tensor)
    /// One Adam update (Kingma & Ba, with bias correction), in place on `parameter`, `m` and
    /// `v`, for step number `step` (1-based):
    /// `m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; x -= lr (m / (1 - b1^step)) / (sqrt(v / (1 - b2^step)) + eps)`.
    case adamStep(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int)
}
