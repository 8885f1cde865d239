// OpenCLDevice+Execute: the OpenCL backend's dispatch of every DeviceOp and its scratch report.
import NSTCore

extension OpenCLDevice {
    public func execute(_ op: DeviceOp) throws {
        switch op {
        case let .fill(tensor, value): try fillTensor(tensor, with: value)
        case let .copy(source, destination): try copyTensor(source, to: destination)
        case let .crop(source, y, x, destination): try crop(source, y: y, x: x, into: destination)
        case let .addWindow(source, destination, y, x): try addWindow(source, into: destination, y: y, x: x)
        case let .gramGradient(input, gram, inputGradient, scale):
            try gramGradient(input: input, gramGradient: gram, inputGradient: inputGradient, scale: scale)
        case let .conv2d(input, weight, bias, output, padding):
            try conv2d(input: input, weight: weight, bias: bias, output: output, padding: padding)
        case let .conv2dInputGradient(outputGradient, weight, inputGradient, padding):
            try conv2dInputGradient(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient, padding: padding)
        case let .conv2dReLU(input, weight, bias, output, padding):
            try conv2d(input: input, weight: weight, bias: bias, output: output, padding: padding, relu: true)
        case let .conv2dInputGradientReLU(outputGradient, weight, input, inputGradient, padding):
            try conv2dInputGradient(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient,
                                    padding: padding, mask: input)
        case let .relu(input, output): try relu(input: input, output: output)
        case let .reluGradient(output, outputGradient, inputGradient):
            try reluGradient(output: output, outputGradient: outputGradient, inputGradient: inputGradient)
        case let .pool2x2(kind, input, output): try pool2x2(kind, input: input, output: output)
        case let .pool2x2Gradient(kind, input, outputGradient, inputGradient):
            try pool2x2Gradient(kind, input: input, outputGradient: outputGradient, inputGradient: inputGradient)
        case let .normalize(input, output, mean, std): try normalize(input: input, output: output, mean: mean, std: std)
        case let .normalizeGradient(outputGradient, inputGradient, std):
            try normalizeGradient(outputGradient: outputGradient, inputGradient: inputGradient, std: std)
        case let .gram(input, output): try gram(input: input, output: output)
        case let .contentLoss(generated, target, gradient, scale, slots, index):
            try contentLoss(generated: generated, target: target, gradient: gradient, scale: scale, into: slots, at: index)
        case let .styleLoss(generated, targetGram, gradient, scale, slots, index):
            try styleLoss(generated: generated, targetGram: targetGram, gradient: gradient, scale: scale, into: slots, at: index)
        case let .totalVariationL1Loss(image, gradient, scale, slots, index):
            try totalVariationL1Loss(image: image, gradient: gradient, scale: scale, into: slots, at: index)
        case let .totalVariationLoss(image, gradient, scale, slots, index):
            try totalVariationLoss(image: image, gradient: gradient, scale: scale, into: slots, at: index)
        case let .dot(x, y, slots, index): try dot(x, y, into: slots, at: index)
        case let .scaleByMask(tensor, mask): try scaleByMask(tensor, mask: mask)
        case let .temporalLoss(image, target, weights, gradient, scale, slots, index):
            try temporalLoss(image: image, target: target, weights: weights, gradient: gradient, scale: scale, into: slots, at: index)
        case let .warp(source, flow, output): try warp(source: source, flow: flow, output: output)
        case let .axpy(alpha, x, y): try axpy(alpha, x, y)
        case let .scale(x, alpha): try scale(x, by: alpha)
        case let .dotCoefficient(x, y, scale, coefficients, index):
            try dotCoefficient(x, y, scale: scale, into: coefficients, at: index)
        case let .axpyCoefficients(terms, coefficients, x, y): try axpy(terms, coefficients: coefficients, x, y)
        case let .adamStep(parameter, gradient, m, v, learningRate, beta1, beta2, epsilon, step):
            try adamStep(parameter: parameter, gradient: gradient, m: m, v: v, learningRate: learningRate,
                         beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
        }
    }

    /// `CL_DEVICE_GLOBAL_MEM_SIZE`; for a device whose memory is the host's (a CPU device
    /// such as PoCL) no more than the host can give now (`AvailableMemory.hostBytes`), which
    /// counts what is in use and a container's limit where the driver reports all of RAM.
    public var memory: DeviceMemory? {
        guard info.type == "CPU" else {
            return DeviceMemory(bytes: info.globalMemory, label: "OpenCL device '\(info.name)'", isHostMemory: false)
        }
        return DeviceMemory(bytes: min(info.globalMemory, AvailableMemory.hostBytes()),
                            label: "OpenCL device '\(info.name)'", isHostMemory: true)
    }

    /// The grow-only scratch buffers by role, each as large as its largest use: im2col
    /// columns; with Winograd in use, the tiles and products of a band of tile rows (16 or 36
    /// points each, by `winogradTile`); the operand copies of a matrix product (CLBlast's
    /// padded copies or `Kernels/gemm.cl`'s packed panels, whichever engine runs); the
    /// partials of a split Gram product; and the `[C,C]` matrix of a style loss. Plus the
    /// transformed Winograd filters of every convolution and direction that takes Winograd
    /// (`WinogradFilterCache`, the same at every size), or only the largest one's scratch
    /// once the cache stopped keeping them.
    public func scratchFloats(sizes: [ImageSize], depth: Int, model: VGGModel) -> Int {
        var columns = 0, tiles = 0, copies = 0
        let points = winogradTile.points
        for size in sizes {
            let (shapes, _) = model.shapes(height: size.height, width: size.width, depth: depth)
            for shape in shapes {
                copies = max(copies, 2 * shape.count + shape[0] * shape[0])   // a Gram product of this activation
            }
            for g in model.convolutions(size: size, depth: depth) {
                let ci = g.inChannels, co = g.outChannels
                if usesWinograd(g, inputGradient: false) || usesWinograd(g, inputGradient: true) {
                    let (rows, _, tx) = winogradBands(g)
                    let pixels = rows * tx
                    tiles = max(tiles, points * max(ci, co) * winogradTilesPerBand(pixels))
                    copies = max(copies, ci * co + 2 * max(ci, co) * pixels)
                }
                if !usesWinograd(g, inputGradient: false) || !usesWinograd(g, inputGradient: true) {
                    let col = ConvBands.im2colFloats(g, limit: im2colLimit), pixels = col / (9 * ci)
                    columns = max(columns, col)
                    copies = max(copies, 9 * ci * co + col + co * pixels)
                }
            }
        }
        let transforms = sizes.first.map { size in
            model.convolutions(size: size, depth: depth).flatMap { g in
                [false, true].filter { usesWinograd(g, inputGradient: $0) }.map { _ in winogradFilterFloats(g) }
            }
        } ?? []
        let filters = winogradFilterCache.isKeeping ? transforms.reduce(0, +) : transforms.max() ?? 0
        // Tiles and products are two buffers of the same bound. The packed operands of
        // `Kernels/gemm.cl` are padded to whole panels (at most 128 columns, on up to 9 * 512
        // rows), the column buffer likewise.
        let panelPadding = 9 * 512 * 128
        let gram = model.largestChannels(depth: depth)
        return columns + filters + 2 * tiles + copies + 2 * panelPadding + Self.gramSliceLimit + gram * gram
    }
}

extension OpenCLDevice: MemoryTrading {
    /// Stops keeping transformed Winograd filters between calls (each convolution transforms
    /// its weights again, into scratch memory): the one thing the backend can give up, and
    /// only when Winograd is on at all (untuned devices keep nothing).
    public func tradeSpeedForMemory() -> Bool {
        guard winogradFilterCache.isKeeping, winogradMinChannels < Self.winogradOff else { return false }
        winogradFilterCache.stopKeeping()
        return true
    }
}

extension OpenCLDevice: WeightGradientDevice {}
