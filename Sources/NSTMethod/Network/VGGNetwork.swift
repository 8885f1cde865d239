// VGGNetwork: the VGG-19 stack cut after its deepest used layer, with its weights resident on a device.
import NSTCore
import NSTWeights

/// A VGG convolution stack (the weights' model) up to `depth` layers, its weights uploaded to `device`.
///
/// The network is written against the `Device` protocol only, so the same code runs on
/// every backend. Activations live in a `VGGWorkspace`, one per image size.
public final class VGGNetwork {
    /// The backend holding the weights and running the ops.
    public let device: any Device
    /// Max or average 2x2 pooling after each block.
    public let pooling: PoolKind
    /// Per-channel mean and standard deviation of the input normalisation.
    public let mean: [Float], std: [Float]
    /// Number of layers run: the deepest layer in use is `model.layers[depth - 1]`.
    public let depth: Int
    /// VGG-19 or VGG-16, as the weights are.
    public let model: VGGModel
    /// Weight `[out,in,3,3]` and bias `[out]` per convolution, by layer index.
    let convs: [Int: (weight: Tensor, bias: Tensor)]

    /// Uploads `weights` for the first `depth` layers.
    /// - Throws: `WeightsError` when a convolution's weights are missing, device errors.
    public init(device: any Device, weights: VGGWeights, pooling: PoolKind, depth: Int) throws {
        let model = weights.model
        guard depth >= 1, depth <= model.layers.count else {
            throw DeviceError.invalidArgument(op: "VGGNetwork", detail: "depth must be in 1...\(model.layers.count), got \(depth)")
        }
        self.model = model
        self.device = device
        self.pooling = pooling
        self.mean = weights.mean
        self.std = weights.std
        self.depth = depth
        var convs: [Int: (Tensor, Tensor)] = [:]
        for index in model.convIndices(depth: depth) {
            guard case let .conv(inC, outC) = model.layers[index].kind else { continue }
            guard let conv = weights.convs[index] else {
                throw WeightsError(file: weights.source, key: "features.\(index).weight",
                                   problem: "missing (needed by \(model.layers[index].name))")
            }
            let w = try device.makeTensor(Shape(outC, inC, 3, 3))
            let b = try device.makeTensor(Shape(outC))
            try device.upload(conv.weight, to: w)
            try device.upload(conv.bias, to: b)
            convs[index] = (w, b)
        }
        self.convs = convs
    }
}
