// ControlObjective: a small objective on built-in weights for the normalised-gradient and mask tests.
@testable import NSTCPU
@testable import NSTCore
@testable import NSTOpenCL
@testable import NSTImages
@testable import NSTInspect
@testable import NSTMethod
@testable import NSTWeights
@testable import StyleTransfer
import XCTest

/// Content, styles and a generated image of a few pixels, and objectives built on them with
/// chosen weights and controls; `evaluate` returns J's parts and dJ/dx.
struct ControlObjective {
    let device: any Device
    let network: VGGNetwork
    let content: LayerWeights, style: LayerWeights
    let height = 12, width = 16
    let contentImage: Tensor, x: Tensor
    let styles: [Tensor]

    init(device: any Device, styleSeeds: [UInt64] = [11], contentLayers: [String] = ["relu2_1"],
         styleLayers: [String] = ["relu1_1", "relu2_1"]) throws {
        self.device = device
        network = try VGGNetwork(device: device, weights: .builtIn(depth: 7), pooling: .max, depth: 7)
        content = try LayerWeights(names: contentLayers, weights: nil, defaultWeight: 1)
        style = try LayerWeights(names: styleLayers, weights: [0.6, 0.4].prefix(styleLayers.count).map { $0 }, defaultWeight: 1)
        var data = TestData(seed: 5)
        contentImage = try device.tensor(Shape(3, height, width), data.uniform(3 * height * width, 0.1, 0.9))
        x = try device.tensor(Shape(3, height, width), data.uniform(3 * height * width, 0, 1))
        styles = try styleSeeds.map { seed in
            var d = TestData(seed: seed)
            return try device.tensor(Shape(3, 14, 18), d.uniform(3 * 14 * 18, 0, 1))
        }
    }

    /// The objective with these weights; `blend` the style images' blend weights.
    func objective(alpha: Double, beta: Double, gamma: Double = 0, blend: [Double]? = nil,
                   controls: ObjectiveControls? = nil) throws -> TransferObjective {
        let workspace = try VGGWorkspace(network: network, height: height, width: width,
                                         keepConvOutputs: Set(content.indices).union(style.indices))
        let targets = try StyleTargets.compute(network: network, images: styles,
                                               blend: blend ?? Array(repeating: 1 / Double(styles.count), count: styles.count),
                                               layers: style)
        return try TransferObjective(workspace: workspace, contentImage: contentImage, content: content, style: style,
                                     styleTargets: targets, contentWeight: alpha, styleWeight: beta, tvWeight: gamma,
                                     controls: controls)
    }

    /// Each style image's own target Grams, for masked styles.
    func ownTargets(_ k: Int) throws -> [Tensor] {
        try StyleTargets.compute(network: network, images: [styles[k]], blend: [1], layers: style)
    }

    /// J's parts and dJ/dx at `image` (default: the generated image).
    func evaluate(_ objective: TransferObjective, at image: Tensor? = nil) throws -> (losses: LossValues, gradient: [Float]) {
        let g = try device.makeTensor(Shape(3, height, width))
        let losses = try objective.evaluate(image ?? x, gradient: g)
        return (losses, try device.download(g))
    }
}

/// `assertClose` with the tolerance `rel * max|expected|` for every element (gradients have
/// elements near zero, where a per-element relative tolerance means nothing).
func assertCloseScaled(_ actual: [Float], _ expected: [Double], rel: Double, _ message: String,
                       file: StaticString = #filePath, line: UInt = #line) {
    let scale = expected.map(abs).max() ?? 0
    assertClose(actual, expected, abs: rel * scale, rel: 0, message, file: file, line: line)
}
