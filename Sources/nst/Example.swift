// Example: `nst example`, worked examples of the method's building blocks (today: `conv`, the 6x6 edge detector).
import ArgumentParser
import StyleTransfer

struct Example: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Worked examples of the building blocks, computed by the backends.",
        subcommands: [ConvExampleCommand.self])
}

struct ConvExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "The 6x6 vertical-edge example of a convolution, computed by the chosen backend.",
        discussion: """
            Convolves a 6x6 image (left three columns 10, right three 0) with the 3x3 kernel whose \
            columns are 1, 0, -1 (conv2d, padding 0) and prints the input, kernel and 4x4 output; \
            every output row is 0 30 30 0, the edge.
            """)

    @Option(help: ArgumentHelp("Compute backend: auto, cpu, opencl or opencl:N.", valueName: "name"))
    var device: String = "auto"

    @Option(help: ArgumentHelp("Also draw the three grids to this picture (.png).", valueName: "file"))
    var output: String?

    func run() throws {
        let choice = try DeviceChoice(parsing: device)
        if let output { try Inspect.checkPNG(output, colors: 0, inputs: []) }
        let example = try ConvExample(device: DeviceSelection.makeDevice(choice))
        Console.out(example.text)
        if let output {
            try Inspect.write(example.drawing(), to: output, colors: 0)
            Console.line("nst: wrote \(output)")
        }
    }
}
