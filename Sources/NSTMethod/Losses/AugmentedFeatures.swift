// AugmentedFeatures: device buffers for [A; 1], an activation with a channel of ones below it, whose Gram matrix holds the W2 loss's mean and second raw moment.
import NSTCore

/// `[A; 1]` of a `[C,H,W]` activation and the W2 loss's device work on it, through prefix
/// views of buffers sized for the largest layer they serve: the augmented Gram matrix
/// (`[[srm, mu], [mu^T, 1]]`, `WassersteinStyle`) and the gradient `(E' [A; 1])` restricted to
/// A's rows. Both are existing ops (`gram`, `gramGradient`) on C+1 channels, so the W2 loss
/// needs no kernel of its own on any backend.
final class AugmentedFeatures {
    let device: any Device
    private let features: Tensor, gradient: Tensor, matrix: Tensor

    /// Buffers for activations of at most `elements` values (`C*H*W`) and `channels` channels.
    init(device: any Device, elements: Int, positions: Int, channels: Int) throws {
        self.device = device
        features = try device.makeTensor(Shape(max(elements + positions, 1)))
        gradient = try device.makeTensor(Shape(max(elements + positions, 1)))
        matrix = try device.makeTensor(Shape((channels + 1) * (channels + 1)))
    }

    /// Buffers for every activation of `layers` in `workspace`.
    convenience init(workspace: VGGWorkspace, layers: [Int]) throws {
        let shapes = layers.map { workspace.activation($0).shape }
        try self.init(device: workspace.network.device, elements: shapes.map(\.count).max() ?? 0,
                      positions: shapes.map { $0[1] * $0[2] }.max() ?? 0, channels: shapes.map { $0[0] }.max() ?? 0)
    }

    private func view(_ tensor: Tensor, _ shape: Shape) -> Tensor { Tensor(shape: shape, storage: tensor.storage) }

    /// Writes `[a; 1]` into the features buffer and returns its view.
    private func augment(_ a: Tensor) throws -> Tensor {
        let s = a.shape
        let augmented = view(features, Shape(s[0] + 1, s[1], s[2]))
        try device.fill(augmented, with: 1)
        try device.copy(a, to: view(features, s))
        return augmented
    }

    /// The augmented Gram matrix of `a` into `output` (`[C+1, C+1]`), on the device.
    func gram(_ a: Tensor, into output: Tensor) throws {
        try device.execute(.gram(input: augment(a), output: output))
    }

    /// The augmented Gram matrix of `a`, downloaded (`(C+1)^2`, row-major).
    func statistics(_ a: Tensor) throws -> [Double] {
        let c = a.shape[0]
        let g = view(matrix, Shape(c + 1, c + 1))
        try gram(a, into: g)
        return try device.download(g).map(Double.init)
    }

    /// J of `w2` at `a`, and `g += scale * dJ/dA / N` (N = a's positions): the statistics
    /// and the gradient from one `[a; 1]`, with one wait for the device (the whole-image
    /// objective's W2 term; tiles take the two halves in separate passes).
    func apply(_ w2: WassersteinStyle, activation a: Tensor, into g: Tensor, scale: Float) throws -> Double {
        let s = a.shape, c = s[0]
        let features = try augment(a), matrix = view(self.matrix, Shape(c + 1, c + 1))
        try device.execute(.gram(input: features, output: matrix))
        let (value, e) = try w2.evaluate(augmented: device.download(matrix).map(Double.init))
        try device.upload(e, to: matrix)
        try addGradient(matrix: matrix, augmented: features, shape: s, into: g, scale: scale / Float(s[1] * s[2]))
        return value
    }

    /// `g += scale * (E' [a; 1])` over a's C rows, for `e` the `(C+1)^2` matrix E'.
    func addGradient(_ e: [Float], activation a: Tensor, into g: Tensor, scale: Float) throws {
        let c = a.shape[0]
        let matrix = view(self.matrix, Shape(c + 1, c + 1))
        try device.upload(e, to: matrix)
        try addGradient(matrix: matrix, activation: a, into: g, scale: scale)
    }

    /// `g += scale * (E' [a; 1])` over a's C rows, for E' a `[C+1, C+1]` device tensor.
    func addGradient(matrix: Tensor, activation a: Tensor, into g: Tensor, scale: Float) throws {
        try addGradient(matrix: matrix, augmented: augment(a), shape: a.shape, into: g, scale: scale)
    }

    /// The same with `[a; 1]` already in the features buffer (`augmented`, of an activation shaped `s`).
    private func addGradient(matrix: Tensor, augmented: Tensor, shape s: Shape, into g: Tensor, scale: Float) throws {
        let augmentedGradient = view(gradient, Shape(s[0] + 1, s[1], s[2]))
        try device.fill(augmentedGradient, with: 0)
        try device.execute(.gramGradient(input: augmented, gramGradient: matrix, inputGradient: augmentedGradient, scale: scale))
        try device.execute(.axpy(alpha: 1, x: view(gradient, s), y: g))
    }
}
