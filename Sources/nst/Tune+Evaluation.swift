// Tune+Evaluation: one style transfer evaluation (J and dJ/dx through VGG-19 with the default losses) on random images, timed.
import Dispatch
import StyleTransfer

/// A style transfer objective at one size with the default layers and weights, the built-in
/// network and seeded random content and style images: the work `nst tune` measures.
struct EvaluationProblem {
    let device: any Device
    let objective: TransferObjective
    let image: Tensor, gradient: Tensor

    init(device: any Device, size: Int, seed: UInt64 = 1) throws {
        let defaults = TransferOptions(contentPath: "", stylePaths: [""], outputPath: "")
        let content = try LayerWeights(names: defaults.contentLayers, weights: nil, defaultWeight: 1,
                                       option: "--content-layers", weightsOption: "--content-layers")
        let style = try LayerWeights(names: defaults.styleLayers, weights: nil,
                                     defaultWeight: 1 / Double(defaults.styleLayers.count),
                                     option: "--style-layers", weightsOption: "--style-layer-weights")
        let depth = max(content.depth, style.depth)
        let network = try VGGNetwork(device: device, weights: VGGWeights.builtIn(depth: depth),
                                     pooling: defaults.pooling, depth: depth)
        let shape = Shape(3, size, size)
        var rng = SplitMix64(seed: seed)
        func randomImage() throws -> Tensor {
            let tensor = try device.makeTensor(shape)
            try device.upload((0..<shape.count).map { _ in rng.nextFloat(in: 0, 1) }, to: tensor)
            return tensor
        }
        let styleImage = try randomImage(), contentImage = try randomImage()
        let targets = try StyleTargets.compute(network: network, images: [styleImage], blend: [1], layers: style)
        let workspace = try VGGWorkspace(network: network, height: size, width: size,
                                         keepConvOutputs: Set(content.indices).union(style.indices))
        objective = try TransferObjective(workspace: workspace, contentImage: contentImage, content: content,
                                          style: style, styleTargets: targets, contentWeight: defaults.contentWeight,
                                          styleWeight: defaults.styleWeight, tvWeight: defaults.tvWeight)
        image = try randomImage()
        gradient = try device.makeTensor(shape)
        self.device = device
    }

    /// One evaluation of J and dJ/dx, finished on the device.
    func evaluate() throws {
        _ = try objective.evaluate(image, gradient: gradient)
        try device.synchronize()
    }

    /// Median seconds of `runs` evaluations after one warm-up.
    func secondsPerEvaluation(runs: Int) throws -> Double {
        try evaluate()
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try evaluate()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
