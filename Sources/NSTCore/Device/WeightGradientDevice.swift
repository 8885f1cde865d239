// WeightGradientDevice: the convolution's weight and bias gradient, an op backends offer beside DeviceOp because no pipeline trains weights.

/// A backend that can also compute a convolution's weight and bias gradients. Style
/// transfer optimises pixels, never weights, so this op is kept out of `DeviceOp`; the
/// backends implement it for the tests' finite-difference checks and for tools.
public protocol WeightGradientDevice: Device {
    /// `dW[o,i,ky,kx] = sum_{y,x} dOut[o,y,x] * in[i, y+ky-p, x+kx-p]`, `dB[o] = sum_{y,x} dOut[o,y,x]`.
    /// Shapes as in `DeviceOp.conv2d`. Overwrites `weightGradient` and `biasGradient` (when given).
    func conv2dWeightGradient(input: Tensor, outputGradient: Tensor, weightGradient: Tensor,
                              biasGradient: Tensor?, padding: Int) throws
}
