// Shape: the dimensions of a tensor (CHW activations, [out, in, kh, kw] weights, vectors).

/// The dimensions of a dense, row-major float32 tensor.
///
/// Activations are `[C, H, W]` (one image, no batch dimension), convolution weights
/// `[out, in, kh, kw]`, biases `[out]`, Gram matrices `[C, C]`.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    /// The extent of each dimension, outermost first.
    public let dims: [Int]

    /// Makes a shape from its dimensions, outermost first.
    public init(_ dims: [Int]) { self.dims = dims }

    /// Makes a shape from its dimensions, outermost first.
    public init(_ dims: Int...) { self.dims = dims }

    /// The number of dimensions.
    public var rank: Int { dims.count }

    /// The number of elements (1 for a rank-0 shape).
    public var count: Int { dims.reduce(1, *) }

    /// The extent of dimension `i`.
    public subscript(i: Int) -> Int { dims[i] }

    /// `[2x3x4]`-style text, used in error messages.
    public var description: String { "[" + dims.map(String.init).joined(separator: "x") + "]" }

    /// True when every dimension is positive.
    public var isValid: Bool { dims.allSatisfy { $0 > 0 } }
}

/// The size of an image in pixels.
public struct ImageSize: Hashable, Sendable, CustomStringConvertible {
    public let height: Int, width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// `WxH`, as the progress line and messages show sizes.
    public var description: String { "\(width)x\(height)" }
}
