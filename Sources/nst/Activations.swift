// Activations: `nst activations`, a sheet of the strongest channel maps of chosen VGG-19 layers for one image.
import ArgumentParser
import Foundation
import StyleTransfer

struct Activations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the strongest channel maps of VGG-19 layers for an image as one PNG sheet.",
        discussion: """
            Runs the network (as transfer does: same --size, --weights, --pooling, --device) on the \
            image and draws, for each layer, its --channels channels with the largest mean activation, \
            each scaled to its own minimum (dark violet) and maximum (yellow) and labelled layer and channel.
            """)

    @Option(help: ArgumentHelp("Input image (PNG, JPEG or TIFF).", valueName: "file"))
    var image: String

    @Option(help: ArgumentHelp("Output sheet (.png), written atomically.", valueName: "file"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Channels shown per layer, the strongest by mean activation.", valueName: "n"))
    var channels: Int = 16

    @Option(parsing: .unconditional, help: ArgumentHelp("Long side of each channel map's tile in pixels.", valueName: "pixels"))
    var tile: Int = 96

    @Option(parsing: .unconditional, help: ArgumentHelp("Tiles per row.", valueName: "n"))
    var columns: Int = 8

    @Option(parsing: .unconditional, help: ArgumentHelp("Store the PNG with a palette of at most n colours (0: full RGB).", valueName: "n"))
    var colors: Int = 0

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        if let problem = ActivationSheet.problem(channels: channels, tile: tile, columns: columns) {
            throw TransferError.option("--\(problem.parameter)", problem.text)
        }
    }

    func run() throws {
        try Inspect.checkPNG(output, colors: colors, inputs: [("--image", image)] + network.inputs)
        let (extractor, images) = try network.open(images: [("--image", image)])
        let maps = try extractor.activations(images[0])
        let sheet = try ActivationSheet(maps: maps, channels: channels, tile: tile, columns: columns,
                                        title: "\(URL(fileURLWithPath: image).lastPathComponent) at \(images[0].width)x\(images[0].height)")
        try Inspect.write(sheet.drawing, to: output, colors: colors)
        Console.line("nst: wrote \(output)")
    }
}

/// Output helpers shared by the picture commands.
enum Inspect {
    /// Checks a PNG output path and the --colors value before any work.
    static func checkPNG(_ output: String, colors: Int, inputs: [(String, String)]) throws {
        guard output.lowercased().hasSuffix(".png") else {
            throw TransferError.file(role: "--output", path: output, problem: "must be a .png file")
        }
        guard (0...256).contains(colors) else { throw TransferError.option("--colors", "must be 0 (full RGB) to 256, got \(colors)") }
        try InspectPaths.checkOutput(output, role: "--output", inputs: inputs)
    }

    /// Renders and writes a drawing as PNG; errors name --output.
    static func write(_ drawing: Drawing, to output: String, colors: Int) throws {
        do { try PNGOutput.write(drawing.rasterize(), to: output, colors: colors) } catch let error as ImageError {
            throw TransferError.file(role: "--output", path: output, problem: error.reason)
        }
    }
}
