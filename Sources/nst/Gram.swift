// Gram: `nst gram`, the Gram matrices of chosen VGG-19 layers as heatmaps, optionally against a second image.
import ArgumentParser
import Foundation
import StyleTransfer

struct Gram: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the Gram matrices of VGG-19 layers for an image as heatmaps (PNG).",
        discussion: """
            G = A A^T / (H W) for each layer, computed on the chosen backend, drawn with its colour scale. \
            With --compare, both images' matrices share one scale and their difference A - B is drawn on \
            a diverging scale, titled with the layer's style loss 1/(4 C^2) sum (A - B)^2: what J_style sees.
            """)

    @Option(help: ArgumentHelp("Input image (PNG, JPEG or TIFF).", valueName: "file"))
    var image: String

    @Option(help: ArgumentHelp("A second image (e.g. the style image) to compare with.", valueName: "file"))
    var compare: String?

    @Option(help: ArgumentHelp("Output picture (.png), written atomically.", valueName: "file"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Store the PNG with a palette of at most n colours (0: full RGB).", valueName: "n"))
    var colors: Int = 0

    @OptionGroup var network: NetworkOptions

    func run() throws {
        var inputs = [("--image", image)]
        if let compare { inputs.append(("--compare", compare)) }
        try Inspect.checkPNG(output, colors: colors, inputs: inputs + network.inputs)
        let (extractor, images) = try network.open(images: inputs.map { (role: $0.0, path: $0.1) })
        let matrices = try images.map { image in
            try extractor.grams(image).map { GramMatrix(layer: $0.layer, channels: $0.channels, values: $0.values) }
        }
        let names = inputs.map { URL(fileURLWithPath: $0.1).lastPathComponent }
        let sheet = try GramSheet(first: matrices[0], second: matrices.count > 1 ? matrices[1] : nil, names: names)
        try Inspect.write(sheet.drawing, to: output, colors: colors)
        Console.line("nst: wrote \(output)")
    }
}
