// OpShapes: shape validation and geometry shared by every backend, so no backend re-derives it.

/// Geometry of a stride-1 2-D convolution, validated once and shared by all backends.
public struct ConvGeometry: Equatable, Sendable {
    public let inChannels: Int, height: Int, width: Int
    public let outChannels: Int, kernelHeight: Int, kernelWidth: Int
    public let padding: Int
    public let outHeight: Int, outWidth: Int

    /// A geometry known to be valid (see `ConvGeometry.vgg`).
    package init(inChannels: Int, height: Int, width: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int,
         padding: Int, outHeight: Int, outWidth: Int) {
        self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.padding = padding; self.outHeight = outHeight; self.outWidth = outWidth
    }

    /// Validates the shapes of a convolution and derives its output size.
    /// - Throws: `DeviceError.shapeMismatch` naming every shape when they do not fit,
    ///   `.invalidArgument` for a negative padding or an empty output.
    public init(op: String, input: Shape, weight: Shape, bias: Shape?, output: Shape, padding: Int) throws {
        guard padding >= 0 else {
            throw DeviceError.invalidArgument(op: op, detail: "padding must be >= 0, got \(padding)")
        }
        guard input.rank == 3, weight.rank == 4, output.rank == 3 else {
            throw DeviceError.shapeMismatch(op: op, detail:
                "want input [I,H,W], weight [O,I,KH,KW], output [O,H',W']; got input \(input), weight \(weight), output \(output)")
        }
        inChannels = input[0]; height = input[1]; width = input[2]
        outChannels = weight[0]; kernelHeight = weight[2]; kernelWidth = weight[3]
        self.padding = padding
        outHeight = height + 2 * padding - kernelHeight + 1
        outWidth = width + 2 * padding - kernelWidth + 1
        guard input.isValid, weight.isValid, outHeight > 0, outWidth > 0 else {
            throw DeviceError.invalidArgument(op: op, detail:
                "input \(input) with weight \(weight) and padding \(padding) leaves no output")
        }
        let want = Shape(outChannels, outHeight, outWidth)
        guard weight[1] == inChannels, output == want else {
            throw DeviceError.shapeMismatch(op: op, detail:
                "input \(input), weight \(weight), padding \(padding) need output \(want) and weight [\(outChannels)x\(inChannels)x\(kernelHeight)x\(kernelWidth)]; got output \(output)")
        }
        if let bias, bias != Shape(outChannels) {
            throw DeviceError.shapeMismatch(op: op, detail: "bias \(bias) does not match weight \(weight): want [\(outChannels)]")
        }
    }

    /// Multiply-adds of one forward pass (also of the input gradient).
    public var macs: Int { outChannels * outHeight * outWidth * inChannels * kernelHeight * kernelWidth }
}

/// Shape checks shared by all backends.
public enum OpShapes {
    /// Throws unless `shapes` are all equal; the message names each.
    public static func same(_ op: String, _ shapes: (String, Shape)...) throws {
        guard let first = shapes.first else { return }
        if shapes.contains(where: { $0.1 != first.1 }) {
            let list = shapes.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            throw DeviceError.shapeMismatch(op: op, detail: "shapes must be equal; got \(list)")
        }
    }

    /// Throws unless the element counts are equal (vector ops accept any shapes).
    public static func sameCount(_ op: String, _ a: Shape, _ b: Shape) throws {
        guard a.count == b.count else {
            throw DeviceError.shapeMismatch(op: op, detail: "element counts differ: \(a) has \(a.count), \(b) has \(b.count)")
        }
    }

    /// Validates the operands of one Adam step: equal element counts (vector ops accept any
    /// shapes) and a 1-based step number.
    public static func adam(parameter: Shape, gradient: Shape, m: Shape, v: Shape, step: Int) throws {
        let op = "adamStep"
        guard step >= 1 else { throw DeviceError.invalidArgument(op: op, detail: "step must be >= 1, got \(step)") }
        for (label, shape) in [("gradient", gradient), ("m", m), ("v", v)] where shape.count != parameter.count {
            throw DeviceError.shapeMismatch(op: op, detail: "parameter \(parameter) and \(label) \(shape) differ in element count")
        }
    }

    /// Validates a window of `small [C,h,w]` at row `y`, column `x` of `large [C,H,W]` (same C,
    /// inside `large`) and returns (C, H, W, h, w).
    public static func window(_ op: String, large: Shape, small: Shape, y: Int, x: Int) throws
        -> (c: Int, h: Int, w: Int, windowHeight: Int, windowWidth: Int) {
        let (c, h, w) = try chw(op, "large tensor", large)
        let (c2, wh, ww) = try chw(op, "window", small)
        guard c2 == c, y >= 0, x >= 0, y + wh <= h, x + ww <= w else {
            throw DeviceError.shapeMismatch(op: op, detail: "window \(small) at row \(y), column \(x) does not fit in \(large)")
        }
        return (c, h, w, wh, ww)
    }

    /// Validates a `[C,C]` Gram gradient against an activation `[C,H,W]` and its gradient.
    public static func gramGradient(_ op: String, input: Shape, gram: Shape, inputGradient: Shape) throws
        -> (c: Int, h: Int, w: Int) {
        let dims = try self.gram(op, activation: input, gram: gram)
        try same(op, ("input", input), ("inputGradient", inputGradient))
        return dims
    }

    /// Validates a `[C,H,W]` activation and returns (C, H, W).
    public static func chw(_ op: String, _ name: String, _ s: Shape) throws -> (c: Int, h: Int, w: Int) {
        guard s.rank == 3, s.isValid else {
            throw DeviceError.shapeMismatch(op: op, detail: "\(name) must be a non-empty [C,H,W] activation; got \(s)")
        }
        return (s[0], s[1], s[2])
    }

    /// Validates 2x2 pooling shapes and returns the input's (C, H, W).
    public static func pool(_ op: String, input: Shape, output: Shape) throws -> (c: Int, h: Int, w: Int) {
        let (c, h, w) = try chw(op, "input", input)
        guard h >= 2, w >= 2 else {
            throw DeviceError.invalidArgument(op: op, detail: "input \(input) is too small for 2x2 pooling (needs H, W >= 2)")
        }
        let want = Shape(c, h / 2, w / 2)
        guard output == want else {
            throw DeviceError.shapeMismatch(op: op, detail: "input \(input) pools to \(want); got output \(output)")
        }
        return (c, h, w)
    }

    /// Validates a Gram matrix `[C,C]` against the activation `[C,H,W]` it belongs to.
    public static func gram(_ op: String, activation: Shape, gram: Shape) throws -> (c: Int, h: Int, w: Int) {
        let dims = try chw(op, "activation", activation)
        guard gram == Shape(dims.c, dims.c) else {
            throw DeviceError.shapeMismatch(op: op, detail: "activation \(activation) needs a Gram matrix [\(dims.c)x\(dims.c)]; got \(gram)")
        }
        return dims
    }

    /// Validates per-channel normalisation constants against a `[C,H,W]` tensor.
    public static func channels(_ op: String, _ s: Shape, mean: [Float]?, std: [Float]) throws -> (c: Int, h: Int, w: Int) {
        let dims = try chw(op, "input", s)
        guard std.count == dims.c, mean == nil || mean?.count == dims.c else {
            throw DeviceError.shapeMismatch(op: op, detail: "input \(s) has \(dims.c) channels; got \(mean?.count ?? dims.c) means and \(std.count) standard deviations")
        }
        guard std.allSatisfy({ $0 != 0 && $0.isFinite }) else {
            throw DeviceError.invalidArgument(op: op, detail: "standard deviations must be finite and non-zero; got \(std)")
        }
        return dims
    }
}
