// VGGWorkspace: the activation tape and gradient buffers of one image size, allocated once and reused.
import NSTCore

/// Device buffers for running a `VGGNetwork` on images of one size: the normalised input,
/// one activation per layer (the tape), and gradient buffers for the backward pass.
///
/// Everything is allocated in `init`; `forward` and `backward` allocate nothing, so an
/// optimisation loop reuses the same memory on every iteration.
///
/// Memory: a ReLU runs in place on its convolution's output (the ReLU gradient needs only
/// the ReLU's output), unless the convolution's own activation is read by a loss. Gradients
/// use two buffers per distinct shape, alternating as the backward pass walks down.
public final class VGGWorkspace {
    /// The network whose activations these buffers hold.
    public let network: VGGNetwork
    /// The image size the buffers are made for.
    public let height: Int, width: Int
    /// The normalised image `(x - mean) / std` the network sees.
    let normalized: Tensor
    /// Output of each layer `0..<depth` (a ReLU's entry may be its convolution's tensor).
    let activations: [Tensor]
    /// Two gradient buffers per shape, for the backward walk.
    private let gradientBuffers: [Shape: [Tensor]]
    /// A stop request checked between layers: when it is overdue, `forward` and `backward`
    /// throw `StopInterruption` instead of running on (views made by `sized` share it).
    var stop: StopRequest?

    /// Allocates buffers for `height x width` images.
    /// - Parameter keepConvOutputs: layer indices of convolutions whose output a loss reads
    ///   (their ReLU then writes to a separate tensor).
    /// - Throws: `DeviceError.invalidArgument` when the image is too small for a pooling
    ///   layer in use; allocation errors.
    public init(network: VGGNetwork, height: Int, width: Int, keepConvOutputs: Set<Int> = []) throws {
        let device = network.device
        let (shapes, tooSmallAt) = network.model.shapes(height: height, width: width, depth: network.depth)
        if let tooSmallAt {
            throw DeviceError.invalidArgument(op: network.model.description, detail:
                "an image of \(width)x\(height) pixels is too small for \(tooSmallAt) (needs 2x2 pixels there); use a larger size or shallower layers")
        }
        self.network = network
        self.height = height
        self.width = width
        normalized = try device.makeTensor(Shape(3, height, width))
        var activations: [Tensor] = []
        for (i, layer) in network.model.layers.prefix(network.depth).enumerated() {
            if layer.kind == .relu, !keepConvOutputs.contains(i - 1) {
                activations.append(activations[i - 1])
            } else {
                activations.append(try device.makeTensor(shapes[i]))
            }
        }
        self.activations = activations
        var buffers: [Shape: [Tensor]] = [:]
        for shape in [Shape(3, height, width)] + shapes where buffers[shape] == nil {
            buffers[shape] = [try device.makeTensor(shape), try device.makeTensor(shape)]
        }
        gradientBuffers = buffers
    }

    /// A workspace for `height x width` images (at most this workspace's size) that shares
    /// this one's memory: each buffer is the prefix of the corresponding larger one, so tiles
    /// of different sizes run in one allocation. Only one of the two may be used at a time.
    /// - Throws: `DeviceError.invalidArgument` when the size is larger than this workspace's
    ///   or too small for a pooling layer in use.
    public func sized(height: Int, width: Int) throws -> VGGWorkspace {
        guard height <= self.height, width <= self.width else {
            throw DeviceError.invalidArgument(op: "VGG-19", detail: "a \(width)x\(height) view of a \(self.width)x\(self.height) workspace")
        }
        let (shapes, tooSmallAt) = VGG19.shapes(height: height, width: width, depth: network.depth)
        if let tooSmallAt {
            throw DeviceError.invalidArgument(op: "VGG-19", detail:
                "an image of \(width)x\(height) pixels is too small for \(tooSmallAt) (needs 2x2 pixels there); use a larger size or shallower layers")
        }
        func view(_ tensor: Tensor, _ shape: Shape) -> Tensor { Tensor(shape: shape, storage: tensor.storage) }
        // Each new shape takes the buffers of the layer shape it shrinks from.
        var buffers: [Shape: [Tensor]] = [:]
        let oldShapes = [Shape(3, self.height, self.width)] + activations.map(\.shape)
        let newShapes = [Shape(3, height, width)] + shapes
        for (old, new) in zip(oldShapes, newShapes) where buffers[new] == nil {
            guard let pair = gradientBuffers[old] else { continue }
            buffers[new] = pair.map { view($0, new) }
        }
        let sized = VGGWorkspace(network: network, height: height, width: width, normalized: view(normalized, Shape(3, height, width)),
                                 activations: zip(activations, shapes).map { view($0, $1) }, gradientBuffers: buffers)
        sized.stop = stop
        return sized
    }

    private init(network: VGGNetwork, height: Int, width: Int, normalized: Tensor, activations: [Tensor],
                 gradientBuffers: [Shape: [Tensor]]) {
        self.network = network
        self.height = height
        self.width = width
        self.normalized = normalized
        self.activations = activations
        self.gradientBuffers = gradientBuffers
    }

    /// The output of layer `index` after the last `forward`.
    public func activation(_ index: Int) -> Tensor { activations[index] }

    /// Runs the network on `image` (`[3,H,W]`, values in [0,1]), filling the tape.
    public func forward(image: Tensor) throws {
        let device = network.device
        try device.execute(.normalize(input: image, output: normalized, mean: network.mean, std: network.std))
        var input = normalized
        for (i, layer) in network.model.layers.prefix(network.depth).enumerated() {
            try stop?.checkOverdue()
            let output = activations[i]
            switch layer.kind {
            case .conv:
                guard let conv = network.convs[i] else { continue }
                if fusesReLU(after: i) {
                    try device.execute(.conv2dReLU(input: input, weight: conv.weight, bias: conv.bias, output: output, padding: 1))
                } else {
                    try device.execute(.conv2d(input: input, weight: conv.weight, bias: conv.bias, output: output, padding: 1))
                }
            case .relu:
                // Done in place by the convolution below it when that fused it.
                if !fusesReLU(after: i - 1) { try device.execute(.relu(input: input, output: output)) }
            case .pool:
                try device.execute(.pool2x2(network.pooling, input: input, output: output))
            }
            input = output
        }
    }

    /// Back-propagates from the layers a loss reads down to the [0,1] image, after `forward`.
    ///
    /// Walking from the deepest layer down, `inject(layer, gradient)` is called once for
    /// each index in `tapped`: it must *accumulate* `dJ/d activation(layer)` into
    /// `gradient` (the losses' gradients do exactly that). `imageGradient` (`[3,H,W]`) is
    /// overwritten with `dJ/dx`. `injectInput`, when given, is called last with the
    /// network's input `x_net` and the gradient with respect to it, into which it may
    /// accumulate the gradient of a loss on `x_net` (neural-style's TV).
    public func backward(tapped: Set<Int>, imageGradient: Tensor,
                         injectInput: ((_ input: Tensor, _ gradient: Tensor) throws -> Void)? = nil,
                         inject: (_ layer: Int, _ gradient: Tensor) throws -> Void) throws {
        let device = network.device
        let top = network.depth - 1
        var gradient = try buffer(for: activations[top].shape, avoiding: nil)
        try device.fill(gradient, with: 0)
        for i in stride(from: top, through: 0, by: -1) {
            try stop?.checkOverdue()
            if tapped.contains(i) { try inject(i, gradient) }
            let input = i > 0 ? activations[i - 1] : normalized
            switch network.model.layers[i].kind {
            case .relu:
                // Done by the convolution above it when that fused it.
                if !fusesReLUGradient(below: i + 1, tapped: tapped) {
                    try device.execute(.reluGradient(output: activations[i], outputGradient: gradient, inputGradient: gradient))
                }
            case .conv:
                guard let conv = network.convs[i] else { continue }
                let next = try buffer(for: input.shape, avoiding: gradient)
                if fusesReLUGradient(below: i, tapped: tapped) {
                    try device.execute(.conv2dInputGradientReLU(outputGradient: gradient, weight: conv.weight, input: input,
                                                                inputGradient: next, padding: 1))
                } else {
                    try device.execute(.conv2dInputGradient(outputGradient: gradient, weight: conv.weight, inputGradient: next,
                                                            padding: 1))
                }
                gradient = next
            case .pool:
                let next = try buffer(for: input.shape, avoiding: gradient)
                try device.execute(.pool2x2Gradient(network.pooling, input: input, outputGradient: gradient, inputGradient: next))
                gradient = next
            }
        }
        try injectInput?(normalized, gradient)
        try device.execute(.normalizeGradient(outputGradient: gradient, inputGradient: imageGradient, std: network.std))
    }

    /// Whether the convolution at `index` applies the ReLU above it (`conv2dReLU`): the ReLU
    /// works in place on the convolution's output, so nothing needs the values before it.
    private func fusesReLU(after index: Int) -> Bool {
        let layers = network.model.layers
        guard index >= 0, index + 1 < network.depth, case .conv = layers[index].kind, network.convs[index] != nil,
              layers[index + 1].kind == .relu else {
            return false
        }
        return activations[index + 1].storage === activations[index].storage
    }

    /// Whether the input gradient of the convolution at `index` applies the gradient of the
    /// ReLU below it (`conv2dInputGradientReLU`): only when no loss reads that ReLU's output,
    /// since a loss's gradient is added between the two.
    private func fusesReLUGradient(below index: Int, tapped: Set<Int>) -> Bool {
        let layers = network.model.layers
        guard index >= 1, index < network.depth, case .conv = layers[index].kind, network.convs[index] != nil,
              layers[index - 1].kind == .relu else {
            return false
        }
        return !tapped.contains(index - 1)
    }

    /// A gradient buffer of `shape` that is not `avoiding`.
    private func buffer(for shape: Shape, avoiding: Tensor?) throws -> Tensor {
        guard let pair = gradientBuffers[shape] else {
            throw DeviceError.backend("VGG-19 workspace has no gradient buffer of shape \(shape)")
        }
        return pair[0] === avoiding ? pair[1] : pair[0]
    }
}
