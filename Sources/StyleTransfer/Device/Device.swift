// Device: the protocol every compute backend (CPU, OpenCL) implements; everything above is written once against it.

/// The kind of 2x2, stride-2 pooling after each VGG block.
public enum PoolKind: String, Sendable, CaseIterable {
    /// Maximum of each 2x2 window; the gradient goes to the first maximum in row-major order.
    case max
    /// Mean of each 2x2 window; the gradient is spread equally over its four inputs.
    case avg
}

/// A compute backend: memory management kept apart from the ops of style transfer.
///
/// Conventions shared by every op:
/// - Activations are `[C, H, W]`, row-major, one image (no batch dimension).
/// - "Overwrites" means the output's previous contents are ignored; "accumulates"
///   means the result is added to what the output holds.
/// - Shapes are checked before any work; a mismatch throws `DeviceError.shapeMismatch`
///   naming every shape involved. Tensors from another device throw `.foreignTensor`.
/// - Losses are returned unweighted, accumulated in at least single precision on the
///   device and returned as `Double`; their gradients are accumulated with a `scale`.
/// - Unless said otherwise, an op's output must not alias its inputs.
public protocol Device: AnyObject {
    /// A short, human-readable name ("cpu", "opencl: pthread-...").
    var name: String { get }

    // MARK: Memory

    /// Makes a tensor of `shape` on this device, filled with zeros.
    func makeTensor(_ shape: Shape) throws -> Tensor
    /// Copies `values` (exactly `tensor.count` floats, row-major) into `tensor`.
    func upload(_ values: [Float], to tensor: Tensor) throws
    /// Returns the contents of `tensor`, row-major.
    func download(_ tensor: Tensor) throws -> [Float]
    /// Sets every element of `tensor` to `value`.
    func fill(_ tensor: Tensor, with value: Float) throws
    /// Overwrites `destination` with `source` (same element count).
    func copy(_ source: Tensor, to destination: Tensor) throws
    /// Waits until every op issued so far has finished (a no-op on synchronous backends).
    /// Only timing code needs it: `download` and the losses already wait for their results.
    func synchronize() throws

    // MARK: Convolution

    /// Stride-1 convolution with zero padding `padding` on each side (1 for VGG's 3x3
    /// "same" convolutions, 0 for a "valid" convolution of any kernel size):
    /// `out[o,y,x] = bias[o] + sum_{i,ky,kx} w[o,i,ky,kx] * in[i, y+ky-p, x+kx-p]`
    /// (out-of-range input reads are 0).
    /// Shapes: input `[I,H,W]`, weight `[O,I,KH,KW]`, bias `[O]` or nil,
    /// output `[O, H+2p-KH+1, W+2p-KW+1]`. Overwrites `output`.
    func conv2d(input: Tensor, weight: Tensor, bias: Tensor?, output: Tensor, padding: Int) throws

    /// Gradient of `conv2d` with respect to its input:
    /// `dIn[i,y,x] = sum_{o,ky,kx} w[o,i,ky,kx] * dOut[o, y-ky+p, x-kx+p]`.
    /// Shapes as in `conv2d` (`outputGradient` like `output`, `inputGradient` like `input`).
    /// Overwrites `inputGradient`.
    func conv2dInputGradient(outputGradient: Tensor, weight: Tensor, inputGradient: Tensor, padding: Int) throws

    /// Gradients of `conv2d` with respect to its weight and bias:
    /// `dW[o,i,ky,kx] = sum_{y,x} dOut[o,y,x] * in[i, y+ky-p, x+kx-p]`, `dB[o] = sum_{y,x} dOut[o,y,x]`.
    /// Shapes as in `conv2d`. Overwrites `weightGradient` and `biasGradient` (when given).
    func conv2dWeightGradient(input: Tensor, outputGradient: Tensor, weightGradient: Tensor,
                              biasGradient: Tensor?, padding: Int) throws

    // MARK: ReLU

    /// `out = max(in, 0)` elementwise; any shape, `output` the same shape. Overwrites
    /// `output`, which may be the same tensor as `input` (in place).
    func relu(input: Tensor, output: Tensor) throws

    /// Gradient of ReLU: `dIn = dOut` where `out > 0`, else 0, given the forward
    /// `output`. All three the same shape. Overwrites `inputGradient`, which may be the
    /// same tensor as `outputGradient`.
    func reluGradient(output: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws

    // MARK: Pooling

    /// 2x2 pooling with stride 2: input `[C,H,W]` (H, W >= 2), output `[C, H/2, W/2]`
    /// (rounded down: an odd last row or column is dropped, as in PyTorch).
    /// Max: `out = max of the window`; avg: `out = mean of the window`. Overwrites `output`.
    func pool2x2(_ kind: PoolKind, input: Tensor, output: Tensor) throws

    /// Gradient of `pool2x2`, given the forward `input`: max sends each `dOut` to the
    /// first maximum of its window (row-major order), avg sends `dOut/4` to each of the
    /// four inputs; a dropped odd row or column gets 0. Overwrites `inputGradient`.
    func pool2x2Gradient(_ kind: PoolKind, input: Tensor, outputGradient: Tensor, inputGradient: Tensor) throws

    // MARK: Gram matrix and losses

    /// Gram matrix `G = A A^T / (H W)` where `A` is the `[C, H*W]` view of `input [C,H,W]`.
    /// Output `[C,C]`. Overwrites `output`.
    func gram(input: Tensor, output: Tensor) throws

    /// Content loss `J = 1/(4 C H W) * sum (target - generated)^2` for activations
    /// `[C,H,W]` of equal shape. Returns J (unweighted). When `gradient` (shape of
    /// `generated`) is given, accumulates `scale * dJ/dgenerated`, where
    /// `dJ/dgenerated = (generated - target) / (2 C H W)`.
    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float) throws -> Double

    /// Style loss of one layer `J = 1/(4 C^2) * sum_ij (Gram(generated) - targetGram)_ij^2`
    /// for `generated [C,H,W]` and `targetGram [C,C]` (which may come from an image of
    /// another size). Returns J (unweighted). When `gradient` (shape of `generated`) is
    /// given, accumulates `scale * dJ/dA = scale * (Gram(A) - T) A / (C^2 H W)`
    /// (T symmetric).
    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float) throws -> Double

    /// Total variation of an image `[C,H,W]`:
    /// `J = sum_{c,y,x} (x[c,y,x+1] - x[c,y,x])^2 + (x[c,y+1,x] - x[c,y,x])^2`
    /// (terms whose neighbour falls outside the image are absent). Returns J. When
    /// `gradient` (same shape) is given, accumulates `scale * dJ/dx`.
    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float) throws -> Double

    // MARK: Loss values read together

    /// Room for `count` loss values that the `into:at:` forms of the losses leave on the
    /// device and `readLosses` fetches in one transfer. The losses accumulate their
    /// gradients as the returning forms do.
    func makeLossSlots(count: Int) throws -> LossSlots
    /// `contentLoss`, its value left in slot `index` of `slots` (made by this device).
    func contentLoss(generated: Tensor, target: Tensor, gradient: Tensor?, scale: Float,
                     into slots: LossSlots, at index: Int) throws
    /// `styleLoss`, its value left in slot `index` of `slots` (made by this device).
    func styleLoss(generated: Tensor, targetGram: Tensor, gradient: Tensor?, scale: Float,
                   into slots: LossSlots, at index: Int) throws
    /// `totalVariationLoss`, its value left in slot `index` of `slots` (made by this device).
    func totalVariationLoss(image: Tensor, gradient: Tensor?, scale: Float, into slots: LossSlots, at index: Int) throws
    /// The values of every slot (waits for the device; one transfer). A slot no loss wrote
    /// since the slots were made reads 0.
    func readLosses(_ slots: LossSlots) throws -> [Double]

    // MARK: Input normalisation

    /// `out[c,y,x] = (in[c,y,x] - mean[c]) / std[c]` for `[C,H,W]` tensors, `mean` and
    /// `std` of length C. Overwrites `output`.
    func normalize(input: Tensor, output: Tensor, mean: [Float], std: [Float]) throws

    /// Gradient of `normalize`: `dIn[c,y,x] = dOut[c,y,x] / std[c]`. Overwrites `inputGradient`.
    func normalizeGradient(outputGradient: Tensor, inputGradient: Tensor, std: [Float]) throws

    // MARK: Vector ops for the optimisers (any shapes with equal element counts)

    /// `y += alpha * x`. Accumulates into `y`.
    func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) throws
    /// `x *= alpha` in place.
    func scale(_ x: Tensor, by alpha: Float) throws
    /// `sum x[i] * y[i]`, accumulated in at least single precision, returned as Double.
    /// Waits for the device: use the slot form where only device ops need the value.
    func dot(_ x: Tensor, _ y: Tensor) throws -> Double
    /// `slots[index] = scale * sum x[i] * y[i]`, left on the device (stored in single
    /// precision; nothing waits for it): coefficients such as L-BFGS's two-loop ones, which
    /// only later device ops read. `slots` is any tensor with more than `index` elements.
    func dot(_ x: Tensor, _ y: Tensor, scale: Double, into slots: Tensor, at index: Int) throws
    /// `y += c * x` with `c = sum of factor * slots[slot] over terms` (one or two terms),
    /// the coefficient read on the device. Accumulates into `y`.
    func axpy(_ terms: [SlotTerm], slots: Tensor, _ x: Tensor, _ y: Tensor) throws
    /// One Adam update (Kingma & Ba, with bias correction), in place on `parameter`,
    /// `m` and `v`, for step number `step` (1-based):
    /// `m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;`
    /// `x -= lr * (m / (1 - b1^step)) / (sqrt(v / (1 - b2^step)) + eps)`.
    func adamStep(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor,
                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) throws
}

extension Device {
    /// Synchronous backends have nothing to wait for.
    public func synchronize() throws {}
}
